import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools
import Province

/// Exit statuses, documented in `ansinh --help` and the README.
enum ExitStatus {
    static let success: Int32 = 0
    /// Input that breaks the catalogue or a rule of the ledger: a field, a line, a balance.
    static let refused: Int32 = 65
    /// Something already exists: an id, an event id used for another event, a stream
    /// that moved on.
    static let conflict: Int32 = 73
    /// The store cannot be used: missing, damaged, newer, unreadable, full.
    static let storeProblem: Int32 = 74
    /// Bad options or arguments (from the argument parser).
    static let usage: Int32 = 64
    /// `audit verify` found the history or the projections wrong.
    static let auditFailed: Int32 = 1
}

/// A failure the command line reports itself, in one line.
struct Failure: Error, CustomStringConvertible {
    let message: String
    let status: Int32

    var description: String { message }
}

/// Runs `body`; any error becomes one line on standard error and an exit status.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let (message, status) = describe(error)
        FileHandle.standardError.write(Data("ansinh: \(message)\n".utf8))
        throw ExitCode(status)
    }
}

/// The one-line message and exit status for an error.
func describe(_ error: any Error) -> (String, Int32) {
    if let failure = error as? Failure { return (failure.message, failure.status) }
    if let error = error as? ProvinceError { return (error.description, error.exitStatus) }
    let (message, outcome) = Explanation.of(error)
    return (message, ExitStatus.of(outcome))
}

extension ExitStatus {
    /// The exit status of an ``Outcome``.
    static func of(_ outcome: Outcome) -> Int32 {
        switch outcome {
        case .refused: return refused
        case .conflict: return conflict
        case .storeProblem: return storeProblem
        case .usage: return usage
        case .auditFailed: return auditFailed
        case .notPermitted: return refused
        }
    }
}
