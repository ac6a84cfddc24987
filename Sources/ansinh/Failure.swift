import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

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

/// The message and exit status of a command or import line refused for `reason`: a
/// field is the clerk's input (65), not damaged stored data; a conflict (an id that
/// exists) keeps its own status.
func describe(refusal reason: any Error) -> (String, Int32) {
    reason is FieldError ? ("\(reason)", ExitStatus.refused) : describe(reason)
}

/// The one-line message and exit status for an error.
func describe(_ error: any Error) -> (String, Int32) {
    switch error {
    case let failure as Failure:
        return (failure.message, failure.status)
    case let rejected as CommandRejected:
        return describe(refusal: rejected.reason)
    case let error as ImportError:
        return (error.description, error.reason.map { describe(refusal: $0).1 } ?? ExitStatus.refused)
    case let error as FieldError:
        // Input is checked inside a command or an import line; a bare one comes from stored data.
        return ("stored data is damaged: \(error); run `ansinh audit verify`", ExitStatus.storeProblem)
    case let violation as RuleViolation:
        switch violation {
        case .fundAlreadyExists, .memberAlreadyExists, .pledgeAlreadyExists, .modelAlreadyExists,
            .disbursementAlreadyExists, .entryAlreadyReversed, .pledgeAlreadyCancelled, .modelAlreadyClosed,
            .periodAlreadyClosed, .subjectAlreadyErased:
            return (violation.description, ExitStatus.conflict)
        default:
            return (violation.description, ExitStatus.refused)
        }
    case let error as LogError:
        switch error {
        case .eventIdReused, .wrongExpectedVersion:
            return (error.description, ExitStatus.conflict)
        case .limitExceeded, .invalidName, .invalidData:
            return (error.description, ExitStatus.refused)
        case .dataFileEmpty, .damagedStore:
            return (error.description, ExitStatus.storeProblem)
        case .storeNotFound(let path):
            return (
                "no store at \(path); create one with `ansinh init --ward NAME --province NAME` "
                    + "(and --store PATH for another place)", ExitStatus.storeProblem
            )
        case .unknownProjection, .treeSizeUnavailable:
            return (error.description, ExitStatus.usage)
        case .treeNotKept:
            return (error.description, ExitStatus.storeProblem)
        case .storeNotAFolder, .notAStore, .unsupportedStoreFormat, .corruptRecord, .projectionsOutdated,
            .projectionsRebuilding:
            return (error.description, ExitStatus.storeProblem)
        }
    case let error as StoreError:
        switch error {
        case .diskFull:
            return ("the disk holding the store is full, or failing; nothing was written", ExitStatus.storeProblem)
        case .accessDenied: return ("the store cannot be opened: permission denied", ExitStatus.storeProblem)
        case .readOnlyFileSystem: return ("the store is on a read-only file system", ExitStatus.storeProblem)
        case .sizeLimitReached: return ("the store reached its size limit; nothing was written", ExitStatus.storeProblem)
        case .ioError:
            return ("the disk failed to read or write the store (input/output error); check the disk, "
                    + "then run `ansinh audit verify`", ExitStatus.storeProblem)
        case .damaged(let words):
            return ("the store's files are damaged or not an ansinh store (\(words))", ExitStatus.storeProblem)
        case .failed(let words): return ("store error: \(words)", ExitStatus.storeProblem)
        }
    case let error as TransparencyError:
        switch error {
        case .noSigningKey: return (error.description, ExitStatus.storeProblem)
        case .originFixed: return (error.description, ExitStatus.conflict)
        case .badOrigin, .badPublicURL, .noSuchEvent, .proofUnreadable, .badSize: return (error.description, ExitStatus.usage)
        case .proofFails: return (error.description, ExitStatus.auditFailed)
        }
    case let error as NoteError:
        return (error.description, ExitStatus.usage)
    case let error as ReceiptError:
        switch error {
        case .qrCode: return (error.description, ExitStatus.storeProblem)
        case .notAContribution, .noPublicAddress: return (error.description, ExitStatus.usage)
        }
    case let error as WitnessError:
        switch error {
        case .notAWitness, .notALogKey: return (error.description, ExitStatus.usage)
        case .stateUnusable: return (error.description, ExitStatus.storeProblem)
        case .malformed, .unknownLog, .notSignedByLog: return (error.description, ExitStatus.refused)
        case .oldSizeMismatch, .inconsistent, .splitView: return (error.description, ExitStatus.conflict)
        }
    case let error as KeyError:
        switch error {
        case .alreadyExists: return (error.description, ExitStatus.conflict)
        case .publicKeyUnreadable, .notAPublicKey: return (error.description, ExitStatus.usage)
        case .cannotCreate, .unreadable, .notASigningKey: return (error.description, ExitStatus.storeProblem)
        }
    case let error as BackupError:
        switch error {
        case .storeExists, .folderNotEmpty: return (error.description, ExitStatus.conflict)
        case .checksumMissing: return (error.description, ExitStatus.refused)
        case .unreadable, .checksumMismatch, .cannotCreate, .cannotFlush: return (error.description, ExitStatus.storeProblem)
        }
    case let error as StoreFormatError:
        return (error.description, ExitStatus.storeProblem)
    case let error as SubjectKeysError:
        return (error.description, ExitStatus.storeProblem)
    case let error as SealedNameError:
        return (error.description, ExitStatus.storeProblem)
    case let error as ErasureRefused:
        switch error {
        case .alreadyErased: return (error.description, ExitStatus.conflict)
        case .unknownSubject, .withinRetention, .reasonNamesThePerson: return (error.description, ExitStatus.refused)
        }
    case let error as AuditProblem:
        return ("\(error)", ExitStatus.auditFailed)
    case let error as ExportError:
        if case .cannotWrite = error { return (error.description, ExitStatus.storeProblem) }
        return (error.description, ExitStatus.refused)
    case let error as ProjectionFault:
        return (error.description, ExitStatus.storeProblem)
    case let error as MoneyOverflow:
        // Commands report overflow as a rule; here it comes from summing stored figures.
        return (error.description, ExitStatus.storeProblem)
    case let error as CocoaError:
        return (error.localizedDescription, ExitStatus.storeProblem)
    default:
        return ("\(error)", ExitStatus.storeProblem)
    }
}
