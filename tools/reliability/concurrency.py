#!/usr/bin/env python3
"""Concurrency: many ansinh processes on one store at once.

    tools/reliability/concurrency.py --seconds 60 --processes 4 --ansinh /path/to/ansinh [--seed N]

One store is seeded (init, the demo's two files, a small fund "quy-nho" of
1.000.000 đ, an open piggy-bank model). Then --processes workers run at once for
--seconds, each looping over a random mix of:

  record     donate, deposit, fund open, member enrol, pledge make, external record
             (explicit --event-id; must succeed)
  disburse   often from the small fund, for more than may be left: 0 or 65 (overdraw)
  reverse    a recent donation, often one another worker is reversing too: 0, 65, 73
  import     1-20 fresh lines with event ids (donations, deposits, a disbursement)
  retry      a command another worker already recorded, same event id: must exit 0
             and report the position it was first stored at
  export     `export --out` a fresh folder
  backup     `backup --out` a fresh file (restored and audited afterwards)
  query      funds / member history / piggybank summary / log / status, as JSON
  audit      `audit verify` while the others write
  invalid    a recording with a bad field or breaking a rule (amount 0 or past 10^15,
             blank name, unknown fund, deposit outside the model): must be 65

Every command's status and stderr are recorded. Afterwards it checks: no signal, no
hang (--timeout), no status outside what the kind allows (in particular no 74, and
no refusal of a command that cannot be refused), every non-zero exit with one line
on stderr; every acknowledged event in the log at the position reported; positions
gapless and chained; no event in the log that no command acknowledged; every fund
balance >= 0; `ansinh audit verify` passes; every export folder passes
tools/verify-export.py and its head hash is the log's hash at that position; every
backup, restored as FOLDER/data.mdb, passes `ansinh audit verify --store FOLDER`.
And that the run proved something: every worker had events acknowledged, every two
workers' positions interleave, and at least --min-acknowledged events were.

Exit status 0 when no failure was found, 1 otherwise (the work folder is then kept).
"""
import json
import os
import random
import sys
import threading
import time
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ beside the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

KINDS = {"record": 30, "disburse": 15, "reverse": 5, "import": 12, "retry": 6, "export": 4, "backup": 2, "query": 22,
         "audit": 6, "invalid": 3}


class Shared:
    """What the workers share, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acknowledged = {}     # event id -> position (None when not printed)
        self.worker_of = {}        # event id -> the worker whose command acknowledged it
        self.retryable = []        # (argv, event id, position) of recorded single commands
        self.donations = []        # event ids of recorded donations (reversal targets)
        self.results = []          # (worker, kind, Result)
        self.exports = []
        self.backups = []


class Worker(threading.Thread):
    def __init__(self, number, tool, stop_at):
        super().__init__(name="worker-%d" % number, daemon=True)
        self.number = number
        self.tool = tool
        self.stop_at = stop_at
        self.rng = random.Random("%d/%d" % (tool.run.seed, number))
        self.world = common.World(self.rng, "w%d-%d" % (number, tool.run.seed))
        self.world.learn(tool.seed_events)
        self.world.learn_balances(tool.seed_funds)
        self.world.disburse_risk = 0.6
        self.world.money_events = []
        self.count = 0

    def record(self, kind, command, result):
        shared = self.tool.shared
        with shared.lock:
            shared.results.append((self.number, kind, result))
            if result.returncode == 0 and command is not None:
                position = common.reported_position(result)
                shared.acknowledged[command.event_id] = position
                shared.worker_of.setdefault(command.event_id, self.number)
                shared.retryable.append((command.argv, command.event_id, position))
                if command.kind == "donate":
                    shared.donations.append(command.event_id)
        if result.returncode == 0 and command is not None:
            self.world.learn([{"type": command.event_type, "data": command.data, "eventId": command.event_id}])

    def run(self):
        try:
            while not self.tool.stop.is_set() and not self.tool.done(self.stop_at):
                kind = self.rng.choices(sorted(KINDS), [KINDS[k] for k in sorted(KINDS)])[0]
                getattr(self, "do_" + kind)()
                self.count += 1
        except Exception as error:  # a bug of the tool itself: report it, do not hang
            self.tool.run.fail(self.name, ["the worker crashed: %r" % error])
            self.tool.stop.set()

    def do_record(self):
        weights = {"donate": 35, "deposit": 35, "open_fund": 5, "enrol": 10, "pledge": 8, "external": 7}
        command = self.world.recording(weights)
        self.record("record:" + command.kind, command, self.tool.ansinh.run(command.argv))

    def do_disburse(self):
        command = self.world.disburse()
        self.record("disburse", command, self.tool.ansinh.run(command.argv))

    def do_reverse(self):
        with self.tool.shared.lock:
            pool = self.tool.shared.donations[-10:]
        if not pool:
            return self.do_record()
        self.world.money_events = pool
        command = self.world.reverse()
        self.record("reverse", command, self.tool.ansinh.run(command.argv))

    def do_import(self):
        commands = self.world.import_lines(self.rng.randint(1, 20))
        if self.rng.random() < 0.3:
            commands.append(self.world.disburse(risky=True))
        path = self.tool.run.path("imports", "w%d-%d.jsonl" % (self.number, self.count))
        common.write_jsonl(path, commands)
        result = self.tool.ansinh.run(["import", path])
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "import", result))
            if result.returncode == 0:
                for command in commands:
                    self.tool.shared.acknowledged[command.event_id] = None
                    self.tool.shared.worker_of.setdefault(command.event_id, self.number)
        if result.returncode == 0:
            os.remove(path)

    def do_retry(self):
        with self.tool.shared.lock:
            if not self.tool.shared.retryable:
                choice = None
            else:
                choice = self.rng.choice(self.tool.shared.retryable)
        if choice is None:
            return self.do_record()
        argv, event_id, position = choice
        result = self.tool.ansinh.run(argv)
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "retry", result))
        if result.returncode == 0:
            again = common.reported_position(result)
            if position is not None and again != position:
                self.tool.run.fail("%s retry" % self.name, [
                    "retrying event %s reported position %s, it was first stored at %d: %s"
                    % (event_id, again, position, result.describe())])

    def do_export(self):
        folder = self.tool.run.path("exports", "w%d-%d" % (self.number, self.count))
        result = self.tool.ansinh.run(["export", "--out", folder])
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "export", result))
            if result.returncode == 0:
                self.tool.shared.exports.append(folder)

    def do_invalid(self):
        """A recording that must be refused with 65 and write nothing: a bad field or a rule."""
        command = self.rng.choice([self.world.donate, self.world.deposit, self.world.enrol])()
        argv = list(command.argv)
        flaw = self.rng.choice(["amount-0", "amount-past-1e15", "empty-name", "unknown-fund", "deposit-outside-model"])
        if command.kind == "enrol":
            flaw = "empty-name"
            argv[argv.index("--name") + 1] = "   "
        elif flaw == "amount-0":
            argv[argv.index("--amount") + 1] = "0"
        elif flaw == "amount-past-1e15":
            argv[argv.index("--amount") + 1] = str(10 ** 15 + 1)
        elif flaw == "empty-name" and command.kind == "donate":
            argv[argv.index("--donor") + 1] = ""
        elif command.kind == "donate":
            flaw = "unknown-fund"
            argv[argv.index("--fund") + 1] = "khong-co-quy-nay"
        else:
            flaw = "deposit-outside-model"
            argv[argv.index("--date") + 1] = "2026-01-15"
        result = self.tool.ansinh.run(argv)
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "invalid:" + flaw, result))

    def do_backup(self):
        target = self.tool.run.path("backups", "w%d-%d.mdb" % (self.number, self.count))
        result = self.tool.ansinh.run(["backup", "--out", target])
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "backup", result))
            if result.returncode == 0:
                self.tool.shared.backups.append(target)

    def do_query(self):
        rng = self.rng
        choice = rng.choice(["funds", "member", "piggybank", "log", "status"])
        if choice == "funds":
            args = ["funds", "--format", "json"]
        elif choice == "member":
            args = ["member", "history", "dv-%03d" % rng.randint(1, 116), "--format", "json"]
        elif choice == "piggybank":
            args = ["piggybank", "summary", common.REL_MODEL, "--format", "json"]
        elif choice == "log":
            args = ["log", "--format", "json", "--from-position", str(rng.randint(1, 2300)), "--limit", "50"]
        else:
            args = ["status", "--format", "json"]
        result = self.tool.ansinh.run(args)
        problems = []
        if result.returncode == 0:
            try:
                value = json.loads(result.stdout)
            except ValueError as error:
                problems.append("`%s` printed invalid JSON: %s" % (" ".join(args), error))
                value = None
            if choice == "funds" and value is not None:
                for fund in value:
                    if fund["balance"] < 0:
                        problems.append("fund %s shows a negative balance %d" % (fund["fundId"], fund["balance"]))
            if choice == "log" and value:
                positions = [event["position"] for event in value]
                if positions != list(range(positions[0], positions[0] + len(positions))):
                    problems.append("`log --from-position` printed positions with a gap: %s" % positions)
        self.tool.run.fail("%s query %s" % (self.name, choice), problems)
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "query:" + choice, result))

    def do_audit(self):
        result = self.tool.ansinh.run(["audit", "verify"])
        with self.tool.shared.lock:
            self.tool.shared.results.append((self.number, "audit", result))


# A kind's allowed statuses; anything else (a signal, a hang, 74, ...) is a failure.
ALLOWED = {"disburse": {0, 65}, "reverse": {0, 65, 73}, "import": {0, 65}}


def allowed_for(kind):
    if kind.startswith("invalid:"):
        return {65}
    return ALLOWED.get(kind, {0})


class Tool:
    def __init__(self, run, args):
        self.run = run
        self.args = args
        self.ansinh = common.Ansinh(run.binary, run.path("store"), timeout=args.timeout)
        self.shared = Shared()
        self.stop = threading.Event()
        self.seed_events = []
        self.seed_funds = {}
        self.counts = Counter()

    def go(self):
        world = common.World(self.run.rng, "seed")
        try:
            self.seed_events = common.seed_store(self.ansinh, world)
            self.seed_funds = self.ansinh.funds()
        except common.CheckError as error:
            self.run.fail("seeding", [str(error)])
            return
        os.makedirs(self.run.path("imports"))
        os.makedirs(self.run.path("exports"))
        os.makedirs(self.run.path("backups"))
        seed_head = len(self.seed_events)
        stop_at = time.monotonic() + self.args.seconds
        workers = [Worker(number, self, stop_at) for number in range(1, self.args.processes + 1)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.check(seed_head)

    def check(self, seed_head):
        run = self.run
        repeated = Counter()
        for worker, kind, result in self.shared.results:
            allowed = allowed_for(kind)
            problems = common.exit_problems(result, allowed)
            outcome = ("signal %d" % result.signal if result.signal else
                       "hang" if result.timed_out else "exit %d" % result.returncode)
            self.counts[(kind, outcome)] += 1
            if problems:
                repeated[(kind, outcome)] += 1
                if repeated[(kind, outcome)] <= 2:     # the first two of a kind in full, then a count
                    run.fail("worker %d %s" % (worker, kind), problems)
                else:
                    run.failures.append("(same as above) worker %d %s" % (worker, kind))
        for (kind, outcome), count in sorted(repeated.items()):
            if count > 2:
                print("FAILURE [seed %d]: ... %d more %s commands ended like that (%s)" % (run.seed, count - 2, kind, outcome))
        try:
            events = self.ansinh.read_log()
        except common.CheckError as error:
            run.fail("final log", [str(error)])
            return
        self.head = len(events)
        by_id = common.index_by_id(events)
        problems = common.gap_problems(events)
        problems += common.acknowledged_problems(self.shared.acknowledged, by_id)
        acknowledged = {event_id.lower() for event_id in self.shared.acknowledged}
        unexplained = [e for e in events[seed_head:] if e["eventId"].lower() not in acknowledged]
        if unexplained:
            problems.append("%d event(s) in the log that no command acknowledged, first at position %d (%s)"
                            % (len(unexplained), unexplained[0]["position"], unexplained[0]["eventId"]))
        audit = self.ansinh.audit()
        if audit:
            problems.append(audit)
        for fund_id, fund in self.ansinh.funds().items():
            if fund["balance"] < 0:
                problems.append("fund %s ends with a negative balance %d" % (fund_id, fund["balance"]))
        run.fail("final checks", problems)
        run.fail("did the workers really run at once", self.concurrency_problems(by_id))
        for folder in self.shared.exports:
            complaint = common.verify_export(folder)
            if complaint:
                run.fail("export %s" % folder, [complaint])
                continue
            with open(os.path.join(folder, "manifest.json")) as file:
                manifest = json.load(file)
            position, head_hash = manifest["headPosition"], manifest["headHash"]
            if position > len(events) or (position and events[position - 1]["hash"] != head_hash):
                run.fail("export %s" % folder, ["its head (position %d, %s) is not the log's event at that position"
                                                % (position, head_hash)])
        self.exports_checked = len(self.shared.exports)
        for target in self.shared.backups:
            restored = target[:-len(".mdb")] + ".restored"
            os.makedirs(restored, mode=0o700)
            os.rename(target, os.path.join(restored, "data.mdb"))
            audit = self.ansinh.audit(store=restored)
            if audit:
                run.fail("backup %s" % target, ["the backup does not pass audit: " + audit])

    def done(self, stop_at):
        """The workers stop after --seconds, once at least --min-acknowledged events were
        acknowledged and the workers' positions interleave (as far as the positions the
        commands printed tell); on a busy machine that may take longer, but never more
        than 4 × --seconds."""
        now = time.monotonic()
        if now < stop_at:
            return False
        if now >= stop_at + 3 * self.args.seconds:
            return True
        with self.shared.lock:
            known = {event_id: position for event_id, position in self.shared.acknowledged.items() if position}
            enough = len(self.shared.acknowledged) >= self.args.min_acknowledged
            return enough and not self.interleaving_problems(self.positions_by_worker(known))

    def positions_by_worker(self, position_of):
        positions = {}
        for event_id, worker in self.shared.worker_of.items():
            position = position_of.get(event_id)
            if position:
                positions.setdefault(worker, []).append(position)
        return positions

    def interleaving_problems(self, positions):
        """Every worker has acknowledged events, and each one's positions interleave with
        another's: it wrote both before and after something another worker wrote."""
        problems = []
        for worker in range(1, self.args.processes + 1):
            mine = positions.get(worker)
            if not mine:
                problems.append("worker %d had no event acknowledged" % worker)
                continue
            others = [(min(theirs), max(theirs)) for other, theirs in positions.items() if other != worker]
            if not any(low < max(mine) and min(mine) < high for low, high in others):
                problems.append("the positions of worker %d (%d..%d) do not interleave with another worker's"
                                % (worker, min(mine), max(mine)))
        return problems

    def concurrency_problems(self, by_id):
        """A run proves something only if the workers' writes really met: at least
        --min-acknowledged events acknowledged, and the workers' positions interleave."""
        problems = []
        if len(self.shared.acknowledged) < self.args.min_acknowledged:
            problems.append("only %d events acknowledged, fewer than --min-acknowledged %d"
                            % (len(self.shared.acknowledged), self.args.min_acknowledged))
        positions = self.positions_by_worker({event_id: event["position"] for event_id, event in by_id.items()})
        ordered = sorted((position, worker) for worker, found in positions.items() for position in found)
        self.alternations = sum(1 for left, right in zip(ordered, ordered[1:]) if left[1] != right[1])
        return problems + self.interleaving_problems(positions)

    def summary(self):
        kinds = sorted({kind for kind, _ in self.counts})
        print("commands per kind and outcome:")
        for kind in kinds:
            print("  %-32s %s" % (kind, ", ".join("%s: %d" % (outcome, n) for (k, outcome), n in sorted(self.counts.items()) if k == kind)))
        return ("%d commands by %d processes in %d s, %d acknowledged events (%d changes of writer between "
                "consecutive positions), %d exports and %d backups checked, head %d" % (
                    sum(self.counts.values()), self.args.processes, self.args.seconds, len(self.shared.acknowledged),
                    getattr(self, "alternations", 0), getattr(self, "exports_checked", 0), len(self.shared.backups),
                    getattr(self, "head", 0)))


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--seconds", type=float, default=30, help="how long the workers run (default: 30)")
    parser.add_argument("--processes", type=int, default=4, help="worker processes at once (default: 4)")
    parser.add_argument("--min-acknowledged", type=int, default=0,
                        help="go on past --seconds (up to 4 × --seconds) until N events were acknowledged, some from "
                             "every worker, and fail if fewer were (default: 0)")
    parser.add_argument("--without", type=lambda text: text.split(","), default=[],
                        help="leave out these kinds, comma-separated: " + ", ".join(sorted(KINDS)))
    args = parser.parse_args()
    unknown = set(args.without) - set(KINDS)
    if unknown:
        parser.error("unknown kind(s): " + ", ".join(sorted(unknown)))
    for kind in args.without:
        del KINDS[kind]
    run = common.Run("concurrency", args)
    tool = Tool(run, args)
    try:
        tool.go()
    except KeyboardInterrupt:
        tool.stop.set()
        run.fail("interrupted", ["interrupted by the user"])
    return run.finish(tool.summary())


if __name__ == "__main__":
    sys.exit(main())
