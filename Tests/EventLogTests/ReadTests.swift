import EventLog
import Foundation
import Testing

@Suite("Reading")
struct ReadTests {
    func filledLog(_ folder: TemporaryFolder) throws -> EventLog {
        let log = try openLog(folder)
        for number in 1...20 {
            try log.append([sampleEvent(number)], to: number.isMultiple(of: 2) ? "even" : "odd", actor: "a")
        }
        return log
    }

    @Test("forward from a position, with a limit")
    func forward() throws {
        let folder = TemporaryFolder()
        let log = try filledLog(folder)
        #expect(try log.read { try $0.events(from: 5, limit: 3).map(\.position) } == [5, 6, 7])
        #expect(try log.read { try $0.events(from: 19).map(\.position) } == [19, 20])
        #expect(try log.read { try $0.events(from: 21) }.isEmpty)
    }

    @Test("backward from a position or the head")
    func backward() throws {
        let folder = TemporaryFolder()
        let log = try filledLog(folder)
        #expect(try log.read { try $0.events(from: 5, direction: .backward).map(\.position) } == [5, 4, 3, 2, 1])
        #expect(
            try log.read { try $0.events(from: .max, direction: .backward, limit: 2).map(\.position) } == [20, 19])
    }

    @Test("one stream, from a version")
    func stream() throws {
        let folder = TemporaryFolder()
        let log = try filledLog(folder)
        let even = try log.read { try $0.events(inStream: "even") }
        #expect(even.map(\.position) == [2, 4, 6, 8, 10, 12, 14, 16, 18, 20])
        #expect(even.map(\.streamVersion) == Array(1...10))
        #expect(try log.read { try $0.events(inStream: "odd", fromVersion: 9).map(\.position) } == [17, 19])
        #expect(try log.read { try $0.events(inStream: "od") }.isEmpty)
        #expect(try log.read { try $0.streamVersion(of: "odd") } == 10)
    }

    @Test("by event id")
    func byId() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        let id = UUID()
        try log.append([sampleEvent(1), sampleEvent(2, id: id)], to: "s", actor: "a")
        let event = try log.read { try $0.event(id: id)?.copy() }
        #expect(event?.position == 2)
        #expect(event?.eventId == id)
        #expect(try log.read { try $0.event(id: UUID()) } == nil)
    }

    @Test("the head of an empty log is position 0 and the zero hash")
    func emptyHead() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        #expect(try log.head() == .empty)
        #expect(try log.verify().isValid)
    }
}
