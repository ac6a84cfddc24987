#!/usr/bin/env python3
"""Durability against power loss: every acknowledged event is on the disk, not only in
the page cache, when ansinh says it is recorded.

    tools/reliability/durability.py --ansinh /path/to/ansinh [--seed N] [--rounds N] [--logstress PATH]

A SIGKILL leaves committed pages in the page cache, so the crash campaign would still
pass if the flush were removed. This tool watches the flushes instead. It runs, each
under `strace -f -y -xx` into a trace file of its own, starting from an empty folder:
`ansinh init`, a recording command of every kind (fund open, member enrol, piggybank
start, deposit, donate, pledge make and cancel, disburse, external record, reverse,
member leave, piggybank close), each with --event-id, and an `ansinh import` of a few
hundred lines, one after the other. It parses the traces, in order, into one journal
of the writes to that store's `data.mdb` (offset and bytes, through write, writev,
pwrite64, pwritev, with lseek followed), its flushes (fsync, fdatasync, msync of a
mapping of it, sync, syncfs; a write through a descriptor opened with O_DSYNC or
O_SYNC is durable when it returns; a call strace marks `(INJECTED)` was not made) and
the acknowledgements (a process's first write to its standard output, or its
exit_group(0) when it printed nothing; only for commands that exit 0). Then:

  - the journal is complete: replaying every write in order gives a file
    byte-identical to the real `data.mdb` (else the tool fails: a write was missed);
  - at every acknowledgement, every write the acknowledging process made to
    `data.mdb` before it was durable by then (its pages and its meta page flushed);
  - at every acknowledgement, the file as a power cut would leave it at that instant
    (the writes durable by then, in order, and none of the others) holds the
    acknowledged event, at the position it was acknowledged with;
  - at every flush boundary after `init` was acknowledged, that power-cut file passes
    `ansinh audit verify`, and `ansinh log --format json` holds every event
    acknowledged before the boundary, at its position.

Each power-cut file is checked in a scratch folder beside a copy of the store's other
files (`store-id`; no `lock.mdb`); identical files are checked once (SHA-256).

The same analysis runs on `ansinh-logstress` (its acknowledgements are its
`ack POSITION EVENT_ID` lines; `ansinh-logstress STORE --list` verifies a store and
lists its events): with sync it must pass, and two negative controls must be caught,
else the tool fails (a checker that catches nothing proves nothing):

  no-sync   `ansinh-logstress STORE STREAM BATCHES PER_BATCH --no-sync` on a copy of the
            synced store (MDB_NOSYNC, as the crash test's --no-sync rounds): its
            acknowledged events must be missing from the power-cut files;
  skipped   one ansinh recording command on a copy of the ansinh store, run under
            `strace -e inject=fdatasync:retval=0` (every flush skipped, reported done):
            its acknowledged event must be missing from the power-cut file.

The model is the pessimistic one of a power cut: nothing reaches the disk that was not
flushed (a real disk may keep more, in any order, which LMDB's ordering of page flush
then meta page is meant to survive; that is not tried here). The store's other files
and the folder's entries are not modelled; the tool assumes one process (with its
threads) per trace: every traced command's children would share its descriptor table.

Exit status 0 when no failure was found and both controls were caught, 1 otherwise (the
work folder, with the traces, is then kept).
"""
import collections
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # no __pycache__ beside the tools
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

STRACE_SYSCALLS = [
    "open", "openat", "creat", "close", "dup", "dup2", "dup3", "fcntl", "lseek",
    "write", "writev", "pwrite64", "pwritev", "pwritev2",
    "fsync", "fdatasync", "msync", "sync", "syncfs", "mmap",
    "ftruncate", "truncate", "fallocate", "copy_file_range", "sendfile", "exit_group",
]
STRING_BYTES_MAX = 1 << 22   # strace -s: longer strings would be cut, and the journal incomplete
PROBLEMS_SHOWN_MAX = 6        # per scenario and invariant; the rest are counted
DSYNC = "a write through an O_DSYNC descriptor"


# --------------------------------------------------------------------------- the journal


class Write:
    """One write to data.mdb: where, what, by which command, and when it became durable
    (the journal index of the flush that covered it, or its own for an O_DSYNC write)."""
    __slots__ = ("index", "offset", "data", "command", "durable_at", "line")

    def __init__(self, index, offset, data, command, line):
        self.index = index
        self.offset = offset
        self.data = data
        self.command = command
        self.line = line
        self.durable_at = None


class Ack:
    """An acknowledgement: `events` is a list of [event id, position or None]."""
    __slots__ = ("index", "command", "events", "line")

    def __init__(self, index, command, events, line):
        self.index = index
        self.command = command
        self.events = events
        self.line = line


class Command:
    """One traced process: its argv, trace file, result and how it acknowledges."""

    def __init__(self, label, argv, trace, acknowledges):
        self.label = label
        self.argv = argv
        self.trace = trace
        self.acknowledges = acknowledges   # "first-output" (ansinh) or "ack-lines" (logstress)
        self.event_ids = []                # what a first-output acknowledgement covers
        self.result = None

    def describe(self):
        text = " ".join(common.shell_quote(arg) for arg in self.argv[1:])
        return "`%s %s`" % (os.path.basename(self.argv[0]), text if len(text) < 90 else text[:87] + "...")


class Journal:
    """The writes, flushes and acknowledgements of one store's data.mdb, in order."""

    def __init__(self, data_path, base):
        self.data_path = data_path
        self.base = base              # bytes of data.mdb before the first traced command, or None
        # ("write", Write) | ("flush", how, command, line, [Write it made durable]) | ("ack", Ack)
        self.entries = []
        self.pending = []             # writes not yet durable
        self.skipped_flushes = 0      # flushes strace injected (not made)

    def write(self, offset, data, command, line, durable):
        """A write; one through an O_DSYNC descriptor is durable on return: a flush of
        that write alone follows it."""
        write = Write(len(self.entries), offset, data, command, line)
        self.entries.append(("write", write))
        if durable:
            write.durable_at = len(self.entries)
            self.entries.append(("flush", DSYNC, command, line, [write]))
        else:
            self.pending.append(write)

    def flush(self, how, command, line):
        """A flush of data.mdb: every write made before it is durable."""
        covered, self.pending = self.pending, []
        for write in covered:
            write.durable_at = len(self.entries)
        self.entries.append(("flush", how, command, line, covered))

    def ack(self, command, events, line):
        self.entries.append(("ack", Ack(len(self.entries), command, events, line)))

    def writes(self):
        return [entry[1] for entry in self.entries if entry[0] == "write"]

    def count(self, kind):
        return sum(1 for entry in self.entries if entry[0] == kind)

    def dsync_writes(self):
        return sum(1 for entry in self.entries if entry[0] == "flush" and entry[1] == DSYNC)


# --------------------------------------------------------------------------- reading traces


class TraceError(Exception):
    pass


HEX = re.compile(r"\\x([0-9a-f]{2})")
STRING = r'"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?'
FD = r"(-?\d+)(?:<([^>]*)>)?"
LINE = re.compile(r"^(\d+) +(.*)$")
CALL = re.compile(r"^(\w+)\((.*)\) += (-?\d+|\?|0x[0-9a-f]+)(.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
UNFINISHED = " <unfinished ...>"
IOV = re.compile(r"iov_base=" + STRING)
ARGS = {
    "write": re.compile(r"^" + FD + r", " + STRING + r", (\d+)$"),
    "pwrite64": re.compile(r"^" + FD + r", " + STRING + r", (\d+), (-?\d+)$"),
    "writev": re.compile(r"^" + FD + r", \[(.*)\], (\d+)$"),
    "pwritev": re.compile(r"^" + FD + r", \[(.*)\], (\d+), (-?\d+)$"),
    "pwritev2": re.compile(r"^" + FD + r", \[(.*)\], (\d+), (-?\d+), [^,]+$"),
    "lseek": re.compile(r"^" + FD + r", (-?\d+), (SEEK_\w+)$"),
    "mmap": re.compile(r"^(?:NULL|0x[0-9a-f]+), (\d+), ([A-Z_|]+), ([A-Z_|]+), " + FD + r", (0x[0-9a-f]+|\d+)$"),
    "msync": re.compile(r"^(0x[0-9a-f]+), (\d+), ([A-Z_|]+)$"),
}


def unhex(text):
    """A string or path as strace -xx prints it: every byte as \\xHH (other characters,
    as in `pipe:[123]`, stand for themselves)."""
    if text is None:
        return None
    if text.count("\\x") * 4 == len(text):
        return bytes.fromhex(text.replace("\\x", ""))
    out = bytearray()
    position = 0
    for match in HEX.finditer(text):
        out += text[position:match.start()].encode("utf-8")
        out.append(int(match.group(1), 16))
        position = match.end()
    out += text[position:].encode("utf-8")
    return bytes(out)


class Description:
    """An open file description: shared by dup'ed descriptors, with its own offset."""

    def __init__(self, path, sync, append):
        self.path = path
        self.sync = sync
        self.append = append
        self.offset = 0


class TraceReader:
    """Reads one strace -f -y -xx output file into the journal."""

    def __init__(self, journal, command):
        self.journal = journal
        self.command = command
        self.data_path = os.fsencode(journal.data_path)
        self.fds = {}
        self.maps = []              # (start, end) of mappings of data.mdb
        self.acknowledged = False
        self.exit_status = None

    def fail(self, number, text):
        raise TraceError("%s, line %d: %s" % (self.command.trace, number, text))

    def read(self):
        pending = {}
        number = 0
        with open(self.command.trace, encoding="utf-8", errors="surrogateescape") as file:
            for number, raw in enumerate(file, 1):
                match = LINE.match(raw.rstrip("\n"))
                if not match:
                    continue
                pid, text = match.groups()
                if text.endswith(UNFINISHED):
                    pending[pid] = text[:-len(UNFINISHED)]
                    continue
                resumed = RESUMED.match(text)
                if resumed:
                    if pid not in pending:
                        self.fail(number, "a resumed %s without its start" % resumed.group(1))
                    text = pending.pop(pid) + resumed.group(2)
                if text.startswith("+++") or text.startswith("---"):
                    continue
                call = CALL.match(text)
                if call:
                    self.call(number, *call.groups())
        if self.command.acknowledges == "first-output" and not self.acknowledged and self.exit_status == 0:
            self.fail(number, "the process exited 0 without writing to its output or calling exit_group")

    def call(self, number, name, args, result, rest):
        handler = getattr(self, "on_" + name, None)
        if handler is None or "(INJECTED)" in rest:
            if name in ("fsync", "fdatasync", "msync") and "(INJECTED)" in rest:
                self.journal.skipped_flushes += 1
            return
        if result == "?":
            if name == "exit_group":
                handler(number, args, None, rest)
            return
        value = int(result, 0)
        if value < 0:
            return
        handler(number, args, value, rest)

    def parse(self, number, name, args):
        match = ARGS[name].match(args)
        if not match:
            self.fail(number, "cannot read the arguments of %s(%s)" % (name, args[:200]))
        return match.groups()

    def is_data(self, path_text):
        return unhex(path_text) == self.data_path

    # ---- descriptors

    def opened(self, number, flags, result, rest):
        path = unhex(rest.strip()[1:-1]) if rest.strip().startswith("<") else None
        description = Description(path, "O_DSYNC" in flags or "O_SYNC" in flags, "O_APPEND" in flags)
        if path == self.data_path and "O_TRUNC" in flags:
            self.fail(number, "data.mdb opened with O_TRUNC: truncation is not modelled")
        self.fds[result] = description

    def on_openat(self, number, args, result, rest):
        self.opened(number, args.split(", ")[2] if args.count(", ") >= 2 else "", result, rest)

    def on_open(self, number, args, result, rest):
        self.opened(number, args.split(", ")[1] if args.count(", ") >= 1 else "", result, rest)

    def on_creat(self, number, args, result, rest):
        self.opened(number, "O_CREAT|O_WRONLY|O_TRUNC", result, rest)

    def on_close(self, number, args, result, rest):
        self.fds.pop(int(args.split("<")[0]), None)

    def duplicated(self, old, new):
        if old in self.fds:
            self.fds[new] = self.fds[old]

    def on_dup(self, number, args, result, rest):
        self.duplicated(int(args.split("<")[0]), result)

    on_dup2 = on_dup3 = on_dup

    def on_fcntl(self, number, args, result, rest):
        if "F_DUPFD" in args:
            self.duplicated(int(args.split("<")[0]), result)

    def description(self, number, fd, path_text):
        description = self.fds.get(int(fd))
        if description is None or description.path != unhex(path_text):
            self.fail(number, "descriptor %s (%s) was opened before the trace began"
                      % (fd, os.fsdecode(unhex(path_text) or b"?")))
        return description

    def on_lseek(self, number, args, result, rest):
        fd, path, _, _ = self.parse(number, "lseek", args)
        if self.is_data(path):
            self.description(number, fd, path).offset = result

    # ---- writes

    def written(self, number, fd, path, data, result, offset=None):
        if int(fd) == 1:
            self.output(number, data[:result])
        if not self.is_data(path):
            return
        if len(data) < result:
            self.fail(number, "only %d of the %d bytes written are in the trace (cut short: raise strace -s)"
                      % (len(data), result))
        description = self.description(number, fd, path)
        if offset is None:
            if description.append:
                self.fail(number, "data.mdb opened with O_APPEND: not modelled")
            offset = description.offset
            description.offset += result
        if result:
            self.journal.write(offset, data[:result], self.command, number, description.sync)

    @staticmethod
    def iov(text):
        return b"".join(unhex(part[0]) for part in IOV.findall(text))

    def on_write(self, number, args, result, rest):
        fd, path, text, _, _ = self.parse(number, "write", args)
        self.written(number, fd, path, unhex(text), result)

    def on_pwrite64(self, number, args, result, rest):
        fd, path, text, _, _, offset = self.parse(number, "pwrite64", args)
        self.written(number, fd, path, unhex(text), result, int(offset))

    def on_writev(self, number, args, result, rest):
        fd, path, iov, _ = self.parse(number, "writev", args)
        self.written(number, fd, path, self.iov(iov), result)

    def on_pwritev(self, number, args, result, rest):
        fd, path, iov, _, offset = self.parse(number, "pwritev", args)
        self.written(number, fd, path, self.iov(iov), result, int(offset))

    def on_pwritev2(self, number, args, result, rest):
        fd, path, iov, _, offset = self.parse(number, "pwritev2", args)
        self.written(number, fd, path, self.iov(iov), result, int(offset) if int(offset) >= 0 else None)

    def unsupported(self, number, name, args):
        match = re.match(FD, args)
        if match and self.is_data(match.group(2)):
            self.fail(number, "%s on data.mdb is not modelled" % name)

    def on_ftruncate(self, number, args, result, rest):
        self.unsupported(number, "ftruncate", args)

    on_fallocate = on_ftruncate

    def on_truncate(self, number, args, result, rest):
        if unhex(args.split(", ")[0].strip('"')) == self.data_path:
            self.fail(number, "truncate of data.mdb is not modelled")

    def on_copy_file_range(self, number, args, result, rest):
        parts = args.split(", ")
        if len(parts) > 2 and self.is_data(re.match(FD, parts[2]).group(2)):
            self.fail(number, "copy_file_range into data.mdb is not modelled")

    def on_sendfile(self, number, args, result, rest):
        self.unsupported(number, "sendfile", args)

    # ---- flushes

    def on_fsync(self, number, args, result, rest, name="fsync"):
        match = re.match(FD, args)
        if match and self.is_data(match.group(2)):
            self.journal.flush(name, self.command, number)

    def on_fdatasync(self, number, args, result, rest):
        self.on_fsync(number, args, result, rest, "fdatasync")

    def on_sync(self, number, args, result, rest):
        self.journal.flush("sync", self.command, number)

    def on_syncfs(self, number, args, result, rest):
        self.journal.flush("syncfs", self.command, number)

    def on_mmap(self, number, args, result, rest):
        length, protection, flags, fd, path, _ = self.parse(number, "mmap", args)
        if self.is_data(path) and "MAP_SHARED" in flags and "PROT_WRITE" in protection:
            self.fail(number, "data.mdb mapped writable: writes through the map are not in the trace")
        if self.is_data(path):
            self.maps.append((result, result + int(length)))

    def on_msync(self, number, args, result, rest):
        address, length, flags = self.parse(number, "msync", args)
        start = int(address, 16)
        if "MS_SYNC" in flags and any(low <= start < high for low, high in self.maps):
            self.journal.flush("msync", self.command, number)

    # ---- acknowledgements

    def output(self, number, data):
        if self.command.acknowledges == "ack-lines":
            events = []
            for line in data.decode("utf-8", "replace").split("\n"):
                fields = line.split()
                if len(fields) == 3 and fields[0] == "ack" and fields[1].isdigit():
                    events.append([fields[2].lower(), int(fields[1])])
            if events:
                self.journal.ack(self.command, events, number)
        elif not self.acknowledged and self.command.result.returncode == 0:
            self.acknowledge(number, data)

    def acknowledge(self, number, data):
        self.acknowledged = True
        position = None
        match = common.POSITION.search(data)
        if match and len(self.command.event_ids) == 1:
            position = int(match.group(1))
        self.journal.ack(self.command, [[event_id, position] for event_id in self.command.event_ids], number)

    def on_exit_group(self, number, args, result, rest):
        self.exit_status = int(args)
        if (self.command.acknowledges == "first-output" and not self.acknowledged and self.exit_status == 0
                and self.command.result.returncode == 0):
            self.acknowledge(number, b"")


# --------------------------------------------------------------------------- power-cut images


class ImageReader:
    """Opens power-cut files of one store in scratch folders and says what they hold.
    Identical files (by SHA-256) are read once."""

    def __init__(self, run, kind, store, binary):
        self.run = run
        self.kind = kind           # "ansinh" or "logstress"
        self.store = store
        self.binary = binary
        self.listings = {}         # sha256 -> (events {id: position} or None, reason)
        self.audits = {}           # sha256 -> None (passed) or reason
        self.side_files = sorted(name for name in os.listdir(store)
                                 if name not in ("data.mdb", "lock.mdb") and not name.startswith("."))

    def scratch(self, digest):
        folder = self.run.path("power-cut", digest[:16])
        if os.path.isdir(folder):
            return folder
        os.makedirs(folder)
        for name in self.side_files:
            shutil.copy2(os.path.join(self.store, name), os.path.join(folder, name))
        return folder

    def place(self, image, digest):
        folder = self.scratch(digest)
        for name in ("data.mdb", "lock.mdb"):
            if os.path.exists(os.path.join(folder, name)):
                os.remove(os.path.join(folder, name))
        if image is not None:
            with open(os.path.join(folder, "data.mdb"), "wb") as file:
                file.write(image)
        return folder

    def execute(self, argv):
        try:
            result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    timeout=self.run.args.timeout, env=dict(os.environ, LC_ALL="C.UTF-8"))
        except subprocess.TimeoutExpired:
            return None, "no answer within %.0f s" % self.run.args.timeout
        if result.returncode != 0:
            reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
            return None, "exit %d: %s" % (result.returncode, reason[0] if reason else "(nothing on stderr)")
        return result.stdout, None

    def list_events(self, image, digest):
        """({event id: position}, None), or (None, why the file could not be read)."""
        if image is None:
            return None, "the power-cut file is empty: no write to data.mdb was flushed by then"
        folder = self.place(image, digest)
        if self.kind == "logstress":
            out, reason = self.execute([self.binary, folder, "--list"])
            if out is None:
                return None, "`ansinh-logstress --list` " + reason
            return {fields[1]: int(fields[0]) for fields in (line.split() for line in out.decode().splitlines())}, None
        out, reason = self.execute([self.binary, "log", "--format", "json", "--store", folder])
        if out is None:
            return None, "`ansinh log --format json` " + reason
        try:
            return {event["eventId"].lower(): event["position"] for event in json.loads(out)}, None
        except (ValueError, KeyError, TypeError) as error:
            return None, "`ansinh log --format json` printed no valid listing: %s" % error

    def audit(self, image, digest):
        """None when the file passes `ansinh audit verify` (logstress: `--list` verifies)."""
        if self.kind == "logstress":
            return self.listings[digest][1]
        if image is None:
            return "the power-cut file is empty: no write to data.mdb was flushed by then"
        folder = self.place(image, digest)
        out, reason = self.execute([self.binary, "audit", "verify", "--store", folder])
        return None if out is not None else "`ansinh audit verify` " + reason

    def check(self, digest, image):
        """Reads and audits one image; only the power-cut files that failed are kept."""
        self.listings[digest] = self.list_events(image, digest)
        self.audits[digest] = self.audit(image, digest)
        if self.listings[digest][0] is not None and self.audits[digest] is None:
            shutil.rmtree(self.run.path("power-cut", digest[:16]), ignore_errors=True)

    def check_all(self, images):
        """Checks each distinct image of the iterable of (digest, image), --jobs at a time,
        holding only a few images in memory at once."""
        pending = collections.deque()
        with ThreadPoolExecutor(max_workers=self.run.args.jobs) as pool:
            for digest, image in images:
                if digest in self.listings:
                    continue
                self.listings[digest] = None          # claimed
                pending.append(pool.submit(self.check, digest, image))
                while len(pending) > 2 * self.run.args.jobs:
                    pending.popleft().result()
            while pending:
                pending.popleft().result()


class Images:
    """The power-cut file at each moment of the journal: the base, then every write
    durable by then, in journal order."""

    def __init__(self, journal):
        self.journal = journal
        self.image = None if journal.base is None else bytearray(journal.base)
        self.applied = []            # writes in the image, in journal order
        self.last = None             # (digest, bytes) of the image as it stands

    def advance(self, newly):
        """Adds the writes a flush made durable."""
        if not newly:
            return
        self.last = None
        if self.applied and newly[0].index < self.applied[-1].index:
            # A write flushed after a later one was already durable (written through
            # an O_DSYNC descriptor): rebuild in journal order.
            self.applied = sorted(self.applied + newly, key=lambda write: write.index)
            self.image = None if self.journal.base is None else bytearray(self.journal.base)
            for write in self.applied:
                self.apply(write)
        else:
            for write in newly:
                self.apply(write)
            self.applied += newly

    def apply(self, write):
        if self.image is None:
            self.image = bytearray()
        end = write.offset + len(write.data)
        if len(self.image) < end:
            self.image.extend(bytes(end - len(self.image)))
        self.image[write.offset:end] = write.data

    def snapshot(self):
        if self.last is None:
            data = None if self.image is None else bytes(self.image)
            self.last = (hashlib.sha256(b"none" if data is None else b"file" + data).hexdigest(), data)
        return self.last


def replay_all(journal):
    image = bytearray(journal.base or b"")
    for write in journal.writes():
        end = write.offset + len(write.data)
        if len(image) < end:
            image.extend(bytes(end - len(image)))
        image[write.offset:end] = write.data
    return bytes(image)


# --------------------------------------------------------------------------- one scenario


class Scenario:
    """Traced commands on one store, and the analysis of their journal."""

    def __init__(self, tool, name, store, kind, expect_clean, base_from=None):
        self.tool = tool
        self.run = tool.run
        self.name = name
        self.store = store
        self.kind = kind
        self.expect_clean = expect_clean
        self.commands = []
        if base_from:
            os.makedirs(store)
            for entry in os.listdir(base_from):
                if entry != "lock.mdb" and not entry.startswith("."):
                    shutil.copy2(os.path.join(base_from, entry), os.path.join(store, entry))
        # The base: what a copied store holds before the first traced command, taken as
        # durable. strace -y names files by their real path.
        base = self.real_image() if base_from else None
        self.journal = Journal(os.path.join(os.path.realpath(store), "data.mdb"), base)
        self.problems = {}          # invariant -> [problem]
        self.images_checked = 0
        self.images_distinct = 0

    def trace(self, label, argv, acknowledges="first-output", event_ids=(), inject=False, allowed=(0,)):
        """Runs `argv` under strace into a trace file of its own; a status outside
        `allowed` stops the run (the commands are made to pass)."""
        number = len(self.tool.commands_traced) + 1
        command = Command(label, argv, self.run.path("traces", "%03d-%s-%s.trace" % (number, self.name, label)),
                          acknowledges)
        command.event_ids = [event_id.lower() for event_id in event_ids]
        os.makedirs(os.path.dirname(command.trace), exist_ok=True)
        strace = [self.tool.strace, "-f", "-y", "-xx", "-s", str(STRING_BYTES_MAX),
                  "-e", "trace=" + ",".join(STRACE_SYSCALLS), "-o", command.trace]
        if inject:
            strace += ["-e", "inject=fdatasync:retval=0"]
        started = time.monotonic()
        try:
            completed = subprocess.run(strace + ["--"] + argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, timeout=self.run.args.timeout, env=self.tool.env)
            result = common.Result(argv, completed.returncode, completed.stdout, completed.stderr,
                                   time.monotonic() - started)
        except subprocess.TimeoutExpired as expired:
            result = common.Result(argv, None, expired.stdout or b"", expired.stderr or b"",
                                   time.monotonic() - started, timed_out=True)
        command.result = result
        self.commands.append(command)
        self.tool.commands_traced.append(command)
        if result.stderr.startswith(b"strace:"):
            raise common.CheckError("strace could not trace %s: %s" % (command.describe(), result.stderr_text.strip()))
        problems = common.exit_problems(result, set(allowed))
        if problems:
            raise common.CheckError("%s: %s" % (self.name, problems[0]))
        return command

    def read_traces(self):
        for command in self.commands:
            TraceReader(self.journal, command).read()

    def complain(self, invariant, text):
        self.problems.setdefault(invariant, []).append(text)

    def self_check(self):
        """Replaying every traced write must give the real data.mdb, byte for byte."""
        real = self.real_image()
        replayed = replay_all(self.journal)
        if replayed == real:
            return True
        first = next((i for i, (a, b) in enumerate(zip(replayed, real)) if a != b), min(len(real), len(replayed)))
        self.run.fail("%s, self-check of the journal" % self.name, [
            "the journal is incomplete: replaying the %d traced writes gives %d bytes, data.mdb has %d, "
            "first difference at offset %d (page %d): a write to data.mdb was not seen in the traces"
            % (len(self.journal.writes()), len(replayed), len(real), first, first // 4096)])
        return False

    def check_real_store(self, reader):
        """The real store (a copy of it) passes the audit and holds every acknowledged
        event at its position; events acknowledged without one (an import's) take the
        position it gives them."""
        digest = "real-" + self.name
        listing, reason = reader.list_events(self.real_image(), digest)
        reader.listings[digest] = (listing, reason)
        audit = reader.audit(self.real_image(), digest)
        if listing is None or audit:
            self.run.fail("%s, the real store" % self.name, [reason or audit])
            return
        for entry in self.journal.entries:
            if entry[0] == "ack":
                for event in entry[1].events:
                    if event[1] is None:
                        event[1] = listing.get(event[0])
                    if listing.get(event[0]) != event[1]:
                        self.run.fail("%s, the real store" % self.name, [
                            "%s acknowledged event %s at position %s; the real store has it at %s"
                            % (entry[1].command.describe(), event[0], event[1], listing.get(event[0]))])

    def real_image(self):
        with open(os.path.join(self.store, "data.mdb"), "rb") as file:
            return file.read()

    def walk(self):
        """Yields (entry, digest, image) along the journal: the power-cut file after
        each flush and at each acknowledgement."""
        images = Images(self.journal)
        for entry in self.journal.entries:
            if entry[0] == "flush":
                images.advance(entry[4])
            if entry[0] != "write":
                digest, image = images.snapshot()
                yield entry, digest, image

    def analyse(self, reader):
        """Checks the power-cut file at every acknowledgement and flush boundary from the
        first acknowledgement on (before it, as during `init`, nothing was promised)."""
        checkpoints = []             # (entry, digest, size of the file or None)

        def images():
            for entry, digest, image in self.walk():
                if checkpoints or entry[0] == "ack":
                    checkpoints.append((entry, digest, None if image is None else len(image)))
                    yield digest, image
        reader.check_all(images())
        self.images_distinct = len({digest for _, digest, _ in checkpoints})
        acknowledged = {}            # event id -> (position, Ack)
        for entry, digest, size in checkpoints:
            self.images_checked += 1
            listing, reason = reader.listings[digest]
            audit = reader.audits[digest]
            if self.run.args.verbose:
                self.explain(entry, digest, size, listing, reason, audit)
            if entry[0] == "ack":
                ack = entry[1]
                where = "power cut at the acknowledgement (trace line %d) of %s" % (ack.line, ack.command.describe())
                self.check_flushed_before(ack)
                for event_id, position in ack.events:
                    acknowledged[event_id] = (position, ack)
                    self.check_held(listing, reason, event_id, position, where,
                                    "acknowledged event in the power-cut file")
            else:
                _, how, command, line, _ = entry
                where = "power cut after %s by %s (trace line %d)" % (how, command.describe(), line)
                for event_id, (position, ack) in acknowledged.items():
                    if not self.check_held(listing, reason, event_id, position, where,
                                           "earlier acknowledged events in the power-cut file", ack):
                        break
            if audit:
                self.complain("power-cut file passes the audit", "%s: %s" % (where, audit))

    def explain(self, entry, digest, size, listing, reason, audit):
        if entry[0] == "ack":
            moment = "ack of %d event(s) by %s" % (len(entry[1].events), entry[1].command.label)
        else:
            moment = "%s by %s" % (entry[1], entry[2].label)
        held = reason if listing is None else "%d events" % len(listing)
        self.run.note("%s: %-62s file %s (%s bytes): %s; audit: %s" % (
            self.name, moment[:62], digest[:10], "-" if size is None else size, held,
            "passed" if audit is None else audit))

    def check_flushed_before(self, ack):
        late = [write for write in self.journal.writes()
                if write.command is ack.command and write.index < ack.index
                and (write.durable_at is None or write.durable_at > ack.index)]
        if late:
            self.complain("writes flushed before the acknowledgement", (
                "%s acknowledged %d event(s) (trace line %d) while %d of its writes to data.mdb (%d bytes, "
                "offsets %s) were not yet flushed: a power cut then loses them"
                % (ack.command.describe(), len(ack.events), ack.line, len(late), sum(len(w.data) for w in late),
                   ", ".join(str(w.offset) for w in late[:4]) + (", ..." if len(late) > 4 else ""))))

    def check_held(self, listing, reason, event_id, position, where, invariant, earlier=None):
        """Whether the power-cut file holds `event_id` at `position`; else a complaint."""
        event = "acknowledged event %s (position %s%s)" % (
            event_id, position, ", by %s" % earlier.command.describe() if earlier else "")
        if listing is None:
            self.complain(invariant, "%s: %s is missing: the power-cut file cannot be read: %s" % (where, event, reason))
        elif event_id not in listing:
            self.complain(invariant, "%s: %s is missing from the power-cut file, which holds %d events"
                          % (where, event, len(listing)))
        elif position is not None and listing[event_id] != position:
            self.complain(invariant, "%s: %s is at position %d in the power-cut file" % (where, event, listing[event_id]))
        else:
            return True
        return False

    def report(self):
        """Failures for a scenario expected to pass; for a control, whether it was caught."""
        if self.expect_clean:
            for invariant, problems in sorted(self.problems.items()):
                shown = problems[:PROBLEMS_SHOWN_MAX]
                if len(problems) > len(shown):
                    shown[-1] += " (and %d more like it)" % (len(problems) - len(shown))
                self.run.fail("%s, %s" % (self.name, invariant), shown)
            return None
        missing = self.problems.get("acknowledged event in the power-cut file", [])
        if not missing:
            self.run.fail("control %s" % self.name, [
                "NOT CAUGHT: the analysis found no acknowledged event missing from the power-cut files of %s; "
                "a checker that misses this proves nothing" % ", ".join(c.describe() for c in self.commands)])
            return None
        others = sum(len(problems) for problems in self.problems.values())
        self.run.note("control %s caught: %d acknowledged event(s) missing (%d findings in all), first: %s"
                      % (self.name, len(missing), others, missing[0]))
        return len(missing)


# --------------------------------------------------------------------------- the run


class Tool:
    def __init__(self, run, args):
        self.run = run
        self.args = args
        self.rng = run.rng
        self.strace = shutil.which(args.strace) if os.sep not in args.strace else args.strace
        if not self.strace:
            sys.exit("cannot find strace at %r (Debian: apt-get install strace)" % args.strace)
        self.logstress = args.logstress or os.path.join(os.path.dirname(run.binary), "ansinh-logstress")
        if not os.access(self.logstress, os.X_OK):
            sys.exit("cannot find an executable ansinh-logstress at %r (give --logstress PATH)" % self.logstress)
        self.env = dict(os.environ, ANSINH_ACTOR=common.ACTOR, LC_ALL="C.UTF-8")
        self.env.pop("ANSINH_STORE", None)
        self.commands_traced = []
        self.scenarios = []
        self.caught = {}

    def ansinh(self, scenario, label, args, event_ids=(), inject=False, allowed=(0,)):
        return scenario.trace(label, [self.run.binary] + list(args) + ["--store", scenario.store],
                              event_ids=event_ids, inject=inject, allowed=allowed)

    def record(self, scenario, world, command, inject=False):
        traced = self.ansinh(scenario, command.kind, command.argv, [command.event_id], inject=inject,
                             allowed=command.allowed)
        if traced.result.returncode == 0:
            world.learn([command.line()])
            if command.event_type == "DisbursementMade":
                world.balances[command.data["fundId"]] -= command.data["amount"]
        return traced

    # ---- the commands

    def ansinh_store(self):
        scenario = Scenario(self, "ansinh", self.run.path("store"), "ansinh", expect_clean=True)
        world = common.World(self.rng, "d")
        self.ansinh(scenario, "init", ["init", "--ward", "Núi Sam", "--province", "An Giang"])
        for round_number in range(1, self.args.rounds + 1):
            for command in self.recordings(world, first=round_number == 1):
                self.record(scenario, world, command)
            lines = world.import_lines(self.args.import_lines)
            path = self.run.path("import-%d.jsonl" % round_number)
            common.write_jsonl(path, lines)
            self.ansinh(scenario, "import", ["import", path], [line.event_id for line in lines])
        self.record(scenario, world, self.crafted(
            "close", "PiggyBankModelClosed",
            {"modelId": common.REL_MODEL, "closedOn": "2025-12-01", "decisionRef": "Quyết định thử"},
            ["piggybank", "close", common.REL_MODEL, "--decision", "Quyết định thử", "--date", "2025-12-01"]))
        return scenario, world

    def crafted(self, kind, event_type, data, argv):
        event_id = common.new_uuid(self.rng)
        return common.Command(kind, event_type, data, event_id, argv + ["--event-id", event_id])

    def recordings(self, world, first):
        """A command of every kind, one after the other, each passing the rules (the
        first round opens the fund and starts the model the others deposit into)."""
        fund = common.REL_MODEL_FUND
        if first:
            yield self.crafted("fund", "FundOpened",
                               {"fundId": fund, "name": "Quỹ an sinh Đảng bộ", "openedOn": "2024-10-01",
                                "openingBalance": 5000000},
                               ["fund", "open", fund, "--name", "Quỹ an sinh Đảng bộ", "--opening-balance",
                                "5.000.000", "--date", "2024-10-01"])
            world.balances[fund] = 5000000
        yield world.open_fund()
        for _ in range(3):
            yield world.enrol()
        if first:
            yield self.crafted("start", "PiggyBankModelStarted",
                               {"modelId": common.REL_MODEL, "name": "Ống heo (thử)", "fundId": fund,
                                "startsOn": common.REL_MODEL_START, "endsOn": common.REL_MODEL_END,
                                "dailyTarget": 1000},
                               ["piggybank", "start", common.REL_MODEL, "--name", "Ống heo (thử)", "--fund", fund,
                                "--starts", common.REL_MODEL_START, "--ends", common.REL_MODEL_END])
        yield world.deposit()
        yield world.donate()
        yield world.donate()
        pledge = world.pledge()
        yield pledge
        yield self.crafted("cancel", "PledgeCancelled",
                           {"pledgeId": pledge.data["pledgeId"], "cancelledOn": "2025-12-01", "reason": "Rút lại"},
                           ["pledge", "cancel", pledge.data["pledgeId"], "--reason", "Rút lại",
                            "--date", "2025-12-01"])
        yield world.disburse(risky=False)
        yield world.external()
        yield world.reverse()
        member = [member for member, (_, left) in sorted(world.members.items()) if left is None][-1]
        yield self.crafted("leave", "MemberLeft", {"memberId": member, "leftOn": "2025-12-01", "reason": "Chuyển đi"},
                           ["member", "leave", member, "--reason", "Chuyển đi", "--date", "2025-12-01"])

    def logstress_runs(self):
        synced = Scenario(self, "logstress-sync", self.run.path("logstress"), "logstress", expect_clean=True)
        synced.trace("sync", [self.logstress, synced.store, "synced", str(self.args.batches), "3"],
                     acknowledges="ack-lines")
        return synced

    def control_no_sync(self, synced):
        scenario = Scenario(self, "no-sync", self.run.path("logstress-no-sync"), "logstress", expect_clean=False,
                            base_from=synced.store)
        scenario.trace("no-sync", [self.logstress, scenario.store, "unsynced", "4", "3", "--no-sync"],
                       acknowledges="ack-lines")
        return scenario

    def control_skipped_flush(self, main, world):
        scenario = Scenario(self, "skipped-fdatasync", self.run.path("store-skipped-fdatasync"), "ansinh",
                            expect_clean=False, base_from=main.store)
        self.record(scenario, world, world.donate(), inject=True)
        return scenario

    # ---- the analysis

    def analyse(self, scenario, binary):
        scenario.read_traces()
        complete = scenario.self_check()
        reader = ImageReader(self.run, scenario.kind, scenario.store, binary)
        scenario.check_real_store(reader)
        if complete:
            scenario.analyse(reader)
        journal = scenario.journal
        self.run.note("%s: %d command(s), %d writes to data.mdb, %d flushes (%d through O_DSYNC), "
                      "%d acknowledgements, %d power-cut files checked (%d distinct)"
                      % (scenario.name, len(scenario.commands), journal.count("write"), journal.count("flush"),
                         journal.dsync_writes(), journal.count("ack"), scenario.images_checked,
                         scenario.images_distinct))
        self.scenarios.append(scenario)
        if complete:
            caught = scenario.report()
            if caught:
                self.caught[scenario.name] = caught

    def go(self):
        main, world = self.ansinh_store()
        synced = self.logstress_runs()
        no_sync = self.control_no_sync(synced)
        skipped = self.control_skipped_flush(main, world)
        self.analyse(main, self.run.binary)
        self.analyse(synced, self.logstress)
        self.analyse(no_sync, self.logstress)
        self.analyse(skipped, self.run.binary)
        if skipped.journal.skipped_flushes == 0:
            self.run.fail("control skipped-fdatasync", ["strace injected no fdatasync: the control did not run"])

    def summary(self):
        journals = [scenario.journal for scenario in self.scenarios]
        acks = [entry[1] for journal in journals for entry in journal.entries if entry[0] == "ack"]
        flushes = sum(journal.count("flush") for journal in journals)
        dsync = sum(journal.dsync_writes() for journal in journals)
        return ("%d commands traced; %d writes to data.mdb; %d flushes (%d fdatasync or fsync, %d writes through "
                "O_DSYNC); %d acknowledgements of %d events; %d power-cut images checked (%d distinct); "
                "controls caught: %d of 2 (%s)"
                % (len(self.commands_traced), sum(journal.count("write") for journal in journals), flushes,
                   flushes - dsync, dsync, len(acks), sum(len(ack.events) for ack in acks),
                   sum(scenario.images_checked for scenario in self.scenarios),
                   sum(scenario.images_distinct for scenario in self.scenarios), len(self.caught),
                   "; ".join("%s: %d acknowledged events missing" % item for item in sorted(self.caught.items()))
                   or "none"))


def main():
    parser = common.base_parser(__doc__)
    parser.add_argument("--logstress", default=None,
                        help="the ansinh-logstress binary (default: beside the ansinh binary)")
    parser.add_argument("--strace", default="strace", help="the strace binary (default: strace on PATH)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rounds of recordings (one of every kind) and an import (default: 1)")
    parser.add_argument("--import-lines", type=int, default=300, help="lines of each traced import (default: 300)")
    parser.add_argument("--batches", type=int, default=10, help="batches of the synced logstress run (default: 10)")
    parser.add_argument("--jobs", type=int, default=2, help="power-cut files checked at once (default: 2)")
    parser.add_argument("--verbose", action="store_true", help="print every power-cut file checked")
    args = parser.parse_args()
    run = common.Run("durability", args)
    tool = Tool(run, args)
    try:
        tool.go()
    except (common.CheckError, TraceError) as error:
        run.fail("tracing", [str(error)])
    except KeyboardInterrupt:
        run.fail("interrupted", ["interrupted by the user"])
    return run.finish(tool.summary())


if __name__ == "__main__":
    sys.exit(main())
