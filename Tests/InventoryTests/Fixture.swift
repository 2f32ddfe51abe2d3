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

import XCTest
@testable import Inventory

extension Fixture {
    /// A connection to the lab's libvirtd; skips the test when it is unreachable, unless
    /// VIRTAUDIT_REQUIRE_LIBVIRT=1 demands it (then the test fails).
    static func liveConnection() throws -> LibvirtConnection {
        do {
            return try LibvirtConnection(uri: "qemu:///system")
        } catch {
            if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" {
                XCTFail("libvirtd unreachable but VIRTAUDIT_REQUIRE_LIBVIRT=1: \(error)")
                throw error
            }
            throw XCTSkip("libvirtd unreachable: \(error)")
        }
    }
}
