import Foundation
import LMDB

/// What a store's files hold, for `ansinh status`.
public struct StoreInformation: Hashable, Sendable {
    /// The data file's size on disk.
    public var fileBytes: Int
    /// The pages in use, free pages included (the rest of the file is room to grow).
    public var usedBytes: Int
}

extension EventLog {
    /// The data file inside a store's folder: what a backup copies, and what a restore
    /// puts back in a new folder.
    public static func dataFilePath(_ folder: String) -> String { folder + "/data.mdb" }

    /// The file beside the data file in which processes that have the store open keep
    /// their reader slots.
    static func lockFilePath(_ folder: String) -> String { folder + "/lock.mdb" }

    /// Removes the lock file a store's folder keeps after every process closed it: for a
    /// copy about to become a store elsewhere (a restore). Never while the store is open.
    public static func removeLockFile(ofStoreAt folder: String) {
        try? FileManager.default.removeItem(atPath: lockFilePath(folder))
    }

    /// Whether `folder` holds a store's data file (it may still be empty or damaged;
    /// opening it says).
    public static func storeExists(at folder: String) -> Bool {
        FileManager.default.fileExists(atPath: dataFilePath(folder))
    }

    /// The size of the store's data file, and how much of it is in use.
    public func information() throws -> StoreInformation {
        let attributes = try? FileManager.default.attributesOfItem(atPath: Self.dataFilePath(path))
        return StoreInformation(
            fileBytes: (attributes?[.size] as? Int) ?? 0, usedBytes: try storage { environment.info.bytesUsed })
    }

    /// Writes a consistent copy of the store's data file to `descriptor` while writers
    /// go on; with `compacting`, free pages are left out and the copy is renumbered.
    /// The caller flushes and closes the descriptor.
    public func copy(toFileDescriptor descriptor: Int32, compacting: Bool) throws {
        try storage { try environment.copy(toFileDescriptor: descriptor, compacting: compacting) }
    }
}
