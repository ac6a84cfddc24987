import EventLog
import Foundation
import LMDB
import Testing

@Suite("Appending")
struct AppendTests {
    @Test("positions run 1, 2, 3 … across batches and streams, with per-stream versions")
    func gaplessPositions() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let first = try log.append([sampleEvent(1), sampleEvent(2)], to: "fund-a", actor: "lan")
        let second = try log.append([sampleEvent(3)], to: "fund-b", actor: "lan")
        let third = try log.append([sampleEvent(4)], to: "fund-a", actor: "hoa")
        #expect(first.events.map(\.position) == [1, 2])
        #expect(first.events.map(\.streamVersion) == [1, 2])
        #expect(second.events.map(\.position) == [3])
        #expect(second.streamVersion == 1)
        #expect(third.events.map(\.position) == [4])
        #expect(third.streamVersion == 3)
        let stored = try log.read { try $0.events() }
        #expect(stored.map(\.position) == [1, 2, 3, 4])
        #expect(stored.map(\.stream) == ["fund-a", "fund-a", "fund-b", "fund-a"])
        #expect(stored.map(\.recordedBy) == ["lan", "lan", "lan", "hoa"])
        #expect(try stored[0].payload() == .object(["n": .integer(1), "note": .text("số 1")]))
        #expect(try log.head().position == 4)
        #expect(try log.head().hash == stored[3].hash)
    }

    @Test("an expected version that does not hold is refused and writes nothing")
    func optimisticConcurrency() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([sampleEvent(1)], to: "s", expecting: .noStream, actor: "a")
        #expect(throws: LogError.wrongExpectedVersion(stream: "s", expected: .noStream, actual: 1)) {
            try log.append([sampleEvent(2)], to: "s", expecting: .noStream, actor: "a")
        }
        #expect(throws: LogError.wrongExpectedVersion(stream: "s", expected: .exactly(0), actual: 1)) {
            try log.append([sampleEvent(2)], to: "s", expecting: .exactly(0), actor: "a")
        }
        #expect(throws: LogError.wrongExpectedVersion(stream: "t", expected: .streamExists, actual: 0)) {
            try log.append([sampleEvent(2)], to: "t", expecting: .streamExists, actor: "a")
        }
        #expect(try log.head().position == 1)
        try log.append([sampleEvent(2)], to: "s", expecting: .exactly(1), actor: "a")
        try log.append([sampleEvent(3)], to: "s", expecting: .streamExists, actor: "a")
        try log.append([sampleEvent(4)], to: "s", expecting: .any, actor: "a")
        #expect(try log.read { try $0.streamVersion(of: "s") } == 4)
        #expect(try log.read { try $0.streamVersion(of: "t") } == 0)
    }

    @Test("a batch over several streams commits whole or not at all")
    func atomicBatch() throws {
        struct Refused: Error {}
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([sampleEvent(0)], to: "b", actor: "a")
        #expect(throws: Refused.self) {
            try log.write(actor: "a") { writer throws in
                try writer.append([sampleEvent(1), sampleEvent(2)], to: "a")
                try writer.append([sampleEvent(3)], to: "b", expecting: .exactly(1))
                #expect(writer.head.position == 4)
                throw Refused()
            }
        }
        #expect(throws: LogError.self) {
            try log.write(actor: "a") { writer throws in
                try writer.append([sampleEvent(1)], to: "a")
                try writer.append([sampleEvent(3)], to: "b", expecting: .noStream)
            }
        }
        #expect(try log.head().position == 1)
        #expect(try log.read { try $0.streamVersion(of: "a") } == 0)
        let result = try log.write(actor: "a") { writer throws in
            try writer.append([sampleEvent(1)], to: "a")
            return try writer.append([sampleEvent(3)], to: "b", expecting: .exactly(1))
        }
        #expect(result.events.map(\.position) == [3])
    }

    @Test("recordedAt comes from the store's clock and never goes backwards")
    func recordedAtIsMonotonic() throws {
        let folder = TemporaryFolder()
        let clock = ManualClock(1_000_000_000)
        let log = try openLog(folder, clock: clock)
        try log.append([sampleEvent(1)], to: "s", actor: "a")
        clock.set(500)  // the system clock was set back
        try log.append([sampleEvent(2)], to: "s", actor: "a")
        clock.set(2_000_000_000)
        try log.append([sampleEvent(3)], to: "s", actor: "a")
        let times = try log.read { try $0.events().map(\.recordedAt.microsecondsSince1970) }
        #expect(times == [1_000_000_000, 1_000_000_000, 2_000_000_000])
    }

    @Test("limits and names are checked before anything is written")
    func limits() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder) { $0.limits.dataBytesMax = 64 }
        #expect(throws: LogError.invalidName(field: "stream name", reason: "is empty")) {
            try log.append([sampleEvent(1)], to: "", actor: "a")
        }
        #expect(throws: LogError.invalidName(field: "event type", reason: "contains a NUL character")) {
            try log.append([sampleEvent(1, type: "A\u{0}B")], to: "s", actor: "a")
        }
        let big = NewEvent(type: "Big", data: .text(String(repeating: "x", count: 100)))
        #expect(throws: LogError.limitExceeded(field: "event data (bytes)", limit: 64, actual: 102)) {
            try log.append([big], to: "s", actor: "a")
        }
        let notCanonical = NewEvent(type: "Bad", canonicalData: [0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02])
        #expect(throws: LogError.self) { try log.append([notCanonical], to: "s", actor: "a") }
        #expect(try log.head().position == 0)
    }
}

@Suite("Idempotent appends")
struct IdempotencyTests {
    @Test("appending a stored event id again returns the first position and writes nothing")
    func duplicateAppend() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let id = UUID()
        let first = try log.append([sampleEvent(1, id: id)], to: "s", expecting: .noStream, actor: "a")
        try log.append([sampleEvent(2)], to: "s", actor: "a")
        // The retry carries the original expectation; it holds no more, yet changes nothing.
        let retry = try log.append([sampleEvent(1, id: id)], to: "s", expecting: .noStream, actor: "b")
        #expect(retry.changedNothing)
        #expect(retry.events[0].position == first.events[0].position)
        #expect(retry.events[0].streamVersion == 1)
        #expect(try log.head().position == 2)
    }

    @Test("an id reused for a different event is refused")
    func reusedId() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let id = UUID()
        try log.append([sampleEvent(1, id: id)], to: "s", actor: "a")
        #expect(throws: LogError.eventIdReused(eventId: id, position: 1)) {
            try log.append([sampleEvent(99, id: id)], to: "s", actor: "a")
        }
        #expect(throws: LogError.eventIdReused(eventId: id, position: 1)) {
            try log.append([sampleEvent(1, id: id)], to: "other-stream", actor: "a")
        }
        #expect(try log.head().position == 1)
    }

    @Test("a mixed batch writes only the new events; one id twice in a batch is stored once")
    func mixedBatch() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let old = UUID()
        let new = UUID()
        try log.append([sampleEvent(1, id: old)], to: "s", actor: "a")
        let result = try log.append(
            [sampleEvent(1, id: old), sampleEvent(2, id: new), sampleEvent(2, id: new)], to: "s", actor: "a")
        #expect(result.events.map(\.position) == [1, 2, 2])
        #expect(result.events.map(\.wasAlreadyStored) == [true, false, true])
        #expect(try log.head().position == 2)
    }

    @Test("idempotency survives closing and reopening the store")
    func survivesRestart() throws {
        let folder = TemporaryFolder()
        let ids = (0..<50).map { _ in UUID() }
        let events = ids.enumerated().map { sampleEvent($0.offset, id: $0.element) }
        do {
            let log = try openLog(folder)
            try log.append(events, to: "s", actor: "a")
        }
        let log = try openLog(folder)
        let retry = try log.append(events, to: "s", actor: "a")
        #expect(retry.changedNothing)
        #expect(retry.events.map(\.position) == Array(1...50))
        #expect(try log.head().position == 50)
        #expect(try log.read { try $0.event(id: ids[17])?.position } == 18)
    }
}
