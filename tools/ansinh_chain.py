#!/usr/bin/env python3
"""Recompute every hash of an ansinh event log from its JSON Lines form.

Needs only Python's standard library. Each line is one event as ansinh prints it
(`ansinh export` writes them to events.jsonl):

    {"position":1,"eventId":"…","type":"…","schemaVersion":1,"stream":"…",
     "streamVersion":1,"recordedAt":"2026-11-29T06:32:59.123456Z","recordedBy":"…",
     "data":{…},"prevHash":"<64 hex>","hash":"<64 hex>"}

The canonical bytes of an event (what its hash covers) are, integers big-endian:

    prevHash (32 bytes) ‖ position (u64) ‖ eventId (16 bytes) ‖
    recordedAt (i64, microseconds since 1970-01-01T00:00:00Z) ‖ streamVersion (u64) ‖
    schemaVersion (u32) ‖ type, stream, recordedBy (each u16 length ‖ UTF-8) ‖
    data (u32 length ‖ deterministic CBOR, RFC 8949 §4.2.1)

and hash = SHA-256(canonical bytes). The first event's prevHash is 32 zero bytes;
each later one's is the hash of the event before it.

Usage: python3 ansinh_chain.py EVENTS.jsonl [--continue-from POSITION:HASH]
Exit status 0 when every line checks out; 1 with the first bad line named otherwise.
"""
import datetime
import hashlib
import json
import struct
import sys
import uuid

GENESIS = bytes(32)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class ChainError(Exception):
    pass


def cbor_head(major, argument):
    if argument < 24:
        return bytes([major << 5 | argument])
    for additional, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | additional]) + argument.to_bytes(size, "big")
    raise ChainError("integer too large for CBOR")


def cbor(value):
    """Deterministic CBOR of a JSON value (whole numbers only)."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        if not -(2**63) <= value < 2**63:
            raise ChainError("integer outside the 64-bit signed range")
        return cbor_head(0, value) if value >= 0 else cbor_head(1, -1 - value)
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return cbor_head(3, len(encoded)) + encoded
    if isinstance(value, list):
        return cbor_head(4, len(value)) + b"".join(cbor(item) for item in value)
    if isinstance(value, dict):
        # Keys ordered by their encoded bytes: shorter first, then bytewise.
        pairs = sorted((cbor(key), cbor(item)) for key, item in value.items())
        return cbor_head(5, len(value)) + b"".join(key + item for key, item in pairs)
    raise ChainError("unsupported JSON value %r" % (value,))


def microseconds(instant):
    parsed = datetime.datetime.strptime(instant, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    if parsed.strftime("%Y-%m-%dT%H:%M:%S.%fZ") != instant:
        raise ChainError("recordedAt is not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    return (parsed - EPOCH) // datetime.timedelta(microseconds=1)


def short_text(text):
    encoded = text.encode("utf-8")
    return struct.pack(">H", len(encoded)) + encoded


def canonical_bytes(event, prev_hash):
    data = cbor(event["data"])
    return (
        prev_hash
        + struct.pack(">Q", event["position"])
        + uuid.UUID(event["eventId"]).bytes
        + struct.pack(">qQI", microseconds(event["recordedAt"]), event["streamVersion"], event["schemaVersion"])
        + short_text(event["type"])
        + short_text(event["stream"])
        + short_text(event["recordedBy"])
        + struct.pack(">I", len(data))
        + data
    )


def verify_lines(lines, start_position=0, start_hash=GENESIS):
    """Checks each line; returns (count, last position, last hash). Raises ChainError."""
    position, previous, count = start_position, start_hash, 0
    for number, line in enumerate(lines, start=1):
        try:
            event = json.loads(line)
            if event["position"] != position + 1:
                raise ChainError("position %s where %d was expected" % (event["position"], position + 1))
            if bytes.fromhex(event["prevHash"]) != previous:
                raise ChainError("prevHash does not continue the chain")
            computed = hashlib.sha256(canonical_bytes(event, previous)).digest()
            if computed.hex() != event["hash"]:
                raise ChainError("hash mismatch: the bytes hash to %s, the line says %s" % (computed.hex(), event["hash"]))
        except ChainError as error:
            raise ChainError("line %d: %s" % (number, error))
        except (ValueError, KeyError, TypeError) as error:
            raise ChainError("line %d: not an event line (%s)" % (number, error))
        position, previous, count = event["position"], computed, count + 1
    return count, position, previous


def main(arguments):
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if arguments else 2
    start_position, start_hash = 0, GENESIS
    if len(arguments) == 3 and arguments[1] == "--continue-from":
        text_position, text_hash = arguments[2].split(":")
        start_position, start_hash = int(text_position), bytes.fromhex(text_hash)
    try:
        with open(arguments[0], "rb") as file:
            lines = [line for line in file.read().split(b"\n") if line]
        count, position, head = verify_lines(lines, start_position, start_hash)
    except (ChainError, OSError) as error:
        print("chain check failed: %s" % error, file=sys.stderr)
        return 1
    print("ok: %d events, head position %d, head hash %s" % (count, position, head.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
