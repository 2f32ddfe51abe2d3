import Foundation

/// Locates the fixture trees from this file's path (no SwiftPM resources).
enum Fixture {
    static let root: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures").path
    }()

    static func path(_ rel: String) -> String { root + "/" + rel }

    static func text(_ rel: String) throws -> String {
        try String(contentsOfFile: path(rel), encoding: .utf8)
    }

    /// The libvirt test driver URI for the node file with four domains.
    static var nodeURI: String { "test://" + path("inventory-node/node.xml") }
}
