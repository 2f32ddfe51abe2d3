// swift-tools-version: 6.0
// Benchmark servers for scripts/bench-http. Not part of the product: Hummingbird appears only
// here. The virtaudit HTTPServer, Core and CZlib sources are the main package's own, reached
// through symlinks under Sources/ (the main package exports no library product).
import PackageDescription

let package = Package(
    name: "http-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib"),
        .target(name: "Core", path: "Sources/Core"),
        .target(name: "HTTPServer", dependencies: ["Core", "CZlib"], path: "Sources/HTTPServer"),
        // Our server serving the JSON files at /api/v1/summary and /api/v1/domains.
        .executableTarget(name: "BenchVirtaudit", dependencies: ["HTTPServer"]),
        // The same two endpoints on Hummingbird 2.
        .executableTarget(name: "BenchHummingbird", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
    ]
)
