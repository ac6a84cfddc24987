#!/usr/bin/env python3
"""Damage copies of a store's data file and run every command against each copy.

    tools/reliability/damage_campaign.py --cases 200 --ansinh /path/to/ansinh [--seed N]

One store is made with `ansinh demo` (the ward's 2 292 events), and every command's
answer on it is kept. Each case copies the store and damages its data file one way:

  truncate  cut to a random length (page-aligned or not), from 2 % to 99.9 %
  zero      one 4 KiB page zeroed, the two meta pages included
  flip      1 to 8 bytes flipped at random offsets; a third of them in page
            headers, a third in the first node pointers, the rest anywhere
  empty     emptied to 0 bytes
  swap      replaced by another store's data file

Then every command runs against it: status, funds, fund show, member history,
piggybank summary, report, log, audit verify, export, backup, and, each on a fresh
damaged copy, import (of lines already stored) and a single recording command.
Each run must:

  - end by itself, never killed by a signal (a bus error, a memory fault, an abort);
  - exit 0, 74 or 1, with one line on stderr when it is not 0;
  - never write when it refuses (the data file's bytes unchanged);
  - never take the damage for an empty store (no events, no funds, an import that
    records the demo's lines anew);
  - give the answer it gives on the undamaged store when it exits 0. A different
    answer is counted as "wrong"; with --strict it is a failure. (LMDB 0.9 keeps no
    page checksums: a flipped bit in a page's node count or pointers can leave the
    page looking valid to it, and only the structural walk of `audit verify` reads
    every page. Events and read-model records carry checksums of their own.)

`audit verify` must find every damage that mattered (exit 74 or 1): when it passes,
every command must have given the undamaged answer (damage to free pages only is
harmless, and is counted as such).

Exit status 0 when no failure was found, 1 otherwise (the work folder is then kept).
"""
import hashlib
import json
import os
import shutil
import sys
from collections import Counter, defaultdict

sys.dont_write_bytecode = True  # no __pycache__ beside the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

PAGE = 4096
KINDS = ["truncate", "zero", "flip", "empty", "swap"]
PROBE_EVENT = "5d1f0a52-7b1e-4c55-9a39-1c2f3e4d5a6b"

# The read commands and their arguments (the store is added by common.Ansinh).
READS = [
    ("status", ["status", "--format", "json"]),
    ("funds", ["funds", "--format", "json"]),
    ("fund show", ["fund", "show", "vi-nguoi-ngheo", "--format", "json"]),
    ("member history", ["member", "history", "dv-001", "--format", "json"]),
    ("piggybank summary", ["piggybank", "summary", "ong-heo-2024", "--format", "json"]),
    ("report", ["report", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"]),
    ("log", ["log", "--format", "json"]),
]
WRITES = [
    ("import", ["import", common.NUI_SAM]),
    ("record", ["fund", "open", "damage-probe", "--name", "Probe", "--date", "2024-12-01", "--event-id", PROBE_EVENT]),
]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def comparable(name, stdout):
    """The part of an answer that must not change: `status` without the store's path
    (each copy has its own) and the file's size."""
    if name != "status":
        return stdout
    try:
        status = json.loads(stdout)
    except ValueError:
        return stdout
    for key in list(status):
        if key == "store" or "byte" in key.lower() or "size" in key.lower():
            del status[key]
    return json.dumps(status, sort_keys=True).encode()


def looks_empty(name, stdout):
    """An answer of an empty store, where the undamaged store holds the demo."""
    text = stdout.decode("utf-8", "replace")
    if name == "status":
        try:
            return json.loads(text).get("headPosition") == 0
        except ValueError:
            return False
    if name in ("funds", "log"):
        return text.strip() == "[]"
    if name == "import":
        return ": 108 recorded" in text
    return False


def export_answer(folder):
    """What an export must hold: its events, funds and report files, byte for byte."""
    answer = {}
    for name in ("events.jsonl", "funds.json", "report-2024.json", "member-histories.json"):
        path = os.path.join(folder, name)
        answer[name] = sha256(path) if os.path.exists(path) else None
    return answer


class Campaign:
    def __init__(self, run, args):
        self.run = run
        self.args = args
        self.ansinh = common.Ansinh(run.binary, run.path("base"), timeout=args.timeout)
        self.outcomes = defaultdict(Counter)  # kind -> outcome -> count
        self.commands = defaultdict(Counter)  # command -> outcome -> count
        self.audit_found = Counter()

    # ---- the undamaged store and its answers

    def prepare(self):
        base = self.run.path("base")
        result = self.ansinh.run(["demo"], store=base)
        if result.returncode != 0:
            raise common.CheckError("`ansinh demo` failed: " + result.describe())
        other = self.run.path("other")
        for args in (["init", "--ward", "Khác", "--province", "An Giang"],
                     ["fund", "open", "vi-nguoi-ngheo", "--name", "Quỹ khác", "--date", "2024-01-01"]):
            result = self.ansinh.run(args, store=other)
            if result.returncode != 0:
                raise common.CheckError("making the other store failed: " + result.describe())
        self.expected = {}
        for name, args in READS:
            result = self.ansinh.run(args, store=base)
            if result.returncode != 0:
                raise common.CheckError("%s failed on the undamaged store: %s" % (name, result.describe()))
            self.expected[name] = comparable(name, result.stdout)
        folder = self.run.path("export-undamaged")
        result = self.ansinh.run(["export", "--out", folder], store=base)
        if result.returncode != 0:
            raise common.CheckError("export failed on the undamaged store: " + result.describe())
        self.expected["export"] = export_answer(folder)
        for name, args in WRITES:
            copy = self.copy_store(base, "write-check")
            result = self.ansinh.run(args, store=copy)
            if result.returncode != 0:
                raise common.CheckError("%s failed on the undamaged store: %s" % (name, result.describe()))
            self.expected[name] = result.stdout
            shutil.rmtree(copy)
        self.data = open(os.path.join(base, "data.mdb"), "rb").read()
        self.other_data = open(os.path.join(other, "data.mdb"), "rb").read()
        self.run.note("undamaged store: %d bytes, %d pages" % (len(self.data), len(self.data) // PAGE))

    def copy_store(self, source, name):
        target = self.run.path(name)
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        for file in ("data.mdb", "store-id", "people.keys"):
            if os.path.exists(os.path.join(source, file)):
                shutil.copy(os.path.join(source, file), os.path.join(target, file))
        return target

    # ---- damage

    def damaged(self, kind):
        rng = self.run.rng
        data = bytearray(self.data)
        pages = len(data) // PAGE
        if kind == "truncate":
            length = int(len(data) * rng.uniform(0.02, 0.999))
            if rng.random() < 0.5:
                length -= length % PAGE
            return bytes(data[:max(1, length)]), "cut to %d bytes" % length
        if kind == "zero":
            page = rng.choice([0, 1]) if rng.random() < 0.15 else rng.randrange(pages)
            data[page * PAGE:(page + 1) * PAGE] = bytes(PAGE)
            return bytes(data), "page %d zeroed" % page
        if kind == "flip":
            offsets = []
            for _ in range(rng.randint(1, 8)):
                page = rng.randrange(pages)
                where = rng.random()
                if where < 1 / 3:
                    offset = page * PAGE + rng.randrange(16)
                elif where < 2 / 3:
                    offset = page * PAGE + 16 + rng.randrange(32)
                else:
                    offset = page * PAGE + rng.randrange(PAGE)
                data[offset] ^= 1 << rng.randrange(8)
                offsets.append(offset)
            return bytes(data), "bytes flipped at " + ", ".join(str(offset) for offset in offsets)
        if kind == "empty":
            return b"", "emptied"
        return self.other_data, "swapped for another store's data file"

    # ---- one case

    def case(self, number, kind):
        data, how = self.damaged(kind)
        where = "case %d (%s: %s)" % (number, kind, how)
        folder = self.copy_store(self.run.path("base"), "case")
        path = os.path.join(folder, "data.mdb")
        with open(path, "wb") as file:
            file.write(data)
        before = sha256(path)
        right = True
        problems = []
        for name, args in READS:
            result = self.ansinh.run(args, store=folder)
            outcome, wrong = self.judge(name, result, comparable(name, result.stdout) == self.expected[name])
            problems += wrong
            right = right and outcome == "right"
            if sha256(path) != before:
                problems.append("%s (exit %d) changed the data file" % (name, result.returncode))
                before = sha256(path)
        export = os.path.join(self.run.workdir, "case-export")
        shutil.rmtree(export, ignore_errors=True)
        result = self.ansinh.run(["export", "--out", export], store=folder)
        same = result.returncode == 0 and export_answer(export) == self.expected["export"]
        outcome, wrong = self.judge("export", result, same)
        problems += wrong
        right = right and outcome == "right"
        if sha256(path) != before:
            if result.returncode != 0:
                problems.append("export refused (exit %d) but changed the data file" % result.returncode)
            before = sha256(path)  # a finished export notes its position in the store
        shutil.rmtree(export, ignore_errors=True)
        backup = os.path.join(self.run.workdir, "case-backup.mdb")
        for leftover in (backup, backup + ".sha256", backup + ".keys", backup + ".keys.sha256"):
            if os.path.exists(leftover):
                os.remove(leftover)
        result = self.ansinh.run(["backup", "--out", backup], store=folder)
        outcome, wrong = self.judge("backup", result, True)
        problems += wrong
        if sha256(path) != before:
            problems.append("backup (exit %d) changed the data file" % result.returncode)
        audit = self.ansinh.run(["audit", "verify"], store=folder)
        problems += common.exit_problems(audit, {0, 1, 74})
        for name, args in WRITES:
            copy = self.copy_store(folder, "case-write")
            copy_path = os.path.join(copy, "data.mdb")
            with open(copy_path, "wb") as file:
                file.write(data)
            result = self.ansinh.run(args, store=copy)
            outcome, wrong = self.judge(name, result, result.stdout == self.expected[name])
            problems += wrong
            right = right and outcome == "right"
            if result.returncode != 0 and sha256(copy_path) != hashlib.sha256(data).hexdigest():
                problems.append("%s refused (exit %d) but wrote to the data file" % (name, result.returncode))
            shutil.rmtree(copy)
        if audit.returncode == 0:
            self.audit_found["missed"] += 1
            if not right:
                problems.append("audit verify passed, but a command's answer differs: the damage mattered")
            self.outcomes[kind]["harmless"] += 1
        else:
            self.audit_found["exit %d" % audit.returncode] += 1
            self.outcomes[kind]["found (exit %d)" % audit.returncode] += 1
        shutil.rmtree(folder)
        if problems:
            self.run.fail(where, problems)
            self.outcomes[kind]["failed"] += 1
        elif self.args.verbose:
            self.run.note("%s: %s" % (where, "harmless" if audit.returncode == 0 else "found, exit %d" % audit.returncode))

    def judge(self, name, result, same):
        """The outcome of one command, and what is wrong with it."""
        problems = common.exit_problems(result, {0, 1, 74})
        if result.returncode == 0 and not result.signal:
            outcome = "right" if same else "wrong"
            if not same and self.args.strict:
                problems.append("%s answered (exit 0), but not as on the undamaged store: %s" % (name, result.describe()))
            if not same and looks_empty(name, result.stdout):
                problems.append("%s took the damaged store for an empty one: %s" % (name, result.describe()))
        elif result.signal:
            outcome = "signal"
        else:
            outcome = "exit %d" % result.returncode
        self.commands[name][outcome] += 1
        return outcome, problems

    def go(self):
        self.prepare()
        kinds = self.args.only or KINDS
        for number in range(self.args.cases):
            self.case(number, kinds[number % len(kinds)] if number < len(kinds) else self.run.rng.choice(kinds))
            if len(self.run.failures) >= self.args.max_failures:
                self.run.note("stopping: %d failures" % len(self.run.failures))
                break

    def summary(self):
        print("cases by kind of damage:")
        for kind in sorted(self.outcomes):
            print("  %-9s %s" % (kind, ", ".join("%s: %d" % item for item in sorted(self.outcomes[kind].items()))))
        print("commands:")
        for name in sorted(self.commands):
            print("  %-18s %s" % (name, ", ".join("%s: %d" % item for item in sorted(self.commands[name].items()))))
        cases = sum(sum(counter.values()) for counter in self.outcomes.values()) - sum(c["failed"] for c in self.outcomes.values())
        signals = sum(counter["signal"] for counter in self.commands.values())
        wrong = sum(counter["wrong"] for counter in self.commands.values())
        return "%d cases, %d command runs, %d killed by a signal, %d wrong answers; audit: %s" % (
            cases, sum(sum(counter.values()) for counter in self.commands.values()), signals, wrong,
            common.format_counts(self.audit_found))


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--cases", type=int, default=50, help="damaged copies (default: 50)")
    parser.add_argument("--only", type=lambda text: text.split(","), default=None,
                        help="only these kinds of damage, comma-separated: " + ", ".join(KINDS))
    parser.add_argument("--max-failures", type=int, default=20, help="stop after this many failures (default: 20)")
    parser.add_argument("--strict", action="store_true", help="count an answer unlike the undamaged store's as a failure")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args()
    unknown = set(args.only or []) - set(KINDS)
    if unknown:
        parser.error("unknown kind(s) of damage: " + ", ".join(sorted(unknown)))
    run = common.Run("damage_campaign", args)
    campaign = Campaign(run, args)
    try:
        campaign.go()
    except common.CheckError as error:
        run.fail("setting up", [str(error)])
    except KeyboardInterrupt:
        run.fail("interrupted", ["interrupted by the user"])
    return run.finish(campaign.summary())


if __name__ == "__main__":
    sys.exit(main())
