import EventLog
import Foundation
import PostgresNIO

/// The province's tables, in the schema `province`. Every table but `wards` and `meta`
/// begins its key with `ward_id`, so that Citus can distribute them by ward (the README
/// shows how); `wards` and `meta` are small and read everywhere: reference tables.
enum Schema {
    static let version = 1

    static let statements: [String] = [
        "CREATE SCHEMA province",
        """
        CREATE TABLE province.meta (
            key text PRIMARY KEY,
            value text NOT NULL
        )
        """,
        // Who the province follows, and the key each ward publishes. Never changes once added.
        """
        CREATE TABLE province.wards (
            ward_id text PRIMARY KEY CHECK (ward_id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
            name text NOT NULL CHECK (name <> ''),
            public_key bytea NOT NULL CHECK (length(public_key) = 32),
            added_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        // What the province holds of each ward: the last position and its hash, the right
        // edge of its Merkle tree, and the last checkpoint accepted (the witness's memory).
        """
        CREATE TABLE province.ward_heads (
            ward_id text PRIMARY KEY REFERENCES province.wards,
            position bigint NOT NULL DEFAULT 0 CHECK (position >= 0),
            hash bytea NOT NULL,
            frontier bytea[] NOT NULL DEFAULT '{}',
            origin text,
            checkpoint_size bigint NOT NULL DEFAULT 0,
            checkpoint_root bytea,
            checkpoint_note text,
            checkpoint_accepted_at timestamptz,
            CHECK (checkpoint_size <= position OR checkpoint_size = 0)
        )
        """,
        // Every checkpoint of a ward that rows were loaded against: verified with its key,
        // consistent with the one before; kept with the first batch checked against it.
        """
        CREATE TABLE province.checkpoints (
            ward_id text NOT NULL REFERENCES province.wards,
            size bigint NOT NULL,
            root_hash bytea NOT NULL,
            note text NOT NULL,
            source text NOT NULL,
            accepted_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (ward_id, size)
        )
        """,
        // Feeds refused: what the province held, what it was offered, and the ward's
        // signed checkpoint of the offer. Two checkpoints signed by one key that do not
        // extend each other are the ward's own proof that it rewrote its books.
        """
        CREATE TABLE province.refusals (
            ward_id text NOT NULL REFERENCES province.wards,
            refusal_id bigint GENERATED ALWAYS AS IDENTITY,
            refused_at timestamptz NOT NULL DEFAULT now(),
            position bigint NOT NULL,
            reason text NOT NULL,
            held_hash bytea,
            offered_hash bytea,
            offered_entry text,
            offered_checkpoint text,
            held_checkpoint text,
            source text NOT NULL,
            PRIMARY KEY (ward_id, refusal_id)
        )
        """,
        // The wards' events in public form, one partition a ward. Each row is the leaf
        // at `position` of its ward's log (`hash`), covered by the checkpoint of size
        // `checkpoint_size` accepted when it was loaded. A row that moves money also says
        // which fund, on which date, what (opening, donation, deposit, disbursement) and
        // how much: a reversal's row takes its entry's money away on its own date.
        """
        CREATE TABLE province.events (
            ward_id text NOT NULL,
            position bigint NOT NULL,
            event_id uuid NOT NULL,
            type text NOT NULL,
            stream text NOT NULL,
            recorded_at timestamptz NOT NULL,
            prev_hash bytea NOT NULL,
            hash bytea NOT NULL,
            checkpoint_size bigint NOT NULL,
            data jsonb NOT NULL,
            fund_id text,
            counts_on date,
            movement text CHECK (movement IN ('opening', 'donation', 'deposit', 'disbursement')),
            purpose text,
            count bigint,
            quantity bigint,
            amount bigint,
            PRIMARY KEY (ward_id, position)
        ) PARTITION BY LIST (ward_id)
        """,
        "CREATE INDEX events_event_id ON province.events (ward_id, event_id)",
        "CREATE INDEX events_money ON province.events (ward_id, fund_id, counts_on) WHERE fund_id IS NOT NULL",
        // Read models, each kept in the transaction that loads the events it folds.
        """
        CREATE TABLE province.funds (
            ward_id text NOT NULL,
            fund_id text NOT NULL,
            name text NOT NULL,
            opened_on date NOT NULL,
            position bigint NOT NULL,
            PRIMARY KEY (ward_id, fund_id)
        )
        """,
        totals("fund_days", by: "day"),
        totals("fund_months", by: "month"),
        """
        CREATE TABLE province.members (
            ward_id text NOT NULL,
            member_id text NOT NULL,
            cell text NOT NULL,
            enrolled_on date NOT NULL,
            left_on date,
            position bigint NOT NULL,
            PRIMARY KEY (ward_id, member_id)
        )
        """,
        """
        CREATE TABLE province.piggybank_models (
            ward_id text NOT NULL,
            model_id text NOT NULL,
            name text NOT NULL,
            fund_id text NOT NULL,
            starts_on date NOT NULL,
            ends_on date NOT NULL,
            daily_target bigint NOT NULL,
            closed_on date,
            position bigint NOT NULL,
            PRIMARY KEY (ward_id, model_id)
        )
        """,
        """
        CREATE TABLE province.piggybank_cells (
            ward_id text NOT NULL,
            model_id text NOT NULL,
            cell text NOT NULL,
            deposits bigint NOT NULL,
            collected bigint NOT NULL,
            last_position bigint NOT NULL,
            PRIMARY KEY (ward_id, model_id, cell)
        )
        """,
        """
        CREATE TABLE province.external_support (
            ward_id text NOT NULL,
            position bigint NOT NULL,
            organisation text NOT NULL,
            programme text NOT NULL,
            description text NOT NULL,
            beneficiaries bigint NOT NULL,
            value bigint NOT NULL,
            counts_on date NOT NULL,
            reverses_position bigint,
            PRIMARY KEY (ward_id, position)
        )
        """,
        // Each model's cells: members enrolled in its period, what they were expected to
        // save (Σ enrolled days × the daily target) and what they saved.
        """
        CREATE VIEW province.piggybank_attainment AS
        WITH enrolled AS (
            SELECT m.ward_id, m.model_id, mem.cell,
                   greatest(0, least(least(coalesce(m.closed_on, m.ends_on), m.ends_on),
                                     coalesce(mem.left_on - 1, m.ends_on))
                               - greatest(m.starts_on, mem.enrolled_on) + 1) AS days
            FROM province.piggybank_models m
            JOIN province.members mem ON mem.ward_id = m.ward_id
        ), expected AS (
            SELECT e.ward_id, e.model_id, e.cell, count(*) FILTER (WHERE e.days > 0) AS members,
                   sum(e.days)::bigint AS days
            FROM enrolled e GROUP BY e.ward_id, e.model_id, e.cell
        )
        SELECT m.ward_id, m.model_id, m.name, m.fund_id, x.cell,
               coalesce(x.members, 0) AS members,
               coalesce(x.days, 0) * m.daily_target AS expected,
               coalesce(c.collected, 0) AS collected,
               coalesce(c.deposits, 0) AS deposits,
               greatest(m.position, coalesce(c.last_position, 0)) AS last_position
        FROM province.piggybank_models m
        JOIN expected x ON x.ward_id = m.ward_id AND x.model_id = m.model_id
        LEFT JOIN province.piggybank_cells c ON c.ward_id = x.ward_id AND c.model_id = x.model_id AND c.cell = x.cell
        WHERE x.members > 0 OR c.cell IS NOT NULL
        """,
    ]

    /// A table of money totals by ward, fund, `period` (a day, or a month's first day),
    /// movement and purpose, with the last position folded in.
    static func totals(_ table: String, by period: String) -> String {
        """
        CREATE TABLE province.\(table) (
            ward_id text NOT NULL,
            fund_id text NOT NULL,
            \(period) date NOT NULL,
            movement text NOT NULL,
            purpose text NOT NULL,
            count bigint NOT NULL,
            quantity bigint NOT NULL,
            amount bigint NOT NULL,
            last_position bigint NOT NULL,
            PRIMARY KEY (ward_id, fund_id, \(period), movement, purpose)
        )
        """
    }

    /// The name of a ward's partition of `province.events`.
    static func partition(of ward: String) -> String { "events_" + ward.replacingOccurrences(of: "-", with: "_") }
}

extension ProvinceDatabase {
    /// Creates the schema, in one transaction.
    /// - Throws: when it exists already (nothing is changed).
    public func createSchema() async throws {
        try await transaction { connection in
            let exists = try await connection.query(
                "SELECT 1 FROM pg_namespace WHERE nspname = 'province'", logger: logger
            ).collect().count > 0
            if exists { throw ProvinceError.source("the database has a province schema already; nothing was changed") }
            for statement in Schema.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            try await connection.query(
                "INSERT INTO province.meta (key, value) VALUES ('schema_version', \(String(Schema.version)))", logger: logger)
        }
    }

    /// Checks that the schema is there and of this version.
    func requireSchema() async throws {
        let rows = try await rows(
            """
            SELECT value FROM province.meta WHERE key = 'schema_version'
            """
        ) { try $0.decode(String.self) }
        guard let text = rows.first, let version = Int(text) else { throw ProvinceError.noSchema }
        guard version == Schema.version else { throw ProvinceError.schemaVersion(version) }
    }

    /// Registers a ward with its published key, and makes its partition of the events.
    /// Adding it again with the same name and key changes nothing.
    public func addWard(_ ward: String, name: String, publicKey: [UInt8]) async throws {
        try await requireSchemaOrExplain()
        guard ward.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw ProvinceError.badWard("the ward id \(ward)", "use lower-case letters, digits and hyphens (such as nui-sam), at most 63")
        }
        let name = name.precomposedStringWithCanonicalMapping
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw ProvinceError.badWard("--name", "the ward's name is empty") }
        try await transaction { connection in
            let existing = try await connection.query(
                "SELECT name, public_key FROM province.wards WHERE ward_id = \(ward) FOR UPDATE", logger: logger
            ).collect()
            if let row = existing.first {
                let (knownName, knownKey) = try row.decode((String, ByteBuffer).self)
                guard knownName == name, Array(knownKey.readableBytesView) == publicKey else { throw ProvinceError.wardExists(ward) }
                return
            }
            let key = ByteBuffer(bytes: publicKey)
            let genesis = ByteBuffer(bytes: ChainHash.genesis.bytes)
            try await connection.query(
                "INSERT INTO province.wards (ward_id, name, public_key) VALUES (\(ward), \(name), \(key))", logger: logger)
            try await connection.query(
                "INSERT INTO province.ward_heads (ward_id, hash) VALUES (\(ward), \(genesis))", logger: logger)
            let literal = "'" + ward + "'"  // checked above: letters, digits and hyphens only
            try await connection.query(
                PostgresQuery(unsafeSQL: "CREATE TABLE province.\(Schema.partition(of: ward)) PARTITION OF province.events FOR VALUES IN (\(literal))"),
                logger: logger)
        }
    }

    /// The schema's check, with the reason when it is missing.
    func requireSchemaOrExplain() async throws {
        do {
            try await requireSchema()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            throw ProvinceError.noSchema  // undefined table: no schema yet
        }
    }
}
