import Core
@testable import Devices
import XCTest

/// The device-isolation rules only name facts this module documents, and the facts they look at
/// separate the fixture scenarios the way the rules intend.
final class DeviceIsolationRulesTests: XCTestCase {
    static let file: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/policies/rules/device-isolation.yaml"
    }()

    func expressions() throws -> [String] {
        let text = try FileReader.readString(Self.file)
        return text.split(separator: "\n").compactMap { line in
            let t = line.trimmingCharacters(in: .whitespaces)
            for key in ["check: ", "when: "] where t.hasPrefix(key) { return String(t.dropFirst(key.count)) }
            return nil
        }
    }

    func testEveryFactPathInTheRulesIsInTheSchema() throws {
        let schema = FactSchema([DeviceAudit.schema])
        let exprs = try expressions()
        XCTAssertGreaterThan(exprs.count, 20)
        let re = try Regex(#"(devices|host\.iommu)\.[A-Za-z.]+"#)
        var paths = Set<String>()
        for e in exprs { for m in e.matches(of: re) { paths.insert(String(e[m.range])) } }
        XCTAssertTrue(paths.contains("devices.nonViableReasons"))
        for p in paths { XCTAssertTrue(schema.knows(p), p) }
    }

    func testVMRulesAreGatedOnAssignedDevices() throws {
        let text = try FileReader.readString(Self.file)
        let rules = text.components(separatedBy: "  - id: ").dropFirst()
        XCTAssertEqual(rules.count, 15)
        for r in rules {
            let host = r.contains("scope: host")
            XCTAssertTrue(r.contains(host ? "when: host.iommu.assignedDeviceCount > 0" : "when: devices."), r)
            XCTAssertTrue(r.contains("remediation: "), r)
        }
    }
}

import Foundation
