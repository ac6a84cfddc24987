// swift-tools-version: 6.0
import PackageDescription

// The benchmarks: their own package, so the product's test build never compiles them.
// Run from the repository's root:
//   swift run -c release --package-path tools/bench ansinh-bench
let package = Package(
    name: "ansinh-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "ansinh", path: "../..")
    ],
    targets: [
        // SQLite, the baseline ansinh is measured against: Debian's libsqlite3-dev.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .executableTarget(
            name: "ansinh-bench",
            dependencies: [
                "CSQLite",
                .product(name: "EventLog", package: "ansinh"),
                .product(name: "LMDB", package: "ansinh"),
                .product(name: "Ledger", package: "ansinh"),
                .product(name: "LedgerTools", package: "ansinh"),
            ]
        ),
    ]
)
