import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a store for a ward.")
    @Option(help: "The ward's name, such as 'Núi Sam'.") var ward: String
    @Option(help: "The province, such as 'An Giang'.") var province: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            let (ward, province) = (ward.precomposedStringWithCanonicalMapping, province.precomposedStringWithCanonicalMapping)
            try create(store.storePath, ward: ward, province: province)
            emit("Created the store for phường \(ward), \(province) at \(store.storePath).\n")
        }
    }
}

/// Creates a store (refusing one that already exists) and records the ward's name.
/// Creating takes a few transactions: a store whose creation was cut short (no province
/// recorded yet, no event) is finished, not refused, so that running `init` again after
/// a crash or a power cut completes it.
func create(_ path: String, ward: String, province: String) throws {
    try refuseFile(at: path)
    if EventLog.storeExists(at: path) {
        var options = TestClock.options()
        options.createIfMissing = false
        let existing = try Ledger(path: path, options: options)
        let unfinished = try existing.province() == nil && existing.head().position == 0
        guard unfinished else { throw Failure(message: "a store already exists at \(path)", status: ExitStatus.conflict) }
    }
    let ledger = try Ledger(path: path, options: TestClock.options())
    try ledger.name(ward: ward, province: province)
}
