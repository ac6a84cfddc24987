// swift-tools-version: 6.0
import PackageDescription

// Layers, bottom up:
//   CLMDB     — the C library (Debian's liblmdb-dev), found through pkg-config.
//   LMDB      — the only Swift code that calls `mdb_*`: environments, closure-scoped
//               transactions, databases, cursors, one typed error.
//   EventLog  — a generic append-only, hash-chained event log on LMDB: positions,
//               streams, idempotent appends, inline projections. No welfare words.
//   Ledger    — the welfare domain: the event catalogue, the rules every command
//               passes, and the projections clerks and auditors read. No `mdb_*`.
//   LedgerTools — printable forms of the ledger, audits by replay, signed exports,
//               checkpoints, proofs, receipts (with CQRencode, Debian's libqrencode-dev),
//               the public site, Excel workbooks (with CXlsxWriter, libxlsxwriter-dev).
//   LedgerServer — `ansinh serve`: the ward's HTTP API on Hummingbird 2 (users and
//               roles, group commit, the live feed), over Ledger and LedgerTools.
//   Province  — a province's consolidated books on PostgreSQL (PostgresNIO): the wards'
//               verified public feeds, cross-ward read models and reports, its public site.
//   ansinh    — the command line: parses, calls the ledger, prints. Nothing else.
let package = Package(
    name: "ansinh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ansinh", targets: ["ansinh"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerTools", targets: ["LedgerTools"]),
        .library(name: "LedgerServer", targets: ["LedgerServer"]),
        .library(name: "Province", targets: ["Province"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // QR codes on donors' receipts: Debian's libqrencode-dev.
        .systemLibrary(
            name: "CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // Excel workbooks for clerks and the public site: Debian's libxlsxwriter-dev.
        .systemLibrary(
            name: "CXlsxWriter",
            pkgConfig: "xlsxwriter",
            providers: [.apt(["libxlsxwriter-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(
            name: "EventLog",
            dependencies: [
                "LMDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Ledger", dependencies: ["EventLog"]),
        // Printable forms (tables, JSON, CSV, the Vietnamese report), audits and exports.
        .target(
            name: "LedgerTools",
            dependencies: ["Ledger", "EventLog", "CQRencode", "CXlsxWriter", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // `ansinh serve`: the HTTP API, its users and roles, group commit and the live feed.
        // Resources/openapi.json is the API's contract, served at /openapi.json.
        .target(
            name: "LedgerServer",
            dependencies: [
                "Ledger", "EventLog", "LedgerTools",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        // A province's books: wards' public feeds, checked against their signed checkpoints,
        // loaded into PostgreSQL; cross-ward reports in SQL; the province's public site.
        .target(
            name: "Province",
            dependencies: [
                "Ledger", "EventLog", "LedgerTools", "LedgerServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The command line clerks and auditors use: parses, calls the ledger, prints.
        // Demo/ holds the ward of Núi Sam's 2024 figures for `ansinh demo`, shipped as resources.
        .executableTarget(
            name: "ansinh",
            dependencies: [
                "Ledger", "EventLog", "LedgerTools", "LedgerServer", "Province",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Demo")]
        ),
        // A small program the tests start as a separate process: it appends in a
        // loop and reports every acknowledged position (crash and concurrency tests), or
        // verifies and lists a store's events (the durability tool).
        .executableTarget(name: "ansinh-logstress", dependencies: ["EventLog"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "ansinh-logstress", "TestSupport"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "EventLog", "LMDB", "TestSupport"]),
        .testTarget(
            name: "LedgerToolsTests",
            dependencies: [
                "LedgerTools", "Ledger", "EventLog", "LMDB", "ansinh", "TestSupport", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "LedgerServerTests",
            dependencies: ["LedgerServer", "Ledger", "EventLog", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "ProvinceTests", dependencies: ["Province", "EventLog"]),
        .testTarget(name: "CLITests", dependencies: ["ansinh", "ansinh-logstress", "TestSupport", "LMDB"]),
    ]
)
