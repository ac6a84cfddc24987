import EventLog
import Foundation
import Ledger

/// How a query prints: a table for people, JSON or CSV for tools.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv
}

/// A JSON value whose object members keep the order they were given.
public indirect enum JSONOut: Sendable {
    case object([(String, JSONOut)])
    case array([JSONOut])
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case null

    public static func money(_ amount: VND) -> JSONOut { .integer(amount.dong) }
    public static func date(_ date: LocalDate?) -> JSONOut { date.map { .string($0.description) } ?? .null }
    public static func text(_ text: String?) -> JSONOut { text.map { .string($0) } ?? .null }

    /// Indented two spaces, one member a line, UTF-8 as it is.
    public func serialized(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch self {
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let lines = members.map { pad + quoted($0.0) + ": " + $0.1.serialized(indent: indent + 1) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + closing + "}"
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { pad + $0.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n" + closing + "]"
        case .string(let text): return quoted(text)
        case .integer(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        }
    }

    /// On one line, with no space: for data files a page fetches.
    public func compact() -> String {
        switch self {
        case .object(let members): return "{" + members.map { quoted($0.0) + ":" + $0.1.compact() }.joined(separator: ",") + "}"
        case .array(let items): return "[" + items.map { $0.compact() }.joined(separator: ",") + "]"
        default: return serialized()
        }
    }

    private func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSON.appendString(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One value of a listing.
public enum Cell: Sendable {
    case text(String?)
    /// A count, shown with dot groups (`1.507`).
    case integer(Int64?)
    /// A position or a number that names something, shown plain (`2287`).
    case ordinal(Int64?)
    case money(VND?)
    case date(LocalDate?)

    public var json: JSONOut {
        switch self {
        case .text(let text): return .text(text)
        case .integer(let number), .ordinal(let number): return number.map { .integer($0) } ?? .null
        case .money(let amount): return amount.map { .money($0) } ?? .null
        case .date(let date): return .date(date)
        }
    }

    /// As a table shows it.
    public var display: String {
        switch self {
        case .text(let text): return text ?? ""
        case .integer(let number): return number.map { VND($0).grouped } ?? ""
        case .ordinal(let number): return number.map(String.init) ?? ""
        case .money(let amount): return amount?.description ?? ""
        case .date(let date): return date?.description ?? ""
        }
    }

    /// As CSV carries it: plain integers, ISO dates.
    public var plain: String {
        switch self {
        case .text(let text): return text ?? ""
        case .integer(let number), .ordinal(let number): return number.map(String.init) ?? ""
        case .money(let amount): return amount.map { String($0.dong) } ?? ""
        case .date(let date): return date?.description ?? ""
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .integer, .ordinal, .money: return true
        case .text, .date: return false
        }
    }
}

/// Rows under named columns: printed as an aligned table, JSON objects or CSV.
public struct Listing: Sendable {
    /// `key` names the JSON member and CSV column; `title` heads the table column.
    public var columns: [(key: String, title: String)]
    public var rows: [[Cell]] = []

    public init(_ columns: [(key: String, title: String)]) {
        self.columns = columns
    }

    /// The same rows without the column `key`.
    public func removing(column key: String) -> Listing {
        guard let index = columns.firstIndex(where: { $0.key == key }) else { return self }
        var listing = Listing(columns.enumerated().filter { $0.offset != index }.map(\.element))
        listing.rows = rows.map { row in row.enumerated().filter { $0.offset != index }.map(\.element) }
        return listing
    }

    public mutating func append(_ row: [Cell]) {
        precondition(row.count == columns.count, "a row of \(row.count) cells under \(columns.count) columns")
        rows.append(row)
    }

    public var json: JSONOut {
        .array(rows.map { row in .object(zip(columns, row).map { ($0.key, $1.json) }) })
    }

    /// RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma,
    /// a quote or a line break.
    public var csv: String { csvHeader + csvRows }

    /// The CSV header row alone.
    public var csvHeader: String { columns.map { csvField($0.key) }.joined(separator: ",") + "\r\n" }

    /// The CSV rows without the header, for writing a long table in pieces.
    public var csvRows: String {
        rows.map { $0.map { csvField($0.plain) }.joined(separator: ",") + "\r\n" }.joined()
    }

    /// Columns padded by display width: text left, figures right.
    public var table: String {
        let texts = rows.map { $0.map { oneLine($0.display) } }
        var widths = columns.map { displayWidth($0.title) }
        for row in texts {
            for (index, text) in row.enumerated() { widths[index] = max(widths[index], displayWidth(text)) }
        }
        let numeric = columns.indices.map { index in rows.contains { $0[index].isNumeric } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, text in
                let padding = String(repeating: " ", count: widths[index] - displayWidth(text))
                return numeric[index] ? padding + text : text + padding
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var lines = [line(columns.map(\.title)), line(widths.map { String(repeating: "─", count: $0) })]
        lines += texts.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    public func rendered(_ format: OutputFormat) -> String {
        switch format {
        case .table: return table
        case .json: return json.serialized() + "\n"
        case .csv: return csv
        }
    }
}

/// `text` with each control character (a tab, a line break in free text) shown as a
/// space, so a table's row stays one line.
func oneLine(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return text }
    return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
}

public func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Columns a terminal gives `text`: combining marks take none, wide East Asian
/// characters and emoji two, everything else one.
public func displayWidth(_ text: String) -> Int {
    var width = 0
    for scalar in text.unicodeScalars {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: continue
        default: break
        }
        let value = scalar.value
        if (0x1100...0x115F).contains(value) || (0x2E80...0xA4CF).contains(value) || (0xAC00...0xD7A3).contains(value)
            || (0xF900...0xFAFF).contains(value) || (0xFE30...0xFE4F).contains(value) || (0xFF00...0xFF60).contains(value)
            || (0xFFE0...0xFFE6).contains(value) || (0x1F300...0x1F64F).contains(value)
            || (0x1F900...0x1F9FF).contains(value) || (0x20000...0x3FFFD).contains(value)
        {
            width += 2
        } else {
            width += 1
        }
    }
    return width
}

extension String {
    public func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}

/// Writes to standard output.
public func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
