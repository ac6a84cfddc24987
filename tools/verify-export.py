#!/usr/bin/env python3
"""Check an ansinh export without trusting ansinh: Python's standard library only
(and the `cryptography` package, where present, for the signature).

    python3 tools/verify-export.py EXPORT_DIR [--previous EARLIER_EXPORT_DIR ...]
                                              [--public-key HEX]

It checks, and names the first thing that fails:
  1. manifest.json lists every file of the folder, and each has the listed size and
     SHA-256 (nothing added, removed or changed);
  2. every event of events.jsonl: its hash recomputed from the documented canonical
     bytes (see ansinh_chain.py), the chain from the manifest's previousHash, positions
     fromPosition .. headPosition in order, and the head hash;
  3. with --previous (oldest first), that each export continues the one before it:
     its fromPosition follows the earlier headPosition and its previousHash is the
     earlier headHash;
  4. manifest.sig, the Ed25519 signature of manifest.json, against --public-key (the
     ward's published key) or else the key the manifest names. Without the
     `cryptography` package the signature is reported as not checked.

Exit status: 0 when everything checks out; 1 when something does not; 2 for usage.
"""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ansinh_chain  # noqa: E402  (beside this file)

ALWAYS_PRESENT = {"manifest.json", "manifest.sig"}


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


def check_files(folder, manifest):
    listed = {entry["name"]: entry for entry in manifest["files"]}
    present = set(os.listdir(folder)) - ALWAYS_PRESENT
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


def check_export(folder, public_key=None):
    manifest, raw = load_manifest(folder)
    check_files(folder, manifest)
    check_events(folder, manifest)
    return manifest, check_signature(folder, manifest, raw, public_key)


def main(arguments):
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if arguments else 2
    folder, previous, public_key = None, [], None
    index = 0
    while index < len(arguments):
        if arguments[index] == "--previous" and index + 1 < len(arguments):
            previous.append(arguments[index + 1])
            index += 2
        elif arguments[index] == "--public-key" and index + 1 < len(arguments):
            public_key = arguments[index + 1].strip().lower()
            index += 2
        elif folder is None and not arguments[index].startswith("--"):
            folder = arguments[index]
            index += 1
        else:
            print("usage: verify-export.py EXPORT_DIR [--previous DIR ...] [--public-key HEX]", file=sys.stderr)
            return 2
    try:
        chain = previous + [folder]
        earlier = None
        for current in chain:
            manifest, signature = check_export(current, public_key)
            if earlier is not None and (
                manifest["fromPosition"] != earlier["headPosition"] + 1 or manifest["previousHash"] != earlier["headHash"]
            ):
                raise ExportError(
                    "%s does not continue the export before it (it starts at %d from %s; the earlier one ends at %d, %s)"
                    % (current, manifest["fromPosition"], manifest["previousHash"], earlier["headPosition"], earlier["headHash"])
                )
            earlier = manifest
    except ExportError as error:
        print("export check failed: %s" % error, file=sys.stderr)
        return 1
    print(
        "ok: positions %d to %d, head hash %s; %d files match the manifest; %s"
        % (earlier["fromPosition"], earlier["headPosition"], earlier["headHash"], len(earlier["files"]), signature)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
