"""Shared helpers for the ansinh reliability tools (Python 3 standard library only).

    crash_campaign.py   SIGKILL ansinh during appends, imports, rebuilds, exports, backups
    fuzz_import.py      mutated JSON Lines files against `ansinh import`
    concurrency.py      many processes on one store at once
    damage_campaign.py  damaged copies of a store against every command
    durability.py       recordings under strace, and the data file a power cut would leave

This module holds what they share: running ansinh with a timeout (or killing it at a
chosen moment), reading the log and the head, the invariants every tool checks
(gapless positions, acknowledged events in place, one-line error reasons, no crash
signals), a generator of valid commands and import lines, and the run's bookkeeping
(seed, work folder, failures, summary).
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
VERIFY_EXPORT = os.path.join(TOOLS, "verify-export.py")
DEMO = os.path.join(TOOLS, "..", "Sources", "ansinh", "Demo")
NUI_SAM = os.path.join(DEMO, "nui-sam-2024.jsonl")
PIGGYBANK = os.path.join(DEMO, "piggybank-2024.jsonl")

ACTOR = "reliability"
# Statuses a refusal may have (README): 64 usage, 65 input/rule, 73 conflict.
REFUSALS = {64, 65, 73}


# --------------------------------------------------------------------------- running


class Result:
    """One finished ansinh process."""

    def __init__(self, argv, returncode, stdout, stderr, seconds, timed_out=False, killed_by_us=False):
        self.markers = []     # (start|done, operation, seconds since the spawn), with markers=True
        self.argv = argv
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
        self.timed_out = timed_out
        self.killed_by_us = killed_by_us

    @property
    def signal(self):
        return -self.returncode if self.returncode is not None and self.returncode < 0 else None

    @property
    def stderr_text(self):
        return self.stderr.decode("utf-8", "replace")

    def describe(self):
        return "`%s` -> %s%s" % (
            " ".join(shell_quote(a) for a in self.argv),
            "timeout" if self.timed_out else ("signal %d" % self.signal if self.signal else "exit %d" % self.returncode),
            (", stderr: %r" % self.stderr_text.strip()[:500]) if self.stderr.strip() else "",
        )


def shell_quote(text):
    text = str(text)
    if text and all(c.isalnum() or c in "-_./=:@,+" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


class Ansinh:
    """Runs one ansinh binary against one store."""

    def __init__(self, binary, store, timeout=120.0):
        self.binary = binary
        self.store = store
        self.timeout = timeout
        self.env = dict(os.environ, ANSINH_ACTOR=ACTOR, ANSINH_STORE=store, LC_ALL="C.UTF-8")

    def argv(self, args, store=None):
        return [self.binary] + list(args) + ["--store", store or self.store]

    def spawn(self, args, store=None, stdin=None, markers=False):
        argv = self.argv(args, store)
        env = self.env
        marker_file = None
        if markers:
            # ansinh writes `start OP SECONDS` / `done OP SECONDS` (CLOCK_MONOTONIC, which is
            # Python's time.monotonic on Linux) around the part of its run that writes.
            handle, marker_file = tempfile.mkstemp(prefix="ansinh-markers-")
            os.close(handle)
            env = dict(self.env, ANSINH_TEST_MARKERS=marker_file)
        started = time.monotonic()
        process = subprocess.Popen(
            argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        process.argv_ = argv
        process.started_ = started
        process.marker_file_ = marker_file
        return process

    @staticmethod
    def read_markers(process):
        if process.marker_file_ is None:
            return []
        markers = []
        with open(process.marker_file_, encoding="utf-8") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) == 3 and fields[0] in ("start", "done", "fail"):
                    markers.append((fields[0], fields[1], float(fields[2]) - process.started_))
        os.remove(process.marker_file_)
        return markers

    def wait_for_start(self, process, stdin, timeout):
        """Polls the marker file until the operation's `start` marker is there (then returns
        the seconds since the spawn), or the process ended (None)."""
        if stdin is not None:
            process.stdin.write(stdin)
            process.stdin.close()
        deadline = process.started_ + timeout
        while process.poll() is None and time.monotonic() < deadline:
            with open(process.marker_file_, "rb") as handle:
                if b"start " in handle.read():
                    return time.monotonic() - process.started_
            time.sleep(0.0002)
        return None

    def finish(self, process, deadline_seconds=None, kill_after=None, stdin=None, kill_after_start=None):
        """Waits for `process`. With `kill_after` seconds (from its start), SIGKILLs it then
        if it is still running; with `kill_after_start` seconds, that many seconds after it
        wrote its `start` marker (it needs markers=True). A run past `deadline_seconds` is
        a hang: killed, timed_out."""
        timeout = self.timeout if deadline_seconds is None else deadline_seconds
        killed = timed_out = False
        if kill_after_start is not None:
            started = self.wait_for_start(process, stdin, timeout)
            stdin = None
            if started is None and process.poll() is None:
                # No start marker within the deadline, and still running: a hang, not our
                # kill. The wait below times out at once and reports it.
                timeout, kill_after = 0.0, None
            else:
                kill_after = (started if started is not None else timeout) + kill_after_start
        wait = timeout if kill_after is None else min(timeout, max(0.0, kill_after - (time.monotonic() - process.started_)))
        try:
            out, err = process.communicate(input=stdin, timeout=wait)
        except subprocess.TimeoutExpired:
            if kill_after is not None and wait < timeout:
                killed = True
            else:
                timed_out = True
            try:
                process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = process.communicate()
        seconds = time.monotonic() - process.started_
        # A process that ended on its own just before our kill is not killed by us.
        killed = killed and process.returncode == -signal.SIGKILL
        result = Result(process.argv_, process.returncode, out, err, seconds, timed_out, killed)
        result.markers = self.read_markers(process)
        return result

    def run(self, args, store=None, stdin=None, timeout=None, kill_after=None, markers=False, kill_after_start=None):
        process = self.spawn(args, store, stdin, markers or kill_after_start is not None)
        return self.finish(process, timeout, kill_after, stdin, kill_after_start)

    # ---- reading the store

    def status(self, store=None):
        result = self.run(["status", "--format", "json"], store)
        if result.returncode != 0:
            raise CheckError("`ansinh status` failed: " + result.describe())
        return json.loads(result.stdout)

    def head(self, store=None):
        status = self.status(store)
        return status["headPosition"], status["headHash"]

    def people(self, store=None):
        """Subject id -> name, as `ansinh people --format json` opens the sealed names."""
        result = self.run(["people", "--format", "json"], store)
        if result.returncode != 0:
            raise CheckError("`ansinh people --format json` failed: " + result.describe())
        return {person["subjectId"]: person["name"] for person in json.loads(result.stdout)}

    def read_log(self, store=None, from_position=1):
        """The events as `ansinh log --format json` prints them: a JSON array of
        {position, eventId, type, stream, streamVersion, data, prevHash, hash, ...}."""
        args = ["log", "--format", "json"]
        if from_position != 1:
            args += ["--from-position", str(from_position)]
        result = self.run(args, store)
        if result.returncode != 0:
            raise CheckError("`ansinh log --format json` failed: " + result.describe())
        try:
            return json.loads(result.stdout)
        except ValueError as error:
            raise CheckError("`ansinh log --format json` printed no valid JSON: %s" % error)

    def audit(self, store=None):
        """None when `ansinh audit verify` passes, else what it said."""
        result = self.run(["audit", "verify"], store)
        if result.returncode == 0:
            return None
        return "`ansinh audit verify` failed: " + result.describe()

    def funds(self):
        result = self.run(["funds", "--format", "json"])
        if result.returncode != 0:
            raise CheckError("`ansinh funds --format json` failed: " + result.describe())
        return {fund["fundId"]: fund for fund in json.loads(result.stdout)}


def verify_export(folder, timeout=300):
    """None when tools/verify-export.py accepts `folder`, else its complaint."""
    try:
        result = subprocess.run([sys.executable, VERIFY_EXPORT, folder], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "verify-export.py %s: no answer within %d s" % (folder, timeout)
    if result.returncode == 0:
        return None
    return "verify-export.py %s: exit %d: %s" % (folder, result.returncode,
                                                result.stdout.decode("utf-8", "replace").strip()[-600:])


def find_ansinh(path):
    found = shutil.which(path) if os.sep not in path else (path if os.access(path, os.X_OK) else None)
    if not found:
        sys.exit("cannot find an executable ansinh at %r (give --ansinh PATH)" % path)
    return os.path.abspath(found)


# --------------------------------------------------------------------------- invariants


class CheckError(Exception):
    pass


def exit_problems(result, allowed, killed_ok=False):
    """What is wrong with how `result` ended: a crash signal, a hang, a status outside
    `allowed`, or a non-zero exit without exactly one line on stderr. [] if nothing."""
    problems = []
    if result.timed_out:
        problems.append("hang: no exit within the timeout (killed): " + result.describe())
        return problems
    if result.signal:
        if not (killed_ok and result.signal == signal.SIGKILL and result.killed_by_us):
            problems.append("ended by signal %d (%s), not by our SIGKILL: %s"
                            % (result.signal, signal_name(result.signal), result.describe()))
        return problems
    if result.returncode not in allowed:
        problems.append("exit %d, expected one of %s: %s" % (result.returncode, sorted(allowed), result.describe()))
    if result.returncode != 0:
        problem = one_line_reason_problem(result)
        if problem:
            problems.append(problem)
    return problems


def one_line_reason_problem(result):
    text = result.stderr_text
    lines = [line for line in text.rstrip("\n").split("\n")]
    if not text.strip():
        return "exit %d with nothing on stderr: %s" % (result.returncode, result.describe())
    if len(lines) != 1:
        return "exit %d with %d lines on stderr (one expected): %s" % (result.returncode, len(lines), result.describe())
    return None


def signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "?"


def gap_problems(events):
    """Positions must be exactly 1..head, in order, each event once."""
    problems = []
    for index, event in enumerate(events):
        if event.get("position") != index + 1:
            problems.append("positions are not gapless: entry %d of the log has position %r" % (index + 1, event.get("position")))
            break
    ids = {}
    for event in events:
        if event["eventId"] in ids:
            problems.append("event id %s at positions %d and %d" % (event["eventId"], ids[event["eventId"]], event["position"]))
            break
        ids[event["eventId"]] = event["position"]
    for earlier, later in zip(events, events[1:]):
        if later.get("prevHash") != earlier.get("hash"):
            problems.append("chain broken in `log --format json` at position %r" % later.get("position"))
            break
    return problems


POSITION = re.compile(rb"at position (\d+) \(event ([0-9a-fA-F-]{36})\)")


def reported_position(result):
    """The position a recording command printed ("... at position 17 (event ...)"), or None."""
    match = POSITION.search(result.stdout)
    return int(match.group(1)) if match else None


def index_by_id(events):
    return {event["eventId"].lower(): event for event in events}


def acknowledged_problems(acknowledged, by_id):
    """`acknowledged` maps an event id to the position ansinh reported (or None when
    it did not say): each must still be in the log, at that position."""
    problems = []
    for event_id, position in acknowledged.items():
        event = by_id.get(event_id.lower())
        if event is None:
            problems.append("acknowledged event %s is missing from the log" % event_id)
        elif position is not None and event["position"] != position:
            problems.append("acknowledged event %s was at position %d, is now at %d" % (event_id, position, event["position"]))
        if len(problems) >= 10:
            problems.append("... (more)")
            break
    return problems


# --------------------------------------------------------------------------- valid commands


def new_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def day(ordinal):
    import datetime
    return datetime.date.fromordinal(ordinal).isoformat()


def ordinal(text):
    import datetime
    return datetime.date.fromisoformat(text).toordinal()


FIRST_NAMES = ["Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Phúc", "Phạm Thị Ngọc Hường", "Võ Minh Quân",
               "Huỳnh Thúy Yến", "Đặng Quốc Việt", "Bùi Thị Thu Trang", "Đỗ Hữu Nghĩa", "Hồ Thị Mỹ Duyên"]
ORGS = ["Chùa Tây An", "Giáo xứ Châu Đốc", "Công ty TNHH Vĩnh Tế", "Hội Phụ nữ phường Núi Sam",
        "Đoàn Thanh niên phường Núi Sam", "Ban Quản trị Khu di tích Miếu Bà Chúa Xứ"]
DONOR_KINDS = ["individual", "business", "religiousBody", "organisation", "partyMember"]
BENEFICIARY_KINDS = ["poorHousehold", "nearPoorHousehold", "policyFamily", "student", "child", "other"]
PURPOSES = ["housing", "gift", "healthInsurance", "scholarship", "studySupplies", "livelihood",
            "infrastructure", "sponsorship", "other"]

# The reliability model the seeding adds next to the demo's (closed) one.
REL_MODEL = "ong-heo-rel"
REL_MODEL_FUND = "an-sinh-dang-bo"
REL_MODEL_START, REL_MODEL_END = "2025-01-01", "2025-11-30"
SMALL_FUND = "quy-nho"          # a fund with little money, for refused disbursements


class Command:
    """One recording: an event as an import line and as an ansinh command line.
    `allowed` is the set of exit statuses it may legitimately end with."""

    def __init__(self, kind, event_type, data, event_id, argv, allowed=frozenset({0})):
        self.kind = kind
        self.event_type = event_type
        self.data = data
        self.event_id = event_id
        self.argv = argv
        self.allowed = set(allowed)

    def line(self):
        return {"type": self.event_type, "data": self.data, "eventId": self.event_id}

    def jsonl(self):
        return json.dumps(self.line(), ensure_ascii=False)


class World:
    """What the generator knows of the store: funds (and when they opened), members
    enrolled and not left, the open model. Enough to make commands that pass the
    rules, apart from disbursements, which may be refused for overdraw."""

    def __init__(self, rng, tag):
        self.rng = rng
        self.tag = tag
        self.counter = 0
        self.funds = {}        # fundId -> openedOn
        self.balances = {}     # fundId -> last known balance (from `funds --format json`)
        self.members = {}      # memberId -> (enrolledOn, leftOn or None)
        self.models = {}       # modelId -> (fundId, startsOn, endsOn, closed)
        self.money_events = []  # event ids of donations (reversible)
        self.disburse_risk = 0.25  # share of disbursements from the small fund, often refused

    def learn(self, events):
        for event in events:
            data, kind = event["data"], event["type"]
            if kind == "FundOpened":
                self.funds[data["fundId"]] = data["openedOn"]
            elif kind == "MemberEnrolled":
                self.members[data["memberId"]] = (data["enrolledOn"], None)
            elif kind == "MemberLeft":
                enrolled, _ = self.members.get(data["memberId"], ("2000-01-01", None))
                self.members[data["memberId"]] = (enrolled, data["leftOn"])
            elif kind == "PiggyBankModelStarted":
                self.models[data["modelId"]] = (data["fundId"], data["startsOn"], data["endsOn"], False)
            elif kind == "PiggyBankModelClosed":
                fund, starts, ends, _ = self.models[data["modelId"]]
                self.models[data["modelId"]] = (fund, starts, ends, True)
            elif kind == "DonationReceived":
                self.money_events.append(event["eventId"])

    def learn_balances(self, funds):
        self.balances = {fund_id: fund["balance"] for fund_id, fund in funds.items()}

    def fresh_id(self, prefix):
        self.counter += 1
        return "%s-%s-%d" % (prefix, self.tag, self.counter)

    def _date_after(self, first, last="2025-11-30"):
        low, high = ordinal(first), ordinal(last)
        return day(self.rng.randint(low, max(low, high)))

    def _amount(self, low, high):
        return self.rng.randint(low, high) // 1000 * 1000 or 1000

    @staticmethod
    def _cli_amount(rng, amount):
        if rng.random() < 0.3:
            return "{:,}".format(amount).replace(",", ".")
        return str(amount)

    # ---- one command of each kind

    def donate(self):
        rng = self.rng
        fund = rng.choice(sorted(self.funds))
        data = {"fundId": fund, "donor": {"name": rng.choice(FIRST_NAMES + ORGS), "kind": rng.choice(DONOR_KINDS)},
                "amount": self._amount(10000, 100000 if fund == SMALL_FUND else 5000000), "receivedOn": self._date_after(max(self.funds[fund], "2024-10-01"))}
        event_id = new_uuid(rng)
        argv = ["donate", "--fund", fund, "--donor", data["donor"]["name"], "--donor-kind", data["donor"]["kind"],
                "--amount", self._cli_amount(rng, data["amount"]), "--date", data["receivedOn"], "--event-id", event_id]
        return Command("donate", "DonationReceived", data, event_id, argv)

    def deposit(self):
        rng = self.rng
        model = REL_MODEL
        fund, starts, ends, closed = self.models[model]
        member = rng.choice(sorted(m for m, (enrolled, left) in self.members.items() if left is None and enrolled <= starts))
        data = {"modelId": model, "memberId": member, "amount": self._amount(1000, 60000),
                "depositedOn": self._date_after(starts, ends)}
        event_id = new_uuid(rng)
        argv = ["deposit", "--model", model, "--member", member, "--amount", self._cli_amount(rng, data["amount"]),
                "--date", data["depositedOn"], "--event-id", event_id]
        return Command("deposit", "PiggyBankDeposited", data, event_id, argv)

    def disburse(self, risky=None):
        """Usually affordable; with `risky` (or a share `disburse_risk`) from the small fund, for
        more than may be there: refused for overdraw (65) is then a fine outcome."""
        rng = self.rng
        if risky is None:
            risky = rng.random() < self.disburse_risk
        if risky and SMALL_FUND in self.funds:
            fund, amount = SMALL_FUND, self._amount(100000, 600000)
        else:
            rich = sorted(f for f in self.funds if self.balances.get(f, 0) >= 1000000 and f != SMALL_FUND)
            fund = rng.choice(rich or sorted(self.funds))
            balance = self.balances.get(fund, 0)
            amount = self._amount(1000, max(1000, min(balance // 25, 20000000)))
        disbursement_id = self.fresh_id("chi")
        data = {"disbursementId": disbursement_id, "fundId": fund, "purpose": rng.choice(PURPOSES),
                "beneficiary": {"name": rng.choice(FIRST_NAMES), "kind": rng.choice(BENEFICIARY_KINDS)},
                "amount": amount, "quantity": rng.randint(1, 50),
                "disbursedOn": self._date_after(max(self.funds[fund], "2024-12-01"))}
        event_id = new_uuid(rng)
        argv = ["disburse", disbursement_id, "--fund", fund, "--purpose", data["purpose"],
                "--beneficiary", data["beneficiary"]["name"], "--beneficiary-kind", data["beneficiary"]["kind"],
                "--amount", self._cli_amount(rng, amount), "--quantity", str(data["quantity"]),
                "--date", data["disbursedOn"], "--event-id", event_id]
        return Command("disburse", "DisbursementMade", data, event_id, argv, allowed={0, 65})

    def open_fund(self):
        rng = self.rng
        fund = self.fresh_id("quy")
        data = {"fundId": fund, "name": "Quỹ thử nghiệm " + fund, "openedOn": "2024-10-01",
                "openingBalance": self._amount(0, 10000000)}
        event_id = new_uuid(rng)
        argv = ["fund", "open", fund, "--name", data["name"], "--opening-balance", str(data["openingBalance"]),
                "--date", data["openedOn"], "--event-id", event_id]
        return Command("fund", "FundOpened", data, event_id, argv)

    def enrol(self):
        rng = self.rng
        member = self.fresh_id("dv")
        data = {"memberId": member, "fullName": rng.choice(FIRST_NAMES), "cell": "Chi bộ khóm Vĩnh Tây 1",
                "enrolledOn": "2024-12-01"}
        event_id = new_uuid(rng)
        argv = ["member", "enrol", member, "--name", data["fullName"], "--cell", data["cell"],
                "--date", data["enrolledOn"], "--event-id", event_id]
        return Command("enrol", "MemberEnrolled", data, event_id, argv)

    def pledge(self):
        rng = self.rng
        pledge = self.fresh_id("cam-ket")
        fund = rng.choice(sorted(self.funds))
        data = {"pledgeId": pledge, "fundId": fund, "donor": {"name": rng.choice(ORGS), "kind": "business"},
                "amount": self._amount(100000, 50000000), "pledgedOn": self._date_after(max(self.funds[fund], "2024-10-01"))}
        event_id = new_uuid(rng)
        argv = ["pledge", "make", pledge, "--fund", fund, "--donor", data["donor"]["name"], "--donor-kind", "business",
                "--amount", str(data["amount"]), "--date", data["pledgedOn"], "--event-id", event_id]
        return Command("pledge", "PledgeMade", data, event_id, argv)

    def external(self):
        rng = self.rng
        data = {"organisation": rng.choice(ORGS), "programme": "Chương trình thử", "description": "Hỗ trợ thử nghiệm",
                "beneficiaries": rng.randint(1, 100), "value": self._amount(0, 10000000),
                "recordedOn": self._date_after("2024-10-01")}
        event_id = new_uuid(rng)
        argv = ["external", "record", "--organisation", data["organisation"], "--programme", data["programme"],
                "--description", data["description"], "--beneficiaries", str(data["beneficiaries"]),
                "--value", str(data["value"]), "--date", data["recordedOn"], "--event-id", event_id]
        return Command("external", "ExternalSupportRecorded", data, event_id, argv)

    def reverse(self):
        """Reverses a donation: may be refused (already reversed 73, overdraw 65)."""
        rng = self.rng
        if not self.money_events:
            return self.donate()
        target = rng.choice(self.money_events)
        data = {"reversesEventId": target, "reversedOn": "2025-12-01", "reason": "Ghi nhầm (thử nghiệm)"}
        event_id = new_uuid(rng)
        argv = ["reverse", target, "--reason", data["reason"], "--date", data["reversedOn"], "--event-id", event_id]
        return Command("reverse", "EntryReversed", data, event_id, argv, allowed={0, 65, 73})

    def recording(self, weights=None):
        """A random recording command."""
        weights = weights or {"donate": 30, "deposit": 30, "disburse": 20, "open_fund": 3, "enrol": 5,
                              "pledge": 5, "external": 4, "reverse": 3}
        names = sorted(weights)
        return getattr(self, self.rng.choices(names, [weights[n] for n in names])[0])()

    def import_lines(self, count, kinds=("donate", "deposit")):
        """`count` valid lines that pass the rules whatever their order: money in only
        (donations, deposits), each with a fresh event id."""
        return [getattr(self, self.rng.choice(kinds))() for _ in range(count)]


def write_jsonl(path, commands):
    with open(path, "w", encoding="utf-8") as file:
        for command in commands:
            file.write(command.jsonl() + "\n")


def seed_store(ansinh, world):
    """init, a signing key, the demo's two files, a small fund and an open piggy-bank model."""
    steps = [
        ["init", "--ward", "Núi Sam", "--province", "An Giang"],
        ["keys", "init"],                         # exports are then signed
        ["import", NUI_SAM],
        ["import", PIGGYBANK],
        ["fund", "open", SMALL_FUND, "--name", "Quỹ nhỏ", "--opening-balance", "1000000", "--date", "2024-10-01"],
        ["piggybank", "start", REL_MODEL, "--name", "Ống heo (thử)", "--fund", REL_MODEL_FUND,
         "--starts", REL_MODEL_START, "--ends", REL_MODEL_END],
    ]
    for step in steps:
        result = ansinh.run(step, timeout=300)
        if result.returncode != 0:
            raise CheckError("seeding the store failed: " + result.describe())
    events = ansinh.read_log()
    world.learn(events)
    world.learn_balances(ansinh.funds())
    return events


# --------------------------------------------------------------------------- a run


def base_parser(description):
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ansinh", default="ansinh", help="the ansinh binary (default: ansinh on PATH)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: from the clock, printed)")
    parser.add_argument("--workdir", default=None, help="work folder (default: a fresh temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder even when everything passed")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds after which an ansinh command counts as hung (default: 120)")
    return parser


class Run:
    """Seed, work folder, failures and the final summary of one tool run."""

    def __init__(self, name, args):
        self.name = name
        self.args = args
        self.seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1000000007
        self.rng = random.Random(self.seed)
        if args.workdir:
            os.makedirs(args.workdir, exist_ok=True)
            self.workdir = os.path.abspath(args.workdir)
            self.own_workdir = False
        else:
            self.workdir = tempfile.mkdtemp(prefix="ansinh-%s-" % name)
            self.own_workdir = True
        self.binary = find_ansinh(args.ansinh)
        self.failures = []
        self.started = time.monotonic()
        print("%s: seed %d, ansinh %s, workdir %s" % (name, self.seed, self.binary, self.workdir), flush=True)

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def fail(self, where, problems):
        for problem in problems:
            message = "FAILURE [seed %d, %s]: %s" % (self.seed, where, problem)
            self.failures.append(message)
            print(message, flush=True)

    def note(self, text):
        print("  " + text, flush=True)

    def finish(self, summary):
        seconds = time.monotonic() - self.started
        keep = self.failures or self.args.keep or not self.own_workdir
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        verdict = "FAILED: %d problem(s)" % len(self.failures) if self.failures else "OK"
        print("%s: %s; %s; seed %d; %.0f s; workdir %s" % (
            self.name, verdict, summary, self.seed, seconds,
            self.workdir + (" (kept)" if keep else " (removed)")), flush=True)
        if self.failures:
            print("re-run with: --seed %d" % self.seed, flush=True)
        return 1 if self.failures else 0


def format_counts(counts):
    """{(a, b): n} -> 'a b=n, ...' lines, sorted."""
    return ", ".join("%s=%d" % (key, value) for key, value in sorted(counts.items()))
