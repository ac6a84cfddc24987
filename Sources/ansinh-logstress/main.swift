// A helper the event-log tests start as a separate process, to append from another
// process while the test kills it or appends too.
//
//   ansinh-logstress STORE STREAM BATCHES EVENTS_PER_BATCH [--no-sync] [--map-bytes N]
//
// After each committed batch it prints one line per event, `ack POSITION EVENT_ID`,
// written at once: a printed event is an acknowledged one.
import EventLog
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 5, let batches = Int(arguments[3]), let perBatch = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: ansinh-logstress STORE STREAM BATCHES EVENTS_PER_BATCH [--no-sync] [--map-bytes N]\n".utf8))
    exit(64)
}
var options = EventLog.Options()
if arguments.contains("--no-sync") { options.environment.durability = .bulkLoadNoSync }
if let index = arguments.firstIndex(of: "--map-bytes"), index + 1 < arguments.count, let bytes = Int(arguments[index + 1]) {
    options.environment.mapSizeBytesInitial = bytes
}
let stream = arguments[2]
do {
    let log = try EventLog(path: arguments[1], options: options)
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
        let result = try log.append(events, to: stream, actor: "stress")
        var lines = ""
        for event in result.events {
            lines += "ack \(event.position) \(event.eventId.uuidString.lowercased())\n"
        }
        FileHandle.standardOutput.write(Data(lines.utf8))
    }
} catch {
    FileHandle.standardError.write(Data("ansinh-logstress: \(error)\n".utf8))
    exit(1)
}
