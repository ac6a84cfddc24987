@testable import EventLog
import Foundation
import Ledger
import TestSupport
import Testing

/// Every figure `tools/demo/generate.py` computes on its own (`tools/demo/expected.json`)
/// against what the ledger answers once the demo files are imported. The generator folds
/// the events under the catalogue's rules without ansinh, so the two agree only when
/// both are right. A difference names the figure by its path in expected.json.
@Suite("The demo's figures, computed twice")
struct DemoFiguresTests {
    /// Sections of expected.json that are not answers of the ledger: prose, and figures
    /// other tests check (the NFD names by their scalars, the article's figures against
    /// the article).
    static let notCompared: Set<String> = ["generatedBy", "conventions", "nfdEncodedMembers", "articleFigures"]

    static let expected = Result { () throws -> [String: Payload] in
        let bytes = Array(try Data(contentsOf: packageRoot.appendingPathComponent("tools/demo/expected.json")))
        guard case .object(let sections) = try JSONParser.parse(bytes) else { throw DemoAnswers.Unexpected("expected.json is no object") }
        return sections
    }

    /// The ledger's answers, computed once for all the tests.
    static let answers = Result { try DemoAnswers.compute(expected: try expected.get()) }

    @Test("generate.py run again into another folder writes the committed files byte for byte")
    func generatorReproducesTheFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-demo-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try python([packageRoot.appendingPathComponent("tools/demo/generate.py").path, "--out", folder.path])
        try #require(run.status == 0, "generate.py failed: \(run.output)")
        for (name, committed) in DemoAnswers.files + [("expected.json", "tools/demo/expected.json")] {
            let fresh = try Data(contentsOf: folder.appendingPathComponent(name))
            let old = try Data(contentsOf: packageRoot.appendingPathComponent(committed))
            #expect(fresh == old, "\(committed) is not what generate.py writes now: run python3 tools/demo/generate.py")
        }
    }

    @Test("every section of expected.json is compared with the ledger")
    func everySectionCompared() throws {
        let sections = Set(try Self.expected.get().keys)
        #expect(sections.subtracting(Self.notCompared) == Set(DemoAnswers.sections))
    }

    @Test("every figure of the section is what the ledger answers", arguments: DemoAnswers.sections)
    func section(_ name: String) throws {
        let expected = try #require(try Self.expected.get()[name], "expected.json has no \(name)")
        let answer = try #require(try Self.answers.get()[name], "no answer for \(name)")
        let differences = FigureDifferences.between(expected: expected, answer: answer, path: name)
        for difference in differences.prefix(20) {
            Issue.record(Comment(rawValue: difference))
        }
        #expect(differences.count <= 20, "\(differences.count) differences in all")
    }

    @Test("the members with a reversed deposit have every row of their history compared")
    func correctedHistoriesShown() throws {
        let answers = try Self.answers.get()
        guard case .object(let rows) = try #require(answers["memberDeposits"]),
            case .array(let reversals) = try #require(answers["reversals"])
        else { throw DemoAnswers.Unexpected("memberDeposits or reversals") }
        #expect(reversals.count >= 3, "a donation, a disbursement and a deposit are reversed")
        let store = try DemoAnswers.importDemo().store
        for member in try store.ledger.members() {
            let history = try #require(try store.ledger.memberHistory(member.memberId))
            if history.deposits.contains(where: { $0.reversesPosition != nil }) {
                #expect(rows[member.memberId] != nil, "\(member.memberId) has a reversal row but expected.json lists no rows")
            }
        }
    }

    @Test("a broken figure is named", arguments: [
        (Payload.object(["a": .object(["b": .integer(1)])]), Payload.object(["a": .object(["b": .integer(2)])]),
         "x.a.b: the ledger gives 2, expected.json 1"),
        (.array([.object(["memberId": .text("dv-1"), "n": .integer(1)])]), .array([.object(["memberId": .text("dv-1"), "n": .integer(3)])]),
         "x[dv-1].n: the ledger gives 3, expected.json 1"),
        (.object(["a": .integer(1)]), .object([:]), "x.a: expected.json has 1, the ledger gives no such figure"),
        (.text("Nguyễn"), .text("Nguye\u{0302}\u{0303}n"), "x: the ledger gives \"Nguyễn\", expected.json \"Nguyễn\""),
    ])
    func differencesNamed(expected: Payload, answer: Payload, message: String) {
        #expect(FigureDifferences.between(expected: expected, answer: answer, path: "x") == [message])
    }
}

/// Compares two trees of figures, naming each difference by its path.
enum FigureDifferences {
    static func between(expected: Payload, answer: Payload, path: String) -> [String] {
        switch (expected, answer) {
        case (.object(let expected), .object(let answer)):
            return Set(expected.keys).union(answer.keys).sorted().flatMap { key -> [String] in
                let here = path + "." + key
                switch (expected[key], answer[key]) {
                case (let figure?, let given?): return between(expected: figure, answer: given, path: here)
                case (let figure?, nil): return ["\(here): expected.json has \(show(figure)), the ledger gives no such figure"]
                case (nil, let given?): return ["\(here): the ledger gives \(show(given)), expected.json has no such figure"]
                case (nil, nil): return []
                }
            }
        case (.array(let expected), .array(let answer)):
            var differences: [String] = []
            if expected.count != answer.count {
                differences.append("\(path): expected.json lists \(expected.count), the ledger \(answer.count)")
            }
            for index in 0..<min(expected.count, answer.count) {
                differences += between(expected: expected[index], answer: answer[index], path: path + "[\(label(expected[index], index))]")
            }
            return differences
        case (.text(let expected), .text(let answer)):
            // Scalar by scalar: an NFD name is not the NFC one.
            guard Array(expected.unicodeScalars) != Array(answer.unicodeScalars) else { return [] }
            return [mismatch(path, expected: .text(expected), answer: .text(answer))]
        default:
            return expected == answer ? [] : [mismatch(path, expected: expected, answer: answer)]
        }
    }

    private static func mismatch(_ path: String, expected: Payload, answer: Payload) -> String {
        "\(path): the ledger gives \(show(answer)), expected.json \(show(expected))"
    }

    /// A row of a list is named by its member or its position, else by its index.
    private static func label(_ row: Payload, _ index: Int) -> String {
        guard case .object(let fields) = row else { return "\(index)" }
        if case .text(let memberId)? = fields["memberId"] { return memberId }
        if case .integer(let position)? = fields["position"] { return "#\(position)" }
        return "\(index)"
    }

    static func show(_ figure: Payload) -> String {
        switch figure {
        case .null: return "null"
        case .bool(let value): return "\(value)"
        case .integer(let value): return "\(value)"
        case .text(let value): return "\"\(value)\""
        case .array(let items): return "[" + items.map(show).joined(separator: ", ") + "]"
        case .object(let fields): return "{" + fields.keys.sorted().map { "\($0): \(show(fields[$0]!))" }.joined(separator: ", ") + "}"
        }
    }
}
