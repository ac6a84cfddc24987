#!/usr/bin/env python3
"""Fuzz `ansinh import` with valid lines and mutated ones.

    tools/reliability/fuzz_import.py --cases 200 --ansinh /path/to/ansinh [--seed N]

One store is seeded once (init, the demo's two files, a small fund, an open
piggy-bank model). Each case writes a JSON Lines file of 1-20 valid lines (fresh
event ids, valid against the store as it stands) and applies 0-2 mutations: a
truncated line, wrong JSON types, huge numbers, amounts past Int64 or past 10^15,
zero or negative amounts, floats, invalid UTF-8, NFD and mixed-normalisation names,
strings past 200 / 1000 characters or a line past 64 KiB, deep nesting, duplicate
and unknown keys, missing fields, impossible dates, bad UUIDs, blank lines, a BOM,
CRLF, NUL bytes, rule violations, event ids already used, and very many lines
(including a sum of amounts that would overflow Int64).

Every case must end in exit 0 (the head then advanced by exactly the number of new
events, and every stored text is NFC) or in a refusal 64/65/73 with one line on
stderr naming a line ("line N: ...") of the file that a mutation broke, the head
unchanged (no partial write). Never a signal, a hang, exit 74 or another status.
A mutation that must be refused (an invalid amount, date, UUID, type, field...) and
is accepted is a failure; one whose outcome the documents leave open (BOM, CRLF,
blank lines, duplicate keys ...) is only counted. `ansinh audit verify` runs every
--audit-every cases and at the end.

Exit status 0 when no failure was found, 1 otherwise (the work folder is then kept,
with the failing case's file under cases/).
"""
import json
import os
import re
import sys
import unicodedata
from collections import Counter, defaultdict

sys.dont_write_bytecode = True  # no __pycache__ beside the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

INT64_MAX = 2 ** 63 - 1
AMOUNT_MAX = 10 ** 15
LINE_RE = re.compile(r"\bline (\d+)\b")
VALID_WEIGHTS = {"donate": 30, "deposit": 25, "disburse": 15, "open_fund": 5, "enrol": 8, "pledge": 8, "external": 9}


class Entry:
    """One physical line of the file. `command` is the valid event it came from (if
    any); `new` says whether, if the file is accepted, it adds an event."""

    def __init__(self, raw, command=None, new=True):
        self.raw = raw
        self.command = command
        self.new = new
        self.mutated = False


def dumps(line):
    return json.dumps(line, ensure_ascii=False, separators=(", ", ": ")).encode("utf-8")


def with_literal(line, path, literal):
    """`line` serialised with the value at `path` (keys) replaced by the raw bytes `literal`."""
    marker = "\u2063MARK\u2063"
    copy = json.loads(json.dumps(line))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return dumps(copy).replace(json.dumps(marker, ensure_ascii=False).encode("utf-8"), literal)


def name_path(command):
    data = command.data
    for path in (("donor", "name"), ("beneficiary", "name")):
        if path[0] in data:
            return ("data",) + path
    for key in ("fullName", "name", "organisation"):
        if key in data:
            return ("data", key)
    return None


def amount_key(command):
    for key in ("amount", "openingBalance", "value"):
        if key in command.data:
            return key
    return None


def date_key(command):
    for key in ("receivedOn", "depositedOn", "disbursedOn", "openedOn", "enrolledOn", "pledgedOn", "recordedOn"):
        if key in command.data:
            return key
    return None


class Case:
    def __init__(self, fuzzer, number):
        self.fuzzer = fuzzer
        self.rng = fuzzer.rng
        self.number = number
        world = fuzzer.world
        count = self.rng.randint(1, 20)
        self.entries = [Entry(None, world.recording(VALID_WEIGHTS)) for _ in range(count)]
        for entry in self.entries:
            entry.raw = dumps(entry.command.line())
        self.prefix = b""
        self.terminator = b"\n"
        self.final_terminator = True
        self.labels = []            # "kind:variant"
        self.expect = "accept"      # accept / either / refuse
        self.bad = set()            # id(entry) of entries a refusal may name
        self.status = set()         # the exit statuses a refusal must have, when known
        self.nfc_checks = []
        self.open_outcome = False   # a mutation whose outcome the documents leave open
        self.refusals = 0           # mutations that must be refused

    # ---- helpers for mutations

    def pick(self, predicate=lambda command: True):
        """A valid line no mutation touched yet, that satisfies `predicate`; a new one
        is added when there is none (mutations never stack on one line)."""
        candidates = [e for e in self.entries if e.command is not None and not e.mutated and predicate(e.command)]
        if candidates:
            entry = self.rng.choice(candidates)
        else:
            for _ in range(200):
                command = self.fuzzer.world.recording(VALID_WEIGHTS)
                if predicate(command):
                    break
            entry = self.insert(Entry(dumps(command.line()), command))
        entry.mutated = True
        return entry

    def mark(self, kind, variant, expect, entries=(), status=None):
        self.labels.append("%s:%s" % (kind, variant) if variant else kind)
        order = {"accept": 0, "either": 1, "refuse": 2}
        if order[expect] > order[self.expect]:
            self.expect = expect
        if expect == "either":
            self.open_outcome = True
        for entry in entries:
            self.bad.add(id(entry))
        if expect == "refuse":
            self.refusals += 1
            if status is not None:
                self.status.add(status)

    def insert(self, entry, index=None):
        index = self.rng.randint(0, len(self.entries)) if index is None else index
        self.entries.insert(index, entry)
        return entry

    def data(self):
        body = self.terminator.join(entry.raw for entry in self.entries)
        if self.final_terminator:
            body += self.terminator
        return self.prefix + body

    def line_number(self, entry):
        for index, candidate in enumerate(self.entries):
            if candidate is entry:
                return index + 1
        return None

    def bad_lines(self):
        return sorted(index + 1 for index, entry in enumerate(self.entries) if id(entry) in self.bad)

    def expected_new(self):
        return sum(1 for entry in self.entries if entry.new)


# --------------------------------------------------------------------------- mutations
# Each takes a Case and returns nothing; it edits entries and calls case.mark().


def m_truncated(case):
    entry = case.pick()
    cut = case.rng.randint(1, len(entry.raw) - 1)
    entry.raw = entry.raw[:cut]
    case.mark("truncated", None, "refuse", [entry])


def m_wrong_type(case):
    entry = case.pick()
    line = entry.command.line()
    variants = []
    key = amount_key(entry.command)
    if key:
        variants += [(("data", key), b'"5000"', "amount-string"), (("data", key), b"true", "amount-bool"),
                     (("data", key), b"null", "amount-null"), (("data", key), b"[5000]", "amount-array")]
    variants += [(("data",), b"[]", "data-array"), (("data",), b'"x"', "data-string"), (("type",), b"5", "type-number"),
                 (("eventId",), b"123", "eventId-number"), (("type",), b"null", "type-null")]
    path = name_path(entry.command)
    if path:
        variants += [(path, b"42", "name-number"), (path, b"{}", "name-object")]
    date = date_key(entry.command)
    if date:
        variants.append((("data", date), b"20240101", "date-number"))
    path, literal, variant = case.rng.choice(variants)
    entry.raw = with_literal(line, path, literal)
    case.mark("wrong_type", variant, "refuse", [entry])


def m_amount(case):
    entry = case.pick(lambda c: amount_key(c) in ("amount",))
    key = amount_key(entry.command)
    choices = [
        ("huge", b"1" + b"0" * 400, "refuse"), ("exp-huge", b"1e400", "refuse"),
        ("int64+1", str(INT64_MAX + 1).encode(), "refuse"), ("uint64", str(2 ** 64).encode(), "refuse"),
        ("-int64-1", str(-(2 ** 63) - 1).encode(), "refuse"), ("int64max", str(INT64_MAX).encode(), "refuse"),
        ("1e15+1", str(AMOUNT_MAX + 1).encode(), "refuse"), ("zero", b"0", "refuse"), ("negative", b"-5000", "refuse"),
        ("neg-zero", b"-0", "refuse"), ("float", b"5000.5", "refuse"), ("float-whole", b"5000.0", "refuse"),
        ("exponent", b"5e3", "refuse"), ("leading-zero", b"05000", "refuse"), ("plus", b"+5000", "refuse"),
        ("hex", b"0x1388", "refuse"), ("nan", b"NaN", "refuse"), ("dotted-string", b'"5.000"', "refuse"),
    ]
    if entry.command.kind == "donate":
        choices.append(("exactly-1e15", str(AMOUNT_MAX).encode(), "accept"))
    variant, literal, expect = case.rng.choice(choices)
    entry.raw = with_literal(entry.command.line(), ("data", key), literal)
    status = 65 if expect == "refuse" else None
    case.mark("amount", variant, expect, [entry] if expect == "refuse" else [], status)


def m_invalid_utf8(case):
    entry = case.pick(lambda c: name_path(c) is not None)
    variant, bad = case.rng.choice([("ff", b"\xff\xfe"), ("lone-continuation", b"\x80"), ("truncated-seq", b"\xc3\x28"),
                                    ("overlong", b"\xc0\xaf"), ("surrogate", b"\xed\xa0\x80"), ("past-10ffff", b"\xf4\x90\x80\x80")])
    entry.raw = with_literal(entry.command.line(), name_path(entry.command), b'"Nguy' + bad + b'n"')
    case.mark("invalid_utf8", variant, "refuse", [entry], 65)


def m_normalisation(case):
    entry = case.pick(lambda c: name_path(c) is not None)
    path = name_path(entry.command)
    name = "Nguyễn Thị Ngọc Hường Trần Quốc Việt"
    variant = case.rng.choice(["nfd", "mixed", "escaped-nfd"])
    if variant == "nfd":
        raw = json.dumps(unicodedata.normalize("NFD", name), ensure_ascii=False).encode()
    elif variant == "mixed":
        half = len(name) // 2
        raw = json.dumps(unicodedata.normalize("NFD", name[:half]) + name[half:], ensure_ascii=False).encode()
    else:
        raw = json.dumps(unicodedata.normalize("NFD", name), ensure_ascii=True).encode()
    entry.raw = with_literal(entry.command.line(), path, raw)
    case.nfc_checks.append((entry.command.event_id, path[1:], unicodedata.normalize("NFC", name)))
    case.mark("normalisation", variant, "accept")


def m_long_string(case):
    entry = case.pick(lambda c: name_path(c) is not None)
    path = name_path(entry.command)
    variant = case.rng.choice(["name-200", "name-200-nfd", "name-201", "text-1001", "line-70KiB", "eventId-70KiB",
                               "type-70KiB", "id-65"])
    line = entry.command.line()
    expect = "refuse"
    if variant == "name-200":
        entry.raw = with_literal(line, path, json.dumps("ữ" * 200, ensure_ascii=False).encode())
        expect = "accept"
    elif variant == "name-200-nfd":
        entry.raw = with_literal(line, path, json.dumps(unicodedata.normalize("NFD", "ữ" * 200), ensure_ascii=False).encode())
        expect = "accept"
    elif variant == "name-201":
        entry.raw = with_literal(line, path, json.dumps("ữ" * 201, ensure_ascii=False).encode())
    elif variant == "text-1001":
        entry = case.pick(lambda c: c.kind == "external")
        line = entry.command.line()
        entry.raw = with_literal(line, ("data", "description"), json.dumps("Hỗ trợ " * 143, ensure_ascii=False).encode())
    elif variant == "line-70KiB":
        entry.raw = with_literal(line, path, json.dumps("Việt " * 14000, ensure_ascii=False).encode())
    elif variant == "eventId-70KiB":
        entry.raw = with_literal(line, ("eventId",), b'"' + b"a" * 70000 + b'"')
    elif variant == "type-70KiB":
        entry.raw = with_literal(line, ("type",), b'"' + b"T" * 70000 + b'"')
    else:
        keys = {"enrol": "memberId", "open_fund": "fundId", "pledge": "pledgeId", "disburse": "disbursementId"}
        entry = case.pick(lambda c: c.kind in keys)
        entry.raw = with_literal(entry.command.line(), ("data", keys[entry.command.kind]), json.dumps("x" * 65).encode())
    case.mark("long_string", variant, expect, [entry] if expect == "refuse" else [], 65 if expect == "refuse" else None)


def m_deep_nesting(case):
    entry = case.pick()
    variant = case.rng.choice(["array-5000", "array-unclosed-200000", "object-5000", "data-17", "data-16"])
    line = entry.command.line()
    expect = "refuse"
    if variant == "array-5000":
        entry.raw = with_literal(line, ("data", "extra"), b"[" * 5000 + b"]" * 5000)
    elif variant == "array-unclosed-200000":
        entry.raw = b"[" * 200000
    elif variant == "object-5000":
        entry.raw = with_literal(line, ("data", "extra"), b'{"a":' * 5000 + b"1" + b"}" * 5000)
    else:
        depth = int(variant.split("-")[1])
        entry.raw = with_literal(line, ("data", "extra"), b"[" * depth + b"]" * depth)
    case.mark("deep_nesting", variant, expect, [entry], 65)


def m_keys(case):
    entry = case.pick()
    line = entry.command.line()
    variant = case.rng.choice(["dup-top-type", "dup-data-field", "unknown-data", "unknown-top", "dup-eventId"])
    raw = dumps(line)
    if variant == "dup-top-type":
        entry.raw = raw[:-1] + b', "type": "FundOpened"}'
        case.mark("keys", variant, "either", [entry])
    elif variant == "dup-data-field":
        key = sorted(line["data"])[0]
        entry.raw = with_literal(line, ("data",), dumps(line["data"])[:-1] + b', "' + key.encode() + b'": ' + dumps(line["data"][key]) + b"}")
        case.mark("keys", variant, "either", [entry])
    elif variant == "dup-eventId":
        entry.raw = raw[:-1] + b', "eventId": "' + common.new_uuid(case.rng).encode() + b'"}'
        case.mark("keys", variant, "either", [entry])
    elif variant == "unknown-data":
        entry.raw = with_literal(line, ("data", "ghiChu"), b'"x"')
        case.mark("keys", variant, "refuse", [entry], 65)
    else:
        entry.raw = raw[:-1] + b', "comment": "x"}'
        case.mark("keys", variant, "refuse", [entry], 65)


def m_missing_field(case):
    entry = case.pick()
    line = entry.command.line()
    optional = {"openingBalance", "purpose", "dueOn", "pledgeId", "receiptNo", "decisionRef", "programme", "source", "reason"}
    required = [k for k in line["data"] if k not in optional]
    variant = case.rng.choice(["type", "data", "data-field", "nested-kind"])
    if variant in ("type", "data"):
        del line[variant]
    elif variant == "nested-kind" and any(isinstance(v, dict) for v in line["data"].values()):
        key = [k for k, v in line["data"].items() if isinstance(v, dict)][0]
        del line["data"][key]["kind"]
    else:
        variant = "data-field"
        del line["data"][case.rng.choice(required)]
    entry.raw = dumps(line)
    case.mark("missing_field", variant, "refuse", [entry], 65)


def m_bad_date(case):
    entry = case.pick(lambda c: date_key(c) is not None)
    variant = case.rng.choice(["2024-02-30", "2023-13-01", "2024-1-1", "2023-02-29", "2024-00-10", "2024-04-31",
                               "2024-02-29T00:00:00", "", "20240101", " 2024-01-01", "2024/01/01", "99999-01-01",
                               "2024-01-01\u0000", "２０２４-01-01"])
    entry.raw = with_literal(entry.command.line(), ("data", date_key(entry.command)), json.dumps(variant, ensure_ascii=False).encode())
    case.mark("bad_date", repr(variant), "refuse", [entry], 65)


def m_bad_uuid(case):
    entry = case.pick()
    good = entry.command.event_id
    variants = {"word": "xyz", "no-dashes": good.replace("-", ""), "braces": "{%s}" % good, "short": good[:-1],
                "non-hex": "g" + good[1:], "empty": "", "urn": "urn:uuid:" + good, "trailing-space": good + " "}
    variant = case.rng.choice(sorted(variants) + ["uppercase"])
    if variant == "uppercase":
        entry.raw = with_literal(entry.command.line(), ("eventId",), json.dumps(good.upper()).encode())
        case.mark("bad_uuid", variant, "accept")
    else:
        entry.raw = with_literal(entry.command.line(), ("eventId",), json.dumps(variants[variant]).encode())
        case.mark("bad_uuid", variant, "refuse", [entry], 65)


def m_event_ids(case):
    fuzzer = case.fuzzer
    variant = case.rng.choice(["existing-same", "existing-same-upper", "existing-other-content", "dup-line-in-file",
                               "dup-id-other-content-in-file"])
    if variant.startswith("existing-same"):
        raw = case.rng.choice(fuzzer.base_lines)
        if variant.endswith("upper"):
            line = json.loads(raw)
            raw = with_literal(line, ("eventId",), json.dumps(line["eventId"].upper()).encode())
        case.insert(Entry(raw, None, new=False))
        case.mark("event_ids", variant, "accept")
    elif variant == "existing-other-content":
        entry = case.pick()
        line = entry.command.line()
        line["eventId"] = json.loads(case.rng.choice(fuzzer.base_lines))["eventId"]
        entry.raw = dumps(line)
        case.mark("event_ids", variant, "refuse", [entry], 73)
    elif variant == "dup-line-in-file":
        entry = case.pick()
        copy = case.insert(Entry(entry.raw, None, new=False), case.line_number(entry))
        case.mark("event_ids", variant, "either", [copy])
    else:
        entry = case.pick()
        other = fuzzer.world.recording(VALID_WEIGHTS)
        line = other.line()
        line["eventId"] = entry.command.event_id
        copy = case.insert(Entry(dumps(line), other), case.line_number(entry))
        case.mark("event_ids", variant, "refuse", [copy], 73)


def m_framing(case):
    variant = case.rng.choice(["blank-line", "spaces-line", "bom", "crlf", "no-final-newline", "trailing-garbage",
                               "two-objects-one-line", "leading-space"])
    if variant in ("blank-line", "spaces-line"):
        blank = case.insert(Entry(b"" if variant == "blank-line" else b" \t ", None, new=False))
        case.mark("framing", variant, "either", [blank])
    elif variant == "bom":
        case.prefix = b"\xef\xbb\xbf"
        case.mark("framing", variant, "either", [case.entries[0]])
    elif variant == "crlf":
        case.terminator = b"\r\n"
        case.mark("framing", variant, "either", list(case.entries))
    elif variant == "no-final-newline":
        case.final_terminator = False
        case.mark("framing", variant, "accept")
    elif variant == "leading-space":
        entry = case.pick()
        entry.raw = b"  " + entry.raw
        case.mark("framing", variant, "either", [entry])
    elif variant == "trailing-garbage":
        entry = case.pick()
        entry.raw += b" x"
        case.mark("framing", variant, "refuse", [entry], 65)
    else:
        entry = case.pick()
        entry.raw += b" " + entry.raw
        case.mark("framing", variant, "refuse", [entry], 65)


def m_nul(case):
    entry = case.pick(lambda c: name_path(c) is not None)
    variant = case.rng.choice(["raw-nul-in-string", "raw-nul-between-tokens", "escaped-nul", "raw-tab-in-string",
                               "raw-newline-cr"])
    line = entry.command.line()
    path = name_path(entry.command)
    if variant == "raw-nul-in-string":
        entry.raw = with_literal(line, path, b'"Nguy\x00n"')
        case.mark("nul", variant, "refuse", [entry], 65)
    elif variant == "raw-nul-between-tokens":
        entry.raw = entry.raw.replace(b", ", b",\x00 ", 1)
        case.mark("nul", variant, "refuse", [entry], 65)
    elif variant == "escaped-nul":
        entry.raw = with_literal(line, path, b'"Nguy\\u0000n"')
        case.mark("nul", variant, "either", [entry])
    elif variant == "raw-tab-in-string":
        entry.raw = with_literal(line, path, b'"Nguy\tn"')
        case.mark("nul", variant, "refuse", [entry], 65)
    else:
        entry.raw = with_literal(line, path, b'"Nguy\rn"')
        case.mark("nul", variant, "refuse", [entry], 65)


def m_not_an_event(case):
    entry = case.pick()
    variant, raw = case.rng.choice([("array", b"[]"), ("null", b"null"), ("number", b"42"), ("string", b'"x"'),
                                    ("empty-object", b"{}"), ("unknown-type", None), ("schemaVersion-99", None),
                                    ("schemaVersion-0", None), ("schemaVersion-string", None), ("v1-shape-mismatch", None)])
    line = entry.command.line()
    if raw is None:
        if variant == "unknown-type":
            line["type"] = "FundClosed"
        elif variant == "schemaVersion-99":
            line["schemaVersion"] = 99
        elif variant == "schemaVersion-0":
            line["schemaVersion"] = 0
        elif variant == "schemaVersion-string":
            line["schemaVersion"] = "1"
        else:
            entry.mutated = False
            entry = case.pick(lambda c: c.kind == "donate")
            line = entry.command.line()
            line["schemaVersion"] = 1 if line["type"] == "DonationReceived" else 2
        raw = dumps(line)
    entry.raw = raw
    case.mark("not_an_event", variant, "refuse", [entry], 65)


def m_rule(case):
    world = case.fuzzer.world
    variant = case.rng.choice(["overdraw", "unknown-fund", "unknown-member", "deposit-after-model", "before-fund-opened",
                               "fund-exists", "member-exists"])
    command = None
    status = 65
    if variant == "overdraw":
        # One more than the fund holds, as the first line (before the file's own donations).
        command = world.disburse(risky=False)
        balance = world.balances.get(command.data["fundId"], 0)
        command.data["amount"] = min(balance + 1000, AMOUNT_MAX)
        if balance + 1000 > AMOUNT_MAX:
            variant = "amount-past-1e15"
        entry = case.insert(Entry(dumps(command.line()), command), 0)
        case.mark("rule", variant, "refuse", [entry], status)
        return
    elif variant == "unknown-fund":
        command = world.donate()
        command.data["fundId"] = "khong-co-quy-nay"
    elif variant == "unknown-member":
        command = world.deposit()
        command.data["memberId"] = "dv-khong-co"
    elif variant == "deposit-after-model":
        command = world.deposit()
        command.data["depositedOn"] = "2025-12-15"
    elif variant == "before-fund-opened":
        command = world.donate()
        command.data["receivedOn"] = "2023-06-01"
    elif variant == "fund-exists":
        command = world.open_fund()
        command.data["fundId"] = "vi-nguoi-ngheo"
        status = 73
    else:
        command = world.enrol()
        command.data["memberId"] = "dv-001"
        status = 73
    entry = case.insert(Entry(dumps(command.line()), command))
    case.mark("rule", variant, "refuse", [entry], status)


def m_many_lines(case):
    world = case.fuzzer.world
    variant = case.rng.choice(["valid-5000", "valid-20000", "overflow-sum"])
    if variant.startswith("valid"):
        count = int(variant.split("-")[1])
        for command in world.import_lines(count):
            case.entries.append(Entry(dumps(command.line()), command))
        case.mark("many_lines", variant, "accept")
        return
    # A fresh fund and 9.300 donations of 10^15: the 9.224th takes "received" past Int64.
    opened = world.open_fund()
    opened.data["openingBalance"] = 0
    case.entries.append(Entry(dumps(opened.line()), opened))
    fund = opened.data["fundId"]
    bad = None
    for index in range(9300):
        command = world.donate()
        command.data["fundId"] = fund
        command.data["amount"] = AMOUNT_MAX
        entry = Entry(dumps(command.line()), command)
        case.entries.append(entry)
        if (index + 1) * AMOUNT_MAX > INT64_MAX and bad is None:
            bad = entry
    case.mark("many_lines", variant, "refuse", [bad], 65)


MUTATIONS = {
    "truncated": m_truncated, "wrong_type": m_wrong_type, "amount": m_amount, "invalid_utf8": m_invalid_utf8,
    "normalisation": m_normalisation, "long_string": m_long_string, "deep_nesting": m_deep_nesting, "keys": m_keys,
    "missing_field": m_missing_field, "bad_date": m_bad_date, "bad_uuid": m_bad_uuid, "event_ids": m_event_ids,
    "framing": m_framing, "nul": m_nul, "not_an_event": m_not_an_event, "rule": m_rule, "many_lines": m_many_lines,
}
WEIGHTS = {name: 10 for name in MUTATIONS}
WEIGHTS["many_lines"] = 2


# --------------------------------------------------------------------------- the fuzzer


def nfc_problems(events):
    problems = []

    def walk(value, where):
        if isinstance(value, str):
            if not unicodedata.is_normalized("NFC", value):
                problems.append("stored text is not NFC: %s = %r" % (where, value[:80]))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, where + "." + key)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, "%s[%d]" % (where, index))

    for event in events:
        walk(event["data"], "position %d data" % event["position"])
    return problems[:5]


class Fuzzer:
    def __init__(self, run, args):
        self.run = run
        self.args = args
        self.rng = run.rng
        self.ansinh = common.Ansinh(run.binary, run.path("store"), timeout=args.timeout)
        self.world = common.World(self.rng, "f%d" % run.seed)
        self.world.disburse_risk = 0.0     # valid lines must pass the rules
        with open(common.NUI_SAM, "rb") as file:
            self.base_lines = [line.rstrip(b"\n") for line in file if line.strip()]
        self.outcomes = defaultdict(Counter)     # mutation kind -> outcome -> n
        self.variants = defaultdict(Counter)     # kind:variant -> outcome -> n
        self.failed_cases = 0
        self.audits = 0

    def build(self, number):
        case = Case(self, number)
        roll = self.rng.random()
        count = 0 if roll < 0.2 else (1 if roll < 0.85 else 2)
        names = sorted(WEIGHTS)
        if self.args.only:
            names = self.args.only
            count = max(count, 1)
        chosen = self.rng.choices(names, [WEIGHTS[n] for n in names], k=count)
        if chosen.count("many_lines") > 1:
            chosen = [n for n in chosen if n != "many_lines"] + ["many_lines"]
        for name in chosen:
            MUTATIONS[name](case)
        if not case.labels:
            case.labels.append("none (valid)")
        return case

    def run_case(self, number):
        case = self.build(number)
        where = "case %d [%s]" % (number, ", ".join(case.labels))
        path = self.run.path("cases", "case-%05d.jsonl" % number)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(case.data())
        before = self.ansinh.head()
        result = self.ansinh.run(["import", path])
        problems = common.exit_problems(result, common.REFUSALS | {0})
        after = self.ansinh.head()
        outcome = "signal" if result.signal else ("hang" if result.timed_out else "exit %d" % result.returncode)
        physical = len(case.entries)
        if not problems and result.returncode == 0:
            new = after[0] - before[0]
            if case.expect == "refuse":
                problems.append("accepted (exit 0, %d events written) although it must be refused" % new)
            if new != case.expected_new():
                problems.append("head went from %d to %d: %d new events, expected %d"
                                % (before[0], after[0], new, case.expected_new()))
            match = re.search(rb"(\d+) recorded", result.stdout)
            if match and int(match.group(1)) != new:
                problems.append("it said %s recorded but the head moved by %d" % (match.group(1).decode(), new))
            if new > 0:
                events = self.ansinh.read_log(from_position=before[0] + 1)
                problems += nfc_problems(events)
                by_id = common.index_by_id(events)
                people = None
                for event_id, path_keys, expected in case.nfc_checks:
                    event = by_id.get(event_id.lower())
                    value = event["data"] if event else None
                    for key in path_keys:
                        value = value.get(key) if isinstance(value, dict) else None
                    if isinstance(value, dict) and "subject" in value and "sealed" in value:
                        # A person's name is sealed in the log: the store's keys open it.
                        people = people if people is not None else self.ansinh.people()
                        value = people.get(value["subject"])
                    if value != expected:
                        problems.append("name stored as %r, expected the NFC form %r" % (value, expected))
                self.world.learn(events)
                self.world.learn_balances(self.ansinh.funds())
        elif not problems:
            if after != before:
                problems.append("refused (exit %d) but the head moved from %s to %s: a partial write"
                                % (result.returncode, before, after))
            if case.expect == "accept":
                problems.append("refused a file that should be accepted: " + result.describe())
            elif case.status and case.refusals == 1 and not case.open_outcome and result.returncode not in case.status:
                problems.append("exit %d, expected %d for this mutation: %s"
                                % (result.returncode, next(iter(case.status)), result.describe()))
            match = LINE_RE.search(result.stderr_text)
            if not match:
                problems.append("the reason names no line (\"line N\"): " + result.describe())
            else:
                line = int(match.group(1))
                bad = case.bad_lines()
                if not 1 <= line <= physical:
                    problems.append("names line %d, but the file has %d lines" % (line, physical))
                elif bad and line not in bad:
                    problems.append("names line %d, but the broken line(s) are %s: %s"
                                    % (line, bad[:10], result.describe()))
        for label in case.labels:
            kind = label.split(":")[0]
            self.outcomes[kind]["FAIL" if problems else outcome] += 1
            self.variants[label]["FAIL" if problems else outcome] += 1
        if problems:
            self.failed_cases += 1
            self.run.fail(where + " file " + path, problems)
        elif not self.args.keep:
            os.remove(path)
        if self.args.verbose:
            self.run.note("%s: %s" % (where, outcome))

    def audit(self, where):
        self.audits += 1
        problem = self.ansinh.audit()
        if problem:
            self.run.fail(where, [problem])

    def go(self):
        try:
            common.seed_store(self.ansinh, self.world)
        except common.CheckError as error:
            self.run.fail("seeding", [str(error)])
            return
        for number in range(1, self.args.cases + 1):
            if self.failed_cases >= self.args.max_failures:
                self.run.note("stopping after %d failing cases" % self.failed_cases)
                break
            self.run_case(number)
            if number % self.args.audit_every == 0:
                self.audit("audit after case %d" % number)
        self.audit("final audit")

    def summary(self):
        print("outcomes by mutation kind:")
        for kind in sorted(self.outcomes):
            print("  %-16s %s" % (kind, ", ".join("%s: %d" % kv for kv in sorted(self.outcomes[kind].items()))))
        if self.args.verbose:
            print("by variant:")
            for label in sorted(self.variants):
                print("  %-44s %s" % (label, ", ".join("%s: %d" % kv for kv in sorted(self.variants[label].items()))))
        total = sum(sum(counter.values()) for counter in self.outcomes.values())
        return "%d case-mutations over %d cases, %d failing cases, %d audits" % (
            total, self.args.cases, self.failed_cases, self.audits)


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--cases", type=int, default=100, help="cases (default: 100)")
    parser.add_argument("--audit-every", type=int, default=25, help="run `audit verify` every K cases (default: 25)")
    parser.add_argument("--max-failures", type=int, default=20, help="stop after this many failing cases (default: 20)")
    parser.add_argument("--only", type=lambda text: text.split(","), default=None,
                        help="only these mutation kinds, comma-separated: " + ", ".join(sorted(MUTATIONS)))
    parser.add_argument("--verbose", action="store_true", help="print every case and the outcomes per variant")
    args = parser.parse_args()
    unknown = set(args.only or []) - set(MUTATIONS)
    if unknown:
        parser.error("unknown mutation kind(s): " + ", ".join(sorted(unknown)))
    run = common.Run("fuzz_import", args)
    fuzzer = Fuzzer(run, args)
    try:
        fuzzer.go()
    except KeyboardInterrupt:
        run.fail("interrupted", ["interrupted by the user"])
    return run.finish(fuzzer.summary())


if __name__ == "__main__":
    sys.exit(main())
