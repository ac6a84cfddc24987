import Crypto
import EventLog
import Foundation
import Ledger

/// Writes the ward's public books as a static site in Vietnamese (Decree 93/2021/NĐ-CP,
/// Article 14): from one snapshot of the public view, so it shows no personal data
/// beyond what that view allows, and loads nothing from another host.
///
/// ```
/// index.html                the funds, a monthly chart, the periods closed, the checkpoint
/// quy/<fund>/index.html     a fund's register: every entry, its running balance
/// tra-cuu/index.html        look-up of a donation, its inclusion proof checked in the browser
/// tai-ve/…                  downloads: CSV (with the byte-order mark) and JSON
/// checkpoint, tile/…        the signed checkpoint and the tree's C2SP tiles
/// du-lieu/tra-cuu.json      the look-up's compact index
/// assets/site.css, app.js
/// ```
public enum Publisher {
    /// The setting that says where and how the ward receives contributions (`publish --receiving`).
    public static let receivingSetting = "publish.receiving"

    /// The site's pages, and the files it carries, by path (for a test or a summary).
    public struct Summary: Sendable {
        public var headPosition: UInt64
        public var funds: [String]
        public var files: Int
    }

    /// Publishes one read snapshot of `ledger` into the new folder `folder`, written beside
    /// it under a hidden name and renamed into place when whole.
    @discardableResult
    public static func publish(_ ledger: Ledger, to folder: String, signer: NoteSigner?) throws -> Summary {
        let receiving = try ledger.setting(receivingSetting)
            ?? "Ủy ban Mặt trận Tổ quốc Việt Nam phường tiếp nhận đóng góp tại trụ sở, trong giờ hành chính, có biên nhận cho từng khoản."
        let target = URL(fileURLWithPath: folder).standardizedFileURL
        guard !FileManager.default.fileExists(atPath: target.path) else { throw ExportError.exists(target.path) }
        let partial = PartialWrite.start(for: target)
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        do {
            let ward = try ledger.ward() ?? ""
            let province = try ledger.province() ?? ""
            let summary = try ledger.snapshot { snapshot in
                try Site(snapshot: snapshot, folder: partial, ward: ward, province: province, signer: signer, receiving: receiving).write()
            }
            try PartialWrite.finish(partial, onto: target)
            return summary
        } catch {
            try? FileManager.default.removeItem(at: partial)
            throw error
        }
    }
}

/// One site being written.
private struct Site {
    let snapshot: LedgerSnapshot
    let folder: URL
    let ward: String
    let province: String
    let signer: NoteSigner?
    /// Where and how contributions are received (Decree 93's fourth item).
    let receiving: String

    func write() throws -> Publisher.Summary {
        let head = try snapshot.log.head()
        let funds = try snapshot.funds()
        var registers: [(FundBalance, [RegisterEntry])] = []
        for fund in funds {
            registers.append((fund, try snapshot.fundRegister(fund.fundId, view: .public) ?? []))
        }
        var files = 0
        func add(_ path: String, _ text: String) throws {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
                throw ExportError.cannotWrite(url.path, "the file cannot be created")
            }
            files += 1
        }
        try add("assets/site.css", PublicationAssets.css)
        try add("assets/app.js", PublicationAssets.script)

        // The tree, as the look-up checks it: the checkpoint and the tiles of its size.
        var checkpointNote: String?
        if let signer {
            let (_, note) = try WardLog.checkpoint(snapshot.log, signer: signer)
            checkpointNote = note.serialized
            try add("checkpoint", note.serialized)
            files += try TileWriter.write(snapshot.log, size: head.position, into: folder).count
        }

        let periods = try snapshot.periods()
        for (fund, register) in registers {
            try add("quy/\(fund.fundId)/index.html", fundPage(fund, register))
            try add("tai-ve/so-quy-\(fund.fundId).csv", "\u{FEFF}" + Self.publicRegister(register).csv)
            try add("tai-ve/so-quy-\(fund.fundId).json", Self.publicRegister(register).rendered(.json))
        }
        // One workbook, headed in Vietnamese: the funds, then a sheet a fund.
        try Workbook.write(
            [("Các quỹ", Self.vietnamese(try Listings.funds(funds)))] + registers.map { ($0.0.name, Self.vietnamese(Self.publicRegister($0.1))) },
            to: folder.appendingPathComponent("tai-ve/so-quy.xlsx").path)
        files += 1
        try add("tai-ve/cac-quy.csv", "\u{FEFF}" + (try Listings.funds(funds)).csv)
        // The same JSON as `ansinh funds --format json`.
        try add("tai-ve/cac-quy.json", (try Listings.funds(funds)).rendered(.json))
        // Decree 93's four items, for each calendar year the funds were open.
        // The years that have an entry (a fund's opening is one).
        let years = Set(registers.flatMap { $0.1.map(\.date.components.year) }).sorted()
        for year in years {
            let from = LocalDate(year: year, month: 1, day: 1)!, to = LocalDate(year: year, month: 12, day: 31)!
            let report = try snapshot.periodReport(from: from, to: to)
            try add("ky/\(year)/index.html", try periodPage(title: "năm \(year)", from: from, to: to, report: report, registers: registers))
        }
        // And each period the books were closed for, from the day after the close before it.
        var start = funds.map(\.openedOn).min()
        for period in periods {
            guard let from = start, from <= period.through else { continue }
            let report = try snapshot.periodReport(from: from, to: period.through)
            try add(
                "ky/den-\(period.through)/index.html",
                try periodPage(title: "kỳ đến hết ngày \(period.through.vietnamese)", from: from, to: period.through, report: report, registers: registers))
            start = LocalDate(dayNumber: period.through.dayNumber + 1)
        }
        var models: [PiggyBankSummary] = []
        for model in try snapshot.models() {
            guard var summary = try snapshot.piggyBankSummary(model.modelId) else { continue }
            summary.belowTarget = []  // in public: the cells' figures, no member by name
            models.append(summary)
            try add("ong-heo/\(model.modelId)/index.html", piggyBankPage(summary))
        }
        try add("bang-cong-khai/index.html", try noticeBoard(funds: funds, years: years, registers: registers, checkpoint: checkpointNote))
        try add("index.html", try home(funds: funds, registers: registers, periods: periods, checkpoint: checkpointNote, years: years, models: models))
        try add("du-lieu/tra-cuu.json", try lookUpIndex(registers))
        try add("tra-cuu/index.html", lookUpPage(signed: checkpointNote != nil))
        if files > 0 { sync() }
        return Publisher.Summary(headPosition: head.position, funds: funds.map(\.fundId), files: files)
    }

    // MARK: - Pages

    /// A page: the header with the ward's name, the navigation, `body`, the footer.
    func page(title: String, depth: Int, _ body: String) -> String {
        let up = String(repeating: "../", count: depth)
        return htmlDocumentStart(title: "\(title) — Phường \(ward)") + """

            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="\(up)assets/site.css">
            <script src="\(up)assets/app.js" defer></script>
            </head>
            <body>
            <header class="site"><a href="\(up)index.html"><strong>Công khai tài chính các quỹ</strong></a>
            <p>Phường \(escape(ward)), \(escape(province))</p></header>
            <nav class="site" aria-label="Các trang"><a href="\(up)index.html">Trang chủ</a><a href="\(up)tra-cuu/index.html">Tra cứu khoản đóng góp</a><a href="\(up)bang-cong-khai/index.html">Bảng công khai</a><a href="\(up)tai-ve/so-quy.xlsx">Tải sổ quỹ (Excel)</a><a href="\(up)tai-ve/cac-quy.csv">Tải về (CSV)</a></nav>
            <main id="noi-dung">
            \(body)
            </main>
            <footer>Số liệu công khai theo Nghị định 93/2021/NĐ-CP, Điều 14. Mọi khoản ghi đều nằm trong sổ có chữ ký số và kiểm chứng được (RFC 9162).</footer>
            </body>
            </html>

            """
    }

    func home(
        funds: [FundBalance], registers: [(FundBalance, [RegisterEntry])], periods: [PeriodRecord], checkpoint: String?, years: [Int],
        models: [PiggyBankSummary]
    ) throws -> String {
        let yearLinks = years.map { "<li><a href=\"ky/\($0)/index.html\">Năm \($0)</a></li>" }.joined()
            + periods.map { "<li><a href=\"ky/den-\($0.through)/index.html\">Kỳ đến hết ngày \($0.through.vietnamese)</a> (đã khoá sổ)</li>" }.joined()
        let modelLinks = models.map {
            "<li><a href=\"ong-heo/\($0.model.modelId)/index.html\">\(escape($0.model.name))</a>: đạt \(percent($0.attainmentBasisPoints))</li>"
        }.joined()
        var rows = ""
        for fund in funds {
            rows += "<tr><th scope=\"row\"><a href=\"quy/\(fund.fundId)/index.html\">\(escape(fund.name))</a></th>"
                + money(fund.openingBalance) + money(try fund.received) + money(try fund.disbursed.amount) + money(fund.balance) + "</tr>\n"
        }
        let closed = periods.isEmpty
            ? "<p>Chưa khoá sổ kỳ nào.</p>"
            : "<ul>" + periods.map { "<li>Đã khoá sổ đến hết ngày \($0.through.vietnamese) (\(escape($0.decision)))</li>" }.joined() + "</ul>"
        let signed = checkpoint.map {
            "<h2>Điểm kiểm đã ký</h2><p class=\"note\">Sổ được ký số; ai cũng kiểm chứng được một khoản bằng trang <a href=\"tra-cuu/index.html\">tra cứu</a>.</p><pre class=\"checkpoint\" id=\"diem-kiem\">\(escape($0))</pre>"
        } ?? ""
        return page(
            title: "Trang chủ", depth: 0,
            """
            <h1>Các quỹ của phường</h1>
            <div class="table-wrap"><table id="cac-quy">
            <caption>Số dư các quỹ (đồng)</caption>
            <thead><tr><th scope="col">Quỹ</th><th scope="col" class="num">Đầu kỳ</th><th scope="col" class="num">Đã nhận</th><th scope="col" class="num">Đã chi</th><th scope="col" class="num">Số dư</th></tr></thead>
            <tbody>
            \(rows)</tbody>
            </table></div>
            <h2>Thu và chi theo tháng</h2>
            \(try monthlyChart(registers))
            <h2>Công khai theo năm (Nghị định 93/2021/NĐ-CP, Điều 14)</h2>
            <ul>\(yearLinks)</ul>
            \(models.isEmpty ? "" : "<h2>Mô hình “ống heo tiết kiệm”</h2><ul>\(modelLinks)</ul>")
            <h2>Các kỳ đã khoá sổ</h2>
            \(closed)
            \(signed)
            """)
    }

    /// A year's disclosure, as Decree 93 Article 14 lists it: what was mobilised, the
    /// results, who was supported and how much, where and how contributions are received.
    func periodPage(title: String, from: LocalDate, to: LocalDate, report: PeriodReport, registers: [(FundBalance, [RegisterEntry])]) throws
        -> String
    {
        var mobilised = "", results = ""
        for fund in report.funds {
            mobilised += "<tr><th scope=\"row\">\(escape(fund.name))</th><td class=\"num\">\(fund.donations.count)</td>\(money(fund.donations.amount))"
                + "<td class=\"num\">\(fund.deposits.count)</td>\(money(fund.deposits.amount))\(money(try fund.received))</tr>\n"
            results += "<tr><th scope=\"row\">\(escape(fund.name))</th>\(money(fund.opening))\(money(try fund.received))"
                + "\(money(try fund.disbursed.amount))\(money(fund.closing))</tr>\n"
        }
        var supported = ""
        var count = 0
        let reversed = Self.reversed(registers)
        for (fund, register) in registers {
            // Each payment that stands: not a reversal, nor one a reversal took back.
            for entry in register
            where entry.amount.dong < 0 && entry.date >= from && entry.date <= to && entry.reversesPosition == nil
                && !reversed.contains(entry.position)
            {
                count += 1
                supported += "<tr><td data-value=\"\(entry.date)\">\(entry.date.vietnamese)</td><td>\(escape(entry.counterpart))</td>"
                    + "<td>\(escape(entry.purpose.map(purposeName) ?? ""))</td><td class=\"num\">\(entry.quantity.map(String.init) ?? "")</td>"
                    + "\(money(VND(-entry.amount.dong)))<td>\(escape(fund.name))</td></tr>\n"
            }
        }
        let narrative = vietnameseReport(report, ward: ward).split(separator: "\n").map { "<p>\(escape(String($0)))</p>" }.joined()
        return page(
            title: "Công khai \(title)", depth: 2,
            """
            <h1>Công khai kết quả vận động, tiếp nhận và phân phối \(title)</h1>
            <p class="note">Từ ngày \(report.from.vietnamese) đến ngày \(report.to.vietnamese). \(escape(report.closedPeriods.last.map { "Sổ đã khoá đến hết ngày \($0.through.vietnamese)." } ?? "Sổ của năm chưa khoá."))</p>
            <h2 id="muc-1">1. Kết quả vận động, tiếp nhận</h2>
            <div class="table-wrap"><table id="van-dong"><thead><tr><th scope="col">Quỹ</th><th scope="col" class="num">Lượt ủng hộ</th><th scope="col" class="num">Tiền ủng hộ</th><th scope="col" class="num">Lượt bỏ ống heo</th><th scope="col" class="num">Tiền ống heo</th><th scope="col" class="num">Tổng tiếp nhận</th></tr></thead><tbody>
            \(mobilised)</tbody></table></div>
            <h2 id="muc-2">2. Kết quả phân phối, sử dụng</h2>
            <div class="table-wrap"><table id="ket-qua-nam"><thead><tr><th scope="col">Quỹ</th><th scope="col" class="num">Đầu kỳ</th><th scope="col" class="num">Đã nhận</th><th scope="col" class="num">Đã chi</th><th scope="col" class="num">Cuối kỳ</th></tr></thead><tbody>
            \(results)</tbody></table></div>
            \(narrative)
            <h2 id="muc-3">3. Đối tượng được hỗ trợ và mức hỗ trợ</h2>
            <p>\(count) khoản hỗ trợ. Người nhận được ghi theo chế độ công khai: chữ cái đầu của họ tên và khu vực.</p>
            <div class="table-wrap"><table id="doi-tuong"><thead><tr><th scope="col">Ngày</th><th scope="col">Người nhận</th><th scope="col">Mục đích</th><th scope="col" class="num">Số lượng</th><th scope="col" class="num">Số tiền</th><th scope="col">Quỹ</th></tr></thead><tbody>
            \(supported)</tbody></table></div>
            <h2 id="muc-4">4. Nơi và cách thức tiếp nhận đóng góp</h2>
            <p>\(escape(receiving))</p>
            <p>Mỗi khoản đóng góp có biên nhận; tra cứu và kiểm chứng từng khoản tại trang <a href="../../tra-cuu/index.html">Tra cứu</a>.</p>
            """)
    }

    /// A piggy-bank model's attainment by cell, with a chart; no member is named.
    func piggyBankPage(_ summary: PiggyBankSummary) -> String {
        var rows = "", bars = ""
        let cells = summary.cells
        for (index, cell) in cells.enumerated() {
            let basis = cell.expected.dong > 0 ? Int64(Double(cell.collected.dong) / Double(cell.expected.dong) * 10_000) : 0
            rows += "<tr><th scope=\"row\">\(escape(cell.cell))</th><td class=\"num\">\(cell.members)</td><td class=\"num\">\(cell.participating)</td>"
                + "\(money(cell.collected))\(money(cell.expected))<td class=\"num\">\(percent(basis))</td></tr>\n"
            let width = Int(min(1.5, Double(basis) / 10_000) * 300)
            let label = cell.cell.hasPrefix("Chi bộ ") ? String(cell.cell.dropFirst(7)) : cell.cell
            bars += "<text x=\"0\" y=\"\(index * 26 + 16)\" font-size=\"12\">\(escape(String(label.prefix(24))))</text>"
                + "<rect x=\"170\" y=\"\(index * 26 + 4)\" width=\"\(width)\" height=\"16\" fill=\"\(basis >= 10_000 ? "#1e7b34" : "#0b5394")\"><title>\(escape(cell.cell)) đạt \(percent(basis))</title></rect>"
        }
        let height = max(40, cells.count * 26 + 10)
        let model = summary.model
        return page(
            title: model.name, depth: 2,
            """
            <h1>\(escape(model.name))</h1>
            <p>Từ ngày \(model.startsOn.vietnamese) đến ngày \(model.endsOn.vietnamese), mỗi đảng viên ít nhất \(model.dailyTarget.grouped) đồng một ngày.
            Đến ngày \(summary.countedThrough.vietnamese): \(summary.membersParticipating)/\(summary.membersEnrolled) đảng viên tham gia,
            đã tiết kiệm <strong id="da-tiet-kiem">\(summary.collected.grouped)</strong> đồng, đạt <strong>\(percent(summary.attainmentBasisPoints))</strong> mức đề ra
            (\(summary.expected.grouped) đồng).</p>
            <h2>Mức đạt theo chi bộ</h2>
            <figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 \(height)" width="640" height="\(height)" role="img" aria-label="Mức đạt của từng chi bộ; vạch 100 % ở giữa">
            <line x1="470" y1="0" x2="470" y2="\(height)" stroke="#555" stroke-dasharray="4 3"/>\(bars)</svg>
            <figcaption>Mỗi thanh là số đã tiết kiệm so với mức đề ra của chi bộ; vạch đứt là 100 %.</figcaption></figure>
            <div class="table-wrap"><table id="chi-bo"><thead><tr><th scope="col">Chi bộ</th><th scope="col" class="num">Đảng viên</th><th scope="col" class="num">Tham gia</th><th scope="col" class="num">Đã tiết kiệm</th><th scope="col" class="num">Mức đề ra</th><th scope="col" class="num">Đạt</th></tr></thead><tbody>
            \(rows)</tbody></table></div>
            """)
    }

    /// The printable A4 notice board ("bảng công khai"), for the ward's board.
    func noticeBoard(funds: [FundBalance], years: [Int], registers: [(FundBalance, [RegisterEntry])], checkpoint: String?) throws -> String {
        var rows = ""
        for fund in funds {
            rows += "<tr><th scope=\"row\">\(escape(fund.name))</th>" + money(fund.openingBalance) + money(try fund.received)
                + money(try fund.disbursed.amount) + money(fund.balance) + "</tr>\n"
        }
        var purposes = ""
        for fund in funds {
            for purpose in Purpose.allCases {
                guard let totals = fund.disbursedByPurpose[purpose.rawValue], totals.count > 0 else { continue }
                purposes += "<tr><td>\(escape(fund.name))</td><td>\(purposeName(purpose))</td><td class=\"num\">\(totals.count)</td>"
                    + "<td class=\"num\">\(totals.quantity)</td>\(money(totals.amount))</tr>\n"
            }
        }
        let root = checkpoint.flatMap { note -> String? in
            let lines = note.split(separator: "\n")
            return lines.count > 2 ? "Sổ đã ký số: \(lines[1]) khoản, gốc \(lines[2])" : nil
        } ?? ""
        return page(
            title: "Bảng công khai", depth: 1,
            """
            <h1>BẢNG CÔNG KHAI TÀI CHÍNH CÁC QUỸ</h1>
            <p>Phường \(escape(ward)), \(escape(province)). Số liệu đến ngày \(LocalDate(at: try snapshot.log.head().recordedAt).vietnamese).</p>
            <div class="table-wrap"><table id="bang-quy"><thead><tr><th scope="col">Quỹ</th><th scope="col" class="num">Đầu kỳ</th><th scope="col" class="num">Đã nhận</th><th scope="col" class="num">Đã chi</th><th scope="col" class="num">Tồn quỹ</th></tr></thead><tbody>
            \(rows)</tbody></table></div>
            <h2>Đã chi theo mục đích</h2>
            <div class="table-wrap"><table><thead><tr><th scope="col">Quỹ</th><th scope="col">Mục đích</th><th scope="col" class="num">Lượt</th><th scope="col" class="num">Số lượng</th><th scope="col" class="num">Số tiền</th></tr></thead><tbody>
            \(purposes)</tbody></table></div>
            <p class="note">\(escape(root)). Tra cứu từng khoản tại trang công khai của phường.</p>
            <p class="no-print"><button type="button" class="action" onclick="window.print()">In bảng công khai (A4)</button></p>
            <table class="signatures"><tr><td>Người lập bảng</td><td>Trưởng Ban vận động</td></tr></table>
            """)
    }

    /// `98,5 %` from hundredths of a percent.
    func percent(_ basisPoints: Int64) -> String {
        (percentText(basisPoints: basisPoints) + " %").replacingOccurrences(of: ",00 %", with: " %")
    }

    func fundPage(_ fund: FundBalance, _ register: [RegisterEntry]) -> String {
        var rows = ""
        for entry in register {
            let amountClass = entry.amount.dong < 0 ? "num out" : "num in"
            rows += "<tr id=\"k-\(entry.eventId.uuidString.lowercased())\">"
                + "<td data-value=\"\(entry.date)\">\(entry.date.vietnamese)</td>"
                + "<td>\(escape(Self.vietnameseCounterpart(entry.counterpart)))</td>"
                + "<td>\(escape(entry.reversesPosition != nil ? "Điều chỉnh" : entry.purpose.map(purposeName) ?? (entry.amount.dong >= 0 ? "Nhận" : "Chi")))</td>"
                + "<td class=\"num\" data-value=\"\(entry.quantity ?? 0)\">\(entry.quantity.map(String.init) ?? "")</td>"
                + "<td class=\"\(amountClass)\" data-value=\"\(entry.amount.dong)\">\(entry.amount.grouped)</td>"
                + "<td class=\"num\" data-value=\"\(entry.runningBalance.dong)\">\(entry.runningBalance.grouped)</td>"
                + "<td>\(escape(Self.vietnameseReference(entry.reference)))</td></tr>\n"
        }
        func header(_ label: String, numeric: Bool = false) -> String {
            "<th scope=\"col\"\(numeric ? " class=\"num\"" : "")><button type=\"button\">\(label)</button></th>"
        }
        return page(
            title: fund.name, depth: 2,
            """
            <h1>\(escape(fund.name))</h1>
            <p>Mở ngày \(fund.openedOn.vietnamese). Số dư: <strong id="so-du">\(fund.balance.grouped)</strong> đồng.
            <a href="../../tai-ve/so-quy-\(fund.fundId).csv">Tải sổ quỹ (CSV)</a></p>
            <div class="controls no-print">
            <label for="loc">Lọc (người, mục đích, số tiền…)<input id="loc" type="search" autocomplete="off"></label>
            </div>
            <div class="pager no-print"><button type="button" class="action" id="truoc">Trang trước</button><span id="trang" aria-live="polite"></span><button type="button" class="action" id="sau">Trang sau</button></div>
            <div class="table-wrap"><table class="register" id="so-quy">
            <caption>Sổ quỹ: mọi khoản nhận và chi, với số dư sau mỗi khoản (đồng)</caption>
            <thead><tr>\(header("Ngày"))\(header("Người góp / người nhận"))\(header("Mục đích"))\(header("Số lượng", numeric: true))\(header("Số tiền", numeric: true))\(header("Số dư", numeric: true))\(header("Chứng từ"))</tr></thead>
            <tbody>
            \(rows)</tbody>
            </table></div>
            """)
    }

    func lookUpPage(signed: Bool) -> String {
        page(
            title: "Tra cứu khoản đóng góp", depth: 1,
            """
            <h1>Tra cứu khoản đóng góp</h1>
            <p>Tìm theo số biên nhận, mã sự kiện (in trên biên nhận), số tiền và ngày, hoặc tên người góp khi được công khai.
            Mỗi kết quả được kiểm chứng ngay trong trình duyệt với điểm kiểm đã ký của phường\(signed ? "" : " (phường chưa có khoá ký: chưa kiểm chứng được)").</p>
            <form id="tra-cuu" data-base="../" class="controls">
            <label for="so-bien-nhan">Số biên nhận<input id="so-bien-nhan" autocomplete="off"></label>
            <label for="ma-su-kien">Mã sự kiện<input id="ma-su-kien" autocomplete="off"></label>
            <label for="so-tien">Số tiền (đồng)<input id="so-tien" inputmode="numeric" autocomplete="off"></label>
            <label for="ngay">Ngày<input id="ngay" type="date"></label>
            <label for="ten">Tên người góp<input id="ten" autocomplete="off"></label>
            <button type="submit" class="action">Tìm</button>
            </form>
            <div id="ket-qua" aria-live="polite"></div>
            """)
    }

    // MARK: - Data

    /// The positions of the entries a later reversal takes back, in every register.
    static func reversed(_ registers: [(FundBalance, [RegisterEntry])]) -> Set<UInt64> {
        Set(registers.flatMap { $0.1.compactMap(\.reversesPosition) })
    }

    /// A register's words as the public site shows them, in Vietnamese.
    static func vietnameseReference(_ reference: String?) -> String {
        guard let reference else { return "" }
        if reference.hasPrefix("reverses #") { return "Điều chỉnh khoản #" + reference.dropFirst("reverses #".count) }
        if reference.hasPrefix("pledge ") { return "Cam kết " + reference.dropFirst("pledge ".count) }
        return reference
    }

    static func vietnameseCounterpart(_ counterpart: String) -> String {
        counterpart == "balance brought forward" ? "Số dư chuyển sang" : counterpart
    }

    /// The columns' titles in Vietnamese, for the public's workbook.
    static func vietnamese(_ listing: Listing) -> Listing {
        let titles = [
            "fundId": "Mã quỹ", "name": "Tên quỹ", "openingBalance": "Đầu kỳ", "received": "Đã nhận", "pledged": "Cam kết",
            "outstandingPledges": "Cam kết chưa nộp", "disbursed": "Đã chi", "balance": "Số dư", "position": "Số thứ tự trong sổ",
            "date": "Ngày", "type": "Loại", "counterpart": "Người góp / người nhận", "purpose": "Mục đích", "quantity": "Số lượng",
            "amount": "Số tiền", "reference": "Chứng từ", "eventId": "Mã sự kiện",
        ]
        var translated = listing
        translated.columns = listing.columns.map { ($0.key, titles[$0.key] ?? $0.title) }
        return translated
    }

    /// A register as the public reads it: without the clerk who recorded each entry.
    static func publicRegister(_ register: [RegisterEntry]) -> Listing {
        Listings.register(register).removing(column: "recordedBy")
    }

    /// Money received, as the look-up finds it: columns once, then one array a row.
    func lookUpIndex(_ registers: [(FundBalance, [RegisterEntry])]) throws -> String {
        let columns = ["eventId", "position", "entry", "date", "dateText", "amount", "amountText", "fundId", "fundName", "counterpart", "receiptNo"]
        var rows: [JSONOut] = []
        let reversed = Self.reversed(registers)
        for (fund, register) in registers {
            // Donations that stand: a donation a reversal took back is not found.
            for entry in register where entry.type == "DonationReceived" && entry.reversesPosition == nil && !reversed.contains(entry.position) {
                guard let event = try snapshot.log.event(at: entry.position) else { continue }
                rows.append(
                    .array([
                        .string(entry.eventId.uuidString.lowercased()), .integer(Int64(entry.position)), .string(event.hash.hex),
                        .string(entry.date.description), .string(entry.date.vietnamese), .integer(entry.amount.dong),
                        .string(entry.amount.description), .string(fund.fundId), .string(fund.name), .string(entry.counterpart),
                        entry.reference.map { .string($0) } ?? .null,
                    ]))
            }
        }
        // The ward's verifier key, which the look-up checks the checkpoint's signature with.
        return JSONOut.object([
            ("verifierKey", signer.map { .string($0.key.verifierKey) } ?? .null), ("columns", .array(columns.map { .string($0) })),
            ("rows", .array(rows)),
        ]).compact() + "\n"
    }

    /// Money in and out of all funds by month, as bars drawn in SVG.
    func monthlyChart(_ registers: [(FundBalance, [RegisterEntry])]) throws -> String {
        var months: [String: (in: Int64, out: Int64)] = [:]
        for (_, register) in registers {
            for entry in register where entry.type != "FundOpened" {
                let (year, month, _) = entry.date.components
                let key = String(format: "%04d-%02d", year, month)
                var totals = months[key] ?? (0, 0)
                // A reversal takes back from what it reverses: money in or out, on its own date.
                if entry.reversesPosition != nil {
                    if entry.amount.dong >= 0 { totals.out -= entry.amount.dong } else { totals.in += entry.amount.dong }
                } else if entry.amount.dong >= 0 {
                    totals.in += entry.amount.dong
                } else {
                    totals.out -= entry.amount.dong
                }
                months[key] = totals
            }
        }
        let keys = months.keys.sorted()
        guard !keys.isEmpty else { return "<p>Chưa có khoản thu chi nào.</p>" }
        let largest = max(1, keys.map { max(months[$0]!.in, months[$0]!.out) }.max() ?? 1)
        let width = 40 * keys.count + 60, height = 240, base = 200
        var bars = ""
        var rows = ""
        for (index, key) in keys.enumerated() {
            let (income, outgo) = months[key]!
            let x = 50 + index * 40
            let inHeight = max(0, Int(Double(income) / Double(largest) * 180)), outHeight = max(0, Int(Double(outgo) / Double(largest) * 180))
            bars += "<rect x=\"\(x)\" y=\"\(base - inHeight)\" width=\"16\" height=\"\(inHeight)\" fill=\"#1e7b34\"><title>\(key) nhận \(VND(income).grouped) đ</title></rect>"
            bars += "<rect x=\"\(x + 17)\" y=\"\(base - outHeight)\" width=\"16\" height=\"\(outHeight)\" fill=\"#b3261e\"><title>\(key) chi \(VND(outgo).grouped) đ</title></rect>"
            bars += "<text x=\"\(x + 16)\" y=\"\(base + 16)\" font-size=\"10\" text-anchor=\"middle\">\(key.suffix(2))/\(key.prefix(4).suffix(2))</text>"
            rows += "<tr><th scope=\"row\">\(key)</th>\(money(VND(income)))\(money(VND(outgo)))</tr>"
        }
        return """
            <figure>
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(width) \(height)" width="\(width)" height="\(height)" role="img" aria-labelledby="bieu-do-tieu-de">
            <title id="bieu-do-tieu-de">Thu (xanh) và chi (đỏ) mỗi tháng, cao nhất \(VND(largest).grouped) đồng</title>
            <line x1="45" y1="\(base)" x2="\(width - 5)" y2="\(base)" stroke="#555"/>\(bars)
            </svg>
            <figcaption>Thu (xanh) và chi (đỏ) của tất cả các quỹ, theo tháng.</figcaption>
            </figure>
            <details><summary>Bảng số liệu của biểu đồ</summary><div class="table-wrap"><table><thead><tr><th scope="col">Tháng</th><th scope="col" class="num">Nhận</th><th scope="col" class="num">Chi</th></tr></thead><tbody>\(rows)</tbody></table></div></details>
            """
    }

    func money(_ amount: VND) -> String { "<td class=\"num\">\(amount.grouped)</td>" }

    func purposeName(_ purpose: Purpose) -> String {
        switch purpose {
        case .housing: "Nhà ở"
        case .gift: "Quà"
        case .healthInsurance: "Bảo hiểm y tế"
        case .scholarship: "Học bổng"
        case .studySupplies: "Đồ dùng học tập"
        case .livelihood: "Sinh kế"
        case .infrastructure: "Công trình"
        case .sponsorship: "Nhận đỡ đầu"
        case .other: "Khác"
        }
    }
}

/// The start of every page the ward and the province publish (Vietnamese, UTF-8, for
/// phones), through its `<title>`: what the site's pages, receipts and the province's
/// site share. `title` is escaped here.
public func htmlDocumentStart(title: String) -> String {
    """
    <!doctype html>
    <html lang="vi">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escape(title))</title>
    """
}

/// Text made safe for HTML.
public func escape(_ text: String) -> String {
    var escaped = ""
    escaped.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        case "'": escaped += "&#39;"
        default: escaped.append(character)
        }
    }
    return escaped
}
