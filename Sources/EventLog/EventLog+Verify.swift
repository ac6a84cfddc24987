import LMDB

/// The first thing found wrong in the stored log.
public struct VerificationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Problem: Hashable, Sendable {
        /// The position after the previous event is missing (a gap or a deleted event).
        case missingPosition(found: UInt64)
        /// The record's bytes do not parse.
        case malformedRecord(String)
        /// The record says a different position than the key it is stored under.
        case positionMismatch(recorded: UInt64)
        /// `prevHash` is not the previous event's hash: the chain is broken.
        case chainBroken(expected: ChainHash, found: ChainHash)
        /// SHA-256 of the record is not its stored `hash`: its bytes were changed.
        case hashMismatch(computed: ChainHash, stored: ChainHash)
        /// The event's data is not canonical CBOR.
        case dataNotCanonical(PayloadError)
        /// The event-id or stream index disagrees with the events.
        case indexMismatch(String)
        /// A node of the log's Merkle tree is not the hash of what it covers.
        case treeMismatch(String)
    }

    /// The first position where something is wrong.
    public let position: UInt64
    public let problem: Problem

    public var description: String {
        let what: String
        switch problem {
        case .missingPosition(let found): what = "the event is missing; the next stored position is \(found)"
        case .malformedRecord(let reason): what = "the stored bytes do not parse (\(reason))"
        case .positionMismatch(let recorded): what = "the record says position \(recorded)"
        case .chainBroken(let expected, let found):
            what = "chain broken: prevHash is \(found.hex), the previous event's hash is \(expected.hex)"
        case .hashMismatch(let computed, let stored):
            what = "bytes changed: they hash to \(computed.hex), the stored hash is \(stored.hex)"
        case .dataNotCanonical(let error): what = "\(error)"
        case .indexMismatch(let reason): what = "index disagrees: \(reason)"
        case .treeMismatch(let reason): what = "the Merkle tree disagrees: \(reason)"
        }
        return "position \(position): \(what)"
    }
}

/// The outcome of ``EventLog/verify(progress:)``.
public struct VerificationReport: Hashable, Sendable {
    /// The head as stored (last position and its stored hash).
    public var head: LogHead
    /// Events checked before the first failure, or all of them.
    public var eventsChecked: UInt64
    public var failure: VerificationFailure?
    /// The leaves of the log's Merkle tree, each node of which was checked: the head's
    /// position, unless a store of an earlier version was opened read-only.
    public var treeSize: UInt64 = 0

    public var isValid: Bool { failure == nil }
}

extension EventLog {
    /// Walks the whole log in one snapshot and checks, event by event: positions
    /// follow 1, 2, 3, …; each record parses; its `prevHash` is the previous hash;
    /// SHA-256 of its bytes is its stored hash; its data is canonical. Then checks that
    /// the event-id and stream indexes hold exactly one entry for each event, pointing
    /// back at it, and that every node of the Merkle tree is the hash of the leaves it
    /// covers. Reports the first failure by position.
    /// - Parameter progress: called now and then with (events checked, events in all).
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerificationReport {
        try read { try $0.verify(progress: progress) }
    }
}

extension LogReader {
    /// ``EventLog/verify(progress:)`` in this reader's snapshot.
    ///
    /// The indexes are checked by sequential scans, not a look-up per event: the walk
    /// over the events adds each entry the indexes should hold to an order-independent
    /// digest (``IndexDigest``), a scan of each index in its own key order adds each
    /// entry it holds, and the two must agree. Only when something is wrong are the
    /// events looked up one by one, to name the first position at fault.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerificationReport {
        let stored = try? head()
        var report = VerificationReport(head: stored ?? .empty, eventsChecked: 0, failure: nil)
        let total = report.head.position
        var previousHash = ChainHash.genesis
        var expectedIds = IndexDigest()
        var expectedStreams = expectedIds.emptyCopy()
        var expectedTree = expectedIds.emptyCopy()
        let treeSize = try self.treeSize()
        var treeBuilder = TreeBuilder()
        try transaction.withCursor(databases.events) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                let expected = report.eventsChecked + 1
                let event: RecordedEventView
                switch check(current, expected: expected, previousHash: previousHash) {
                case .failure(let problem):
                    report.failure = VerificationFailure(position: expected, problem: problem)
                    return
                case .success(let checked): event = checked
                }
                expectedIds.add(key: event.eventIdBytes, position: expected)
                Self.streamKey(of: event).withUnsafeBytes { expectedStreams.add(key: $0, position: expected) }
                if expected <= treeSize {
                    treeBuilder.add(event.hash) { level, index, hash in
                        LogTree.key(level: level, index: index).withUnsafeBytes { key in
                            withUnsafeBytes(of: hash.storage) { expectedTree.add(key: key, value: $0) }
                        }
                    }
                }
                previousHash = event.hash
                report.eventsChecked = expected
                if expected & 0xffff == 0 { progress?(expected, total) }
                entry = try cursor.next()
            }
        }
        if let failure = report.failure {
            // An index may already be wrong before the failure the walk stopped at.
            if let earlier = try firstIndexFailure(before: failure.position) {
                report.failure = earlier
                report.eventsChecked = earlier.position - 1
            }
        } else if try digest(of: databases.eventIds, like: expectedIds) != expectedIds
            || digest(of: databases.streams, like: expectedStreams) != expectedStreams
        {
            if let failure = try firstIndexFailure(before: report.eventsChecked + 1) {
                report.failure = failure
                report.eventsChecked = failure.position - 1
            } else {
                report.failure = try checkIndexSizes(eventCount: report.eventsChecked)
                    ?? VerificationFailure(
                        position: report.eventsChecked,
                        problem: .indexMismatch("an index holds an entry for no event"))
            }
        } else if let tree = databases.tree {
            report.treeSize = treeSize
            if treeSize > report.eventsChecked {
                report.failure = VerificationFailure(
                    position: report.eventsChecked,
                    problem: .treeMismatch("it has \(treeSize) leaves, but the log has \(report.eventsChecked) events"))
            } else if try digest(of: tree, like: expectedTree) != expectedTree {
                report.failure = try firstTreeFailure(size: treeSize)
            }
        }
        progress?(report.eventsChecked, total)
        return report
    }

    private enum Checked {
        case success(RecordedEventView)
        case failure(VerificationFailure.Problem)
    }

    private func check(_ entry: Entry, expected: UInt64, previousHash: ChainHash) -> Checked {
        guard let key = entry.key.loadNativeUInt64(), key == expected else {
            return .failure(.missingPosition(found: entry.key.loadNativeUInt64() ?? 0))
        }
        let event: RecordedEventView
        do {
            event = try RecordedEventView(record: entry.value)
        } catch {
            return .failure(.malformedRecord(error.reason))
        }
        guard event.position == expected else { return .failure(.positionMismatch(recorded: event.position)) }
        guard event.prevHash == previousHash else { return .failure(.chainBroken(expected: previousHash, found: event.prevHash)) }
        let computed = event.computeHash()
        guard computed == event.hash else { return .failure(.hashMismatch(computed: computed, stored: event.hash)) }
        do {
            try Payload.validate(canonicalBytes: event.data)
        } catch {
            return .failure(.dataNotCanonical(error))
        }
        return .success(event)
    }

    /// The digest of every entry of `index`, in one scan in key order, under the key of `like`.
    private func digest(of index: Database, like: IndexDigest) throws -> IndexDigest {
        var digest = like.emptyCopy()
        try transaction.withCursor(index) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                digest.add(key: current.key, value: current.value)
                entry = try cursor.next()
            }
        }
        return digest
    }

    /// The first position before `end` whose event the event-id or stream index does
    /// not point back at, looked up event by event (only once something is known wrong).
    private func firstIndexFailure(before end: UInt64) throws -> VerificationFailure? {
        var failure: VerificationFailure?
        try transaction.withCursor(databases.events) { cursor in
            var entry = try cursor.first()
            while let current = entry, let position = current.key.loadNativeUInt64(), position < end {
                let event = try RecordedEventView(record: current.value)
                let entries = [
                    (databases.eventIds, Array(event.eventIdBytes), "event id \(event.eventId.uuidString.lowercased())"),
                    (databases.streams, Self.streamKey(of: event), "stream \(event.stream) version \(event.streamVersion)"),
                ]
                for (index, key, what) in entries {
                    let indexed = try transaction.get(index, key)?.loadNativeUInt64()
                    guard indexed == position else {
                        failure = VerificationFailure(
                            position: position, problem: .indexMismatch("\(what) points to \(indexed.map(String.init) ?? "nothing")"))
                        return
                    }
                }
                entry = try cursor.next()
            }
        }
        return failure
    }

    /// The first node of the Merkle tree that is missing or differs from the hash of the
    /// leaves it covers, looked up node by node (only once something is known wrong); a
    /// node stored beyond the tree when all of them agree.
    private func firstTreeFailure(size: UInt64) throws -> VerificationFailure {
        var failure: VerificationFailure?
        var builder = TreeBuilder()
        var nodes = 0
        try forEachEvent(limit: Int(size)) { event in
            guard failure == nil else { return }
            try builder.add(event.hash) { level, index, hash in
                nodes += 1
                guard failure == nil, try treeNode(level: level, index: index) != hash.bytes else { return }
                let last = (index + 1) << UInt64(level)
                failure = VerificationFailure(
                    position: last,
                    problem: .treeMismatch(
                        "node \(index) of level \(level) (leaves \(index << UInt64(level)) to \(last - 1)) is not the hash of those leaves"))
            }
        }
        if let failure { return failure }
        let stored = try databases.tree.map { try transaction.entryCount($0) } ?? 0
        return VerificationFailure(
            position: size, problem: .treeMismatch("it holds \(stored) nodes, but a tree of \(size) leaves has \(nodes)"))
    }

    /// The stream index's key of `event`: stream ‖ 0 ‖ version (big-endian).
    private static func streamKey(of event: RecordedEventView) -> [UInt8] {
        var key = streamPrefix(event.stream)
        EventRecord.appendBigEndian(event.streamVersion, to: &key)
        return key
    }

    private func checkIndexSizes(eventCount: UInt64) throws -> VerificationFailure? {
        let ids = try transaction.entryCount(databases.eventIds)
        let streams = try transaction.entryCount(databases.streams)
        guard UInt64(ids) == eventCount, UInt64(streams) == eventCount else {
            return VerificationFailure(
                position: eventCount,
                problem: .indexMismatch(
                    "\(eventCount) events, but \(ids) event-id entries and \(streams) stream entries"))
        }
        return nil
    }
}

/// An order-independent digest of a set of index entries (key → position): the sum,
/// modulo 2¹²⁸, of a keyed hash of each entry, under a key drawn afresh for every
/// check. Entries added in any order give the same digest; two sets that differ give
/// different digests but with a chance of about 2⁻¹²⁸, whoever chose them, since the key
/// is unknown when the store is written. It lets an index be checked by scanning it
/// in its own order, beside a scan of the events in theirs.
struct IndexDigest: Equatable {
    private let seeds: (UInt64, UInt64)
    private var sums: (UInt64, UInt64) = (0, 0)
    private(set) var count: UInt64 = 0

    init() { seeds = (UInt64.random(in: .min ... .max), UInt64.random(in: .min ... .max)) }

    private init(seeds: (UInt64, UInt64)) { self.seeds = seeds }

    /// An empty digest under the same key, to compare with this one.
    func emptyCopy() -> IndexDigest { IndexDigest(seeds: seeds) }

    /// An entry that points at `position`, as the index stores it (the position in
    /// native byte order).
    mutating func add(key: UnsafeRawBufferPointer, position: UInt64) {
        withUnsafeBytes(of: position) { add(key: key, value: $0) }
    }

    mutating func add(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        sums.0 &+= hash(seeds.0, key, value)
        sums.1 &+= hash(seeds.1, key, value)
        count += 1
    }

    private func hash(_ seed: UInt64, _ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(seed)
        hasher.combine(key.count)
        hasher.combine(bytes: key)
        hasher.combine(bytes: value)
        return UInt64(UInt(bitPattern: hasher.finalize()))
    }

    static func == (left: IndexDigest, right: IndexDigest) -> Bool {
        left.sums == right.sums && left.count == right.count
    }
}

/// Builds a Merkle tree leaf by leaf, with one pending hash a level: hands out each
/// perfect subtree's hash (the nodes the store keeps) as it completes.
struct TreeBuilder {
    private var pending: [(level: Int, hash: ChainHash)] = []
    private var leaves: UInt64 = 0

    /// Adds the leaf of an event whose record hash is `recordHash`; calls `node` with
    /// (level, index, hash) of the leaf and of each subtree it completes.
    mutating func add(_ recordHash: ChainHash, node: (Int, UInt64, ChainHash) throws -> Void) rethrows {
        var hash = LogTree.leafHash(recordHash)
        var level = 0
        var index = leaves
        try node(0, index, hash)
        while let last = pending.last, last.level == level {
            pending.removeLast()
            hash = LogTree.nodeHash(last.hash, hash)
            level += 1
            index >>= 1
            try node(level, index, hash)
        }
        pending.append((level, hash))
        leaves += 1
    }
}
