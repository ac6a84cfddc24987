import Foundation

/// Why the event log refused an operation. Each says what was wrong in terms of the
/// store and the request; nothing was written.
public enum LogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No store at the path, and it was not to be created.
    case storeNotFound(path: String)
    /// The path exists but is not a folder.
    case storeNotAFolder(path: String)
    /// The folder holds no event log (opened read-only, so none could be created).
    case notAStore(path: String)
    /// The store was written by a newer format than this program reads.
    case unsupportedStoreFormat(found: UInt32, supported: UInt32)
    /// The stream is not at the version the append expected.
    case wrongExpectedVersion(stream: String, expected: ExpectedVersion, actual: UInt64)
    /// The event id is already stored for a different event.
    case eventIdReused(eventId: UUID, position: UInt64)
    /// A field is over its named limit.
    case limitExceeded(field: String, limit: Int, actual: Int)
    /// A stream, type or actor name is unusable.
    case invalidName(field: String, reason: String)
    /// Event data is not canonical CBOR.
    case invalidData(eventId: UUID, PayloadError)
    /// A stored record is damaged (found while reading; `audit verify` says more).
    case corruptRecord(position: UInt64, reason: String)
    /// A projection is kept in an older layout and the store is open read-only.
    case projectionsOutdated(name: String)
    /// Some projections have not folded the whole log yet: a rebuild is under way, or
    /// one was interrupted. Their answers would be incomplete, so none is given.
    case projectionsRebuilding(names: [String], position: UInt64, head: UInt64)
    /// No projection of the store has this name.
    case unknownProjection(name: String, known: [String])
    /// The data file is there but empty: its data was lost (a failed copy, a full disk).
    case dataFileEmpty(path: String)
    /// The data file is damaged, as found by reading it directly: cut short, or a page
    /// that breaks the storage's layout (named, with its database). Nothing is written to it.
    case damagedStore(reason: String)
    /// A tree size, or a leaf, that the log's Merkle tree does not have (yet).
    case treeSizeUnavailable(size: UInt64, treeSize: UInt64)
    /// A store of an earlier version, opened read-only, keeps no Merkle tree yet.
    case treeNotKept

    public var description: String {
        switch self {
        case .storeNotFound(let path):
            return "no store at \(path)"
        case .storeNotAFolder(let path):
            return "\(path) is not a folder, so it cannot hold a store"
        case .notAStore(let path):
            return "\(path) does not hold an event store"
        case .unsupportedStoreFormat(let found, let supported):
            return "the store uses format \(found), newer than the format \(supported) this program reads; "
                + "use a newer version of the program"
        case .wrongExpectedVersion(let stream, let expected, let actual):
            return "stream \(stream) is at version \(actual), but the append expected \(expected)"
        case .eventIdReused(let eventId, let position):
            return "event id \(eventId.uuidString.lowercased()) is already used by a different event at position \(position)"
        case .limitExceeded(let field, let limit, let actual):
            return "\(field) is \(actual), over the limit of \(limit)"
        case .invalidName(let field, let reason):
            return "\(field) \(reason)"
        case .invalidData(let eventId, let error):
            return "event \(eventId.uuidString.lowercased()): \(error)"
        case .corruptRecord(let position, let reason):
            return "the event at position \(position) is damaged (\(reason)); run an audit"
        case .dataFileEmpty(let path):
            return "the data file is empty (0 bytes): restore it from a backup (\(path))"
        case .damagedStore(let reason):
            return "the store is damaged: \(reason)"
        case .projectionsRebuilding(let names, let position, let head):
            return "rebuilding: read models at position \(position) of \(head) (\(names.joined(separator: ", "))); "
                + "try again when the rebuild is done, or run `ansinh projections rebuild` if none is running"
        case .unknownProjection(let name, let known):
            return "there is no read model named \(name); the read models are \(known.joined(separator: ", "))"
        case .treeNotKept:
            return "this store keeps no Merkle tree yet (an earlier version of ansinh wrote it): open it for writing once "
                + "(any recording command, or `ansinh projections rebuild`) and the tree is built"
        case .treeSizeUnavailable(let size, let treeSize):
            return "the log's Merkle tree has \(treeSize) leaves, so it has no tree of size \(size)"
                + (size == 0 ? " (a proof needs a tree of at least one leaf)" : "")
        case .projectionsOutdated(let name):
            return "the store's read model \(name) is kept in another layout than this version's; "
                + "open the store for writing once (or run `ansinh projections rebuild`) to refold it"
        }
    }

    /// A read model is kept in another layout (see ``projectionsOutdated(name:)``).
    public var isProjectionsOutdated: Bool {
        if case .projectionsOutdated = self { return true }
        return false
    }
}

/// What an append expects of its stream, for optimistic concurrency.
public enum ExpectedVersion: Hashable, Sendable, CustomStringConvertible {
    /// Append whatever the stream's version.
    case any
    /// The stream must not exist yet (version 0).
    case noStream
    /// The stream must have at least one event.
    case streamExists
    /// The stream must be at exactly this version (its number of events).
    case exactly(UInt64)

    /// Whether a stream at `version` meets the expectation.
    public func admits(_ version: UInt64) -> Bool {
        switch self {
        case .any: return true
        case .noStream: return version == 0
        case .streamExists: return version > 0
        case .exactly(let expected): return version == expected
        }
    }

    public var description: String {
        switch self {
        case .any: return "any version"
        case .noStream: return "no stream"
        case .streamExists: return "an existing stream"
        case .exactly(let version): return "version \(version)"
        }
    }
}
