import Foundation
import TestSupport
import Testing

/// The public site in a real browser (headless Chromium, driven by selenium from
/// tools/site_check.py): at 360 and 1280 px the pages render, the figures are the
/// ledger's, the look-up proves a donation, a changed tile is refused, nothing is
/// fetched from another host and the console stays clean. Screenshots are kept in
/// .build/test-artefacts/site.
@Suite("The public site in a browser")
struct PublicSiteTests {
    @Test("ansinh publish writes a site whose figures, look-up and proofs hold in Chromium at 360 and 1280 px")
    func siteInBrowser() throws {
        let store = try TransparencyCLITests.wardStore()
        let site = store.path + "-site"
        defer { try? FileManager.default.removeItem(atPath: site) }
        var run = try store.run("publish", "--out", site)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Published positions 1 to 2292, 4 funds"), "\(run.stdout)")
        #expect(try store.run("publish", "--out", site).status == 65, "an existing folder is kept")
        for path in ["index.html", "tra-cuu/index.html", "quy/vi-nguoi-ngheo/index.html", "checkpoint", "tile/0/000", "du-lieu/tra-cuu.json",
                     "tai-ve/cac-quy.csv", "tai-ve/cac-quy.json", "assets/app.js"] {
            #expect(FileManager.default.fileExists(atPath: site + "/" + path), "\(path)")
        }
        // Downloads: the CSV begins with the byte-order mark; the JSON is the funds' own.
        let csv = try Data(contentsOf: URL(fileURLWithPath: site + "/tai-ve/cac-quy.csv"))
        #expect(csv.starts(with: [0xEF, 0xBB, 0xBF]))
        run = try store.run("funds", "--format", "json")
        let fundsFile = store.path + "-funds.json"
        defer { try? FileManager.default.removeItem(atPath: fundsFile) }
        try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: fundsFile))
        #expect(try String(contentsOfFile: site + "/tai-ve/cac-quy.json", encoding: .utf8) == run.stdout)
        // No page names anyone the public view does not: members' deposits are by cell only.
        let pages = try FileManager.default.subpathsOfDirectory(atPath: site).filter { $0.hasSuffix(".html") }
        #expect(pages.count == 6, "\(pages)")
        for page in pages {
            let html = try String(contentsOfFile: site + "/" + page, encoding: .utf8)
            #expect(html.firstMatch(of: /(src|href)="(https?:)?\/\//) == nil, "\(page) loads nothing from another host")
        }

        let id = try #require(try TransparencyCLITests.donationIds(store).dropFirst(3).first)
        let shots = packageRoot.appendingPathComponent(".build/test-artefacts/site").path
        let check = try python([packageRoot.appendingPathComponent("tools/site_check.py").path, site, fundsFile, id, shots], timeLimit: 300)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("a changed tile is refused"), "\(check.output)")
        #expect(FileManager.default.fileExists(atPath: shots + "/tra-cuu-kiem-chung-360.png"))
    }
}
