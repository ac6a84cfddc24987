// A helper the event-log tests start as a separate process, to append from another
// process while the test kills it or appends too; the durability tool reads its stores.
//
//   ansinh-logstress STORE STREAM BATCHES EVENTS_PER_BATCH [--no-sync] [--map-bytes N]
//       Before each batch it prints `begin BATCH`; after it is committed, one line per
//       event, `ack POSITION EVENT_ID`, written at once: a printed event is an
//       acknowledged one. A kill after a `begin` and before its acks landed inside an append.
//   ansinh-logstress STORE --hold-read [--readers N]
//       Takes a reader slot, prints `holding HEAD`, and keeps the slot until killed.
//   ansinh-logstress STORE --list
//       Opens the store read-only (never creating it), verifies the log (positions,
//       hashes, the chain, the indexes) and prints `POSITION EVENT_ID` per event; exit 1
//       with one line naming the failure when the store cannot be opened or does not verify.
import EventLog
import Foundation

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("ansinh-logstress: \(message)\n".utf8))
    exit(status)
}

func option(_ name: String) -> String? {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count else {
        return nil
    }
    return CommandLine.arguments[index + 1]
}

func holdRead(_ log: EventLog) throws -> Never {
    try log.read { reader in
        let head = try reader.head()
        FileHandle.standardOutput.write(Data("holding \(head.position)\n".utf8))
        while true { sleep(60) }
    }
}

func list(_ log: EventLog) throws {
    let report = try log.verify()
    if let failure = report.failure { fail("the log does not verify: \(failure)", status: 1) }
    var lines = ""
    try log.read { reader in
        try reader.forEachEvent { event in
            lines += "\(event.position) \(event.eventId.uuidString.lowercased())\n"
        }
    }
    FileHandle.standardOutput.write(Data(lines.utf8))
}

func appendBatches(_ log: EventLog, stream: String, batches: Int, perBatch: Int) throws {
    let filler = String(repeating: "x", count: 200)
    for batch in 0..<batches {
        let events = (0..<perBatch).map { index in
            NewEvent(
                type: "StressAppended",
                data: .object([
                    "writer": .text(stream), "batch": .integer(Int64(batch)), "index": .integer(Int64(index)),
                    "filler": .text(filler),
                ]))
        }
        FileHandle.standardOutput.write(Data("begin \(batch)\n".utf8))
        let result = try log.append(events, to: stream, actor: "stress")
        var lines = ""
        for event in result.events {
            lines += "ack \(event.position) \(event.eventId.uuidString.lowercased())\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: see the comment at the top of main.swift", status: 64) }
var options = EventLog.Options()
if arguments.contains("--no-sync") { options.durability = .bulkLoadNoSync }
if let bytes = option("--map-bytes").flatMap(Int.init) { options.mapSizeBytesInitial = bytes }
if let count = option("--readers").flatMap(UInt32.init) { options.readerCountMax = count }
let listing = arguments[2] == "--list"
if listing {
    options.readOnly = true
    options.createIfMissing = false
}
do {
    let log = try EventLog(path: arguments[1], options: options)
    if arguments[2] == "--hold-read" { try holdRead(log) }
    if listing {
        try list(log)
        exit(0)
    }
    guard arguments.count >= 5, let batches = Int(arguments[3]), let perBatch = Int(arguments[4]) else {
        fail("usage: see the comment at the top of main.swift", status: 64)
    }
    try appendBatches(log, stream: arguments[2], batches: batches, perBatch: perBatch)
} catch {
    fail("\(error)", status: 1)
}
