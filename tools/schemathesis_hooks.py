"""Schemathesis hooks for ansinh's API (loaded with PYTHONPATH=tools SCHEMATHESIS_HOOKS=schemathesis_hooks).

POST /v1/events also takes JSON Lines (application/x-ndjson): one import line, a JSON
object, per line. Schemathesis has no serializer for that media type; this one writes
a generated array of line objects as JSON Lines, and a generated string as it is.
"""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, list):
        return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in value).encode("utf-8")
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8")
