import Foundation
import Ledger
import LedgerTools
import PostgresNIO

/// The province's cross-ward report for a period, from its read models: each ward's
/// funds (opening, received, paid out by purpose, closing: where money sits unspent),
/// its external support, its piggy-bank models by cell (which are behind), and the
/// province's totals. Every figure names its ward, the position it was computed
/// through and the checkpoint that covers that position; `ansinh province trace`
/// lists the entries behind a fund's figures.
public struct ProvinceReport: Sendable {
    public struct Ward: Sendable {
        public var wardId: String
        public var name: String
        public var position: UInt64
        public var checkpointSize: UInt64
        public var checkpointRoot: String?
        public var checkpointAcceptedAt: String?
        public var funds: [Fund] = []
        public var externalSupportValue: Int64 = 0
        public var externalSupportBeneficiaries: Int64 = 0
        public var externalSupportRecords: Int64 = 0
    }

    public struct Fund: Sendable {
        public var wardId: String
        public var fundId: String
        public var name: String
        public var opening: Int64 = 0
        public var donationCount: Int64 = 0
        public var donations: Int64 = 0
        public var depositCount: Int64 = 0
        public var deposits: Int64 = 0
        public var disbursedByPurpose: [(purpose: String, count: Int64, quantity: Int64, amount: Int64)] = []
        public var lastPosition: UInt64 = 0
        public var received: Int64 { donations + deposits }
        public var disbursed: Int64 { disbursedByPurpose.reduce(0) { $0 + $1.amount } }
        public var closing: Int64 { opening + received - disbursed }
    }

    public struct Cell: Sendable {
        public var wardId: String
        public var modelId: String
        public var modelName: String
        public var cell: String
        public var members: Int64
        public var expected: Int64
        public var collected: Int64
        public var deposits: Int64
        public var lastPosition: UInt64
        /// Collected ÷ expected in hundredths of a percent (10 000 = 100 %), as the ward counts it.
        public var attainment: Int64 {
            PiggyBankSummary.attainmentBasisPoints(collected: VND(collected), expected: VND(expected))
        }
    }

    public var from: LocalDate
    public var to: LocalDate
    public var wards: [Ward] = []
    public var cells: [Cell] = []

    public var funds: [Fund] { wards.flatMap(\.funds) }
}

extension ProvinceDatabase {
    /// The report for `from` through `to`, read in one snapshot (a repeatable-read transaction).
    public func report(from: LocalDate, to: LocalDate) async throws -> ProvinceReport {
        try await requireSchemaOrExplain()
        let fromText = from.description
        let toText = to.description
        return try await transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { connection in
            var report = ProvinceReport(from: from, to: to)
            for try await (ward, name, position, size, root, acceptedAt) in try await connection.query(
                """
                SELECT w.ward_id, w.name, h.position, h.checkpoint_size, encode(h.checkpoint_root, 'hex'),
                       to_char(h.checkpoint_accepted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                FROM province.wards w JOIN province.ward_heads h USING (ward_id) ORDER BY w.ward_id
                """, logger: logger
            ).decode((String, String, Int64, Int64, String?, String?).self) {
                report.wards.append(
                    .init(wardId: ward, name: name, position: UInt64(position), checkpointSize: UInt64(size), checkpointRoot: root,
                          checkpointAcceptedAt: acceptedAt))
            }
            var funds: [String: ProvinceReport.Fund] = [:]
            var order: [String] = []
            for try await (ward, fund, name, opening, donationCount, donations, depositCount, deposits, last) in try await connection.query(
                """
                SELECT f.ward_id, f.fund_id, f.name,
                    (coalesce(sum(CASE WHEN d.movement = 'disbursement' THEN -d.amount ELSE d.amount END) FILTER (WHERE d.day < \(fromText)::date), 0)
                      + coalesce(sum(d.amount) FILTER (WHERE d.movement = 'opening' AND d.day >= \(fromText)::date), 0))::int8,
                    coalesce(sum(d.count) FILTER (WHERE d.movement = 'donation' AND d.day >= \(fromText)::date), 0)::int8,
                    coalesce(sum(d.amount) FILTER (WHERE d.movement = 'donation' AND d.day >= \(fromText)::date), 0)::int8,
                    coalesce(sum(d.count) FILTER (WHERE d.movement = 'deposit' AND d.day >= \(fromText)::date), 0)::int8,
                    coalesce(sum(d.amount) FILTER (WHERE d.movement = 'deposit' AND d.day >= \(fromText)::date), 0)::int8,
                    greatest(f.position, coalesce(max(d.last_position), 0))
                FROM province.funds f
                LEFT JOIN province.fund_days d ON d.ward_id = f.ward_id AND d.fund_id = f.fund_id AND d.day <= \(toText)::date
                WHERE f.opened_on <= \(toText)::date
                GROUP BY f.ward_id, f.fund_id, f.name, f.position
                ORDER BY f.ward_id, f.fund_id
                """, logger: logger
            ).decode((String, String, String, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                let key = ward + "\u{0}" + fund
                order.append(key)
                funds[key] = .init(
                    wardId: ward, fundId: fund, name: name, opening: opening, donationCount: donationCount, donations: donations,
                    depositCount: depositCount, deposits: deposits, lastPosition: UInt64(last))
            }
            for try await (ward, fund, purpose, count, quantity, amount) in try await connection.query(
                """
                SELECT ward_id, fund_id, purpose, sum(count)::int8, sum(quantity)::int8, sum(amount)::int8
                FROM province.fund_days
                WHERE movement = 'disbursement' AND day BETWEEN \(fromText)::date AND \(toText)::date
                GROUP BY ward_id, fund_id, purpose
                ORDER BY ward_id, fund_id, purpose
                """, logger: logger
            ).decode((String, String, String, Int64, Int64, Int64).self) {
                funds[ward + "\u{0}" + fund]?.disbursedByPurpose.append((purpose, count, quantity, amount))
            }
            var support: [String: (Int64, Int64, Int64)] = [:]
            for try await (ward, value, beneficiaries, records) in try await connection.query(
                """
                SELECT ward_id, sum(value)::int8, sum(beneficiaries)::int8, count(*) FILTER (WHERE reverses_position IS NULL)
                FROM province.external_support WHERE counts_on BETWEEN \(fromText)::date AND \(toText)::date
                GROUP BY ward_id
                """, logger: logger
            ).decode((String, Int64, Int64, Int64).self) {
                support[ward] = (value, beneficiaries, records)
            }
            for index in report.wards.indices {
                let ward = report.wards[index].wardId
                report.wards[index].funds = order.filter { $0.hasPrefix(ward + "\u{0}") }.map { funds[$0]! }
                if let (value, beneficiaries, records) = support[ward] {
                    (report.wards[index].externalSupportValue, report.wards[index].externalSupportBeneficiaries) = (value, beneficiaries)
                    report.wards[index].externalSupportRecords = records
                }
            }
            for try await (ward, model, name, cell, members, expected, collected, deposits, last) in try await connection.query(
                """
                SELECT ward_id, model_id, name, cell, members, expected, collected, deposits, last_position
                FROM province.piggybank_attainment ORDER BY ward_id, model_id, cell
                """, logger: logger
            ).decode((String, String, String, String, Int64, Int64, Int64, Int64, Int64).self) {
                report.cells.append(
                    .init(wardId: ward, modelId: model, modelName: name, cell: cell, members: members, expected: expected, collected: collected,
                          deposits: deposits, lastPosition: UInt64(last)))
            }
            return report
        }
    }

    /// The entries behind a fund's figures in a period: each one's position, leaf hash and checkpoint.
    public func trace(ward: String, fund: String, from: LocalDate, to: LocalDate) async throws -> Listing {
        try await requireSchemaOrExplain()
        var listing = Listing([
            ("position", "#"), ("countsOn", "Counts on"), ("type", "Entry"), ("movement", "Movement"), ("purpose", "Purpose"),
            ("count", "Count"), ("quantity", "Qty"), ("amount", "Amount"), ("eventId", "Event id"), ("hash", "Leaf (record hash)"),
            ("checkpointSize", "Checkpoint"),
        ])
        for try await (position, on, type, movement, purpose, count, quantity, amount, eventId, hash, size) in try await client.query(
            """
            SELECT position, counts_on::text, type, movement, purpose, count, quantity, amount, event_id::text, encode(hash, 'hex'), checkpoint_size
            FROM province.events
            WHERE ward_id = \(ward) AND fund_id = \(fund) AND counts_on BETWEEN \(from.description)::date AND \(to.description)::date
            ORDER BY position
            """, logger: logger
        ).decode((Int64, String, String, String, String?, Int64, Int64, Int64, String, String, Int64).self) {
            listing.append([
                .ordinal(position), .date(LocalDate(on)), .text(type), .text(movement), .text(purpose), .integer(count),
                .integer(quantity), .money(VND(amount)), .text(eventId), .text(hash), .integer(size),
            ])
        }
        return listing
    }
}

extension ProvinceReport {
    /// Each ward's funds, one row each, traceable: the ward, the position the figures
    /// are computed through, and the checkpoint accepted over it.
    public var fundsListing: Listing {
        var listing = Listing([
            ("wardId", "Ward"), ("wardName", "Ward name"), ("fundId", "Fund"), ("name", "Fund name"), ("opening", "Opening"),
            ("donations", "Donations"), ("deposits", "Deposits"), ("received", "Received"), ("disbursed", "Paid out"),
            ("closing", "Closing (unspent)"), ("throughPosition", "Through #"), ("checkpointSize", "Checkpoint"),
            ("checkpointRoot", "Checkpoint root"),
        ])
        for ward in wards {
            for fund in ward.funds {
                listing.append([
                    .text(ward.wardId), .text(ward.name), .text(fund.fundId), .text(fund.name), .money(VND(fund.opening)),
                    .money(VND(fund.donations)), .money(VND(fund.deposits)), .money(VND(fund.received)), .money(VND(fund.disbursed)),
                    .money(VND(fund.closing)), .ordinal(Int64(ward.position)), .integer(Int64(ward.checkpointSize)), .text(ward.checkpointRoot),
                ])
            }
        }
        return listing
    }

    /// Piggy-bank models by ward and cell, the furthest behind first.
    public var cellsListing: Listing {
        var listing = Listing([
            ("wardId", "Ward"), ("modelId", "Model"), ("cell", "Cell"), ("members", "Members"), ("expected", "Expected"),
            ("collected", "Collected"), ("attainment", "Attainment %"), ("throughPosition", "Through #"),
        ])
        for cell in cells.sorted(by: { ($0.attainment, $0.wardId, $0.modelId, $0.cell) < ($1.attainment, $1.wardId, $1.modelId, $1.cell) }) {
            listing.append([
                .text(cell.wardId), .text(cell.modelId), .text(cell.cell), .integer(cell.members), .money(VND(cell.expected)),
                .money(VND(cell.collected)), .text(percentText(basisPoints: cell.attainment)), .ordinal(Int64(cell.lastPosition)),
            ])
        }
        return listing
    }

    /// External support by ward.
    public var supportListing: Listing {
        var listing = Listing([
            ("wardId", "Ward"), ("records", "Records"), ("beneficiaries", "Beneficiaries"), ("value", "Value"), ("throughPosition", "Through #"),
        ])
        for ward in wards where ward.externalSupportRecords != 0 || ward.externalSupportValue != 0 {
            listing.append([
                .text(ward.wardId), .integer(ward.externalSupportRecords), .integer(ward.externalSupportBeneficiaries),
                .money(VND(ward.externalSupportValue)), .ordinal(Int64(ward.position)),
            ])
        }
        return listing
    }

    /// The wards and what the figures rest on.
    public var wardsListing: Listing {
        var listing = Listing([
            ("wardId", "Ward"), ("name", "Name"), ("position", "Held through #"), ("checkpointSize", "Checkpoint"),
            ("checkpointRoot", "Checkpoint root"), ("acceptedAt", "Accepted at"),
        ])
        for ward in wards {
            listing.append([
                .text(ward.wardId), .text(ward.name), .ordinal(Int64(ward.position)), .integer(Int64(ward.checkpointSize)),
                .text(ward.checkpointRoot), .text(ward.checkpointAcceptedAt),
            ])
        }
        return listing
    }

    public var totals: (opening: Int64, received: Int64, disbursed: Int64, closing: Int64, support: Int64) {
        funds.reduce((0, 0, 0, 0, wards.reduce(0) { $0 + $1.externalSupportValue })) {
            ($0.0 + $1.opening, $0.1 + $1.received, $0.2 + $1.disbursed, $0.3 + $1.closing, $0.4)
        }
    }

    public var json: JSONOut {
        func money(_ value: Int64) -> JSONOut { .integer(value) }
        let totals = self.totals
        return .object([
            ("from", .date(from)), ("to", .date(to)),
            ("wards", .array(wards.map { ward in
                .object([
                    ("wardId", .string(ward.wardId)), ("name", .string(ward.name)), ("position", .integer(Int64(ward.position))),
                    ("checkpoint", .object([
                        ("size", .integer(Int64(ward.checkpointSize))), ("rootHash", .text(ward.checkpointRoot)),
                        ("acceptedAt", .text(ward.checkpointAcceptedAt)),
                    ])),
                    ("funds", .array(ward.funds.map { fund in
                        .object([
                            ("fundId", .string(fund.fundId)), ("name", .string(fund.name)), ("opening", money(fund.opening)),
                            ("donations", .object([("count", .integer(fund.donationCount)), ("amount", money(fund.donations))])),
                            ("deposits", .object([("count", .integer(fund.depositCount)), ("amount", money(fund.deposits))])),
                            ("received", money(fund.received)),
                            ("disbursedByPurpose", .object(fund.disbursedByPurpose.map { purpose in
                                (purpose.purpose, .object([
                                    ("count", .integer(purpose.count)), ("quantity", .integer(purpose.quantity)), ("amount", money(purpose.amount)),
                                ]))
                            })),
                            ("disbursed", money(fund.disbursed)), ("closing", money(fund.closing)),
                            ("lastPosition", .integer(Int64(fund.lastPosition))),
                        ])
                    })),
                    ("externalSupportValue", money(ward.externalSupportValue)),
                    ("externalSupportBeneficiaries", .integer(ward.externalSupportBeneficiaries)),
                ])
            })),
            ("piggyBankCells", .array(cells.map { cell in
                .object([
                    ("wardId", .string(cell.wardId)), ("modelId", .string(cell.modelId)), ("name", .string(cell.modelName)),
                    ("cell", .string(cell.cell)), ("members", .integer(cell.members)), ("expected", money(cell.expected)),
                    ("collected", money(cell.collected)), ("attainment", .integer(cell.attainment)),
                    ("lastPosition", .integer(Int64(cell.lastPosition))),
                ])
            })),
            ("totals", .object([
                ("opening", money(totals.opening)), ("received", money(totals.received)), ("disbursed", money(totals.disbursed)),
                ("closing", money(totals.closing)), ("externalSupportValue", money(totals.support)),
            ])),
        ])
    }

    /// The report as a terminal shows it.
    public var table: String {
        let totals = self.totals
        var text = "Province report, \(from) to \(to): \(wards.count) wards\n\n"
        text += "Funds by ward (closing: what sits unspent)\n" + fundsListing.droppingEmptyColumns().table
        text += "\nTotal: opening \(VND(totals.opening)) + received \(VND(totals.received)) − paid out \(VND(totals.disbursed))"
        text += " = closing \(VND(totals.closing))\n"
        text += "\nPiggy-bank models by cell, furthest behind first\n" + (cells.isEmpty ? "none\n" : cellsListing.table)
        text += "\nExternal support (not in any balance)\n" + (supportListing.rows.isEmpty ? "none\n" : supportListing.table)
        text += "\nWards\n" + wardsListing.table
        return text
    }
}
