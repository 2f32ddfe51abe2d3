// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "virtaudit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "virtaudit", targets: ["virtaudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C libraries on the host, through pkg-config.
        .systemLibrary(name: "CLibvirt", path: "Sources/CLibvirt", pkgConfig: "libvirt",
                       providers: [.apt(["libvirt-dev"])]),
        .systemLibrary(name: "CSELinux", path: "Sources/CSELinux", pkgConfig: "libselinux",
                       providers: [.apt(["libselinux1-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        // Linux calls Swift cannot make directly (variadic prctl).
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // Shared vocabulary: JSON fact trees, the host root, safe file reads, report types.
        .target(name: "Core", swiftSettings: strict),
        // Readers of /proc, /sys, /run, /etc under an injectable root: qemu process location and
        // confinement, host hygiene, the kernel command line, pid files.
        .target(name: "HostProbes", dependencies: ["Core", "CSELinux"], swiftSettings: strict),
        // Device assignment: IOMMU groups, PCI devices, VFIO binding, viability, SR-IOV.
        // Reads through HostProbes (the one reader of /proc/cmdline, pid files and host files).
        .target(name: "Devices", dependencies: ["Core", "HostProbes"], swiftSettings: strict),
        // libvirt C API: domains, live XML, parsed domain definitions.
        .target(name: "Inventory", dependencies: ["Core", "CLibvirt"], swiftSettings: strict),
        // Rule language, policies, profiles, waivers, scoring.
        .target(name: "Policy", dependencies: ["Core", .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        // The pipeline: inventory + probes -> facts -> policy -> findings and scores.
        .target(name: "Audit", dependencies: ["Core", "HostProbes", "Devices", "Inventory", "Policy"],
                swiftSettings: strict),
        // Scan history, diffs and the alert outbox in an embedded SQLite database.
        .target(name: "History", dependencies: ["Core", "CSQLite"], swiftSettings: strict),
        // Audit reports (JSON, HTML, Markdown), alert rules and delivery, Prometheus metrics.
        .target(name: "Reporting", dependencies: [
            "Core", "History", "CLinux", .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: strict),
        // HTTP/1.1 on POSIX sockets.
        .target(name: "HTTPServer", dependencies: ["Core", "CZlib"], swiftSettings: strict),
        // The long-running service: config, API, auth, scheduling.
        .target(name: "Service", dependencies: [
            "Core", "Audit", "Policy", "HTTPServer", "CLinux", "Inventory", "History", "Reporting",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], resources: [.embedInCode("openapi.yaml")], swiftSettings: strict),
        .executableTarget(name: "virtaudit", dependencies: [
            "Core", "Audit", "Devices", "Policy", "Service", "History", "Reporting", "HTTPServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),

        // Benchmark tool: repeated in-process scans on one open connection (scripts/bench).
        .executableTarget(name: "virtaudit-bench", dependencies: ["Audit", "Inventory", "Core"],
                          path: "Benchmarks/Rescan", swiftSettings: strict),

        .testTarget(name: "CoreTests", dependencies: ["Core"]),
        .testTarget(name: "HostProbesTests", dependencies: ["HostProbes", "Core"]),
        .testTarget(name: "DevicesTests", dependencies: ["Devices", "HostProbes", "Core"]),
        .testTarget(name: "InventoryTests", dependencies: ["Inventory", "Core"]),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Core"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Core", "Policy", "Inventory", "HostProbes", "Devices"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "Core"]),
        // Test tool: writes scans until killed (the kill -9 durability test).
        .executableTarget(name: "history-crash-writer", dependencies: ["History", "Core"],
                          path: "Tests/Tools/HistoryCrashWriter"),
        .testTarget(name: "ReportingTests", dependencies: ["Reporting", "History", "Core"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Core"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTPServer", "Audit", "Core", "History", "Reporting"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Audit", "Inventory", "Core", "Service", "HTTPServer"]),
    ]
)
