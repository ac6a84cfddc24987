import LMDB

/// The store's settings: descriptive values beside the log (the ward's name, the
/// server's users), outside the hash chain. Several settings change together in one
/// write transaction with ``EventLog/editSettings(_:)``.
extension EventLog {
    /// The settings whose names start with `prefix`, in name order, as one snapshot sees them.
    public func settings(withPrefix prefix: String) throws -> [(name: String, value: String)] {
        try read { reader in try SettingsEditor.list(prefix, in: reader.transaction, meta: databases.meta) }
    }

    /// Runs `body` with the settings in one write transaction: every change it makes
    /// commits together when it returns, or none when it throws. `body` may run again
    /// (when the store's map grows), so it must have no effect outside the settings.
    public func editSettings<Result>(_ body: (SettingsEditor) throws -> Result) throws -> Result {
        try storage {
            try environment.write { transaction in
                try body(SettingsEditor(transaction: transaction, meta: databases.meta))
            }
        }
    }
}

/// The settings inside one write transaction; see ``EventLog/editSettings(_:)``.
public struct SettingsEditor {
    let transaction: WriteTransaction
    let meta: Database

    /// A setting as this transaction sees it, or `nil`.
    public func value(_ name: String) throws -> String? {
        try storage {
            try transaction.get(meta, EventLog.settingPrefix + name).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Sets a setting; an empty value, or `nil`, removes it.
    public func set(_ name: String, to value: String?) throws {
        try storage {
            let key = EventLog.settingPrefix + name
            if let value, !value.isEmpty {
                try transaction.put(meta, key: key, value: value)
            } else {
                _ = try transaction.delete(meta, key: key)
            }
        }
    }

    /// The settings whose names start with `prefix`, in name order.
    public func list(withPrefix prefix: String) throws -> [(name: String, value: String)] {
        try storage { try Self.list(prefix, in: transaction, meta: meta) }
    }

    static func list(_ prefix: String, in transaction: Transaction, meta: Database) throws -> [(name: String, value: String)] {
        let full = Array((EventLog.settingPrefix + prefix).utf8)
        let nameStart = EventLog.settingPrefix.utf8.count
        var found: [(name: String, value: String)] = []
        try transaction.withCursor(meta) { cursor in
            var entry = try cursor.seek(atLeast: full)
            while let current = entry, current.key.starts(with: full) {
                found.append(
                    (String(decoding: current.key.dropFirst(nameStart), as: UTF8.self), String(decoding: current.value, as: UTF8.self)))
                entry = try cursor.next()
            }
        }
        return found
    }
}
