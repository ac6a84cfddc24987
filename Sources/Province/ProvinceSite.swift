import Foundation
import Hummingbird
import Ledger
import LedgerTools
import Logging
import NIOCore

/// `ansinh province serve`: the province's public site, in Vietnamese, built like a
/// ward's site (its stylesheet, its words) and read from the database on each request:
/// - `/` the funds of every ward, what sits unspent, the piggy-bank cells furthest
///   behind, external support, and on what each ward's figures rest (the position and
///   the signed checkpoint accepted);
/// - `/v1/report?from=&to=` the same as `ansinh province report --format json`;
/// - `/assets/site.css`, `/healthz`.
public enum ProvinceSite {
    public static func run(
        database: ProvinceDatabase, host: String, port: Int, logger: Logger, onListening: @escaping @Sendable (String) -> Void
    ) async throws {
        let router = Router()
        router.get("/") { request, _ in
            let (from, to) = try period(request)
            let report = try await database.report(from: from, to: to)
            return html(home(report))
        }
        router.get("/v1/report") { request, _ in
            let (from, to) = try period(request)
            let report = try await database.report(from: from, to: to)
            return Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: report.json.serialized() + "\n")))
        }
        router.get("/assets/site.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: PublicationAssets.css)))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "ansinh-province"),
            onServerRunning: { channel in onListening("\(host):\(channel.localAddress?.port ?? port)") }, logger: logger)
        try await app.runService()
    }

    /// The period asked for: `from` and `to`, by default this year through today (in the ward's time zone).
    static func period(_ request: Request) throws -> (LocalDate, LocalDate) {
        let today = LocalDate.today()
        func date(_ name: String) throws -> LocalDate? {
            guard let text = request.uri.queryParameters.get(name) else { return nil }
            guard let date = LocalDate(text) else { throw HTTPError(.badRequest, message: "\(name) must be a date, YYYY-MM-DD") }
            return date
        }
        let to = try date("to") ?? today
        let from = try date("from") ?? LocalDate(year: to.components.year, month: 1, day: 1)!
        guard from <= to else { throw HTTPError(.badRequest, message: "from is after to") }
        return (from, to)
    }

    static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func home(_ report: ProvinceReport) -> String {
        func money(_ value: Int64) -> String { VND(value).description }
        func table(_ head: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
            "<div class=\"table\"><table><thead><tr>" + head.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
                + rows.map { row in
                    "<tr>" + row.enumerated().map { numeric.contains($0.offset) ? "<td class=\"so\">\(escape($0.element))</td>" : "<td>\(escape($0.element))</td>" }.joined() + "</tr>"
                }.joined() + "</tbody></table></div>"
        }
        let totals = report.totals
        let funds = report.wards.flatMap { ward in
            ward.funds.map { [ward.name, $0.name, money($0.opening), money($0.received), money($0.disbursed), money($0.closing)] }
        }
        let behind = report.cells.filter { $0.attainment < 10_000 }.sorted { $0.attainment < $1.attainment }.map { cell in
            [report.wards.first { $0.wardId == cell.wardId }?.name ?? cell.wardId, cell.modelName, cell.cell, money(cell.expected), money(cell.collected),
             percentText(basisPoints: cell.attainment) + " %"]
        }
        let support = report.wards.filter { $0.externalSupportRecords != 0 }.map { ward in
            [ward.name, String(ward.externalSupportRecords), String(ward.externalSupportBeneficiaries), money(ward.externalSupportValue)]
        }
        let wards = report.wards.map { ward in
            [ward.name, String(ward.position), String(ward.checkpointSize), ward.checkpointRoot ?? "—", ward.checkpointAcceptedAt ?? "—"]
        }
        let body = """
            <h1>Công khai tài chính các quỹ toàn tỉnh</h1>
            <p>Từ ngày \(report.from.vietnamese) đến ngày \(report.to.vietnamese), \(report.wards.count) phường, xã.</p>
            <section><h2>Tổng cộng</h2>
            <p>Số dư đầu kỳ \(money(totals.opening)) + đã nhận \(money(totals.received)) − đã chi \(money(totals.disbursed)) = <strong>còn lại \(money(totals.closing))</strong>.</p></section>
            <section><h2>Các quỹ theo phường, xã (còn lại: tiền chưa chi)</h2>
            \(table(["Phường, xã", "Quỹ", "Đầu kỳ", "Đã nhận", "Đã chi", "Còn lại"], funds, numeric: [2, 3, 4, 5]))</section>
            <section><h2>Mô hình “ống heo tiết kiệm”: chi bộ chưa đạt chỉ tiêu</h2>
            \(behind.isEmpty ? "<p>Không có chi bộ nào chưa đạt.</p>" : table(["Phường, xã", "Mô hình", "Chi bộ", "Chỉ tiêu", "Đã góp", "Đạt"], behind, numeric: [3, 4, 5]))</section>
            <section><h2>Hỗ trợ ngoài quỹ</h2>
            \(support.isEmpty ? "<p>Không có.</p>" : table(["Phường, xã", "Số lần", "Người được hỗ trợ", "Giá trị"], support, numeric: [1, 2, 3]))</section>
            <section><h2>Số liệu dựa trên</h2>
            <p>Mỗi phường, xã ký số sổ của mình; tỉnh chỉ nhận các khoản ghi khớp với chữ ký và với những gì đã nhận trước đó (RFC 9162).</p>
            \(table(["Phường, xã", "Đến khoản số", "Checkpoint", "Gốc cây Merkle", "Nhận lúc"], wards, numeric: [1, 2]))</section>
            """
        return htmlDocumentStart(title: "Công khai tài chính các quỹ toàn tỉnh") + """

            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="/assets/site.css">
            </head>
            <body>
            <header class="site"><a href="/"><strong>Công khai tài chính các quỹ</strong></a><p>Toàn tỉnh</p></header>
            <main id="noi-dung">
            \(body)
            </main>
            <footer>Số liệu công khai theo Nghị định 93/2021/NĐ-CP, Điều 14, tổng hợp từ sổ có chữ ký số của từng phường, xã.</footer>
            </body>
            </html>

            """
    }
}
