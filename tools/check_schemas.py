#!/usr/bin/env python3
"""Check ansinh's JSON Schemas and validate sample event data against them.

Usage: python3 tools/check_schemas.py SCHEMA_DIR SAMPLES.jsonl

First every *.schema.json file in SCHEMA_DIR is checked against the JSON Schema
draft 2020-12 metaschema; if one is invalid the program says which and exits 2.

Then each non-empty line of SAMPLES.jsonl, of the form
    {"type": "DonationReceived", "schemaVersion": 2, "data": {...}}
is validated: its data against SCHEMA_DIR/<type>.v<schemaVersion>.schema.json.
One JSON line per sample goes to stdout:
    {"line": n, "valid": true}
    {"line": n, "valid": false, "error": "<JSON path>: <message>"}
A sample whose type/version has no schema file is reported invalid.
Exit status 0 when it ran, whatever the verdicts; 2 on a bad schema or usage.

Needs the `jsonschema` package (pip install jsonschema).
"""
import json
import pathlib
import sys

import jsonschema
from jsonschema import Draft202012Validator


def load_schemas(schema_dir):
    """Return {file name: validator}, exiting 2 if a schema is not valid draft 2020-12."""
    validators = {}
    for path in sorted(pathlib.Path(schema_dir).glob("*.schema.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
        except (ValueError, jsonschema.SchemaError) as e:
            msg = getattr(e, "message", str(e))
            print(f"check_schemas: {path.name} is not a valid draft 2020-12 schema: {msg}", file=sys.stderr)
            sys.exit(2)
        validators[path.name] = Draft202012Validator(schema)
    return validators


def check(sample, validators):
    """Return None when the sample's data is valid, else an error message."""
    if not isinstance(sample, dict):
        return "sample line is not a JSON object"
    name = f"{sample.get('type')}.v{sample.get('schemaVersion')}.schema.json"
    validator = validators.get(name)
    if validator is None:
        return f"no schema for type {sample.get('type')!r} version {sample.get('schemaVersion')!r} ({name})"
    error = jsonschema.exceptions.best_match(validator.iter_errors(sample.get("data")))
    return None if error is None else f"{error.json_path}: {error.message}"


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    validators = load_schemas(argv[1])
    with open(argv[2], encoding="utf-8") as samples:
        for n, text in enumerate(samples, start=1):
            if not text.strip():
                continue
            try:
                error = check(json.loads(text), validators)
            except ValueError as e:
                error = f"line is not valid JSON: {e}"
            result = {"line": n, "valid": error is None}
            if error is not None:
                result["error"] = error
            print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
