/// Parses JSON text (RFC 8259) into a ``Payload``, strictly: whole numbers only (in
/// the `Int64` range), valid UTF-8, no repeated object keys, nesting at most
/// ``Payload/depthMax`` deep, and nothing after the value but blanks.
///
/// ```swift
/// let value = try JSONParser.parse(Array(#"{"amount": 50000}"#.utf8))
/// ```
public enum JSONParser {
    /// Parses one JSON value from `bytes`.
    /// - Throws: ``JSONSyntaxError`` with the byte offset (0-based) and the fault.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> Payload {
        var scanner = Scanner(bytes: bytes)
        scanner.skipBlanks()
        let value = try scanner.value(depth: 0)
        scanner.skipBlanks()
        guard scanner.offset == bytes.count else { throw scanner.fail("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> Payload {
        do {
            return try bytes.withUnsafeBytes { raw in try parse(raw) }
        } catch let error as JSONSyntaxError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        func fail(_ message: String, at position: Int? = nil) -> JSONSyntaxError {
            JSONSyntaxError(offset: position ?? offset, message: message)
        }

        mutating func skipBlanks() {
            while offset < bytes.count {
                switch bytes[offset] {
                case 0x20, 0x09, 0x0a, 0x0d: offset += 1
                default: return
                }
            }
        }

        func peek() -> UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func value(depth: Int) throws(JSONSyntaxError) -> Payload {
            guard let byte = peek() else { throw fail("the text ends where a value was expected") }
            switch byte {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .text(try string())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try number())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: throw fail("unexpected character '\(printable(byte))' where a value was expected")
            }
        }

        mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - offset >= count,
                (0..<count).allSatisfy({ bytes[offset + $0] == word.utf8Start[$0] })
            else { throw fail("unexpected text where a value was expected") }
            offset += count
        }

        mutating func object(depth: Int) throws(JSONSyntaxError) -> Payload {
            guard depth < Payload.depthMax else { throw fail("nesting deeper than \(Payload.depthMax) levels") }
            offset += 1
            var members: [String: Payload] = [:]
            skipBlanks()
            if peek() == UInt8(ascii: "}") {
                offset += 1
                return .object(members)
            }
            while true {
                skipBlanks()
                guard peek() == UInt8(ascii: "\"") else { throw fail("an object key must be a string in double quotes") }
                let keyOffset = offset
                let key = try string()
                skipBlanks()
                guard peek() == UInt8(ascii: ":") else { throw fail("expected ':' after the key \"\(key)\"") }
                offset += 1
                skipBlanks()
                let member = try value(depth: depth + 1)
                guard members.updateValue(member, forKey: key) == nil else {
                    throw fail("the key \"\(key)\" appears twice in one object", at: keyOffset)
                }
                skipBlanks()
                switch peek() {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "}"): offset += 1; return .object(members)
                default: throw fail("expected ',' or '}' in an object")
                }
            }
        }

        mutating func array(depth: Int) throws(JSONSyntaxError) -> Payload {
            guard depth < Payload.depthMax else { throw fail("nesting deeper than \(Payload.depthMax) levels") }
            offset += 1
            var items: [Payload] = []
            skipBlanks()
            if peek() == UInt8(ascii: "]") {
                offset += 1
                return .array(items)
            }
            while true {
                skipBlanks()
                items.append(try value(depth: depth + 1))
                skipBlanks()
                switch peek() {
                case UInt8(ascii: ","): offset += 1
                case UInt8(ascii: "]"): offset += 1; return .array(items)
                default: throw fail("expected ',' or ']' in an array")
                }
            }
        }

        mutating func number() throws(JSONSyntaxError) -> Int64 {
            let start = offset
            let negative = peek() == UInt8(ascii: "-")
            if negative { offset += 1 }
            guard let first = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                throw fail("a number needs digits", at: start)
            }
            var magnitude: UInt64 = 0
            var overflow = false
            while let digit = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) {
                let (times, overflowTimes) = magnitude.multipliedReportingOverflow(by: 10)
                let (plus, overflowPlus) = times.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
                overflow = overflow || overflowTimes || overflowPlus
                magnitude = plus
                offset += 1
            }
            if first == UInt8(ascii: "0"), offset - start > (negative ? 2 : 1) {
                throw fail("a number must not start with 0", at: start)
            }
            if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
                throw fail("must be a whole number (no fraction or exponent)", at: start)
            }
            let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
            guard !overflow, magnitude <= limit else {
                throw fail("the number is outside the 64-bit range (−9223372036854775808 to 9223372036854775807)", at: start)
            }
            return negative ? (magnitude == limit ? Int64.min : -Int64(magnitude)) : Int64(magnitude)
        }

        mutating func string() throws(JSONSyntaxError) -> String {
            let start = offset
            offset += 1
            var scalars = String.UnicodeScalarView()
            var runStart = offset
            var plain = true
            while true {
                guard let byte = peek() else { throw fail("a string is not closed", at: start) }
                if byte == UInt8(ascii: "\"") {
                    let text = try decodeRun(runStart, offset, start: start)
                    offset += 1
                    if plain { return text }
                    scalars.append(contentsOf: text.unicodeScalars)
                    return String(scalars)
                }
                if byte < 0x20 { throw fail("a control character must be escaped inside a string") }
                if byte == UInt8(ascii: "\\") {
                    plain = false
                    scalars.append(contentsOf: try decodeRun(runStart, offset, start: start).unicodeScalars)
                    scalars.append(try escape())
                    runStart = offset
                    continue
                }
                offset += 1
            }
        }

        func decodeRun(_ from: Int, _ to: Int, start: Int) throws(JSONSyntaxError) -> String {
            let run = UnsafeRawBufferPointer(rebasing: bytes[from..<to])
            guard let text = String(validating: run, as: UTF8.self) else {
                throw fail("the text is not valid UTF-8", at: start)
            }
            return text
        }

        mutating func escape() throws(JSONSyntaxError) -> Unicode.Scalar {
            let start = offset
            offset += 1
            guard let letter = peek() else { throw fail("a string ends inside an escape", at: start) }
            offset += 1
            switch letter {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let high = try hex4(start: start)
                if (0xD800...0xDBFF).contains(high) {
                    guard peek() == UInt8(ascii: "\\"), offset + 1 < bytes.count, bytes[offset + 1] == UInt8(ascii: "u") else {
                        throw fail("a lone UTF-16 surrogate in a \\u escape", at: start)
                    }
                    offset += 2
                    let low = try hex4(start: start)
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("a lone UTF-16 surrogate in a \\u escape", at: start) }
                    return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
                }
                guard let scalar = Unicode.Scalar(high) else { throw fail("a lone UTF-16 surrogate in a \\u escape", at: start) }
                return scalar
            default:
                throw fail("unknown escape '\\\(printable(letter))'", at: start)
            }
        }

        mutating func hex4(start: Int) throws(JSONSyntaxError) -> UInt32 {
            guard bytes.count - offset >= 4 else { throw fail("a \\u escape needs four hex digits", at: start) }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let digit = bytes[offset]
                let nibble: UInt32
                switch digit {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(digit - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(digit - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(digit - UInt8(ascii: "A") + 10)
                default: throw fail("a \\u escape needs four hex digits", at: start)
                }
                value = value << 4 | nibble
                offset += 1
            }
            return value
        }
    }
}

private func printable(_ byte: UInt8) -> String {
    (0x21...0x7e).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
}

/// JSON text that does not parse: where (byte offset) and why.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public let offset: Int
    public let message: String

    public var description: String { "not valid JSON at character \(offset + 1): \(message)" }
}
