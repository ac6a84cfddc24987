#!/usr/bin/env python3
"""Check an ansinh export without trusting ansinh: Python's standard library only
(and the `cryptography` package, where present, for the signature).

    python3 tools/verify-export.py EXPORT_DIR [--previous EARLIER_EXPORT_DIR ...]
                                              [--public-key HEX]
                                              [--inclusion PROOF.json ...]
                                              [--consistency PROOF.json ...]
                                              [--witness-key VKEY ...]

It checks, and names the first thing that fails:
  1. manifest.json lists every file of the folder and its subfolders (but itself,
     manifest.sig and checkpoint.witnessed), and each has the listed size and SHA-256
     (nothing added, removed or changed);
  2. every event of events.jsonl: its hash recomputed from the documented canonical
     bytes (see ansinh_chain.py), the chain from the manifest's previousHash, positions
     fromPosition .. headPosition in order, and the head hash;
  3. with --previous (oldest first), that each export continues the one before it:
     an incremental one starts after the earlier headPosition from its headHash; a
     full one (fromPosition 1, as each night's) holds the earlier head, same hash;
  4. manifest.sig, the Ed25519 signature of manifest.json, against --public-key (the
     ward's published key) or else the key the manifest names. Without the
     `cryptography` package the signature is reported as not checked;
  5. the transparency log (C2SP tlog-checkpoint, tlog-tiles; tools/tlog.py), whose leaf
     i is the record hash of the event at position i+1: the checkpoint, signed by the
     same key under the name of its origin, holds the manifest's origin, treeSize
     (= headPosition) and rootHash (an unsigned export has no checkpoint: the rest is
     then checked against the manifest's treeSize and rootHash); the tiles and entry
     bundles are exactly those of a tree of that size, each level-0 hash is the leaf
     hash of its entry, each higher hash the tree hash of the full tile below, the
     events of events.jsonl are their entries, and the tree hash of all leaves is the
     root (for a full export, the tree hash of events.jsonl's hashes too); with
     --previous, each earlier checkpoint is a prefix of the next (an RFC 9162
     consistency proof computed from the later tiles verifies); checkpoint.witnessed,
     when present, is the same checkpoint with cosignatures;
  6. each --inclusion and --consistency proof (as `ansinh prove --format json` prints
     them) verifies by RFC 9162 (tools/rfc9162.py) against the checkpoint, or against a
     root of an earlier size that is consistent with it;
  7. each --witness-key (a C2SP vkey of type 0x04) has a valid cosignature in
     checkpoint.witnessed.
An export from before ansinh kept a transparency log (no checkpoint, no origin in
its manifest) passes 5 with a remark, and cannot take options 6 and 7.

Exit status: 0 when everything checks out; 1 when something does not; 2 for usage.
"""
import hashlib
import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ansinh_chain  # noqa: E402  (beside this file)
import rfc9162  # noqa: E402
import tlog  # noqa: E402

UNLISTED = {"manifest.json", "manifest.sig", "checkpoint.witnessed"}
NOT_CHECKED = "NOT checked (install the cryptography package)"


class ExportError(Exception):
    pass


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(folder):
    try:
        with open(os.path.join(folder, "manifest.json"), "rb") as file:
            raw = file.read()
        return json.loads(raw), raw
    except (OSError, ValueError) as error:
        raise ExportError("%s: no readable manifest.json (%s)" % (folder, error))


def folder_files(folder):
    """Every file under folder, by its path relative to it with '/'."""
    for directory, _, files in os.walk(folder):
        relative = os.path.relpath(directory, folder)
        for name in files:
            yield name if relative == "." else "/".join(relative.split(os.sep) + [name])


def check_files(folder, manifest):
    listed = {entry["name"]: entry for entry in manifest["files"]}
    for name in sorted(listed):
        if name.startswith("/") or any(part in ("", ".", "..") for part in name.split("/")):
            raise ExportError("manifest.json lists %r, which is not a path inside the export" % name)
    present = set(folder_files(folder)) - UNLISTED
    for name in sorted(present - set(listed)):
        raise ExportError("%s is in the folder but not in the manifest" % name)
    for name, entry in sorted(listed.items()):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise ExportError("%s is in the manifest but missing" % name)
        size = os.path.getsize(path)
        if size != entry["bytes"]:
            raise ExportError("%s has %d bytes, the manifest says %d" % (name, size, entry["bytes"]))
        if sha256_file(path) != entry["sha256"]:
            raise ExportError("%s: SHA-256 differs from the manifest" % name)


def check_events(folder, manifest):
    with open(os.path.join(folder, "events.jsonl"), "rb") as file:
        lines = [line for line in file.read().split(b"\n") if line]
    start_position = manifest["fromPosition"] - 1
    start_hash = bytes.fromhex(manifest["previousHash"])
    try:
        count, position, head = ansinh_chain.verify_lines(lines, start_position, start_hash)
    except ansinh_chain.ChainError as error:
        raise ExportError("events.jsonl %s" % error)
    if count != manifest["eventCount"]:
        raise ExportError("events.jsonl has %d events, the manifest says %d" % (count, manifest["eventCount"]))
    if position != manifest["headPosition"] or head.hex() != manifest["headHash"]:
        raise ExportError(
            "events.jsonl ends at position %d, hash %s; the manifest says %d, %s"
            % (position, head.hex(), manifest["headPosition"], manifest["headHash"])
        )
    events = [json.loads(line) for line in lines]
    return [(event["eventId"], bytes.fromhex(event["hash"])) for event in events]


def check_signature(folder, manifest, raw, public_key):
    path = os.path.join(folder, "manifest.sig")
    if not os.path.exists(path):
        if public_key:
            raise ExportError("the export is not signed, but a public key was given")
        return "not signed"
    key_hex = public_key or manifest.get("signingKey")
    if not key_hex:
        raise ExportError("manifest.sig present but no public key to check it with")
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return "signature NOT checked (install the cryptography package)"
    with open(path) as file:
        signature = bytes.fromhex(file.read().strip())
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key_hex)).verify(signature, raw)
    except (InvalidSignature, ValueError):
        raise ExportError("manifest.sig is not a valid signature of manifest.json by key %s" % key_hex)
    if public_key:
        return "signature valid for the given public key"
    return "signature valid for the key the manifest names (compare it with the ward's published key)"


class Log:
    """What an export's transparency log holds, once checked."""

    def __init__(self, folder, origin, size, root, leaves, described, tiles):
        self.folder, self.origin, self.size, self.root = folder, origin, size, root
        self.leaves, self.described, self.tiles = leaves, described, tiles


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as file:
        return file.read()


def hex_hash(value, what):
    if not isinstance(value, str) or len(value) != 64:
        raise ExportError("%s is not a 64-digit hex hash" % what)
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ExportError("%s is not a 64-digit hex hash" % what)


def check_checkpoint(folder, manifest, public_key):
    """The checkpoint against the manifest and the ward's key: (note text or None, tree
    size, root, what the summary says of them)."""
    for field, kind in (("origin", str), ("treeSize", int), ("rootHash", str)):
        if not isinstance(manifest.get(field), kind):
            raise ExportError("manifest.json has no %s" % field)
    origin, size = manifest["origin"], manifest["treeSize"]
    root = hex_hash(manifest["rootHash"], "manifest.json's rootHash")
    if size != manifest["headPosition"]:
        raise ExportError("manifest.json: treeSize %d is not headPosition %d" % (size, manifest["headPosition"]))
    key_hex = public_key or manifest.get("signingKey")
    if "checkpoint" not in {entry["name"] for entry in manifest["files"]}:
        if key_hex:
            raise ExportError("checkpoint is missing")
        return None, size, root, "tree size %d root %s (an unsigned export has no checkpoint)" % (size, root.hex())
    note = read(folder, "checkpoint")
    try:
        text, _ = tlog.parse_note(note)
        checkpoint = tlog.parse_checkpoint(text)
    except tlog.NoteError as error:
        raise ExportError("checkpoint: %s" % error)
    if checkpoint[0] != origin:
        raise ExportError("checkpoint: its origin %r is not the manifest's %r" % (checkpoint[0], origin))
    if checkpoint[1] != size:
        raise ExportError("checkpoint: its tree size %d is not the manifest's treeSize %d" % (checkpoint[1], size))
    if checkpoint[2] != root:
        raise ExportError("checkpoint: its root %s is not the manifest's rootHash %s" % (checkpoint[2].hex(), root.hex()))
    described = "checkpoint size %d root %s" % (size, root.hex())
    if not key_hex:
        return text, size, root, described + ", its signature not checked (no key)"
    try:
        key = bytes.fromhex(key_hex)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ExportError("the key %s is not an Ed25519 public key in hex" % key_hex)
    try:
        _, checked = tlog.verify_note(note, origin, key)
    except tlog.NoteError as error:
        raise ExportError("checkpoint: %s (the ward's key %s under the name of the origin)" % (error, key_hex))
    if not checked:
        return text, size, root, described + ", its signature by %s %s" % (origin, NOT_CHECKED)
    return text, size, root, described + " signed by %s" % origin


def check_tiles(folder, manifest, size, root, events):
    """The tiles and entry bundles of a tree of `size` leaves: exactly those, agreeing
    with each other, with events.jsonl and with `root`. Returns the leaf hashes and the
    number of tile files."""
    tiles = {}  # (level, index) -> (path, width), "entries" for the bundles
    for level, index, width in tlog.tiles_for_size(size):
        tiles[level, index] = tlog.tile_path(level, index, width), width or tlog.TILE_WIDTH
        if level == 0:
            tiles["entries", index] = tlog.tile_path("entries", index, width), width or tlog.TILE_WIDTH
    expected = {path for path, _ in tiles.values()}
    present = {entry["name"] for entry in manifest["files"] if entry["name"].startswith("tile/")}
    for name in sorted(expected - present):
        raise ExportError("%s is missing (a tree of size %d has it)" % (name, size))
    for name in sorted(present - expected):
        raise ExportError("%s is not a tile of a tree of size %d" % (name, size))

    def load(key, parse):
        path, width = tiles[key]
        try:
            return parse(read(folder, path), width)
        except tlog.NoteError as error:
            raise ExportError("%s: %s" % (path, error))

    hashes = {key: load(key, tlog.parse_tile) for key in tiles if key[0] != "entries"}
    entries, leaves = [], []
    for index in range(-(-size // tlog.TILE_WIDTH)):
        for offset, (entry, leaf) in enumerate(zip(load(("entries", index), tlog.parse_bundle), hashes[0, index])):
            if len(entry) != 32:
                bundle = tiles["entries", index][0]
                raise ExportError("%s: entry %d is %d bytes, not a record hash" % (bundle, offset, len(entry)))
            if rfc9162.leaf_hash(entry) != leaf:
                raise ExportError(
                    "%s: hash %d is not the leaf hash of entry %d of %s"
                    % (tiles[0, index][0], offset, offset, tiles["entries", index][0])
                )
            entries.append(entry)
            leaves.append(leaf)
    first = manifest["headPosition"] - len(events) + 1
    for position, (_, record_hash) in enumerate(events, start=first):
        if entries[position - 1] != record_hash:
            bundle = tiles["entries", (position - 1) // tlog.TILE_WIDTH][0]
            raise ExportError(
                "events.jsonl: the event at position %d has the hash %s, but entry %d of %s is %s"
                % (position, record_hash.hex(), (position - 1) % tlog.TILE_WIDTH, bundle, entries[position - 1].hex())
            )
    for (level, index), tile in sorted(hashes.items()):
        for offset, hash_ in enumerate(tile if level else ()):
            below = (level - 1, index * tlog.TILE_WIDTH + offset)
            if rfc9162.mth(hashes[below]) != hash_:
                path, _ = tiles[level, index]
                raise ExportError("%s: hash %d is not the tree hash of %s" % (path, offset, tiles[below][0]))
    computed = rfc9162.mth(leaves)
    if computed != root:
        raise ExportError("the tree hash of the tiles, %s, is not the root the manifest states, %s" % (computed.hex(), root.hex()))
    if manifest["fromPosition"] == 1:
        computed = rfc9162.mth([rfc9162.leaf_hash(record_hash) for _, record_hash in events])
        if computed != root:
            raise ExportError(
                "events.jsonl: the tree hash of its events, %s, is not the root the manifest states, %s" % (computed.hex(), root.hex())
            )
    return leaves, len(tiles)


def check_log(folder, manifest, public_key, events):
    """The export's transparency log (None for an export from before it had one)."""
    if not any(field in manifest for field in ("origin", "treeSize", "rootHash")) and not os.path.exists(
        os.path.join(folder, "checkpoint")
    ):
        return None
    text, size, root, described = check_checkpoint(folder, manifest, public_key)
    leaves, tiles = check_tiles(folder, manifest, size, root, events)
    if os.path.exists(os.path.join(folder, "checkpoint.witnessed")):
        if text is None:
            raise ExportError("checkpoint.witnessed is there, but checkpoint is not")
        try:
            if tlog.parse_note(read(folder, "checkpoint.witnessed"))[0] != text:
                raise ExportError("checkpoint.witnessed holds another checkpoint than the file checkpoint")
        except tlog.NoteError as error:
            raise ExportError("checkpoint.witnessed: %s" % error)
    return Log(folder, manifest["origin"], size, root, leaves, described, tiles)


def check_consistent(earlier, later):
    """The earlier checkpoint is a prefix of the later one: an RFC 9162 consistency
    proof computed from the later tiles verifies against both roots."""
    if earlier.origin != later.origin:
        raise ExportError(
            "%s is the log %s, but the export before it, %s, is the log %s: a log keeps its origin for ever"
            % (later.folder, later.origin, earlier.folder, earlier.origin)
        )
    if earlier.size == 0:
        return  # the empty tree is a prefix of every tree
    consistent = earlier.size <= later.size and rfc9162.verify_consistency(
        earlier.size, later.size, earlier.root, later.root, rfc9162.proof(earlier.size, later.leaves)
    )
    if not consistent:
        raise ExportError(
            "the checkpoint of %s (size %d) is not a prefix of %s (size %d): the log's history was rewritten or split"
            % (earlier.folder, earlier.size, later.folder, later.size)
        )


def load_proof(path, fields):
    """A proof file, with its fields checked: int, hex hash, or list of hex hashes."""
    try:
        with open(path, "rb") as file:
            proof = json.load(file)
    except (OSError, ValueError) as error:
        raise ExportError("%s: not a readable proof (%s)" % (path, error))
    if not isinstance(proof, dict):
        raise ExportError("%s: not a proof" % path)
    values = {}
    for field in fields:
        value = proof.get(field)
        if field in ("position", "leafIndex", "treeSize", "fromSize", "toSize"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ExportError("%s: %s is not a number" % (path, field))
            values[field] = value
        elif field == "proof":
            if not isinstance(value, list):
                raise ExportError("%s: proof is not a list of hashes" % path)
            values[field] = [hex_hash(item, "%s: a hash of its proof" % path) for item in value]
        elif field == "eventId":
            if not isinstance(value, str):
                raise ExportError("%s: eventId is not a string" % path)
            values[field] = value
        elif field == "record":
            try:
                values[field] = bytes.fromhex(value)
            except (TypeError, ValueError):
                raise ExportError("%s: record is not hexadecimal bytes" % path)
        else:
            values[field] = hex_hash(value, "%s: %s" % (path, field))
    return values


def check_older_root(log, path, size, root):
    """A root of the first `size` leaves, by a proof file, consistent with the checkpoint."""
    if size > log.size:
        raise ExportError("%s: its tree size %d is beyond the checkpoint's %d" % (path, size, log.size))
    if size == log.size:
        if root != log.root:
            raise ExportError("%s: its root %s is not the checkpoint's root %s" % (path, root.hex(), log.root.hex()))
    elif not rfc9162.verify_consistency(size, log.size, root, log.root, rfc9162.proof(size, log.leaves)):
        raise ExportError(
            "%s: its root of size %d is not consistent with the checkpoint (size %d)" % (path, size, log.size)
        )


def check_inclusion(log, path, manifest, events):
    fields = ("eventId", "position", "entry", "record", "leafIndex", "treeSize", "rootHash", "proof")
    proof = load_proof(path, fields)
    position = proof["position"]
    if proof["leafIndex"] != position - 1:
        raise ExportError("%s: leaf index %d is not position %d less one" % (path, proof["leafIndex"], position))
    # The record (README, "Event record and hash chain"): its hash, the entry, is SHA-256 of
    # every byte before its last 32, which are that hash; it holds the position (offset 32)
    # and the event id (offset 40).
    record = proof["record"]
    if len(record) < 32 + 76 or hashlib.sha256(record[:-32]).digest() != record[-32:] or record[-32:] != proof["entry"]:
        raise ExportError("%s: the record does not hash to the entry" % path)
    recorded_id = str(uuid.UUID(bytes=record[40:56]))
    if int.from_bytes(record[32:40], "big") != position or recorded_id != proof["eventId"].lower():
        raise ExportError(
            "%s: the record is event %s at position %d, not %s at %d"
            % (path, recorded_id, int.from_bytes(record[32:40], "big"), proof["eventId"], position)
        )
    leaf = rfc9162.leaf_hash(proof["entry"])
    if not rfc9162.verify_inclusion(proof["leafIndex"], proof["treeSize"], leaf, proof["proof"], proof["rootHash"]):
        raise ExportError("%s: the inclusion proof does not verify" % path)
    check_older_root(log, path, proof["treeSize"], proof["rootHash"])
    first = manifest["headPosition"] - len(events) + 1
    if first <= position <= manifest["headPosition"]:
        event_id, record_hash = events[position - first]
        if (proof["eventId"].lower(), proof["entry"]) != (event_id.lower(), record_hash):
            raise ExportError(
                "%s: event %s with hash %s is not the event at position %d of events.jsonl (%s, %s)"
                % (path, proof["eventId"], proof["entry"].hex(), position, event_id, record_hash.hex())
            )


def check_consistency(log, path):
    proof = load_proof(path, ("fromSize", "toSize", "fromRoot", "toRoot", "proof"))
    first, second = proof["fromSize"], proof["toSize"]
    if not rfc9162.verify_consistency(first, second, proof["fromRoot"], proof["toRoot"], proof["proof"]):
        raise ExportError("%s: the consistency proof does not verify" % path)
    if second > log.size:
        raise ExportError("%s: its tree size %d is beyond the checkpoint's %d" % (path, second, log.size))
    if proof["toRoot"] != rfc9162.mth(log.leaves[:second]):
        expected = "the checkpoint's root" if second == log.size else "the root of the export's first %d leaves" % second
        raise ExportError("%s: its root of size %d is not %s" % (path, second, expected))


def check_witnesses(log, witness_keys):
    """Each witness's cosignature in checkpoint.witnessed. Returns whether they were checked."""
    path = os.path.join(log.folder, "checkpoint.witnessed")
    if not os.path.exists(path):
        raise ExportError("checkpoint.witnessed is missing, and --witness-key asks for its cosignatures")
    note = read(log.folder, "checkpoint.witnessed")
    checked = True
    for vkey in witness_keys:
        try:
            _, _, checked = tlog.verify_cosignature(note, vkey)
        except tlog.NoteError as error:
            raise ExportError("checkpoint.witnessed: %s" % error)
    return checked


def check_export(folder, public_key=None):
    manifest, raw = load_manifest(folder)
    check_files(folder, manifest)
    events = check_events(folder, manifest)
    signature = check_signature(folder, manifest, raw, public_key)
    return manifest, signature, events, check_log(folder, manifest, public_key, events)


USAGE = (
    "usage: verify-export.py EXPORT_DIR [--previous DIR ...] [--public-key HEX] [--inclusion FILE ...]"
    " [--consistency FILE ...] [--witness-key VKEY ...]"
)


def main(arguments):
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if arguments else 2
    folder, public_key = None, None
    lists = {"--previous": [], "--inclusion": [], "--consistency": [], "--witness-key": []}
    index = 0
    while index < len(arguments):
        if arguments[index] in lists and index + 1 < len(arguments):
            lists[arguments[index]].append(arguments[index + 1])
            index += 2
        elif arguments[index] == "--public-key" and index + 1 < len(arguments):
            public_key = arguments[index + 1].strip().lower()
            index += 2
        elif folder is None and not arguments[index].startswith("--"):
            folder = arguments[index]
            index += 1
        else:
            print(USAGE, file=sys.stderr)
            return 2
    if folder is None:
        print(USAGE, file=sys.stderr)
        return 2
    witness_keys = []
    for vkey in lists["--witness-key"]:
        try:
            witness_keys.append(tlog.parse_vkey(vkey))
        except tlog.NoteError as error:
            print("verify-export.py: --witness-key: %s" % error, file=sys.stderr)
            return 2
        if witness_keys[-1][2] != tlog.COSIGNATURE_V1:
            print("verify-export.py: --witness-key %s is not a cosignature key (type 0x04)" % vkey, file=sys.stderr)
            return 2
    try:
        earlier = earlier_log = None
        consistent = 0
        for current in lists["--previous"] + [folder]:
            manifest, signature, events, log = check_export(current, public_key)
            if earlier is not None and manifest["fromPosition"] == 1:
                # A full export (the nightly one) holds the earlier export's head: the same hash at its position.
                held = earlier["headPosition"]
                if held > len(events) or (held > 0 and events[held - 1][1].hex() != earlier["headHash"]):
                    raise ExportError(
                        "%s does not hold the head of the export before it (position %d, hash %s): the history was rewritten"
                        % (current, held, earlier["headHash"])
                    )
            elif earlier is not None and (
                manifest["fromPosition"] != earlier["headPosition"] + 1 or manifest["previousHash"] != earlier["headHash"]
            ):
                raise ExportError(
                    "%s does not continue the export before it (it starts at %d from %s; the earlier one ends at %d, %s)"
                    % (current, manifest["fromPosition"], manifest["previousHash"], earlier["headPosition"], earlier["headHash"])
                )
            if earlier_log is not None:
                if log is None:
                    raise ExportError(
                        "%s has no checkpoint, but the export before it, %s, has" % (current, earlier_log.folder)
                    )
                check_consistent(earlier_log, log)
                consistent += 1
            earlier, earlier_log = manifest, log
        proofs = len(lists["--inclusion"]) + len(lists["--consistency"])
        if log is None and (proofs or witness_keys):
            raise ExportError("%s has no checkpoint to check proofs or cosignatures against" % folder)
        for path in lists["--inclusion"]:
            check_inclusion(log, path, manifest, events)
        for path in lists["--consistency"]:
            check_consistency(log, path)
        witnessed = check_witnesses(log, witness_keys) if witness_keys else None
    except ExportError as error:
        print("export check failed: %s" % error, file=sys.stderr)
        return 1
    summary = "ok: positions %d to %d, head hash %s; %d files match the manifest; %s" % (
        manifest["fromPosition"], manifest["headPosition"], manifest["headHash"], len(manifest["files"]), signature
    )
    if log is None:
        summary += "; no checkpoint (an export from before ansinh kept a transparency log)"
    else:
        summary += "; %s; %d tile files" % (log.described, log.tiles)
        if consistent:
            summary += "; consistent with %d earlier checkpoint%s" % (consistent, "" if consistent == 1 else "s")
        if proofs:
            summary += "; %d proof%s verified" % (proofs, "" if proofs == 1 else "s")
        if witness_keys:
            count = "1 witness" if len(witness_keys) == 1 else "%d witnesses" % len(witness_keys)
            summary += "; %s cosigned it" % count if witnessed else "; the cosignatures of %s %s" % (count, NOT_CHECKED)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
