import Foundation
import Ledger
import Logging
import NIOCore
import PostgresNIO

/// Loads one batch of a ward's entries, in the transaction it is given: the events (by
/// `COPY`), and the read models folded from them, by the ward's own rules:
/// - money counts by business date, into its fund: an opening balance, a donation, a
///   piggy-bank deposit (into its model's fund), a disbursement by purpose;
/// - a reversal takes its entry's money away on the reversal's own date; a reversed
///   leaving or model close is withdrawn, as if never recorded;
/// - piggy-bank deposits are kept by model and cell; members by id and cell, no name.
struct BatchLoader {
    let ward: String
    let checkpointSize: UInt64
    let connection: PostgresConnection
    let logger: Logger

    /// What an event did to a fund's money (the columns of `province.events`).
    struct Movement: Sendable {
        var fundId: String
        var countsOn: String
        var movement: String
        var purpose: String
        var count: Int64
        var quantity: Int64
        var amount: Int64
    }

    /// An entry the batch may reverse: its type, data and movement.
    struct Reversible: Sendable {
        var position: UInt64
        var type: String
        var data: EntryData
        var movement: Movement?
    }

    private struct Key: Hashable {
        var fundId: String
        var day: String
        var movement: String
        var purpose: String
    }

    private struct Totals {
        var count: Int64 = 0
        var quantity: Int64 = 0
        var amount: Int64 = 0
        var lastPosition: UInt64 = 0

        mutating func add(_ movement: Movement, at position: UInt64) throws {
            let (amount, overflow) = self.amount.addingReportingOverflow(movement.amount)
            guard !overflow else { throw ProvinceError.source("a total of the batch is beyond 9 223 372 036 854 775 807 đ") }
            self.amount = amount
            count += movement.count
            quantity += movement.quantity
            lastPosition = max(lastPosition, position)
        }
    }

    func load(_ entries: [PublicEntry]) async throws {
        // What the batch needs from what is held: the entries it reverses, and the models' funds.
        let reversed = Set(entries.compactMap { $0.type == "EntryReversed" ? $0.data.reversesEventId?.lowercased() : nil })
        var reversible = try await heldEntries(reversed)
        var modelFunds: [String: String] = [:]
        for try await (model, fund) in try await connection.query(
            "SELECT model_id, fund_id FROM province.piggybank_models WHERE ward_id = \(ward)", logger: logger
        ).decode((String, String).self) {
            modelFunds[model] = fund
        }

        var rows = ByteBuffer()
        var days: [Key: Totals] = [:]
        var months: [Key: Totals] = [:]
        var cells: [[String]: Totals] = [:]
        var statements: [PostgresQuery] = []

        for entry in entries {
            let data = entry.data
            var movement: Movement?
            func need<T>(_ value: T?, _ field: String) throws -> T {
                guard let value else {
                    throw ProvinceError.source("ward \(ward), position \(entry.position) (\(entry.type)): the field \(field) is missing")
                }
                return value
            }
            func day(_ value: String?, _ field: String) throws -> String {
                let text = try need(value, field)
                guard text.count == 10, LocalDate(text) != nil else {
                    throw ProvinceError.source("ward \(ward), position \(entry.position) (\(entry.type)): \(field) is not a date (YYYY-MM-DD): \(text)")
                }
                return text
            }
            switch entry.type {
            case "FundOpened":
                let fund = try need(data.fundId, "fundId")
                statements.append(
                    """
                    INSERT INTO province.funds (ward_id, fund_id, name, opened_on, position)
                    VALUES (\(ward), \(fund), \(try need(data.name, "name")), \(try day(data.openedOn, "openedOn"))::date, \(Int64(entry.position)))
                    """)
                if let balance = data.openingBalance, balance > 0 {
                    movement = Movement(fundId: fund, countsOn: try day(data.openedOn, "openedOn"), movement: "opening", purpose: "", count: 0, quantity: 0, amount: balance)
                }
            case "DonationReceived":
                movement = Movement(
                    fundId: try need(data.fundId, "fundId"), countsOn: try day(data.receivedOn, "receivedOn"), movement: "donation", purpose: "",
                    count: 1, quantity: 0, amount: try need(data.amount, "amount"))
            case "PiggyBankDeposited":
                let model = try need(data.modelId, "modelId")
                guard let fund = modelFunds[model] else {
                    throw ProvinceError.source("ward \(ward), position \(entry.position): a deposit into model \(model), which no entry held started")
                }
                movement = Movement(
                    fundId: fund, countsOn: try day(data.depositedOn, "depositedOn"), movement: "deposit", purpose: "", count: 1, quantity: 0,
                    amount: try need(data.amount, "amount"))
                try cells[[model, try need(data.cell, "cell")], default: Totals()].add(movement!, at: entry.position)
            case "DisbursementMade":
                movement = Movement(
                    fundId: try need(data.fundId, "fundId"), countsOn: try day(data.disbursedOn, "disbursedOn"), movement: "disbursement",
                    purpose: try need(data.purpose, "purpose"), count: 1, quantity: try need(data.quantity, "quantity"),
                    amount: try need(data.amount, "amount"))
            case "MemberEnrolled":
                statements.append(
                    """
                    INSERT INTO province.members (ward_id, member_id, cell, enrolled_on, position)
                    VALUES (\(ward), \(try need(data.memberId, "memberId")), \(try need(data.cell, "cell")), \(try day(data.enrolledOn, "enrolledOn"))::date, \(Int64(entry.position)))
                    """)
            case "MemberLeft":
                statements.append(
                    """
                    UPDATE province.members SET left_on = \(try day(data.leftOn, "leftOn"))::date
                    WHERE ward_id = \(ward) AND member_id = \(try need(data.memberId, "memberId"))
                    """)
            case "PiggyBankModelStarted":
                let model = try need(data.modelId, "modelId")
                let fund = try need(data.fundId, "fundId")
                modelFunds[model] = fund
                statements.append(
                    """
                    INSERT INTO province.piggybank_models (ward_id, model_id, name, fund_id, starts_on, ends_on, daily_target, position)
                    VALUES (\(ward), \(model), \(try need(data.name, "name")), \(fund), \(try day(data.startsOn, "startsOn"))::date,
                            \(try day(data.endsOn, "endsOn"))::date, \(try need(data.dailyTarget, "dailyTarget")), \(Int64(entry.position)))
                    """)
            case "PiggyBankModelClosed":
                statements.append(
                    """
                    UPDATE province.piggybank_models SET closed_on = \(try day(data.closedOn, "closedOn"))::date
                    WHERE ward_id = \(ward) AND model_id = \(try need(data.modelId, "modelId"))
                    """)
            case "ExternalSupportRecorded":
                statements.append(externalSupport(data, position: entry.position, sign: 1, on: try day(data.recordedOn, "recordedOn"), reverses: nil))
            case "EntryReversed":
                let target = try need(data.reversesEventId, "reversesEventId").lowercased()
                let on = try day(data.reversedOn, "reversedOn")
                guard let original = reversible[target] else {
                    throw ProvinceError.source("ward \(ward), position \(entry.position): it reverses the event \(target), which the province does not hold")
                }
                // Only money received or paid out is reversible (an opening balance is not, as the ward's rules say).
                if var taken = original.movement, ["DonationReceived", "PiggyBankDeposited", "DisbursementMade"].contains(original.type) {
                    (taken.countsOn, taken.count, taken.quantity, taken.amount) = (on, -taken.count, -taken.quantity, -taken.amount)
                    movement = taken
                    if original.type == "PiggyBankDeposited", let model = original.data.modelId, let cell = original.data.cell {
                        try cells[[model, cell], default: Totals()].add(taken, at: entry.position)
                    }
                }
                switch original.type {
                case "MemberLeft":
                    statements.append(
                        "UPDATE province.members SET left_on = NULL WHERE ward_id = \(ward) AND member_id = \(original.data.memberId ?? "")")
                case "PiggyBankModelClosed":
                    statements.append(
                        "UPDATE province.piggybank_models SET closed_on = NULL WHERE ward_id = \(ward) AND model_id = \(original.data.modelId ?? "")")
                case "ExternalSupportRecorded":
                    statements.append(externalSupport(original.data, position: entry.position, sign: -1, on: on, reverses: original.position))
                default:
                    break
                }
            default:
                break  // pledges, closes of the books, erasures, migrations: no figure of the province's
            }
            if let movement {
                let day = Key(fundId: movement.fundId, day: movement.countsOn, movement: movement.movement, purpose: movement.purpose)
                try days[day, default: Totals()].add(movement, at: entry.position)
                var month = day
                month.day = String(movement.countsOn.prefix(7)) + "-01"
                try months[month, default: Totals()].add(movement, at: entry.position)
            }
            reversible[entry.eventId.uuidString.lowercased()] = Reversible(position: entry.position, type: entry.type, data: data, movement: movement)
            Self.appendRow(entry, movement: movement, ward: ward, checkpointSize: checkpointSize, to: &rows)
        }

        // COPY quotes the table's name whole: it is named in the schema set for the transaction.
        try await connection.query("SET LOCAL search_path TO province", logger: logger)
        try await connection.copyFrom(
            table: "events",
            columns: [
                "ward_id", "position", "event_id", "type", "stream", "recorded_at", "prev_hash", "hash", "checkpoint_size", "data",
                "fund_id", "counts_on", "movement", "purpose", "count", "quantity", "amount",
            ],
            logger: logger
        ) { writer in
            try await writer.write(rows)
        }
        for statement in statements { try await connection.query(statement, logger: logger) }
        try await upsert(days, into: "fund_days", dateColumn: "day")
        try await upsert(months, into: "fund_months", dateColumn: "month")
        if !cells.isEmpty {
            let keys = Array(cells.keys)
            try await connection.query(
                """
                INSERT INTO province.piggybank_cells (ward_id, model_id, cell, deposits, collected, last_position)
                SELECT \(ward), * FROM unnest(\(keys.map { $0[0] })::text[], \(keys.map { $0[1] })::text[],
                    \(keys.map { cells[$0]!.count })::int8[], \(keys.map { cells[$0]!.amount })::int8[],
                    \(keys.map { Int64(cells[$0]!.lastPosition) })::int8[])
                ON CONFLICT (ward_id, model_id, cell) DO UPDATE SET
                    deposits = piggybank_cells.deposits + excluded.deposits, collected = piggybank_cells.collected + excluded.collected,
                    last_position = greatest(piggybank_cells.last_position, excluded.last_position)
                """, logger: logger)
        }
    }

    /// The held entries whose event ids are in `ids`, by event id.
    private func heldEntries(_ ids: Set<String>) async throws -> [String: Reversible] {
        guard !ids.isEmpty else { return [:] }
        var held: [String: Reversible] = [:]
        let rows = try await connection.query(
            """
            SELECT event_id::text, position, type, data::text, fund_id, counts_on::text, movement, purpose, count, quantity, amount
            FROM province.events WHERE ward_id = \(ward) AND event_id = ANY(\(Array(ids))::uuid[])
            """, logger: logger)
        for try await row in rows {
            let (id, position, type, json, fund, on, movement, purpose, count, quantity, amount) = try row.decode(
                (String, Int64, String, String, String?, String?, String?, String?, Int64?, Int64?, Int64?).self)
            let data = try JSONDecoder().decode(EntryData.self, from: Data(json.utf8))
            var moved: Movement?
            if let fund, let on, let movement {
                moved = Movement(
                    fundId: fund, countsOn: on, movement: movement, purpose: purpose ?? "", count: count ?? 0, quantity: quantity ?? 0,
                    amount: amount ?? 0)
            }
            held[id] = Reversible(position: UInt64(position), type: type, data: data, movement: moved)
        }
        return held
    }

    private func externalSupport(_ data: EntryData, position: UInt64, sign: Int64, on: String, reverses: UInt64?) -> PostgresQuery {
        """
        INSERT INTO province.external_support
            (ward_id, position, organisation, programme, description, beneficiaries, value, counts_on, reverses_position)
        VALUES (\(ward), \(Int64(position)), \(data.organisation ?? ""), \(data.programme ?? ""), \(data.description ?? ""),
                \(sign * (data.beneficiaries ?? 0)), \(sign * (data.value ?? 0)), \(on)::date, \(reverses.map { Int64($0) }))
        """
    }

    private func upsert(_ totals: [Key: Totals], into table: String, dateColumn: String) async throws {
        guard !totals.isEmpty else { return }
        let keys = Array(totals.keys)
        let sql = """
            INSERT INTO province.\(table) (ward_id, fund_id, \(dateColumn), movement, purpose, count, quantity, amount, last_position)
            SELECT $1, * FROM unnest($2::text[], $3::date[], $4::text[], $5::text[], $6::int8[], $7::int8[], $8::int8[], $9::int8[])
            ON CONFLICT (ward_id, fund_id, \(dateColumn), movement, purpose) DO UPDATE SET
                count = \(table).count + excluded.count, quantity = \(table).quantity + excluded.quantity,
                amount = \(table).amount + excluded.amount, last_position = greatest(\(table).last_position, excluded.last_position)
            """
        var bindings = PostgresBindings()
        bindings.append(ward)
        bindings.append(keys.map(\.fundId))
        bindings.append(keys.map(\.day))
        bindings.append(keys.map(\.movement))
        bindings.append(keys.map(\.purpose))
        bindings.append(keys.map { totals[$0]!.count })
        bindings.append(keys.map { totals[$0]!.quantity })
        bindings.append(keys.map { totals[$0]!.amount })
        bindings.append(keys.map { Int64(totals[$0]!.lastPosition) })
        try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    /// One row of `COPY … FROM STDIN` (text format): tab-separated, `\N` for none.
    static func appendRow(_ entry: PublicEntry, movement: Movement?, ward: String, checkpointSize: UInt64, to buffer: inout ByteBuffer) {
        var fields: [String?] = [
            ward, String(entry.position), entry.eventId.uuidString.lowercased(), entry.type, entry.stream,
            entry.recordedAtText, "\\\\x" + entry.prevHash.hex, "\\\\x" + entry.hash.hex, String(checkpointSize), entry.data.json,
        ]
        if let movement {
            fields += [
                movement.fundId, movement.countsOn, movement.movement, movement.purpose.isEmpty ? nil : movement.purpose,
                String(movement.count), String(movement.quantity), String(movement.amount),
            ]
        } else {
            fields += [String?](repeating: nil, count: 7)
        }
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
            guard let field else {
                buffer.writeString("\\N")
                continue
            }
            // The hashes' `\\x` is already escaped; other text escapes backslash, tab and line ends.
            if index == 6 || index == 7 {
                buffer.writeString(field)
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeString("\\t")
                case UInt8(ascii: "\n"): buffer.writeString("\\n")
                case UInt8(ascii: "\r"): buffer.writeString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }
}
