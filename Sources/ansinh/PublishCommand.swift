import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the ward's public books as a static site in Vietnamese (Decree 93/2021/NĐ-CP, Article 14).",
        discussion: """
            One snapshot of the public view: the funds, a monthly chart, the periods closed and the
            signed checkpoint; a page for each fund with every entry and its running balance; a
            look-up that finds a donation and checks its inclusion proof in the browser; the
            downloads (CSV with the byte-order mark, JSON). Nothing is loaded from another host.
            Written into a hidden folder beside --out and renamed into place when complete.
            """)
    @Option(help: ArgumentHelp("The new folder to write.", valueName: "folder")) var out: String
    @Option(help: ArgumentHelp("Where and how the ward receives contributions, for the site from now on (Decree 93's fourth item).", valueName: "text"))
    var receiving: String?
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            let ledger = try store.openLedger()
            if let receiving { try ledger.setSetting(Publisher.receivingSetting, to: receiving) }
            let signer = try SigningKeys.load(store: store.storePath) == nil ? nil : try WardLog.signer(of: ledger, store: store.storePath)
            let summary = try Publisher.publish(ledger, to: out, signer: signer)
            emit(
                "Published positions 1 to \(summary.headPosition), \(summary.funds.count) funds, \(summary.files) files, into \(out)\n"
                    + (signer == nil ? "Not signed: the look-up cannot check proofs until the ward has a key (`ansinh keys init`).\n" : ""))
        }
    }
}
