import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent snapshot: events.jsonl, every projection as JSON and CSV, and a manifest (signed when the ward has a key).",
        discussion: """
            The snapshot is one read of the store, taken while clerks go on writing. It is written
            into a hidden folder beside --out and renamed into place when complete. Check it with
            tools/verify-export.py, which needs only Python.

            It is the public view unless --internal is given: organisations in full; a donor who is a
            person only with their consent, else "Nhà hảo tâm"; members and beneficiaries as initials
            with their cell or area; no member's deposits by name. The manifest says which view it is.
            """)
    @Option(help: ArgumentHelp("The new folder to write.", valueName: "folder")) var out: String
    @Option(help: "Only the events after this position (an incremental export).") var sincePosition: UInt64?
    @Flag(help: "Only the events after the last export made from this store.") var incremental = false
    @Flag(help: "Full names, for the ward's own auditors (the public view otherwise).") var `internal` = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if incremental && sincePosition != nil { throw ValidationError("give --incremental or --since-position, not both") }
    }

    func run() throws {
        try reportingFailures {
            _ = try store.checkStructure()  // an export reads every page: walk them first
            let ledger = try store.openLedger()
            let since = try sincePosition ?? (incremental ? Exporter.lastExportedPosition(of: ledger) : 0)
            let key = try SigningKeys.load(store: store.storePath)
            let bar = ProgressBar("Exporting")
            let manifest = try TestMarkers.around("export") {
                let view: NameView = `internal` ? .internal : .public
                let manifest = try Exporter.export(ledger, to: out, sincePosition: since, signingKey: key, view: view) { done, total in
                    bar.update(Int(done), of: Int(total))
                }
                try Exporter.remember(manifest, in: ledger)
                return manifest
            }
            bar.finish()
            emit(
                "Exported positions \(manifest.fromPosition) to \(manifest.headPosition) into \(out)"
                    + "\nHead hash: \(manifest.headHash)" + (key == nil ? "\nNot signed: create the ward's key with `ansinh keys init`." : "\nSigned with key \(manifest.signingKey!)")
                    + "\nView: \(manifest.view ?? "")" + "\n")
        }
    }
}
