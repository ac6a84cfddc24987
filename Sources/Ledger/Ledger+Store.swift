import EventLog
import Foundation

/// The store under the ledger, as the command line and the tools need it: its head,
/// its log read in one snapshot, the ward's settings, its information and copies.
/// Nothing here lets a caller write an event around the rules.
extension Ledger {
    /// The store's folder.
    public var path: String { log.path }

    /// The store's clock now (``EventLog/Options/clock``): what events are recorded at.
    public func now() -> Timestamp { log.options.clock() }

    /// The store's clock, to give a scratch store (an audit's replay) the same one.
    public var clock: @Sendable () -> Timestamp { log.options.clock }

    /// The last position and its hash.
    public func head() throws -> LogHead { try log.head() }

    /// Runs `body` in one read snapshot of the log.
    public func readLog<Result>(_ body: (LogReader) throws -> Result) throws -> Result { try log.read(body) }

    /// A descriptive setting of the store, or `nil`. Settings are not part of the hash
    /// chain.
    public func setting(_ name: String) throws -> String? { try log.setting(name) }

    /// Stores a descriptive setting.
    public func setSetting(_ name: String, to value: String) throws { try log.setSetting(name, to: value) }

    /// The ward's name, as `init` recorded it, or `nil` when its creation was cut short.
    public func ward() throws -> String? { try setting(Self.wardSetting) }

    /// The province, as `init` recorded it (the last thing it records), or `nil`.
    public func province() throws -> String? { try setting(Self.provinceSetting) }

    /// Records the ward's name and its province, in NFC, the province last: a store that
    /// has a province has both.
    public func name(ward: String, province: String) throws {
        try setSetting(Self.wardSetting, to: ward.precomposedStringWithCanonicalMapping)
        try setSetting(Self.provinceSetting, to: province.precomposedStringWithCanonicalMapping)
    }

    static let wardSetting = "ward"
    static let provinceSetting = "province"

    /// The instant the store was created, as written in it.
    public func createdAt() throws -> Timestamp? { try log.createdAt() }

    /// The size of the data file, and how much of it is in use.
    public func storeInformation() throws -> StoreInformation { try log.information() }

    /// Writes a compacted, consistent copy of the data file to `descriptor` (a backup).
    public func copyStore(toFileDescriptor descriptor: Int32) throws {
        try log.copy(toFileDescriptor: descriptor, compacting: true)
    }
}

extension Ledger {
    /// The settings whose names start with `prefix`; see `EventLog.settings(withPrefix:)`.
    public func settings(withPrefix prefix: String) throws -> [(name: String, value: String)] {
        try log.settings(withPrefix: prefix)
    }

    /// Changes several settings in one write transaction; see `EventLog.editSettings(_:)`.
    public func editSettings<Result>(_ body: (SettingsEditor) throws -> Result) throws -> Result {
        try log.editSettings(body)
    }
}
