import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

/// How a checkpoint or a proof prints.
enum ProofFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct CheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the log's checkpoint (C2SP tlog-checkpoint), signed with the ward's key.",
        discussion: """
            A checkpoint is the log's origin, its tree size and the root hash of its Merkle tree
            (RFC 9162), as a signed note. Any later checkpoint extends it, which `ansinh prove
            consistency` shows. With --old, prints instead the request a witness takes
            (c2sp.org/tlog-witness add-checkpoint): "old N", the consistency proof from the
            last size that witness cosigned, a blank line, and the checkpoint.
            """)
    @Option(help: "The tree size (default: the whole log).") var size: UInt64?
    @Option(help: "Print a witness's add-checkpoint request, from the size it last cosigned.") var old: UInt64?
    @Option(help: "text (default: the signed note) or json.") var format: ProofFormat = .text
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if old != nil && format == .json { throw ValidationError("--old prints a witness's request, which has no JSON form") }
    }

    func run() throws {
        try reportingFailures {
            let ledger = try store.openLedger()
            let signer = try WardLog.signer(of: ledger, store: store.storePath)
            let (checkpoint, note, proof) = try ledger.snapshot(requiringCurrentReadModels: false) { snapshot in
                let reader = snapshot.log
                let tree = try reader.tree(size: size ?? reader.head().position)
                let proof = try old.map { old -> [[UInt8]] in
                    guard old <= tree.size else { throw LogError.treeSizeUnavailable(size: old, treeSize: tree.size) }
                    return old == 0 ? [] : try tree.consistencyProof(from: old)
                }
                let (checkpoint, note) = try WardLog.checkpoint(tree, signer: signer)
                return (checkpoint, note, proof)
            }
            if let old, let proof {
                emit("old \(old)\n" + proof.map { Data($0).base64EncodedString() + "\n" }.joined() + "\n" + note.serialized)
            } else if format == .json {
                emit(
                    JSONOut.object([
                        ("origin", .string(checkpoint.origin)), ("treeSize", .integer(Int64(checkpoint.size))),
                        ("rootHash", .string(hex(checkpoint.rootHash))), ("verifierKey", .string(signer.key.verifierKey)),
                        ("note", .string(note.serialized)),
                    ]).serialized() + "\n")
            } else {
                emit(note.serialized)
            }
        }
    }
}

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove that an event is in the log, or that a later log extends an earlier one (RFC 9162).",
        subcommands: [Inclusion.self, Consistency.self])

    /// Prints the proof `make` builds from one snapshot of the log (read-only), as JSON or text.
    static func print(_ format: ProofFormat, store: StoreOptions, _ make: (LogReader) throws -> (json: JSONOut, text: String)) throws {
        let ledger = try store.openLedger(readOnly: true)
        let proof = try ledger.snapshot(requiringCurrentReadModels: false) { try make($0.log) }
        emit(format == .json ? proof.json.serialized() + "\n" : proof.text)
    }

    struct Inclusion: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The inclusion proof of an event: its leaf, the tree, and the hashes from the leaf to the root.")
        @Argument(help: "The event id.") var eventId: String
        @Option(help: "The tree size (default: the whole log); at least the event's position.") var size: UInt64?
        @Option(help: "text (default) or json.") var format: ProofFormat = .text
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                guard let id = UUID(uuidString: eventId) else {
                    throw Failure(message: "\(eventId) is not an event id (a UUID)", status: ExitStatus.usage)
                }
                try Prove.print(format, store: store) { log in
                    let proof = try InclusionProof(reader: log, eventId: id, size: size)
                    return (
                        proof.json,
                        "Event \(proof.eventId) is leaf \(proof.leafIndex) (position \(proof.position)) of the tree of \(proof.treeSize) leaves.\n"
                            + "Leaf (record hash): \(proof.entry)\nRoot hash: \(proof.rootHash)\nProof (from the leaf up):\n"
                            + proof.proof.map { "  \($0)\n" }.joined()
                    )
                }
            }
        }
    }

    struct Consistency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The consistency proof that the tree of --from leaves is a prefix of the tree of --to.")
        @Option(help: "The earlier tree size.") var from: UInt64
        @Option(help: "The later tree size (default: the whole log).") var to: UInt64?
        @Option(help: "text (default) or json.") var format: ProofFormat = .text
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                try Prove.print(format, store: store) { log in
                    let proof = try ConsistencyProof(reader: log, from: from, to: to)
                    return (
                        proof.json,
                        "The tree of \(proof.fromSize) leaves is a prefix of the tree of \(proof.toSize).\n"
                            + "Root of \(proof.fromSize): \(proof.fromRoot)\nRoot of \(proof.toSize): \(proof.toRoot)\nProof:\n"
                            + proof.proof.map { "  \($0)\n" }.joined()
                    )
                }
            }
        }
    }
}

struct VerifyProof: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-proof",
        abstract: "Check inclusion and consistency proofs against a signed checkpoint, without the store.",
        discussion: """
            Each PROOF is a file `ansinh prove … --format json` printed. The checkpoint's signature
            is checked with the ward's key first. An inclusion proof must be in the checkpoint's tree,
            or in an earlier tree that a consistency proof given beside it carries to the checkpoint:
            so a receipt's proof is checked against any later checkpoint.
            Exit status: 0 every proof holds; 1 one does not (it is named); 64/65 unusable input.
            """)
    @Option(help: "The signed checkpoint (a file; - for standard input).") var checkpoint: String
    @Option(
        help: ArgumentHelp(
            "The ward's key: its verifier key (ORIGIN+ID+KEY), or its public key in hex or a file holding either "
                + "(default: the store's signing.pub).", valueName: "key"))
    var key: String?
    @Argument(help: "Proof files (JSON).") var proofs: [String] = []
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            let note = try readInput(checkpoint)
            let signed: SignedNote
            let parsed: Checkpoint
            do {
                signed = try SignedNote(parsing: note)
                parsed = try Checkpoint(text: signed.text)
            } catch {
                throw Failure(message: "\(checkpoint): \(error)", status: ExitStatus.refused)
            }
            let wardKey = try noteKey(origin: parsed.origin)
            do {
                _ = try Checkpoint.verified(note, key: wardKey)
            } catch {
                throw Failure(message: "the checkpoint does not verify: \(error)", status: ExitStatus.auditFailed)
            }
            var lines = ["checkpoint: \(parsed.origin), \(parsed.size) leaves, root \(hex(parsed.rootHash)), signed by \(wardKey.verifierKey)"]
            let given = try proofs.map { try TransparencyProof(contentsOf: $0) }
            do {
                lines += try WardLog.verify(given, against: parsed)
            } catch let error as TransparencyError {
                throw Failure(message: error.description, status: ExitStatus.auditFailed)
            }
            emit(lines.map { "ok: " + $0 + "\n" }.joined())
        }
    }

    /// The key given, as a verifier key or a public key named by the checkpoint's origin.
    private func noteKey(origin: String) throws -> NoteKey {
        var text = key ?? SigningKeys.publicPath(store: store.storePath)
        if FileManager.default.fileExists(atPath: text) {
            text = (try? String(contentsOfFile: text, encoding: .utf8)) ?? ""
        } else if key == nil {
            throw Failure(message: "give the ward's key with --key (no store's signing.pub at \(text))", status: ExitStatus.usage)
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.contains("+") {
            do {
                return try NoteKey(verifierKey: text)
            } catch {
                throw Failure(message: "\(error)", status: ExitStatus.usage)
            }
        }
        let publicKey = try SigningKeys.loadPublic(text, required: true)!
        return try NoteKey(name: origin, kind: .ed25519, publicKey: publicKey)
    }
}

/// The contents of a file, or of standard input for `-`.
func readInput(_ path: String) throws -> String {
    let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: path)
    guard let data, let text = String(data: data, encoding: .utf8) else {
        throw Failure(message: "cannot read \(path)", status: ExitStatus.usage)
    }
    return text
}

struct ReceiptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Print a donor's receipt, in Vietnamese, with a QR code to the public look-up and the proof that it is in the books.",
        discussion: """
            For a donation or a piggy-bank deposit. The receipt holds the amount, the date, the fund,
            the receipt number and the event id; a QR code linking to <public url>/tra-cuu/#<event id>;
            and the inclusion proof with the signed checkpoint, which `ansinh verify-proof` checks,
            then or later against any newer checkpoint. --out FILE.html writes a printable page;
            any other --out, the text.
            """)
    @Argument(help: "The event id of the donation or deposit.") var eventId: String
    @Option(help: ArgumentHelp("Write the receipt to this new file (.html: a printable page).", valueName: "file")) var out: String?
    @Option(help: "The ward's public site (default: the one set with `ansinh keys public-url`).") var publicUrl: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            guard let id = UUID(uuidString: eventId) else {
                throw Failure(message: "\(eventId) is not an event id (a UUID)", status: ExitStatus.usage)
            }
            let ledger = try store.openLedger()
            let signer = try WardLog.signer(of: ledger, store: store.storePath)
            guard var url = try publicUrl ?? WardLog.publicURL(of: ledger) else { throw ReceiptError.noPublicAddress }
            if url.hasSuffix("/") { url.removeLast() }
            let (ward, province) = (try ledger.ward() ?? "", try ledger.province() ?? "")
            let receipt = try ledger.snapshot {
                try Receipt(snapshot: $0, eventId: id, signer: signer, publicURL: url, ward: ward, province: province)
            }
            guard let out else {
                emit(try receipt.text())
                return
            }
            let content = out.lowercased().hasSuffix(".html") || out.lowercased().hasSuffix(".htm") ? try receipt.html() : try receipt.text()
            guard !FileManager.default.fileExists(atPath: out) else { throw ExportError.exists(out) }
            let target = URL(fileURLWithPath: out)
            let partial = PartialWrite.start(for: target)
            try writeDurably(Data(content.utf8), to: partial)
            try PartialWrite.finish(partial, onto: target)
            emit("Wrote the receipt of \(receipt.amount) to \(receipt.fundName), event \(receipt.eventId), to \(out)\n")
        }
    }
}

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Witness wards' logs: keep the last checkpoint seen, cosign only one that extends it (C2SP tlog-witness).",
        discussion: """
            For another body (the district's Fatherland Front, a newspaper) that keeps a witness's
            folder. `add-checkpoint` takes a ward's request (`ansinh checkpoint --old N` prints it),
            checks the ward's signature and the consistency proof from the last checkpoint it
            cosigned, and prints its cosignature (c2sp.org/tlog-cosignature). A checkpoint that does
            not extend the last one (a split view) is refused, kept as evidence, and the reason said.
            Exit status: 0 cosigned; 65 not a request, an unknown ward, or not the ward's signature;
            73 the old size is not the last one cosigned (that size is printed on standard output)
            or a split view.
            """,
        subcommands: [Init.self, Trust.self, AddCheckpoint.self, Show.self])

    struct FolderOption: ParsableArguments {
        @Option(help: ArgumentHelp("The witness's folder.", valueName: "folder")) var dir: String
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a witness's folder and key; publish the key it prints.")
        @OptionGroup var folder: FolderOption
        @Option(help: "The witness's name, such as mttq.an-giang.example/witness.") var name: String

        func run() throws {
            try reportingFailures {
                let witness = try Witness.create(folder: folder.dir, name: name)
                emit("Created the witness \(name). Its key (publish it):\n\(witness.signer.key.verifierKey)\n")
            }
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a ward's log, given the verifier key of its checkpoints.")
        @OptionGroup var folder: FolderOption
        @Argument(help: "The ward's verifier key (ORIGIN+ID+KEY), as `ansinh keys show` prints it.") var logKey: String

        func run() throws {
            try reportingFailures {
                let key = try NoteKey(verifierKey: logKey)
                try Witness(folder: folder.dir).trust(key)
                emit("Following \(key.name).\n")
            }
        }
    }

    struct AddCheckpoint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-checkpoint", abstract: "Check a ward's add-checkpoint request and print the cosignature.")
        @OptionGroup var folder: FolderOption
        @Argument(help: "The request (a file; standard input when absent or -).") var request: String = "-"

        func run() throws {
            try reportingFailures {
                let witness = try Witness(folder: folder.dir)
                do {
                    emit(try witness.addCheckpoint(try readInput(request), now: TestClock.unixSeconds()))
                } catch let error as WitnessError {
                    if case .oldSizeMismatch(_, let cosigned) = error { emit("\(cosigned)\n") }
                    throw error
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The witness's key and the last checkpoint it cosigned of each log.")
        @OptionGroup var folder: FolderOption

        func run() throws {
            try reportingFailures {
                let witness = try Witness(folder: folder.dir)
                var text = "Witness \(witness.signer.key.name)\nKey: \(witness.signer.key.verifierKey)\n"
                for (key, last) in try witness.logs() {
                    text += "\(key.name): " + (last.map { "cosigned size \($0.size), root \(hex($0.rootHash))" } ?? "nothing cosigned yet") + "\n"
                }
                emit(text)
            }
        }
    }
}
