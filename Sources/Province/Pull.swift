import Crypto
import EventLog
import Foundation
import PostgresNIO

/// What a pull did.
public struct PullOutcome: Sendable {
    public var ward: String
    /// The position held before and after.
    public var from: UInt64
    public var through: UInt64
    public var checkpointSize: UInt64
    public var batches: Int
}

/// What the province holds of one ward.
struct WardHead: Sendable {
    var ward: String
    /// The ward's Ed25519 public key, 32 bytes.
    var publicKey: [UInt8]
    var position: UInt64
    var hash: ChainHash
    var frontier: MerkleFrontier
    var origin: String?
    var checkpointSize: UInt64
    var checkpointRoot: [UInt8]
    var checkpointNote: String?
}

extension ProvinceDatabase {
    /// Loads the events of `ward` after the last position held, from `source`.
    ///
    /// Before anything is committed: the ward's checkpoint verifies with its key; it is
    /// consistent with the last one accepted (RFC 9162 consistency proof); each entry
    /// continues the chain from the last hash held; and the leaves of each batch, added
    /// to the tree held, are a prefix of the checkpoint's tree (a consistency proof from
    /// the batch's end to the checkpoint). Each batch is one transaction, which also
    /// moves the ward's head: a crash loses nothing committed, and the next pull
    /// resumes after it. A feed that does not extend what is held is refused, naming
    /// the first position that differs, and the refusal is kept as evidence.
    public func pull(
        ward: String, from source: any WardSource, batch: Int = 5_000,
        progress: (@Sendable (_ done: UInt64, _ total: UInt64) -> Void)? = nil
    ) async throws -> PullOutcome {
        try await requireSchemaOrExplain()
        var head = try await wardHead(ward)
        let startedAt = head.position
        let note = try await source.checkpoint()
        let checkpoint = try verifiedCheckpoint(note, head: head, source: source)
        let size = checkpoint.size

        // The checkpoint must extend what is held: first the tree, then the entries.
        if size < head.position {
            throw try await refusal(
                head, position: size + 1, source: source, offered: nil, offeredCheckpoint: note,
                reason: "its checkpoint covers \(size) entries, fewer than the \(head.position) the province holds (entries were taken away)")
        }
        if head.checkpointSize > 0 {
            let proof = size == head.checkpointSize ? [] : try await source.consistencyProof(from: head.checkpointSize, to: size)
            guard MerkleTree.verifyConsistency(
                firstSize: head.checkpointSize, secondSize: size, firstRoot: head.checkpointRoot, secondRoot: checkpoint.rootHash, proof: proof)
            else {
                // Name the first entry that differs from the one held, if the source shows one;
                // else the proof itself is what failed.
                if let (position, atOrBefore) = try await firstDifference(head, source: source, through: min(size, head.position)) {
                    throw try await refusal(
                        head, position: position, source: source, offered: try await source.entry(at: position), offeredCheckpoint: note,
                        reason: "its checkpoint of \(size) entries is not consistent with the one accepted of \(head.checkpointSize) entries: "
                            + "its entry \(atOrBefore ? "at or before" : "at") position \(position) differs from the one held (a rewritten history)")
                }
                throw try await refusal(
                    head, position: head.checkpointSize, source: source, offered: nil, offeredCheckpoint: note,
                    reason: "its consistency proof from the checkpoint accepted (\(head.checkpointSize) entries) to its checkpoint of \(size) entries does not verify")
            }
        }
        if size == head.position {
            if head.checkpointSize < size {
                guard head.frontier.root == checkpoint.rootHash else {
                    throw try await refusal(
                        head, position: size, source: source, offered: nil, offeredCheckpoint: note,
                        reason: "its checkpoint of \(size) entries does not have the root of the entries held")
                }
                try await transaction { connection in
                    try await lockHead(head, connection)
                    try await accept(head: head, checkpoint: checkpoint, note: note, source: source, connection)
                }
            }
            return PullOutcome(ward: ward, from: startedAt, through: size, checkpointSize: size, batches: 0)
        }

        var batches = 0
        let total = size - startedAt
        try await source.entries(from: head.position + 1, through: size, batch: batch) { entries in
            try await load(entries, head: &head, checkpoint: checkpoint, note: note, source: source, first: batches == 0, startedAt: startedAt)
            batches += 1
            progress?(head.position - startedAt, total)
        }
        return PullOutcome(ward: ward, from: startedAt, through: size, checkpointSize: size, batches: batches)
    }

    /// Checks one batch (the chain, then the tree against the checkpoint) and loads it in
    /// one transaction, moving `head` on.
    private func load(
        _ entries: [PublicEntry], head: inout WardHead, checkpoint: Checkpoint, note: String, source: any WardSource, first: Bool,
        startedAt: UInt64
    ) async throws {
        let ward = head.ward
        let size = checkpoint.size
        // The chain continues from the last hash held, entry by entry.
        var frontier = head.frontier
        var hash = head.hash
        var expected = head.position + 1
        for entry in entries {
            guard entry.position == expected else {
                throw ProvinceError.source("\(source.description) gave position \(entry.position) where \(expected) was due")
            }
            guard entry.prevHash == hash else {
                if let (position, atOrBefore) = try await firstDifference(head, source: source, through: head.position) {
                    throw try await refusal(
                        head, position: position, source: source, offered: try await source.entry(at: position), offeredCheckpoint: note,
                        reason: "its entry \(atOrBefore ? "at or before" : "at") position \(position) differs from the one held (a rewritten history)",
                        loaded: head.position - startedAt)
                }
                throw try await refusal(
                    head, position: entry.position, source: source, offered: entry, offeredCheckpoint: note,
                    reason: "its entry at position \(entry.position) does not continue the chain: its previous hash is \(entry.prevHash.hex), the province holds \(hash.hex)",
                    loaded: head.position - startedAt)
            }
            frontier.append(leafHash: entry.leafHash)
            hash = entry.hash
            expected += 1
        }
        // The leaves so far are the start of the checkpoint's tree.
        let end = frontier.size
        let proof = end == size ? [] : try await source.consistencyProof(from: end, to: size)
        guard MerkleTree.verifyConsistency(firstSize: end, secondSize: size, firstRoot: frontier.root, secondRoot: checkpoint.rootHash, proof: proof)
        else {
            throw try await refusal(
                head, position: entries[0].position, source: source, offered: entries[0], offeredCheckpoint: note,
                reason: "its entries \(entries[0].position)–\(end) are not those its signed checkpoint of \(size) entries covers",
                loaded: head.position - startedAt)
        }
        let loaded = head
        try await transaction { connection in
            try await lockHead(loaded, connection)
            // The checkpoint the rows are checked against is kept with the first of them.
            if first { try await keep(checkpoint, note: note, of: ward, source: source, connection) }
            try await BatchLoader(ward: ward, checkpointSize: size, connection: connection, logger: logger).load(entries)
            try await connection.query(
                """
                UPDATE province.ward_heads SET position = \(Int64(end)), hash = \(ByteBuffer(bytes: hash.bytes)),
                    frontier = \(frontier.subtrees.map { ByteBuffer(bytes: $0) })
                WHERE ward_id = \(ward)
                """, logger: logger)
            if end == size { try await accept(head: loaded, checkpoint: checkpoint, note: note, source: source, connection) }
            if let pause = Self.testPauseBeforeCommit { try await Task.sleep(for: pause) }
        }
        head.position = end
        head.hash = hash
        head.frontier = frontier
    }

    /// For crash tests only: with `ANSINH_TEST_PULL_PAUSE_MS`, each batch waits that long
    /// before its commit, so that a test's SIGKILL lands inside an open transaction.
    static let testPauseBeforeCommit: Duration? = ProcessInfo.processInfo.environment["ANSINH_TEST_PULL_PAUSE_MS"]
        .flatMap(Int.init).map { .milliseconds($0) }

    /// The key `ward` was registered with.
    public func wardKey(_ ward: String) async throws -> [UInt8] {
        try await requireSchemaOrExplain()
        return try await wardHead(ward).publicKey
    }

    /// What the province holds of `ward`.
    func wardHead(_ ward: String) async throws -> WardHead {
        let rows = try await rows(
            """
            SELECT w.public_key, h.position, h.hash, h.frontier, h.origin, h.checkpoint_size, h.checkpoint_root, h.checkpoint_note
            FROM province.wards w JOIN province.ward_heads h USING (ward_id) WHERE w.ward_id = \(ward)
            """
        ) { row in
            try row.decode((ByteBuffer, Int64, ByteBuffer, [ByteBuffer], String?, Int64, ByteBuffer?, String?).self)
        }
        guard let (key, position, hash, frontier, origin, checkpointSize, checkpointRoot, note) = rows.first else {
            throw ProvinceError.unknownWard(ward)
        }
        let publicKey = Array(key.readableBytesView)
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil,
            let chainHash = ChainHash(hex: hex(Array(hash.readableBytesView))),
            let tree = MerkleFrontier(size: UInt64(position), subtrees: frontier.map { Array($0.readableBytesView) })
        else {
            throw ProvinceError.source("the province's record of ward \(ward) is damaged (its key, hash or tree)")
        }
        return WardHead(
            ward: ward, publicKey: publicKey, position: UInt64(position), hash: chainHash, frontier: tree, origin: origin,
            checkpointSize: UInt64(checkpointSize), checkpointRoot: checkpointRoot.map { Array($0.readableBytesView) } ?? [], checkpointNote: note)
    }

    /// The checkpoint, verified with the ward's key.
    private func verifiedCheckpoint(_ text: String, head: WardHead, source: any WardSource) throws -> Checkpoint {
        let note: SignedNote
        let checkpoint: Checkpoint
        do {
            note = try SignedNote(parsing: text)
            checkpoint = try Checkpoint(text: note.text)
        } catch {
            throw ProvinceError.source("\(source.description): its checkpoint is not a signed checkpoint note: \(error)")
        }
        if let origin = head.origin, origin != checkpoint.origin {
            throw ProvinceError.source("\(source.description): its checkpoint is of the log \(checkpoint.origin), not \(origin), which ward \(head.ward) signs")
        }
        do {
            let key = try NoteKey(name: checkpoint.origin, kind: .ed25519, publicKey: try Curve25519.Signing.PublicKey(rawRepresentation: head.publicKey))
            try key.verify(note)
        } catch {
            throw ProvinceError.source(
                "\(source.description): its checkpoint is not signed with ward \(head.ward)'s registered key (\(error))")
        }
        return checkpoint
    }

    /// Locks the ward's head for the transaction, and checks nobody moved it meanwhile.
    private func lockHead(_ head: WardHead, _ connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            "SELECT position FROM province.ward_heads WHERE ward_id = \(head.ward) FOR UPDATE", logger: logger
        ).collect()
        guard let row = rows.first, try row.decode(Int64.self) == Int64(head.position) else {
            throw ProvinceError.concurrentPull(head.ward)
        }
    }

    /// Records `checkpoint` as the last accepted from the ward.
    private func accept(head: WardHead, checkpoint: Checkpoint, note: String, source: any WardSource, _ connection: PostgresConnection)
        async throws
    {
        let root = ByteBuffer(bytes: checkpoint.rootHash)
        try await connection.query(
            """
            UPDATE province.ward_heads SET checkpoint_size = \(Int64(checkpoint.size)), checkpoint_root = \(root),
                checkpoint_note = \(note), checkpoint_accepted_at = now(), origin = \(checkpoint.origin)
            WHERE ward_id = \(head.ward)
            """, logger: logger)
        try await keep(checkpoint, note: note, of: head.ward, source: source, connection)
    }

    /// Keeps a verified checkpoint of the ward's (once for each size).
    private func keep(_ checkpoint: Checkpoint, note: String, of ward: String, source: any WardSource, _ connection: PostgresConnection)
        async throws
    {
        try await connection.query(
            """
            INSERT INTO province.checkpoints (ward_id, size, root_hash, note, source)
            VALUES (\(ward), \(Int64(checkpoint.size)), \(ByteBuffer(bytes: checkpoint.rootHash)), \(note), \(source.description))
            ON CONFLICT (ward_id, size) DO NOTHING
            """, logger: logger)
    }

    /// The first position through `last` whose entry, as the source offers it, differs
    /// from the one held: by bisection, since a changed entry changes every hash after it.
    /// Among the positions the source has: when the first of them differs already, the
    /// difference is "at or before" it.
    private func firstDifference(_ head: WardHead, source: any WardSource, through last: UInt64) async throws -> (UInt64, Bool)? {
        func differs(_ position: UInt64) async throws -> Bool? {
            guard let offered = try await source.entry(at: position) else { return nil }
            let held = try await rows(
                "SELECT hash FROM province.events WHERE ward_id = \(head.ward) AND position = \(Int64(position))"
            ) { try $0.decode(ByteBuffer.self) }
            guard let hash = held.first else { return nil }
            return Array(hash.readableBytesView) != offered.hash.bytes
        }
        let first = max(1, source.firstPosition)
        guard last >= first, try await differs(last) == true else { return nil }
        var low = first
        var high = last  // differs at `high`
        while low < high {
            let middle = low + (high - low) / 2
            if try await differs(middle) == true { high = middle } else { low = middle + 1 }
        }
        return (high, high == first && first > 1)
    }

    /// Keeps the refusal as evidence, in a transaction of its own, and gives it to throw.
    private func refusal(
        _ head: WardHead, position: UInt64, source: any WardSource, offered: PublicEntry?, offeredCheckpoint: String, reason: String,
        loaded: UInt64 = 0
    ) async throws -> ProvinceError {
        let held = try await rows(
            "SELECT hash FROM province.events WHERE ward_id = \(head.ward) AND position = \(Int64(position))"
        ) { try $0.decode(ByteBuffer.self) }.first
        let offeredHash = offered.map { ByteBuffer(bytes: $0.hash.bytes) }
        try await client.query(
            """
            INSERT INTO province.refusals
                (ward_id, position, reason, held_hash, offered_hash, offered_entry, offered_checkpoint, held_checkpoint, source)
            VALUES (\(head.ward), \(Int64(position)), \(reason), \(held), \(offeredHash), \(offered?.line),
                    \(offeredCheckpoint), \(head.checkpointNote), \(source.description))
            """, logger: logger)
        return ProvinceError.refused(ward: head.ward, position: position, reason: reason, loaded: loaded)
    }
}
