import Core
import Foundation

/// Locates the host fixture trees under Tests/Fixtures from this file's path.
enum HostFixture {
    static let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Host, HostProbesTests, Tests
        return url.appendingPathComponent("Fixtures").path
    }()

    static func root(_ scenario: String) -> HostRoot { HostRoot(fixtures + "/" + scenario) }

    static func text(_ scenario: String, _ path: String) throws -> String {
        try String(contentsOfFile: fixtures + "/" + scenario + path, encoding: .utf8)
    }

    /// A fresh temporary root directory, removed by the caller.
    static func tempRoot() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("virtaudit-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to path: String, under root: URL) throws {
        let url = root.appendingPathComponent(String(path.drop { $0 == "/" }))
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: false, encoding: .utf8)
    }
}
