import EventLog
import Foundation

/// The store under the ledger, as the command line and the tools need it: its head,
/// its log read in one snapshot, the ward's settings, its information and copies.
/// Nothing here lets a caller write an event around the rules.
extension Ledger {
    /// The store's folder.
    public var path: String { log.path }

    /// The last position and its hash.
    public func head() throws -> LogHead { try log.head() }

    /// Runs `body` in one read snapshot of the log.
    public func readLog<Result>(_ body: (LogReader) throws -> Result) throws -> Result { try log.read(body) }

    /// A descriptive setting of the store, such as the ward's name (`ward`, `province`),
    /// or `nil`. Settings are not part of the hash chain.
    public func setting(_ name: String) throws -> String? { try log.setting(name) }

    /// Stores a descriptive setting.
    public func setSetting(_ name: String, to value: String) throws { try log.setSetting(name, to: value) }

    /// The instant the store was created, as written in it.
    public func createdAt() throws -> Timestamp? { try log.createdAt() }

    /// The size of the data file, and how much of it is in use.
    public func storeInformation() throws -> StoreInformation { try log.information() }

    /// Writes a compacted, consistent copy of the data file to `descriptor` (a backup).
    public func copyStore(toFileDescriptor descriptor: Int32) throws {
        try log.copy(toFileDescriptor: descriptor, compacting: true)
    }
}
