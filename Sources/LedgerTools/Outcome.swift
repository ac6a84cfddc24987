import EventLog
import Foundation
import Ledger

/// What a failure means to whoever asked: the command line turns it into an exit
/// status, the server into an HTTP status. One classification, so that the CLI's
/// `65` and the API's `422` never disagree about the same error.
public enum Outcome: Sendable, Hashable {
    /// Input that breaks the catalogue or a rule of the ledger: a field, a line, a balance.
    case refused
    /// Something already exists: an id, an event id used for another event, a stream
    /// that moved on, an entry already reversed.
    case conflict
    /// The store cannot be used: missing, damaged, newer, unreadable, full.
    case storeProblem
    /// A request that cannot be understood: a bad size, an unknown read model.
    case usage
    /// An audit or a proof check found the history wrong.
    case auditFailed
    /// The user may not do this (a fund not theirs, a role that does not record).
    case notPermitted
}

/// The one-line message and ``Outcome`` for any error the ledger and its tools throw.
public enum Explanation {
    /// The message and outcome of a command or import line refused for `reason`: a
    /// field is the clerk's input (refused), not damaged stored data; a conflict (an id
    /// that exists) keeps its own outcome.
    public static func of(refusal reason: any Error) -> (message: String, outcome: Outcome) {
        reason is FieldError ? ("\(reason)", .refused) : of(reason)
    }

    /// The one-line message and outcome of an error.
    public static func of(_ error: any Error) -> (message: String, outcome: Outcome) {
        switch error {
        case let rejected as CommandRejected:
            return of(refusal: rejected.reason)
        case let error as ImportError:
            return (error.description, error.reason.map { of(refusal: $0).1 } ?? .refused)
        case let error as FieldError:
            // Input is checked inside a command or an import line; a bare one comes from stored data.
            return ("stored data is damaged: \(error); run `ansinh audit verify`", .storeProblem)
        case let violation as RuleViolation:
            switch violation {
            case .fundAlreadyExists, .memberAlreadyExists, .pledgeAlreadyExists, .modelAlreadyExists,
                .disbursementAlreadyExists, .entryAlreadyReversed, .pledgeAlreadyCancelled, .modelAlreadyClosed,
                .periodAlreadyClosed, .subjectAlreadyErased:
                return (violation.description, .conflict)
            default:
                return (violation.description, .refused)
            }
        case let error as LogError:
            switch error {
            case .eventIdReused, .wrongExpectedVersion:
                return (error.description, .conflict)
            case .limitExceeded, .invalidName, .invalidData:
                return (error.description, .refused)
            case .dataFileEmpty, .damagedStore:
                return (error.description, .storeProblem)
            case .storeNotFound(let path):
                return (
                    "no store at \(path); create one with `ansinh init --ward NAME --province NAME` "
                        + "(and --store PATH for another place)", .storeProblem
                )
            case .unknownProjection, .treeSizeUnavailable:
                return (error.description, .usage)
            case .treeNotKept:
                return (error.description, .storeProblem)
            case .storeNotAFolder, .notAStore, .unsupportedStoreFormat, .corruptRecord, .projectionsOutdated,
                .projectionsRebuilding:
                return (error.description, .storeProblem)
            }
        case let error as StoreError:
            switch error {
            case .diskFull:
                return ("the disk holding the store is full, or failing; nothing was written", .storeProblem)
            case .accessDenied: return ("the store cannot be opened: permission denied", .storeProblem)
            case .readOnlyFileSystem: return ("the store is on a read-only file system", .storeProblem)
            case .sizeLimitReached: return ("the store reached its size limit; nothing was written", .storeProblem)
            case .ioError:
                return ("the disk failed to read or write the store (input/output error); check the disk, "
                        + "then run `ansinh audit verify`", .storeProblem)
            case .damaged(let words):
                return ("the store's files are damaged or not an ansinh store (\(words))", .storeProblem)
            case .failed(let words): return ("store error: \(words)", .storeProblem)
            }
        case let error as TransparencyError:
            switch error {
            case .noSigningKey: return (error.description, .storeProblem)
            case .originFixed: return (error.description, .conflict)
            case .badOrigin, .badPublicURL, .noSuchEvent, .proofUnreadable, .badSize: return (error.description, .usage)
            case .proofFails: return (error.description, .auditFailed)
            }
        case let error as NoteError:
            return (error.description, .usage)
        case let error as ReceiptError:
            switch error {
            case .qrCode: return (error.description, .storeProblem)
            case .notAContribution, .noPublicAddress: return (error.description, .usage)
            }
        case let error as WitnessError:
            switch error {
            case .notAWitness, .notALogKey: return (error.description, .usage)
            case .stateUnusable: return (error.description, .storeProblem)
            case .malformed, .unknownLog, .notSignedByLog: return (error.description, .refused)
            case .oldSizeMismatch, .inconsistent, .splitView: return (error.description, .conflict)
            }
        case let error as KeyError:
            switch error {
            case .alreadyExists: return (error.description, .conflict)
            case .publicKeyUnreadable, .notAPublicKey: return (error.description, .usage)
            case .cannotCreate, .unreadable, .notASigningKey: return (error.description, .storeProblem)
            }
        case let error as BackupError:
            switch error {
            case .storeExists, .folderNotEmpty: return (error.description, .conflict)
            case .checksumMissing: return (error.description, .refused)
            case .unreadable, .checksumMismatch, .cannotCreate, .cannotFlush: return (error.description, .storeProblem)
            }
        case let error as StoreFormatError:
            return (error.description, .storeProblem)
        case let error as SubjectKeysError:
            return (error.description, .storeProblem)
        case let error as SealedNameError:
            return (error.description, .storeProblem)
        case let error as ErasureRefused:
            switch error {
            case .alreadyErased: return (error.description, .conflict)
            case .unknownSubject, .withinRetention, .reasonNamesThePerson: return (error.description, .refused)
            }
        case let error as AuditProblem:
            return ("\(error)", .auditFailed)
        case let error as PastBooks.PastTheHead:
            return (error.description, .refused)
        case let error as ScopeViolation:
            return (error.description, .notPermitted)
        case let error as UserError:
            switch error {
            case .exists: return (error.description, .conflict)
            case .unknown, .badName, .auditorWithFunds, .clerkWithoutFunds, .unknownFund: return (error.description, .usage)
            }
        case let error as ExportError:
            if case .cannotWrite = error { return (error.description, .storeProblem) }
            return (error.description, .refused)
        case let error as ProjectionFault:
            return (error.description, .storeProblem)
        case let error as MoneyOverflow:
            // Commands report overflow as a rule; here it comes from summing stored figures.
            return (error.description, .storeProblem)
        case let error as CocoaError:
            return (error.localizedDescription, .storeProblem)
        default:
            return ("\(error)", .storeProblem)
        }
    }
}
