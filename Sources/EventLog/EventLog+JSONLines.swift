/// The JSON Lines form of stored events, as exports print them: one object a line,
/// the envelope and the data, from which anyone can rebuild the canonical bytes
/// and check every hash (see `tools/ansinh_chain.py` and the README).
extension RecordedEventView {
    /// Appends this event as one JSON object and a newline.
    ///
    /// ```json
    /// {"position":1,"eventId":"…","type":"FundOpened","schemaVersion":1,"stream":"fund-x",
    ///  "streamVersion":1,"recordedAt":"2026-11-29T06:32:59.123456Z","recordedBy":"lan",
    ///  "data":{…},"prevHash":"…","hash":"…"}
    /// ```
    /// - Throws: ``PayloadError`` if the stored data is damaged.
    public func appendJSONLine(to output: inout [UInt8]) throws(PayloadError) {
        output.append(contentsOf: #"{"position":"#.utf8)
        output.append(contentsOf: String(position).utf8)
        output.append(contentsOf: #","eventId":""#.utf8)
        output.append(contentsOf: eventId.uuidString.lowercased().utf8)
        output.append(contentsOf: #"","type":"#.utf8)
        JSON.appendString(typeBytes, to: &output)
        output.append(contentsOf: #","schemaVersion":"#.utf8)
        output.append(contentsOf: String(schemaVersion).utf8)
        output.append(contentsOf: #","stream":"#.utf8)
        JSON.appendString(streamBytes, to: &output)
        output.append(contentsOf: #","streamVersion":"#.utf8)
        output.append(contentsOf: String(streamVersion).utf8)
        output.append(contentsOf: #","recordedAt":""#.utf8)
        output.append(contentsOf: recordedAt.iso8601.utf8)
        output.append(contentsOf: #"","recordedBy":"#.utf8)
        JSON.appendString(recordedByBytes, to: &output)
        output.append(contentsOf: #","data":"#.utf8)
        var reader = CBORReader(data)
        try JSON.appendValue(from: &reader, to: &output, depth: 0)
        output.append(contentsOf: #","prevHash":""#.utf8)
        output.append(contentsOf: prevHash.hex.utf8)
        output.append(contentsOf: #"","hash":""#.utf8)
        output.append(contentsOf: hash.hex.utf8)
        output.append(contentsOf: "\"}\n".utf8)
    }
}

/// Writes JSON text (RFC 8259), UTF-8, escaping only what must be escaped.
public enum JSON {
    /// Appends `text` (UTF-8 bytes) as a JSON string.
    public static func appendString(_ text: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in text {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0a: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0d: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0f)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    public static func appendString(_ text: String, to output: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &output) }
    }

    /// Converts one CBOR value to JSON without building it in memory.
    static func appendValue(from reader: inout CBORReader, to output: inout [UInt8], depth: Int) throws(PayloadError) {
        guard depth <= Payload.depthMax else { throw PayloadError(offset: reader.offset, reason: .nestedTooDeep) }
        switch try reader.peekMajor() {
        case CBOR.majorUnsigned, CBOR.majorNegative:
            output.append(contentsOf: String(try reader.readInteger()).utf8)
        case CBOR.majorText:
            appendString(try reader.readTextBytes(), to: &output)
        case CBOR.majorArray:
            let count = try reader.readArrayHeader()
            output.append(UInt8(ascii: "["))
            for index in 0..<count {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                try appendValue(from: &reader, to: &output, depth: depth + 1)
            }
            output.append(UInt8(ascii: "]"))
        case CBOR.majorMap:
            let count = try reader.readMapHeader()
            output.append(UInt8(ascii: "{"))
            for index in 0..<count {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(try reader.readTextBytes(), to: &output)
                output.append(UInt8(ascii: ":"))
                try appendValue(from: &reader, to: &output, depth: depth + 1)
            }
            output.append(UInt8(ascii: "}"))
        default:
            if reader.readNullIfPresent() {
                output.append(contentsOf: "null".utf8)
            } else {
                output.append(contentsOf: (try reader.readBool() ? "true" : "false").utf8)
            }
        }
    }
}

extension Payload {
    /// The value as compact JSON text (object keys in canonical order).
    public var jsonText: String {
        let bytes = canonicalBytes()
        var output: [UInt8] = []
        bytes.withUnsafeBytes { raw in
            var reader = CBORReader(raw)
            do {
                try JSON.appendValue(from: &reader, to: &output, depth: 0)
            } catch {
                preconditionFailure("a payload's own encoding failed to convert: \(error)")
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
