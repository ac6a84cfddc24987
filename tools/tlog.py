#!/usr/bin/env python3
"""The C2SP transparency-log formats ansinh's exports carry, written from the specs
(c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature, tlog-tiles) with Python's
standard library, and the `cryptography` package, where present, for Ed25519.

  signed note     text ending in "\\n", a blank line, then lines "— <name> <base64>\\n";
                  the text is separated from the signatures by the LAST blank line, and
                  each signature is base64(4-byte key ID || signature)
  key ID          SHA-256(name || 0x0A || type || public key)[:4]; type 0x01 is an
                  Ed25519 signature of the text, 0x04 an Ed25519 cosignature
  verifier key    <name>+<8 hex key ID>+<base64(type || public key)>
  checkpoint      origin, tree size (decimal), base64 root hash, extension lines
  cosignature     8-byte big-endian timestamp || Ed25519 signature of
                  "cosignature/v1\\ntime <timestamp>\\n" || the checkpoint text
  tiles           tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>]

Without `cryptography` the verify functions still check every format and key ID, and
return checked=False: a signature is then "not checked", never valid.

    python3 tools/tlog.py self-test

checks the functions against published vectors (exit status 1 on a failure).
"""
import base64
import binascii
import hashlib
import re
import sys

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    HAVE_CRYPTO = True
except ImportError:
    HAVE_CRYPTO = False

EM_DASH = "\u2014"
ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # the spec asks for at least 16; Go's note package allows 100
TILE_WIDTH = 256
HASH_SIZE = 32


class NoteError(Exception):
    pass


def b64decode(text):
    """Standard base64 with padding (RFC 4648 §4), in its one canonical form."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError("%r is not base64" % text)
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError("%r is not base64 in its canonical form" % text)
    return raw


def valid_name(name):
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name, type_byte, pub):
    """SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([type_byte]) + pub).digest()[:4]


def parse_vkey(vkey):
    """<name>+<8 hex>+<base64(type || key)> -> (name, key id, type, public key)."""
    name, plus, rest = vkey.partition("+")
    hex_id, plus2, encoded = rest.partition("+")
    if not plus or not plus2 or not valid_name(name):
        raise NoteError("verifier key %r is not <name>+<key ID>+<key>" % vkey)
    if not re.fullmatch(r"[0-9a-fA-F]{8}", hex_id):
        raise NoteError("verifier key %r: the key ID is not 8 hex digits" % vkey)
    key = b64decode(encoded)
    if len(key) != 33 or key[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError("verifier key %r is not an Ed25519 key (type 0x01 or 0x04)" % vkey)
    type_byte, pub = key[0], key[1:]
    if key_id(name, type_byte, pub) != bytes.fromhex(hex_id):
        raise NoteError("verifier key %r: the key ID does not match the name and key" % vkey)
    return name, bytes.fromhex(hex_id), type_byte, pub


def parse_note(note):
    """A signed note (bytes or str) -> (text, [(name, key id, signature bytes)])."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("the note is not UTF-8")
    if any(c < " " and c != "\n" for c in note):
        raise NoteError("the note holds a control character")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("the note's signature lines do not end in a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        name, space, encoded = line[2:].partition(" ")
        if not line.startswith(EM_DASH + " ") or not space or not valid_name(name):
            raise NoteError("%r is not a signature line" % line)
        raw = b64decode(encoded)
        if len(raw) < 5:
            raise NoteError("the signature line of %s is too short" % name)
        signatures.append((name, raw[:4], raw[4:]))
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("the note has more than %d signatures" % MAX_SIGNATURES)
    return text, signatures


def signature_line(name, raw):
    return "%s %s %s\n" % (EM_DASH, name, base64.b64encode(raw).decode("ascii"))


def ed25519_valid(pub, signature, message):
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(signature, message)
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_note(note, name, pub):
    """The note's text, and whether its Ed25519 signature by (name, pub) was checked.

    Other keys' signatures are ignored; raises NoteError when the key has no signature
    line or one that does not verify."""
    text, signatures = parse_note(note)
    kid = key_id(name, ED25519, pub)
    known = [signature for n, k, signature in signatures if (n, k) == (name, kid)]
    if not known:
        raise NoteError("no signature by %s+%s" % (name, kid.hex()))
    if not HAVE_CRYPTO:
        return text, False
    for signature in known:
        if len(signature) != 64 or not ed25519_valid(pub, signature, text.encode("utf-8")):
            raise NoteError("the signature by %s+%s does not verify" % (name, kid.hex()))
    return text, True


def cosignature_message(text, timestamp):
    return b"cosignature/v1\ntime %d\n" % timestamp + text.encode("utf-8")


def verify_cosignature(note, vkey):
    """The note's text, the (latest) timestamp of its cosignature by the witness vkey
    (a string or a parse_vkey tuple), and whether the signature was checked."""
    name, kid, type_byte, pub = parse_vkey(vkey) if isinstance(vkey, str) else vkey
    if type_byte != COSIGNATURE_V1:
        raise NoteError("%s+%s is not a cosignature key (type 0x04)" % (name, kid.hex()))
    text, signatures = parse_note(note)
    known = [signature for n, k, signature in signatures if (n, k) == (name, kid)]
    if not known:
        raise NoteError("no cosignature by %s+%s" % (name, kid.hex()))
    timestamps = []
    for signature in known:
        timestamp = int.from_bytes(signature[:8], "big")
        if len(signature) != 72 or timestamp >= 1 << 63:
            raise NoteError("the cosignature by %s+%s is malformed" % (name, kid.hex()))
        if HAVE_CRYPTO and not ed25519_valid(pub, signature[8:], cosignature_message(text, timestamp)):
            raise NoteError("the cosignature by %s+%s does not verify" % (name, kid.hex()))
        timestamps.append(timestamp)
    return text, max(timestamps), HAVE_CRYPTO


def parse_checkpoint(text):
    """A checkpoint's note text -> (origin, tree size, 32-byte root hash, extension lines)."""
    if not text.endswith("\n"):
        raise NoteError("the checkpoint does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise NoteError("the checkpoint is not three or more non-empty lines")
    origin, size, root = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]*", size) or int(size) >= 1 << 64:
        raise NoteError("the checkpoint's tree size %r is not a decimal number" % size)
    root = b64decode(root)
    if len(root) != HASH_SIZE:
        raise NoteError("the checkpoint's root hash is not 32 bytes")
    return origin, int(size), root, lines[3:]


# Signing, for the self-test and for making test exports (needs `cryptography`).


def parse_skey(skey):
    """Go's PRIVATE+KEY+<name>+<8 hex>+<base64(type || seed)> -> (name, type, seed)."""
    fields = skey.split("+", 4)
    if len(fields) != 5 or fields[:2] != ["PRIVATE", "KEY"]:
        raise NoteError("not a signer key")
    key = b64decode(fields[4])
    if len(key) != 33:
        raise NoteError("not an Ed25519 signer key")
    if key_id(fields[2], key[0], public_key(key[1:])).hex() != fields[3].lower():
        raise NoteError("the signer key's ID does not match")
    return fields[2], key[0], key[1:]


def public_key(seed):
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(*raw)


def vkey_string(name, type_byte, pub):
    return "%s+%s+%s" % (name, key_id(name, type_byte, pub).hex(), base64.b64encode(bytes([type_byte]) + pub).decode())


def sign_line(text, name, seed):
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(text.encode("utf-8"))
    return signature_line(name, key_id(name, ED25519, public_key(seed)) + signature)


def cosign_line(text, name, seed, timestamp):
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(cosignature_message(text, timestamp))
    stamp = key_id(name, COSIGNATURE_V1, public_key(seed)) + timestamp.to_bytes(8, "big")
    return signature_line(name, stamp + signature)


# Tiles.


def tile_index_path(index):
    """1234067 -> "x001/x234/067": 3-digit elements, all but the last prefixed by x."""
    path = "%03d" % (index % 1000)
    index //= 1000
    while index:
        path = "x%03d/%s" % (index % 1000, path)
        index //= 1000
    return path


def tile_path(level, index, width=None):
    """tile/<L>/<N>[.p/<W>]; level "entries" gives an entry bundle's path."""
    return "tile/%s/%s%s" % (level, tile_index_path(index), ".p/%d" % width if width else "")


def tiles_for_size(size):
    """The (level, index, width or None for a full tile) of every tile of a tree of
    `size` leaves: floor(s / 256**(l+1)) full tiles at level l, and a partial one of
    width floor(s / 256**l) mod 256 when that is not 0."""
    tiles, level = [], 0
    while size // TILE_WIDTH**level:
        full = size // TILE_WIDTH ** (level + 1)
        tiles += [(level, index, None) for index in range(full)]
        width = size // TILE_WIDTH**level % TILE_WIDTH
        if width:
            tiles.append((level, full, width))
        level += 1
    return tiles


def parse_tile(data, width):
    """A tile's bytes -> its `width` hashes."""
    if len(data) != width * HASH_SIZE:
        raise NoteError("%d bytes, not the %d of %d hashes" % (len(data), width * HASH_SIZE, width))
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def parse_bundle(data, width):
    """An entry bundle's bytes (big-endian u16 length-prefixed entries) -> its entries."""
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise NoteError("it ends inside a length prefix")
        length = int.from_bytes(data[offset : offset + 2], "big")
        if offset + 2 + length > len(data):
            raise NoteError("entry %d runs past its end" % len(entries))
        entries.append(data[offset + 2 : offset + 2 + length])
        offset += 2 + length
    if len(entries) != width:
        raise NoteError("%d entries, not %d" % (len(entries), width))
    return entries


# The self-test.

# golang.org/x/mod sumdb/note/note_test.go (TestSign, TestOpen).
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = EM_DASH + " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = EM_DASH + " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# github.com/transparency-dev/formats note/note_cosigv1_test.go (TestCoSigV1NewVerifier):
# a published witness key of type 0x04, and a type 0x01 one; their key IDs must hold.
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
TEST_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"

# Cosignature v1 (Ed25519): the worked example of github.com/florolf/sigsum-breakglass,
# README.md (commit 84134aed999966734fb7572c903474accdaed452), which Sigsum's verifier
# (sigsum-verify) accepts: a one-leaf Sigsum log whose checkpoint is signed by the log
# key 7e5528… (its origin is sigsum.org/v1/tree/ and SHA-256 of that key) and cosigned
# by two of its witnesses. The witnesses' names are not signed by type 0x04; the ones
# here are the policy's. No C2SP or Go test publishes a key with its cosignature.
SIGSUM_LOG_KEY = "7e55283748388e2fa565346516d848ef1195cad5c83816a4b6e24344cfc717e9"
SIGSUM_TEXT = (
    "sigsum.org/v1/tree/415e81ad656a4d1bd36f8f8d07703ed2bf0d00bf9e1a7e5c1f3fa2f1a90e7e61\n1\n"
    "EllK+1fkCig70Dr6x0ZBoDIGXNWeCYJ4kg9V2unW9QU=\n"
)
SIGSUM_LOG_SIGNATURE = (
    "69e5d513350061558350726bb8208e4801ca2a0e04599bf325a00a3566001818"
    "d64ceff441814911ea9e9a8920dab43848fc2cbb5aed01a51fd149c55c005501"
)
SIGSUM_LEAF = (  # checksum || signature || key hash: its leaf hash is the root above
    "465283372667265e1f9515813be447692a3ab09f879bb6ded5a826872550fd39"
    "078335c18fb08488292ccc45a175bf23ab720c888d0ca5c55eea52289696acb3cfe3a723de5eb1e685d6b44a0d2021dc35d5d46ccf9f9a9fd5abf3cabfc9ba03"
    "b9b5ca4ef790ee2371cf51e787a702545e4328f5aa7575ff8baf162af7446f7c"
)
SIGSUM_COSIGNATURES = [  # (name, public key, timestamp, signature)
    (
        "cosigner1",
        "0356a86448e731c962782b30563d9d5c807f7956c4c361cf48ac75c6bd7fce0f",
        1771286008,
        "39d88fc30e8a1df0df5c7b339fffbe1e1f34f1f3b67885db4ef47248f4f90dd77fe070ecefb8e9eba0a2d63781a05b2a7e18b96dfc9577478f2e4dc01e7f1005",
    ),
    (
        "cosigner2",
        "364ced2caf85261de3c91170f137c0bf8688fda3293372d66f02d6b7f4bab79c",
        1771286014,
        "abf47128ba667057037124abf1c620ed912c2e1ac8921739094ec8ee19f1483f8132eb9f660a4000493ea8ee7502f13bb836486c45c5869d50015e169b49030f",
    ),
]


def self_test():
    failures, notes = [], []

    def check(label, condition):
        if not condition:
            failures.append(label)

    def refused(label, function, *arguments):
        try:
            function(*arguments)
        except NoteError:
            return
        failures.append(label + " was accepted")

    def flip(text, at):
        return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]

    def run():
        # (a) signed notes: Go's vectors.
        name, kid, type_byte, pub = parse_vkey(PETER_VKEY)
        check("PeterNeumann's key ID", key_id("PeterNeumann", ED25519, pub).hex() == "c74f20a3" == kid.hex())
        check("EnochRoot's key ID", parse_vkey(ENOCH_VKEY)[1].hex() == "af0cfe78")
        refused("a vkey with a wrong key ID", parse_vkey, PETER_VKEY.replace("c74f20a3", "c74f20a4"))
        unknown_type = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"  # Go's, key ID adjusted
        refused("a vkey of an unknown type", parse_vkey, unknown_type)
        refused("a vkey cut short", parse_vkey, PETER_VKEY[:-1])
        note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
        text, signatures = parse_note(note.encode())
        check("the note's text", text == GO_TEXT and [s[0] for s in signatures] == ["PeterNeumann", "EnochRoot"])
        bad_notes = [
            GO_TEXT,
            GO_TEXT + "\n",
            GO_TEXT + "\n" + PETER_SIG[:-1],
            "\x01" + GO_TEXT + "\n" + PETER_SIG,
            GO_TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"),
            GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
            GO_TEXT + "\n" + PETER_SIG * 101,
        ]
        for number, bad in enumerate(bad_notes):
            refused("malformed note %d" % number, parse_note, bad)
        refused("a note that is not UTF-8", parse_note, b"\xff" + (GO_TEXT + "\n" + PETER_SIG).encode())
        refused("a note without the key's signature", verify_note, GO_TEXT + "\n" + ENOCH_SIG, name, pub)
        if HAVE_CRYPTO:
            check("the vector verifies (Enoch's signature ignored)", verify_note(note, name, pub) == (GO_TEXT, True))
            one = GO_TEXT + "\n" + PETER_SIG
            check("the text ending before the blank line", verify_note(one, name, pub)[0] == GO_TEXT)
            skey_name, skey_type, seed = parse_skey(PETER_SKEY)
            check("the private key's public key", (skey_name, skey_type, public_key(seed)) == ("PeterNeumann", ED25519, pub))
            check("Ed25519 signing reproduces Go's signature line", sign_line(GO_TEXT, skey_name, seed) == PETER_SIG)
            refused("a changed text", verify_note, flip(GO_TEXT, 3) + "\n" + PETER_SIG, name, pub)
            refused("a changed signature", verify_note, GO_TEXT + "\n" + flip(PETER_SIG, 40), name, pub)
            longer = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
            refused("a signature with bytes added", verify_note, longer, name, pub)
        else:
            notes.append("Ed25519 signing and verification skipped (no cryptography package)")

        # Checkpoints.
        origin, size, root, extensions = parse_checkpoint(SIGSUM_TEXT)
        check("the Sigsum checkpoint", (size, root.hex()[:8], extensions) == (1, "12594afb", []))
        check("its root is the hash of its one leaf", hashlib.sha256(b"\x00" + bytes.fromhex(SIGSUM_LEAF)).digest() == root)
        root_line = SIGSUM_TEXT.split("\n")[2]
        for bad in ("a\n01\n%s\n" % root_line, "a\n1\nAAAA\n", "a\n1\n", SIGSUM_TEXT + "\n", SIGSUM_TEXT[:-1], SIGSUM_TEXT + "\n\n"):
            refused("checkpoint %r" % bad, parse_checkpoint, bad)

        # (b) tiles: tlog-tiles' examples.
        check("tile path of 1234067", tile_index_path(1234067) == "x001/x234/067" and tile_index_path(5) == "005")
        check("a tile's path", tile_path(0, 1234067) == "tile/0/x001/x234/067")
        check("an entry bundle's path", tile_path("entries", 1, 17) == "tile/entries/001.p/17")
        tiles = tiles_for_size(70000)
        check(
            "the tiles of a tree of 70 000",
            [t for t in tiles if t[0] == 0 and t[2] is None] == [(0, n, None) for n in range(273)]
            and [t for t in tiles if not (t[0] == 0 and t[2] is None)] == [(0, 273, 112), (1, 0, None), (1, 1, 17), (2, 0, 1)],
        )
        check("the tiles of a tree of 256", tiles_for_size(256) == [(0, 0, None), (1, 0, 1)])
        check("no tiles for an empty tree", tiles_for_size(0) == [])
        bundle = b"\x00\x02ab\x00\x00\x00\x01c"
        check("an entry bundle", parse_bundle(bundle, 3) == [b"ab", b"", b"c"])
        refused("a bundle cut short", parse_bundle, bundle[:-1], 3)
        refused("a bundle with an entry too many", parse_bundle, bundle, 2)

        # (c) cosignatures: the Sigsum vector.
        log_key = bytes.fromhex(SIGSUM_LOG_KEY)
        log_line = signature_line(origin, key_id(origin, ED25519, log_key) + bytes.fromhex(SIGSUM_LOG_SIGNATURE))
        vkeys, lines = [], []
        for witness, key, timestamp, signature in SIGSUM_COSIGNATURES:
            key = bytes.fromhex(key)
            vkeys.append(vkey_string(witness, COSIGNATURE_V1, key))
            stamp = key_id(witness, COSIGNATURE_V1, key) + timestamp.to_bytes(8, "big")
            lines.append((signature_line(witness, stamp + bytes.fromhex(signature)),
                          signature_line(witness, stamp[:-1] + bytes([stamp[-1] ^ 1]) + bytes.fromhex(signature))))
        witnessed = SIGSUM_TEXT + "\n" + log_line + lines[0][0] + lines[1][0]
        remora = ("remora.n621.de", bytes.fromhex("da77ade7"), COSIGNATURE_V1)
        check("remora.n621.de's witness key", parse_vkey(REMORA_VKEY)[:3] == remora)
        check("a vkey whose base64 holds a '+'", parse_vkey(TEST_VKEY)[:3] == ("TEST", bytes.fromhex("7997405c"), ED25519))
        check("a vkey of type 0x04", parse_vkey(vkeys[0])[2:] == (COSIGNATURE_V1, bytes.fromhex(SIGSUM_COSIGNATURES[0][1])))
        as_note_key = vkey_string("cosigner1", ED25519, bytes.fromhex(SIGSUM_COSIGNATURES[0][1]))
        refused("a cosignature checked with a type 0x01 key", verify_cosignature, witnessed, as_note_key)
        refused("a witness without a cosignature", verify_cosignature, SIGSUM_TEXT + "\n" + log_line + lines[1][0], vkeys[0])
        if HAVE_CRYPTO:
            check("the Sigsum log's signature", verify_note(witnessed, origin, log_key) == (SIGSUM_TEXT, True))
            for vkey, (witness, _, timestamp, _) in zip(vkeys, SIGSUM_COSIGNATURES):
                check("%s's cosignature" % witness, verify_cosignature(witnessed, vkey) == (SIGSUM_TEXT, timestamp, True))
            changed = witnessed.replace("\n1\n", "\n2\n", 1)
            refused("a cosigned checkpoint with its size changed", verify_cosignature, changed, vkeys[0])
            refused("a cosignature with its time changed", verify_cosignature, SIGSUM_TEXT + "\n" + lines[1][1], vkeys[1])
            seed = hashlib.sha256(b"tlog.py self-test witness").digest()
            line = cosign_line(SIGSUM_TEXT, "witness.example/w1", seed, 1700000000)
            vkey = vkey_string("witness.example/w1", COSIGNATURE_V1, public_key(seed))
            mine = verify_cosignature(SIGSUM_TEXT + "\n" + line, vkey)
            check("sign then verify a cosignature", mine == (SIGSUM_TEXT, 1700000000, True))
        else:
            notes.append("cosignature verification skipped (no cryptography package)")

    try:
        run()
    except NoteError as error:
        failures.append("refused where it should pass: %s" % error)

    for note in notes:
        print("note: " + note)
    for failure in failures:
        print("FAILED: " + failure)
    if failures:
        return 1
    print("ok: tlog self-test%s" % ("" if HAVE_CRYPTO else " (formats only: no cryptography package)"))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["self-test"]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(self_test())
