import EventLog
import Foundation
@testable import Ledger
import TestSupport
import Testing

/// Random files of real import lines, mutated the ways hostile or broken input is:
/// every one must import cleanly or be refused naming a line, with nothing written.
/// `tools/reliability/fuzz_import.py` runs the same idea through the command line
/// for as many cases as asked; `ANSINH_FUZZ_CASES` lengthens this in-process run.
@Suite("Import fuzzing")
struct ImportFuzzTests {
    static let seeds: [UInt64] = [101, 202, 303]
    static let casesPerSeed = Int(ProcessInfo.processInfo.environment["ANSINH_FUZZ_CASES"] ?? "") ?? 250

    /// The demo's lines, the pool files are drawn from.
    static let pool: [String] = ["nui-sam-2024.jsonl", "piggybank-2024.jsonl"].flatMap { name in
        (try? String(contentsOf: packageRoot.appendingPathComponent("Sources/ansinh/Demo/" + name), encoding: .utf8))?
            .split(separator: "\n").map(String.init) ?? []
    }

    /// Lines that can be recorded again under a fresh event id (money received, help
    /// arranged), so files of them are valid: the fuzzer's files are not all refused.
    static let repeatable = pool.filter {
        ($0.contains("\"DonationReceived\"") && !$0.contains("pledgeId")) || $0.contains("\"ExternalSupportRecorded\"")
    }

    enum Mutation: CaseIterable {
        case none, truncate, flipByte, invalidUTF8, nulByte, hugeNumber, pastInt64, negative, fraction, exponent,
            numberAsText, wrongContainer, duplicateKey, unknownKey, missingField, deepNesting, longString, longLine,
            decomposedName, impossibleDate, shortDate, badUUID, byteOrderMark, crlf, blankLines, nullValue
    }

    /// Mutations that make a line invalid whenever they change it.
    static let mustRefuse: Set<Mutation> = [
        .invalidUTF8, .nulByte, .hugeNumber, .pastInt64, .negative, .fraction, .exponent, .numberAsText, .wrongContainer,
        .duplicateKey, .unknownKey, .deepNesting, .longString, .longLine, .impossibleDate, .shortDate, .badUUID, .nullValue,
    ]

    @Test("a mutated file imports cleanly or is refused naming its line; a refusal writes nothing", arguments: seeds)
    func mutatedFiles(seed: UInt64) throws {
        #expect(Self.pool.count > 2_000 && Self.repeatable.count > 50)
        var random = PropertyTests.Generator(state: seed)
        let store = try TemporaryLedger()
        // The whole demo first, so copies of its lines meet the funds, members and model they name.
        _ = try store.ledger.importLines(Array(Self.pool.joined(separator: "\n").utf8), actor: "fuzz")
        var outcomes: [Mutation: (accepted: Int, refused: Int)] = [:]
        for number in 0..<Self.casesPerSeed {
            let mutation = Mutation.allCases.randomElement(using: &random)!
            let source = mutation == .none || Bool.random(using: &random) ? Self.repeatable : Self.pool
            var lines = (0..<Int.random(in: 1...8, using: &random)).map { _ in
                Self.freshEventId(source.randomElement(using: &random)!, using: &random)
            }
            let target = Int.random(in: 0..<lines.count, using: &random)
            let original = lines.joined(separator: "\n")
            var bytes = Self.apply(mutation, to: &lines, at: target, using: &random)
            if bytes.isEmpty { bytes = Array(lines.joined(separator: "\n").utf8) }
            let mutated = bytes != Array(original.utf8)
            let lineCount = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            let context = "seed \(seed), case \(number), \(mutation)"
            let before = try store.ledger.head()
            let dumpBefore = try store.ledger.projectionDump()
            do {
                let summary = try store.ledger.importLines(bytes, actor: "fuzz")
                #expect(try store.ledger.head().position == before.position + UInt64(summary.recorded), "\(context)")
                #expect(!(mutated && Self.mustRefuse.contains(mutation)), "\(context): an invalid file was accepted")
                outcomes[mutation, default: (0, 0)].accepted += 1
            } catch let error as ImportError {
                #expect((1...lineCount).contains(error.line), "\(context): line \(error.line) of \(lineCount)")
                #expect("\(error)".hasPrefix("line \(error.line)"), "\(context): \(error)")
                #expect(try store.ledger.head() == before, "\(context): a refused import wrote events")
                #expect(try store.ledger.projectionDump() == dumpBefore, "\(context): a refused import changed the projections")
                outcomes[mutation, default: (0, 0)].refused += 1
            }
        }
        #expect(try store.ledger.log.verify().isValid)
        let stored = try store.ledger.projectionDump()
        try store.ledger.rebuildProjections()
        #expect(try store.ledger.projectionDump() == stored, "projections equal a fresh fold")
        // Every kind of mutation was tried, and files of valid lines were accepted too.
        #expect(outcomes.count >= Mutation.allCases.count - 2, "\(outcomes)")
        #expect((outcomes[.none]?.accepted ?? 0) > 0, "\(outcomes)")
    }

    static func freshEventId(_ line: String, using random: inout PropertyTests.Generator) -> String {
        let id = UUID(uuid: withUnsafeBytes(of: (random.next(), random.next())) { $0.load(as: uuid_t.self) })
        return line.replacing(#/"eventId": "[0-9a-f-]{36}"/#, with: "\"eventId\": \"\(id.uuidString.lowercased())\"")
    }

    /// Mutates `lines[target]` (or the whole file); returns the file's bytes when a
    /// mutation works below the level of text, else an empty array.
    static func apply(
        _ mutation: Mutation, to lines: inout [String], at target: Int, using random: inout PropertyTests.Generator
    ) -> [UInt8] {
        func replaceFirst(_ pattern: Regex<Substring>, with text: String) {
            if let match = lines[target].firstMatch(of: pattern) { lines[target].replaceSubrange(match.range, with: text) }
        }
        func bytes() -> [UInt8] { Array(lines.joined(separator: "\n").utf8) }
        switch mutation {
        case .none: break
        case .truncate:
            var file = bytes()
            file.removeLast(Int.random(in: 1...max(1, file.count - 1), using: &random))
            return file
        case .flipByte:
            var file = bytes()
            file[Int.random(in: 0..<file.count, using: &random)] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            return file
        case .invalidUTF8, .nulByte:
            var file = bytes()
            let insert: [UInt8] = mutation == .nulByte ? [0] : [[0xC3], [0xFF], [0xED, 0xA0, 0x80], [0xE1, 0xBB]].randomElement(using: &random)!
            file.insert(contentsOf: insert, at: Int.random(in: 0..<file.count, using: &random))
            return file
        case .hugeNumber: replaceFirst(#/"amount": \d+/#, with: "\"amount\": 1000000000000000000")
        case .pastInt64: replaceFirst(#/"amount": \d+/#, with: "\"amount\": 92233720368547758080000")
        case .negative: replaceFirst(#/"amount": \d+/#, with: "\"amount\": -1000")
        case .fraction: replaceFirst(#/"amount": \d+/#, with: "\"amount\": 1000.5")
        case .exponent: replaceFirst(#/"amount": \d+/#, with: "\"amount\": 1e3")
        case .numberAsText: replaceFirst(#/"amount": \d+/#, with: "\"amount\": \"1000\"")
        case .wrongContainer: replaceFirst(#/"data": \{/#, with: "\"data\": [{")
        case .duplicateKey: replaceFirst(#/"data": \{/#, with: "\"data\": {\"amount\": 1, ")
        case .unknownKey: replaceFirst(#/"data": \{/#, with: "\"data\": {\"note\": \"x\", ")
        case .missingField: replaceFirst(#/"[a-zA-Z]+": (?:"[^"]*"|\d+), /#, with: "")
        case .deepNesting: replaceFirst(#/"data": \{/#, with: "\"data\": " + String(repeating: "[", count: 100_000) + "{")
        case .longString: replaceFirst(#/"name": "/#, with: "\"name\": \"" + String(repeating: "Nguyễn ", count: 300))
        case .longLine: replaceFirst(#/"name": "/#, with: "\"name\": \"" + String(repeating: "a", count: 70_000))
        case .decomposedName:
            // Decomposed (NFD) wholly, or from its middle on: mixed normalisation in one line.
            let line = lines[target]
            let middle = Bool.random(using: &random) ? line.startIndex : line.index(line.startIndex, offsetBy: line.count / 2)
            lines[target] = String(line[..<middle]) + line[middle...].decomposedStringWithCanonicalMapping
        case .impossibleDate: replaceFirst(#/"\d{4}-\d\d-\d\d"/#, with: ["\"2024-02-30\"", "\"2023-13-01\"", "\"2024-00-10\""].randomElement(using: &random)!)
        case .shortDate: replaceFirst(#/"\d{4}-\d\d-\d\d"/#, with: "\"2024-1-1\"")
        case .badUUID: replaceFirst(#/"eventId": "[0-9a-f-]{36}"/#, with: "\"eventId\": \"0000-not-a-uuid\"")
        case .byteOrderMark: return [0xEF, 0xBB, 0xBF] + bytes()
        case .crlf: return Array(lines.joined(separator: "\r\n").utf8) + [0x0D, 0x0A]
        case .blankLines: return Array(lines.joined(separator: "\n\n  \n").utf8)
        case .nullValue: replaceFirst(#/"amount": \d+/#, with: "\"amount\": null")
        }
        return []
    }
}
