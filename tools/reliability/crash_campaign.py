#!/usr/bin/env python3
"""Crash campaign: SIGKILL ansinh at random moments and check that nothing
acknowledged is lost and nothing half-done is visible.

    tools/reliability/crash_campaign.py --rounds 50 --ansinh /path/to/ansinh [--seed N]

Each round picks an operation (round-robin, or --order random) and kills it at a
chosen moment. ansinh, run with ANSINH_TEST_MARKERS, writes a marker just before the
operation starts to write and one when it is complete (committed, renamed into place),
so every kill is classified by what it interrupted: `inside` the operation, `before`
it began writing (opening, checking), `after` it was complete (printing, exiting), or
none because the process `finished` first. The campaign learns each operation's
window from the markers of unkilled runs (as the store grows) and aims 75% of its
kills inside it, 25% uniformly over 0..125% of the run. With --min-inside K it goes
on with extra rounds (at most --rounds more) until every operation was killed inside
at least K times, and fails otherwise: a campaign whose kills all missed proves little.
Every --fresh-store-every rounds a freshly seeded store replaces the old one, since
`audit verify` after every round replays the whole log.

  append    a sequence of single recording commands (donate, deposit, disburse,
            fund open, member enrol, pledge make, external record, reverse), each
            with --event-id; the one running at the deadline is killed, and then
            retried with the same event id (it must be recorded exactly once)
  import    `ansinh import FILE` of --import-lines fresh lines, then retried
  rebuild   `ansinh projections rebuild`
  export    `ansinh export --out DIR`
  backup    `ansinh backup --out FILE`

After every round it checks: every acknowledged event (a command or import that
exited 0) is in `ansinh log --format json` at the position it had; positions are
1..head with no gap and the chain links; an interrupted import is all or nothing;
`ansinh audit verify` exits 0; an interrupted export left no folder at its target or
one that passes tools/verify-export.py; an interrupted backup left no file at its
target or one that, restored as FOLDER/data.mdb, passes `ansinh audit verify --store
FOLDER`; after an interrupted rebuild the next commands work; no process ended by a
signal other than our SIGKILL, nor hung; every non-zero exit printed one line on
stderr. Leftover hidden partial files (.NAME.partial-*) are counted, not failed.

Exit status 0 when no failure was found, 1 otherwise (the work folder is then kept).
"""
import glob
import os
import shutil
import sys
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ beside the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

OPERATIONS = ["append", "import", "rebuild", "export", "backup"]


class Campaign:
    def __init__(self, run, args):
        self.run = run
        self.args = args
        self.rng = run.rng
        self.ansinh = None
        self.world = None
        self.stores = 0
        self.acknowledged = {}           # event id -> position, in the current store
        self.acknowledged_earlier = 0    # acknowledged events checked in earlier stores
        self.window = {}                 # operation -> (start, end) seconds after the spawn (moving average)
        self.counts = Counter()          # (operation, outcome)
        self.moments = Counter()         # (operation, inside|before|after|finished)
        self.debris = Counter()
        self.written = Counter()         # (operation, killed command's events in the log?)
        self.events = []
        self.extra_rounds = 0

    # ---- bookkeeping

    def learn(self, operation, result, scale=1.0):
        """An unkilled run's markers give the operation's window: seconds from the spawn
        to its start and to its end (a moving average, per --import-lines for imports)."""
        starts = [t for kind, _, t in result.markers if kind == "start"]
        dones = [t for kind, _, t in result.markers if kind == "done"]
        if not starts or not dones or result.killed_by_us:
            return
        window = (min(starts) / scale, max(dones) / scale)
        old = self.window.get(operation)
        self.window[operation] = window if old is None else tuple(0.7 * o + 0.3 * n for o, n in zip(old, window))

    def kill_delay(self, operation, scale=1.0):
        """When to kill, as keyword arguments of Ansinh.run: 75% aimed inside the operation,
        uniformly over its learned duration after its `start` marker appears; 25% uniformly
        over 0 .. 1.25 × its end after the spawn (before it, inside, after it, or after the
        exit)."""
        start, end = (value * scale for value in self.window[operation])
        if self.rng.random() < 0.75:
            # An operation shorter than the time it takes to see its start marker (a
            # backup of a small store, on a busy machine) ends before a kill aimed inside
            # it: after two such misses with none inside, kill as soon as it starts.
            misses = self.moments[(operation, "after")] + self.moments[(operation, "finished")]
            if misses >= 2 and self.moments[(operation, "inside")] == 0:
                return {"kill_after_start": 0.0}
            return {"kill_after_start": self.rng.uniform(0.0, max(end - start, 0.0002))}
        return {"kill_after": self.rng.uniform(0.0, 1.25 * end)}

    def learn_from_kill(self, operation, result, label, scale=1.0):
        """Killed before the operation began although aimed later: the store grew, and the
        window moved; shift it by what was seen."""
        if label == "before" and result.seconds > self.window[operation][0] * scale:
            start, end = self.window[operation]
            shift = result.seconds / scale - start
            self.window[operation] = (start + shift, end + shift)

    @staticmethod
    def classify(result):
        """What a kill interrupted, from the child's markers."""
        if not result.killed_by_us:
            return "finished"
        kinds = [kind for kind, _, _ in result.markers]
        if "start" not in kinds:
            return "before"
        # `fail`: the operation was refused (a rule) and was reporting it: nothing to interrupt.
        return "after" if "done" in kinds or "fail" in kinds else "inside"

    def moment(self, operation, result, where="", scale=1.0):
        label = self.classify(result)
        self.moments[(operation, label)] += 1
        if label == "finished":
            text = "finished (exit %d) before the kill, in %.0f ms" % (result.returncode, result.seconds * 1000)
        else:
            start, end = (value * scale * 1000 for value in self.window[operation])
            text = "killed at %.1f ms, %s the operation (its window %.1f..%.1f ms)" % (
                result.seconds * 1000, label, start, end)
        if self.args.verbose:
            self.run.note("%s: %s" % (where, text))
        self.learn_from_kill(operation, result, label, scale)
        return text

    def ended(self, result, allowed, where, killed_ok=True):
        problems = common.exit_problems(result, allowed, killed_ok=killed_ok)
        self.run.fail(where, problems)
        return not problems

    def acknowledge_output(self, command_ids, result):
        """Acknowledged: a single command's printed position is kept; an import's
        positions are filled in at the next log read."""
        position = common.reported_position(result) if len(command_ids) == 1 else None
        for event_id in command_ids:
            self.acknowledged[event_id] = position

    # ---- the invariants, after every round

    def check_store(self, where, import_ids=None):
        try:
            events = self.ansinh.read_log()
        except common.CheckError as error:
            self.run.fail(where, [str(error)])
            return False
        by_id = common.index_by_id(events)
        problems = common.gap_problems(events)
        problems += common.acknowledged_problems(self.acknowledged, by_id)
        if import_ids is not None:
            present = sum(1 for event_id in import_ids if event_id in by_id)
            if present not in (0, len(import_ids)):
                problems.append("interrupted import is partial: %d of its %d event ids are in the log"
                                % (present, len(import_ids)))
        audit = self.ansinh.audit()
        if audit:
            problems.append(audit)
        # Fill in positions of events acknowledged without a position.
        for event_id, position in list(self.acknowledged.items()):
            if position is None and event_id in by_id:
                self.acknowledged[event_id] = by_id[event_id]["position"]
        new = events[len(self.events):] if len(events) >= len(self.events) else events
        self.world.learn(new)
        self.events = events
        self.run.fail(where, problems)
        return not problems

    # ---- the operations

    def op_append(self, where):
        """Single commands one after the other; one of them (or none, when the kill
        comes after the last) is killed at a random moment of its run."""
        length = self.rng.randint(3, 12)
        commands = [self.world.recording() for _ in range(length)]
        victim = self.rng.randint(0, length)
        killed = None
        for index, command in enumerate(commands):
            kill = self.kill_delay("append") if index == victim else {}
            result = self.ansinh.run(command.argv, markers=True, **kill)
            if not self.ended(result, command.allowed, "%s, command %d/%d" % (where, index + 1, length)):
                return
            if result.killed_by_us:
                killed = (index, command, result)
                break
            self.learn("append", result)
            if result.returncode == 0:
                self.acknowledge_output([command.event_id], result)
        if killed is None:
            self.moments[("append", "finished")] += 1
            self.counts[("append", "finished")] += 1
            if self.args.verbose:
                self.run.note("%s: all %d commands finished before the kill" % (where, length))
            self.check_store(where)
            return
        index, command, result = killed
        self.counts[("append", "killed")] += 1
        self.moment("append", result, "%s, command %d/%d %s" % (where, index + 1, length, command.kind))
        if not self.check_store("%s, after killing command %d/%d (%s)" % (where, index + 1, length, command.kind)):
            return
        was_written = command.event_id in common.index_by_id(self.events)
        self.written[("append", was_written)] += 1
        # The retry with the same event id: exactly once, whatever the kill left.
        retry = self.ansinh.run(command.argv)
        allowed = {0} if was_written else command.allowed
        if not self.ended(retry, allowed, "%s, retry of killed %s (written before kill: %s)"
                          % (where, command.kind, was_written), killed_ok=False):
            return
        if retry.returncode == 0:
            self.acknowledge_output([command.event_id], retry)
        self.check_store("%s, after the retry" % where)

    def op_import(self, where):
        count = self.rng.randint(self.args.import_lines // 2, self.args.import_lines * 3 // 2)
        commands = self.world.import_lines(count)
        path = self.run.path("imports", "%s.jsonl" % where.replace(" ", "-").replace(",", ""))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        common.write_jsonl(path, commands)
        ids = [command.event_id for command in commands]
        scale = count / float(self.args.import_lines)
        result = self.ansinh.run(["import", path], markers=True, **self.kill_delay("import", scale))
        if not self.ended(result, {0}, where):
            return
        self.moment("import", result, where, scale)
        if result.killed_by_us:
            self.counts[("import", "killed")] += 1
        else:
            self.counts[("import", "finished")] += 1
            self.learn("import", result, scale)
            self.acknowledge_output(ids, result)
        if not self.check_store("%s (%d lines)" % (where, count), import_ids=ids):
            return
        if result.killed_by_us:
            self.written[("import", ids[0] in common.index_by_id(self.events))] += 1
            retry = self.ansinh.run(["import", path], markers=True)
            self.learn("import", retry, scale)
            if self.ended(retry, {0}, "%s, retry of the killed import" % where, killed_ok=False):
                self.acknowledge_output(ids, retry)
                self.check_store("%s, after the retry" % where, import_ids=ids)
        if not self.run.failures:
            os.remove(path)

    def op_rebuild(self, where):
        result = self.ansinh.run(["projections", "rebuild"], markers=True, **self.kill_delay("rebuild"))
        if not self.ended(result, {0}, where):
            return
        self.moment("rebuild", result, where)
        self.counts[("rebuild", "killed" if result.killed_by_us else "finished")] += 1
        self.learn("rebuild", result)
        # The next commands must work: a query and a recording.
        query = self.ansinh.run(["funds", "--format", "json"])
        self.ended(query, {0}, "%s, `funds` after the rebuild" % where, killed_ok=False)
        command = self.world.donate()
        record = self.ansinh.run(command.argv)
        if self.ended(record, {0}, "%s, a donation after the rebuild" % where, killed_ok=False):
            self.acknowledge_output([command.event_id], record)
        self.check_store(where)

    def op_export(self, where, number):
        target = self.run.path("exports", "e%04d" % number)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        result = self.ansinh.run(["export", "--out", target], markers=True, **self.kill_delay("export"))
        if not self.ended(result, {0}, where):
            return
        self.moment("export", result, where)
        self.counts[("export", "killed" if result.killed_by_us else "finished")] += 1
        self.learn("export", result)
        problems = []
        if os.path.exists(target):
            if not os.path.exists(os.path.join(target, "manifest.json")):
                problems.append("export left an incomplete folder %s (no manifest.json)" % target)
            else:
                complaint = common.verify_export(target)
                if complaint:
                    problems.append("export left a folder that does not verify: " + complaint)
        elif not result.killed_by_us:
            problems.append("export exited 0 but %s does not exist" % target)
        leftovers = glob.glob(os.path.join(os.path.dirname(target), ".%s.partial-*" % os.path.basename(target)))
        if leftovers:
            self.debris["export"] += 1
            if not result.killed_by_us:
                problems.append("a finished export left %s behind" % leftovers)
        self.run.fail(where, problems)
        self.check_store(where)
        if not problems and not self.run.failures:
            shutil.rmtree(target, ignore_errors=True)
            for leftover in leftovers:
                shutil.rmtree(leftover, ignore_errors=True)

    def op_backup(self, where, number):
        target = self.run.path("backups", "b%04d.mdb" % number)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        result = self.ansinh.run(["backup", "--out", target], markers=True, **self.kill_delay("backup"))
        if not self.ended(result, {0}, where):
            return
        self.moment("backup", result, where)
        self.counts[("backup", "killed" if result.killed_by_us else "finished")] += 1
        self.learn("backup", result)
        problems = []
        restored = self.run.path("backups", "restored-%04d" % number)
        if os.path.exists(target):
            os.makedirs(restored, mode=0o700)
            shutil.copyfile(target, os.path.join(restored, "data.mdb"))
            audit = self.ansinh.audit(store=restored)
            if audit:
                problems.append("backup left %s, which does not pass audit: %s" % (target, audit))
        elif not result.killed_by_us:
            problems.append("backup exited 0 but %s does not exist" % target)
        leftovers = glob.glob(target + ".partial-*")
        if leftovers:
            self.debris["backup"] += 1
            if not result.killed_by_us:
                problems.append("a finished backup left %s behind" % leftovers)
        self.run.fail(where, problems)
        self.check_store(where)
        if not problems and not self.run.failures:
            shutil.rmtree(restored, ignore_errors=True)
            for path in [target] + leftovers:
                if os.path.exists(path):
                    os.remove(path)

    # ---- the campaign

    def calibrate(self):
        """An unkilled run of each operation, for its window."""
        for index in range(3):
            command = self.world.recording()
            result = self.ansinh.run(command.argv, markers=True)
            if self.ended(result, command.allowed, "calibration", killed_ok=False):
                self.learn("append", result)
                if result.returncode == 0:
                    self.acknowledge_output([command.event_id], result)
        path = self.run.path("calibration.jsonl")
        commands = self.world.import_lines(self.args.import_lines)
        common.write_jsonl(path, commands)
        for operation, args in (("import", ["import", path]), ("rebuild", ["projections", "rebuild"]),
                                ("export", ["export", "--out", self.run.path("calibration-export")]),
                                ("backup", ["backup", "--out", self.run.path("calibration-backup.mdb")])):
            result = self.ansinh.run(args, markers=True)
            if self.ended(result, {0}, "calibration of %s" % operation, killed_ok=False):
                self.learn(operation, result)
        for event_id in (c.event_id for c in commands):
            self.acknowledged[event_id] = None
        missing = [operation for operation in OPERATIONS if operation not in self.window]
        if missing:
            self.run.fail("calibration", ["no start and done markers from %s: is ANSINH_TEST_MARKERS honoured?"
                                          % ", ".join(missing)])
            return False
        self.check_store("calibration")
        self.run.note("windows (ms after the spawn): " + ", ".join(
            "%s %.1f..%.1f" % (k, v[0] * 1000, v[1] * 1000) for k, v in sorted(self.window.items())))
        return True

    def new_store(self, index):
        """A freshly seeded store (the checks cost grows with the log: audit verify
        replays it all after every round)."""
        if index > 1:
            self.acknowledged_earlier += len(self.acknowledged)
            if not self.run.failures:
                shutil.rmtree(self.ansinh.store, ignore_errors=True)
        self.stores = index
        self.ansinh = common.Ansinh(self.run.binary, self.run.path("store-%d" % index), timeout=self.args.timeout)
        self.world = common.World(self.rng, "s%d-%d" % (self.run.seed, index))
        self.acknowledged = {}
        try:
            self.events = common.seed_store(self.ansinh, self.world)
        except common.CheckError as error:
            self.run.fail("seeding store %d" % index, [str(error)])
            return False
        return True

    def go(self):
        if not self.new_store(1) or not self.calibrate():
            return
        number = 0
        planned = [OPERATIONS[(n - 1) % len(OPERATIONS)] if self.args.order == "roundrobin" else self.rng.choice(OPERATIONS)
                   for n in range(1, self.args.rounds + 1)]
        extra = 0
        while True:
            if planned:
                operation = planned.pop(0)
            else:
                # Extra rounds, for the operations not yet killed inside --min-inside times.
                short = [op for op in OPERATIONS if self.moments[(op, "inside")] < self.args.min_inside]
                if not short or extra >= self.args.rounds:
                    break
                operation = short[extra % len(short)]
                extra += 1
            number += 1
            if self.run.failures and not self.args.keep_going:
                break
            if number > 1 and (number - 1) % self.args.fresh_store_every == 0:
                if not self.new_store(self.stores + 1):
                    return
            where = "round %d %s" % (number, operation)
            self.world.learn_balances(self.ansinh.funds())
            if operation == "export":
                self.op_export(where, number)
            elif operation == "backup":
                self.op_backup(where, number)
            else:
                getattr(self, "op_" + operation)(where)
            if number % 10 == 0 or (not planned and number >= self.args.rounds):
                self.run.note("round %d: head %d, %d acknowledged events" % (number, len(self.events), len(self.acknowledged)))
        self.extra_rounds = extra
        for operation in OPERATIONS:
            inside = self.moments[(operation, "inside")]
            if inside < self.args.min_inside:
                self.run.fail("the campaign", ["only %d kill(s) landed inside %s, fewer than --min-inside %d"
                                               % (inside, operation, self.args.min_inside)])

    def summary(self):
        per_op = []
        for operation in OPERATIONS:
            rounds = sum(v for (op, _), v in self.counts.items() if op == operation)
            moments = ", ".join("%s %d" % (label, self.moments[(operation, label)])
                                for label in ("inside", "before", "after", "finished"))
            per_op.append("%s: %d rounds (%s)" % (operation, rounds, moments))
        print("per operation (killed inside it, before it began writing, after it was complete; or finished first):")
        for line in per_op:
            print("  " + line)
        killed = sum(v for (_, outcome), v in self.counts.items() if outcome == "killed")
        finished = sum(v for (_, outcome), v in self.counts.items() if outcome == "finished")
        for operation in ("append", "import"):
            if self.written[(operation, True)] + self.written[(operation, False)]:
                print("  killed %s: events already committed in %d, not written in %d (retried: recorded once)"
                      % (operation, self.written[(operation, True)], self.written[(operation, False)]))
        if self.debris:
            print("  leftover partial files after kills (not failures): %s" % common.format_counts(self.debris))
        inside = sum(v for (_, label), v in self.moments.items() if label == "inside")
        return ("%d rounds (%d extra): %d killed, %d of them inside the operation, %d finished before the kill; "
                "%d store(s), last head %d, %d acknowledged events checked"
                % (killed + finished, self.extra_rounds, killed, inside, finished, self.stores, len(self.events),
                   self.acknowledged_earlier + len(self.acknowledged)))


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="rounds (default: 20)")
    parser.add_argument("--order", choices=["roundrobin", "random"], default="roundrobin",
                        help="which operation each round (default: roundrobin)")
    parser.add_argument("--import-lines", type=int, default=2000,
                        help="typical lines per import; each is 50%%..150%% of it (default: 2000)")
    parser.add_argument("--fresh-store-every", type=int, default=25,
                        help="start a freshly seeded store every N rounds, to bound the cost of the checks (default: 25)")
    parser.add_argument("--min-inside", type=int, default=0,
                        help="fail unless every operation was killed inside at least K times; extra rounds (at most "
                             "--rounds more) are run for the ones short of it (default: 0)")
    parser.add_argument("--verbose", action="store_true", help="print every round's kill moment")
    parser.add_argument("--keep-going", action="store_true", help="go on after a failing round")
    args = parser.parse_args()
    run = common.Run("crash_campaign", args)
    campaign = Campaign(run, args)
    try:
        campaign.go()
    except KeyboardInterrupt:
        run.fail("interrupted", ["interrupted by the user"])
    return run.finish(campaign.summary())


if __name__ == "__main__":
    sys.exit(main())
