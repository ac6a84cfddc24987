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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
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
        // The command line clerks and auditors use: parses, calls the ledger, prints.
        // Demo/ holds the ward of Núi Sam's 2024 figures for `ansinh demo`, shipped as resources.
        .executableTarget(
            name: "ansinh",
            dependencies: [
                "Ledger", "EventLog", "LedgerTools", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
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
        .testTarget(name: "CLITests", dependencies: ["ansinh", "ansinh-logstress", "TestSupport", "LMDB"]),
    ]
)
