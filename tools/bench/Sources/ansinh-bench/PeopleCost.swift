import EventLog
import Foundation
import Ledger
import LedgerTools

/// What protecting personal data costs: one history recorded twice, its donors once
/// people (each name sealed under its person's key, in a store of format 2) and once
/// businesses (in the clear), side by side in the same run. Every other byte is the
/// same: the names are as long, the amounts and dates equal.
///
///     ansinh-bench --people 100000
func peopleCost(donations: Int, scratch: String) throws -> String {
    var rows: [(String, Double, Double, String)] = []
    var results: [DonorKind: [String: Double]] = [:]
    for kind in [DonorKind.business, .individual] {
        let folder = scratch + "/people-\(kind.rawValue)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lines = donationLines(donations, kind: kind)
        let ledger = try Ledger(path: folder + "/store")
        var figures: [String: Double] = [:]
        log("people cost: \(donations) donations from donors of kind \(kind.rawValue)")
        figures["import"] = try seconds {
            for start in stride(from: 0, to: lines.count, by: ImportLimits.lineCountMax) {
                _ = try ledger.importLines(Array(lines[start..<min(start + ImportLimits.lineCountMax, lines.count)].joined()), actor: "bench")
            }
        }
        figures["rebuild"] = try seconds { try ledger.rebuildProjections() }
        figures["export"] = try seconds { _ = try Exporter.export(ledger, to: folder + "/export-public") }
        figures["export --internal"] = try seconds { _ = try Exporter.export(ledger, to: folder + "/export-internal", view: .internal) }
        figures["audit"] = try seconds {
            let report = try Auditor.audit(ledger, scratchFolder: folder + "/audit")
            guard report.isValid else { throw BenchError("audit failed: \(report.problem!)") }
        }
        figures["store bytes"] = Double((try FileManager.default.attributesOfItem(atPath: folder + "/store/data.mdb")[.size] as? Int) ?? 0)
        figures["people"] = Double(try ledger.people().count)
        results[kind] = figures
        try? FileManager.default.removeItem(atPath: folder)
    }
    let clear = results[.business]!
    let sealed = results[.individual]!
    for operation in ["import", "rebuild", "export", "export --internal", "audit"] {
        rows.append((operation, Double(donations + 1) / clear[operation]!, Double(donations + 1) / sealed[operation]!, "events/s"))
    }
    var text = "| \(grouped(donations)) donations | donors in the clear (businesses) | donors sealed (individuals) | sealed ÷ clear |\n|---|---:|---:|---:|\n"
    for (operation, clearRate, sealedRate, unit) in rows {
        text += "| \(operation) (\(unit)) | \(grouped(Int(clearRate))) | \(grouped(Int(sealedRate))) | \(String(format: "%.2f×", sealedRate / clearRate)) |\n"
    }
    text += String(
        format: "| store size (bytes an event) | %.0f | %.0f | %.2f× |\n", clear["store bytes"]! / Double(donations),
        sealed["store bytes"]! / Double(donations), sealed["store bytes"]! / clear["store bytes"]!)
    text += "\nPeople (data subjects) in the sealed store: \(grouped(Int(sealed["people"]!))); none in the other.\n"
    return text
}

/// A fund's opening, then `count` donations from `count / 4` donors (each gives about
/// four times), of `kind`.
func donationLines(_ count: Int, kind: DonorKind) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    lines.reserveCapacity(count + 1)
    var counter: UInt64 = 0
    func add(_ event: LedgerEvent) {
        counter += 1
        let id = UUID(uuid: uuidBytes(counter)).uuidString.lowercased()
        lines.append(Array((#"{"type":"\#(event.type.rawValue)","eventId":"\#(id)","data":"# + event.payload().jsonText + "}\n").utf8))
    }
    let start = LocalDate("2020-01-01")!
    add(.fundOpened(FundOpened(fundId: "vi-nguoi-ngheo", name: "Quỹ Vì người nghèo", openedOn: start)))
    var random = SplitMix(seed: 93)
    for index in 0..<count {
        let donor = random.next(below: max(1, count / 4))
        add(.donationReceived(DonationReceived(
            fundId: "vi-nguoi-ngheo", donor: Donor(name: "Nguyễn Thị Hồng \(donor)", kind: kind, publish: index % 3 == 0 ? true : nil),
            amount: VND(Int64(100_000 * (1 + random.next(below: 50)))), receivedOn: start.advanced(by: index / 200))))
    }
    return lines
}
