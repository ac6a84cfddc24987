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
        // The first half of 2024 closed: a period of its own on the site.
        var run = try store.run("period", "close", "--through", "2024-06-30", "--decision", "Biên bản số 01/BB-BVĐ")
        #expect(run.status == 0, "\(run.stderr)")
        run = try store.run("publish", "--out", site)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Published positions 1 to 2293, 4 funds"), "\(run.stdout)")
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
        let pages = try FileManager.default.subpathsOfDirectory(atPath: site).filter { $0.hasSuffix(".html") }
        #expect(pages.count == 10, "home, 4 funds, look-up, 2024 (the year with entries), the period closed, 1 model, the notice board: \(pages)")
        #expect(pages.contains("ky/den-2024-06-30/index.html"), "\(pages)")
        for page in pages {
            let html = try String(contentsOfFile: site + "/" + page, encoding: .utf8)
            #expect(html.firstMatch(of: /(src|href)="(https?:)?\/\//) == nil, "\(page) loads nothing from another host")
        }
        // No page, download or data file names a member, by name or by id, nor a clerk: the
        // public view shows deposits by cell, and no reversal's free-text reason.
        let members = try #require(
            try JSONSerialization.jsonObject(with: Data(try store.run("members", "--format", "json").stdout.utf8)) as? [[String: Any]])
        #expect(members.count > 100)
        let texts = try FileManager.default.subpathsOfDirectory(atPath: site).filter { path in [".html", ".csv", ".json"].contains { path.hasSuffix($0) } }
        for path in texts {
            let text = try String(contentsOfFile: site + "/" + path, encoding: .utf8)
            #expect(text.firstMatch(of: /dv-[0-9]{3}/) == nil, "\(path) names a member by id")
            for member in members {
                let name = member["fullName"] as? String ?? "?"
                #expect(!text.contains(name), "\(path) names the member \(name)")
            }
            #expect(!text.contains("\"demo\"") && !text.contains(">demo<"), "\(path) names the clerk")
        }
        // Item 3 of a year's disclosure adds up to what the funds paid out that year.
        let year2024 = try String(contentsOfFile: site + "/ky/2024/index.html", encoding: .utf8)
        let supported = try #require(year2024.firstMatch(of: /<table id="doi-tuong">(.*?)<\/table>/.dotMatchesNewlines())?.output.1)
        var paid = 0
        for amount in supported.matches(of: /<td class="num">([0-9.]+)<\/td><td>/) { paid += Int(amount.output.1.replacingOccurrences(of: ".", with: ""))! }

        // The year's disclosure holds the period report's figures, fund by fund.
        let report = try JSONSerialization.jsonObject(
            with: Data(try store.run("report", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json").stdout.utf8)) as? [String: Any]
        let year = try String(contentsOfFile: site + "/ky/2024/index.html", encoding: .utf8)
        let table = try #require(year.firstMatch(of: /<table id="ket-qua-nam">(.*?)<\/table>/.dotMatchesNewlines())?.output.1)
        var shown: [String: [Int]] = [:]
        for row in table.matches(of: /<tr><th scope="row">([^<]*)<\/th>((?:<td class="num">[^<]*<\/td>)+)<\/tr>/) {
            shown[String(row.output.1)] = row.output.2.matches(of: /<td class="num">([^<]*)<\/td>/).map { Int($0.output.1.replacingOccurrences(of: ".", with: ""))! }
        }
        for fund in (report?["funds"] as? [[String: Any]]) ?? [] {
            let name = fund["name"] as! String
            let expected = ["opening", "received", "disbursed", "closing"].map { fund[$0] as! Int }
            #expect(shown[name.replacingOccurrences(of: "&", with: "&amp;")] == expected, "\(name): \(shown)")
        }
        #expect(shown.count == 4)
        let disbursed = ((report?["funds"] as? [[String: Any]]) ?? []).map { $0["disbursed"] as! Int }.reduce(0, +)
        #expect(paid == disbursed && paid > 0, "item 3 lists \(paid) đ of payments; the funds paid out \(disbursed) đ")
        for item in ["muc-1", "muc-2", "muc-3", "muc-4"] { #expect(year.contains("id=\"\(item)\""), "Decree 93's item \(item)") }

        // The site's workbook: the funds, then a sheet a fund, read back by openpyxl.
        let workbook = try python([
            "-c",
            "import json, sys, openpyxl\n"
                + "book = openpyxl.load_workbook(sys.argv[1])\n"
                + "funds = json.load(open(sys.argv[2]))\n"
                + "rows = list(book['Các quỹ'].iter_rows(min_row=2, values_only=True))\n"
                + "assert [(r[0], r[1], r[7]) for r in rows] == [(f['fundId'], f['name'], f['balance']) for f in funds], rows\n"
                + "assert book.sheetnames[1:] == [f['name'][:31] for f in funds], book.sheetnames\n"
                + "sheet = book[funds[3]['name']]\n"
                + "header = [c.value for c in sheet[1]]\n"
                + "assert 'Recorded by' not in header and 'Số dư' in header, header\n"
                + "last = list(sheet.iter_rows(min_row=2, values_only=True))[-1]\n"
                + "assert last[header.index('Số dư')] == funds[3]['balance'], last\n"
                + "assert sheet.cell(2, header.index('Ngày') + 1).number_format == 'dd/mm/yyyy'\n"
                + "print('workbook ok', len(book.sheetnames))",
            site + "/tai-ve/so-quy.xlsx", fundsFile,
        ])
        #expect(workbook.status == 0 && workbook.output.contains("workbook ok 5"), "\(workbook.output)")

        let id = try #require(try TransparencyCLITests.donationIds(store).dropFirst(3).first)
        let shots = packageRoot.appendingPathComponent(".build/test-artefacts/site").path
        let check = try python([packageRoot.appendingPathComponent("tools/site_check.py").path, site, fundsFile, id, shots], timeLimit: 300)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("a changed tile is refused") && check.output.contains("a changed signature is refused"), "\(check.output)")
        #expect(FileManager.default.fileExists(atPath: shots + "/tra-cuu-kiem-chung-360.png"))
    }

    @Test("funds, report, fund show, member history and piggybank summary write Excel workbooks openpyxl reads, Vietnamese intact")
    func clerksWorkbooks() throws {
        let store = try AuditCLITests.demoStore()
        let folder = store.path + "-workbooks"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let member = try #require(
            (try JSONSerialization.jsonObject(with: Data(try store.run("members", "--format", "json").stdout.utf8)) as? [[String: Any]])?
                .first?["memberId"] as? String)
        let model = "ong-heo-2024"  // the ward's piggy-bank model of 2024
        let commands: [(String, [String])] = [
            ("funds", ["funds"]), ("report", ["report", "--from", "2024-01-01", "--to", "2024-12-31"]),
            ("fund", ["fund", "show", "vi-nguoi-ngheo"]), ("member", ["member", "history", member]),
            ("piggybank", ["piggybank", "summary", model]),
        ]
        for (name, arguments) in commands {
            let run = try ansinh(arguments + ["--format", "xlsx", "--out", folder + "/\(name).xlsx", "--store", store.path])
            #expect(run.status == 0 && run.stdout.hasPrefix("Wrote "), "\(name): \(run.stderr)")
        }
        let json = try store.run("funds", "--format", "json").stdout
        try Data(json.utf8).write(to: URL(fileURLWithPath: folder + "/funds.json"))
        let check = try python([
            "-c",
            "import json, sys, openpyxl\n"
                + "folder = sys.argv[1]\n"
                + "funds = json.load(open(folder + '/funds.json'))\n"
                + "sheet = openpyxl.load_workbook(folder + '/funds.xlsx').active\n"
                + "rows = list(sheet.iter_rows(min_row=2, values_only=True))\n"
                + "assert [list(r) for r in rows] == [[f[k] for k in ('fundId', 'name', 'openingBalance', 'received', 'pledged', 'outstandingPledges', 'disbursed', 'balance')] for f in funds], rows\n"
                + "assert any('Vì người nghèo' in r[1] for r in rows)\n"
                + "assert sheet['H2'].number_format == '#,##0'\n"
                + "report = openpyxl.load_workbook(folder + '/report.xlsx')\n"
                + "assert report.sheetnames == ['Các quỹ', 'Hỗ trợ ngoài quỹ'], report.sheetnames\n"
                + "fund = openpyxl.load_workbook(folder + '/fund.xlsx')\n"
                + "assert fund.sheetnames == ['Quỹ “Vì người nghèo”', 'Tổng hợp'], fund.sheetnames\n"
                + "for name in ('member', 'piggybank'):\n"
                + "    book = openpyxl.load_workbook(folder + '/' + name + '.xlsx')\n"
                + "    assert book.active.max_row > 1, name\n"
                + "print('workbooks ok')",
            folder,
        ])
        #expect(check.status == 0 && check.output.contains("workbooks ok"), "\(check.output)")
        // Without --out, or on a command with no workbook, a clear refusal.
        var run = try store.run("funds", "--format", "xlsx")
        #expect(run.status == 64 && run.stderr.contains("--format xlsx needs --out FILE"), "\(run.stderr)")
        run = try store.run("funds", "--format", "xlsx", "--out", folder + "/funds.xlsx")
        #expect(run.status == 65, "an existing workbook is kept: \(run.stderr)")
    }
}
