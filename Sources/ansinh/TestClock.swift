import EventLog
import Foundation
import Ledger

/// The command line's clock: the system's, or for tests only, with
/// `ANSINH_TEST_TODAY=YYYY-MM-DD`, a clock stopped at noon in Vietnam (05:00 UTC) on that
/// day. Every store the command line opens runs on it, so "today", the time events are
/// recorded at and an export's time do not depend on when the tests run (nor on a run
/// spanning midnight in Asia/Ho_Chi_Minh). A value that is not such a date is ignored.
enum TestClock {
    private static let fixed: Timestamp? = ProcessInfo.processInfo.environment["ANSINH_TEST_TODAY"].flatMap {
        Timestamp(iso8601: $0 + "T05:00:00.000000Z")
    }

    /// The clock a store is opened with.
    static var clock: @Sendable () -> Timestamp {
        guard let fixed else { return { Timestamp.now() } }
        return { fixed }
    }

    /// Today in the ward's calendar, by that clock.
    static func today() -> LocalDate { LocalDate(at: clock()) }

    /// Seconds since 1970 by that clock (a witness's cosignature time).
    static func unixSeconds() -> UInt64 { UInt64(max(0, clock().microsecondsSince1970 / 1_000_000)) }

    /// Options for a store opened by the command line.
    static func options() -> EventLog.Options {
        var options = EventLog.Options()
        options.clock = clock
        return options
    }
}
