import CQRencode
import EventLog
import Foundation
import Ledger

/// A QR code's modules, made by libqrencode (error correction M, 8-bit, case kept).
public struct QRCode: Sendable {
    /// Modules a side, without the quiet zone.
    public let size: Int
    /// Row by row: `true` for a dark module.
    public let modules: [Bool]

    public init(_ text: String) throws {
        guard let code = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            throw ReceiptError.qrCode(text)
        }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        size = width
        modules = (0..<width * width).map { code.pointee.data[$0] & 1 == 1 }
    }

    public func isDark(_ x: Int, _ y: Int) -> Bool {
        x >= 0 && y >= 0 && x < size && y < size && modules[y * size + x]
    }

    /// Half blocks, two rows of modules a line, dark on light, with a quiet zone of 2:
    /// scannable from a terminal with a light background.
    public var terminalText: String {
        let quiet = 2
        var text = ""
        for y in stride(from: -quiet, to: size + quiet, by: 2) {
            for x in -quiet..<(size + quiet) {
                switch (isDark(x, y), isDark(x, y + 1)) {
                case (true, true): text += "█"
                case (true, false): text += "▀"
                case (false, true): text += "▄"
                case (false, false): text += " "
                }
            }
            text += "\n"
        }
        return text
    }

    /// An SVG of the code, one `rect` a dark module, with a quiet zone of 4.
    public var svg: String {
        let quiet = 4
        let side = size + 2 * quiet
        var rects = ""
        for y in 0..<size {
            for x in 0..<size where isDark(x, y) {
                rects += "<rect x=\"\(x + quiet)\" y=\"\(y + quiet)\" width=\"1\" height=\"1\"/>"
            }
        }
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\" width=\"\(side * 5)\" height=\"\(side * 5)\" "
            + "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"Mã QR tra cứu\"><rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/>"
            + "<g fill=\"#000\">\(rects)</g></svg>"
    }
}

public enum ReceiptError: Error, Hashable, Sendable, CustomStringConvertible {
    case qrCode(String)
    case notAContribution(eventId: String, type: String)
    case noPublicAddress

    public var description: String {
        switch self {
        case .qrCode(let text): "cannot make a QR code of \(text)"
        case .notAContribution(let id, let type):
            "event \(id) is a \(type); receipts are given for donations (DonationReceived) and deposits (PiggyBankDeposited)"
        case .noPublicAddress:
            "the ward's public site has no address yet: give --public-url, or set it once with `ansinh keys public-url URL`"
        }
    }
}

/// A donor's receipt: what was given, and what lets anyone check, now or later, that
/// it is in the ward's published books (the inclusion proof and the signed checkpoint).
public struct Receipt: Sendable {
    public var ward: String
    public var province: String
    public var fundId: String
    public var fundName: String
    public var counterpart: String
    public var amount: VND
    public var date: LocalDate
    public var receiptNo: String?
    public var eventId: String
    public var position: UInt64
    public var lookUpURL: String
    public var proof: InclusionProof
    public var checkpoint: String

    /// The receipt of event `eventId` in `snapshot`, with its proof in the tree of the
    /// whole log and that tree's checkpoint signed by `signer`.
    public init(snapshot: LedgerSnapshot, eventId: UUID, signer: NoteSigner, publicURL: String, ward: String, province: String) throws {
        let id = eventId.uuidString.lowercased()
        guard let stored = try snapshot.log.event(id: eventId) else { throw TransparencyError.noSuchEvent(id) }
        guard stored.isType("DonationReceived") || stored.isType("PiggyBankDeposited") else {
            throw ReceiptError.notAContribution(eventId: id, type: stored.type)
        }
        guard let (fundId, entry) = try snapshot.registerEntry(eventId: eventId, view: .internal), let fundId else {
            throw TransparencyError.noSuchEvent(id)
        }
        let event = try LedgerEvent.decode(stored)
        if case .donationReceived(let donation) = event { receiptNo = donation.receiptNo }
        self.ward = ward
        self.province = province
        self.fundId = fundId
        fundName = try snapshot.fund(fundId)?.name ?? fundId
        counterpart = entry.counterpart
        amount = entry.amount
        date = entry.date
        self.eventId = id
        position = stored.position
        lookUpURL = publicURL + "/tra-cuu/#" + id
        proof = try InclusionProof(reader: snapshot.log, eventId: eventId, size: nil)
        checkpoint = try WardLog.checkpoint(snapshot.log, signer: signer).1.serialized
    }

    var lines: [(String, String)] {
        [
            ("Quỹ", "\(fundName) (\(fundId))"), ("Người đóng góp", counterpart), ("Số tiền", amount.description),
            ("Ngày nhận", date.vietnamese), ("Số biên nhận", receiptNo ?? "—"), ("Mã sự kiện", eventId),
            ("Vị trí trong sổ", "\(position)"),
        ]
    }

    /// The receipt as text, its QR code in half blocks.
    public func text() throws -> String {
        var text = "BIÊN NHẬN ĐÓNG GÓP\nPhường \(ward), \(province)\n\n"
        for (label, value) in lines { text += "\(label): \(value)\n" }
        text += "\nTra cứu và kiểm chứng: \(lookUpURL)\n"
        text += try QRCode(lookUpURL).terminalText
        text += "\nBằng chứng (RFC 9162): khoản này là lá \(proof.leafIndex) của cây \(proof.treeSize) lá, gốc \(proof.rootHash).\n"
        text += "Đường kiểm chứng:\n" + proof.proof.map { "  \($0)\n" }.joined()
        text += "\nĐiểm kiểm (checkpoint) đã ký:\n" + checkpoint
        text += "\nKiểm lại sau, với điểm kiểm mới hơn: ansinh verify-proof --checkpoint CHECKPOINT PROOF.json\n"
        return text
    }

    /// The receipt as one printable HTML page: nothing loaded from elsewhere; the proof
    /// inside it as JSON (`<script type="application/json" id="proof">`).
    public func html() throws -> String {
        let rows = lines.map { "<tr><th scope=\"row\">\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined(separator: "\n")
        let proofJSON = proof.json.serialized().replacingOccurrences(of: "</", with: "<\\/")
        return htmlDocumentStart(title: "Biên nhận đóng góp \(receiptNo ?? eventId)") + """

            <style>
            body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 1rem auto; padding: 0 1rem; color: #111; }
            table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem; border-bottom: 1px solid #ccc; }
            th { width: 40%; font-weight: 600; } pre { white-space: pre-wrap; word-break: break-all; font-size: .75rem; }
            .qr { text-align: center; margin: 1rem 0; } @media print { a { color: #000; } }
            </style>
            </head>
            <body>
            <h1>Biên nhận đóng góp</h1>
            <p>Phường \(escape(ward)), \(escape(province))</p>
            <table>
            \(rows)
            </table>
            <div class="qr">\(try QRCode(lookUpURL).svg)</div>
            <p>Tra cứu và kiểm chứng: <a href="\(escape(lookUpURL))">\(escape(lookUpURL))</a></p>
            <h2>Bằng chứng</h2>
            <p>Khoản này là lá \(proof.leafIndex) của cây \(proof.treeSize) lá (RFC 9162), gốc <code>\(proof.rootHash)</code>.
            Bằng chứng này kiểm được với mọi điểm kiểm về sau của phường.</p>
            <pre>\(escape(checkpoint))</pre>
            <script type="application/json" id="proof">\(proofJSON)</script>
            </body>
            </html>

            """
    }
}
