import Core
import Foundation

/// Locates the process fixture trees (`Tests/Fixtures/proc-*`) from this file's path.
enum ProcFixture {
    static let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures").path
    }()

    static func root(_ scenario: String) -> HostRoot { HostRoot(fixtures + "/" + scenario) }

    /// A copy of a fixture tree in a fresh temporary directory (symlinks kept), for tests that
    /// change it.
    static func copy(_ scenario: String) throws -> (root: HostRoot, dir: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("virtaudit-\(scenario)-\(UUID().uuidString)")
        try FileManager.default.copyItem(atPath: fixtures + "/" + scenario, toPath: dir.path)
        return (HostRoot(dir.path), dir)
    }
}
