// swift-tools-version:6.1
import PackageDescription

let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
// Already in the graph through Hummingbird; named for the server's connection edge handler
// (`Expect: 100-continue`, requests that are not HTTP/1.1).
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let nioHTTPTypes: Target.Dependency = .product(name: "NIOHTTPTypes", package: "swift-nio-extras")

let package = Package(
    name: "call-ledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "call-ledger", targets: ["LedgerCLI"]),
        .executable(name: "simulate", targets: ["simulate"]),
        .library(name: "LedgerLog", targets: ["LedgerLog"]),
        .library(name: "LedgerEvents", targets: ["LedgerEvents"]),
        // An analyst's own projection needs the engine; one that reuses the call facts or the
        // departments' calendars needs the reports module.
        .library(name: "LedgerProjections", targets: ["LedgerProjections"]),
        .library(name: "LedgerReports", targets: ["LedgerReports"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already in the graph through Hummingbird; named so the server can give it a log handler.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.14.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        // Only for Tools/Benchmarks/server-bench, the HTTP load generator.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // The C door: Debian's liblmdb through pkg-config. Only LedgerStorage imports it.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        // Spreadsheet export through Debian's libxlsxwriter; only LedgerXLSX imports it.
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev", "zlib1g-dev"])]),
        .target(name: "LedgerXLSX", dependencies: ["CXLSXWriter"]),
        // Wire format v1: pure value types, parsing, validation, binary codec. Imports nothing of ours.
        .target(name: "LedgerEvents"),
        // PBX adapter: Asterisk queue_log and CDR CSV mapped to wire-format v1 events (pure, no storage).
        .target(name: "LedgerAsterisk", dependencies: ["LedgerEvents"]),
        // LMDB wrapper and the append-only record store. Knows records and index keys, not events.
        .target(name: "LedgerStorage", dependencies: ["CLMDB"]),
        // The event log: LedgerEvents stored through LedgerStorage.
        .target(name: "LedgerLog", dependencies: ["LedgerEvents", "LedgerStorage"]),
        // Read models: the projection engine (workers, checkpoints, rebuilds, as-of queries).
        .target(name: "LedgerProjections", dependencies: ["LedgerEvents", "LedgerLog", "LedgerStorage", lifecycle]),
        // The call-center read models (calls, episodes) and the reports computed from them.
        .target(name: "LedgerReports", dependencies: ["LedgerProjections", "LedgerLog", "LedgerEvents"]),
        // Reports as files: CSV text and XLSX sheets, shared by the CLI and the server so both give the same files.
        .target(name: "LedgerExport", dependencies: ["LedgerReports", "LedgerXLSX", "LedgerEvents"]),
        // The HTTP server (Hummingbird): the only module that knows HTTP.
        .target(name: "LedgerServer", dependencies: ["LedgerReports", "LedgerExport", "LedgerXLSX", "LedgerProjections", "LedgerLog", "LedgerEvents",
                                                    hummingbird, lifecycle, metrics, prometheus, logging, nioCore, nioHTTP1, nioHTTPTypes],
                // GET /openapi.yaml: the document compiled into the binary (see OpenAPIRoute.swift).
                resources: [.embedInCode("openapi.yaml")]),
        .executableTarget(name: "LedgerCLI", dependencies: ["LedgerServer", "LedgerReports", "LedgerExport", "LedgerXLSX", "LedgerProjections", "LedgerLog", "LedgerEvents", "LedgerSimulator",
                                                            "LedgerAsterisk", "CallsPerLineHour", argumentParser, lifecycle]),
        // The worked example of an analyst's projection, built only on the public API.
        .target(name: "CallsPerLineHour", dependencies: ["LedgerProjections", "LedgerEvents"],
                path: "Examples/CallsPerLineHour"),

        // Tools: the deterministic traffic simulator (a library for tests and benchmarks, and an executable).
        .target(name: "LedgerSimulator", path: "Tools/Simulator/LedgerSimulator"),
        .executableTarget(name: "simulate", dependencies: ["LedgerSimulator", argumentParser],
                          path: "Tools/Simulator/simulate"),
        // Benchmarks: raw-C anchors and our layers measured in one run.
        .executableTarget(name: "ledger-bench", dependencies: ["LedgerLog", "LedgerEvents", "LedgerSimulator", argumentParser],
                          path: "Tools/Benchmarks/ledger-bench"),
        // Benchmark of the read-model targets (rebuild, reports, as-of, live lag).
        .executableTarget(name: "report-bench", dependencies: ["LedgerReports", "LedgerProjections", "LedgerLog", "LedgerEvents",
                                                               "LedgerSimulator", "CallsPerLineHour"],
                          path: "Tools/Benchmarks/report-bench"),
        // Benchmark of the HTTP targets: load from this process against `call-ledger serve`.
        .executableTarget(name: "server-bench", dependencies: ["LedgerLog", "LedgerEvents", "LedgerSimulator", "LedgerTestSupport",
                                                               .product(name: "AsyncHTTPClient", package: "async-http-client")],
                          path: "Tools/Benchmarks/server-bench"),
        // Benchmark of the Asterisk import (issue 7): generated 1 M-line queue_log, baseline in the same run.
        .executableTarget(name: "import-bench", dependencies: ["LedgerAsterisk", "LedgerLog", "LedgerEvents"],
                          path: "Tools/Benchmarks/import-bench"),
        // NDJSON lines to stored records: the full way against DirectEventEncoder, one thread.
        .executableTarget(name: "parse-bench", dependencies: ["LedgerEvents"], path: "Tools/Benchmarks/parse-bench"),
        // Test helper: appends forever and prints acknowledged ids (for kill -9 tests).
        .executableTarget(name: "ledger-stress", dependencies: ["LedgerLog", "LedgerEvents"],
                          path: "Tools/Stress/ledger-stress"),

        .target(name: "LedgerTestSupport", dependencies: ["LedgerEvents", "LedgerLog"], path: "Tests/LedgerTestSupport"),
        .testTarget(name: "LedgerEventsTests", dependencies: ["LedgerEvents", "LedgerSimulator"]),
        .testTarget(name: "LedgerStorageTests", dependencies: ["LedgerStorage"]),
        .testTarget(name: "LedgerLogTests", dependencies: ["LedgerLog", "LedgerEvents", "LedgerSimulator", "LedgerTestSupport"]),
        .testTarget(name: "LedgerProjectionsTests", dependencies: ["LedgerProjections", "LedgerLog", "LedgerEvents",
                                                                   "LedgerSimulator", "LedgerTestSupport", "CallsPerLineHour"]),
        .testTarget(name: "LedgerReportsTests", dependencies: ["LedgerReports", "LedgerProjections", "LedgerLog", "LedgerEvents",
                                                               "LedgerSimulator", "LedgerTestSupport"]),
        .testTarget(name: "LedgerServerTests", dependencies: ["LedgerServer", "LedgerExport", "LedgerLog", "LedgerEvents", "LedgerSimulator", "LedgerTestSupport"]),
        .testTarget(name: "LedgerAsteriskTests", dependencies: ["LedgerAsterisk", "LedgerReports", "LedgerProjections", "LedgerLog",
                                                                "LedgerEvents", "LedgerTestSupport"]),
        .testTarget(name: "LedgerCLITests", dependencies: ["LedgerEvents", "LedgerLog", "LedgerProjections", "LedgerSimulator", "LedgerTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
