import Audit
import Core
import XCTest

final class TableRendererTests: XCTestCase {
    func testLayersStandingColumnDownMarksAndDashesForUndecidedLayers() throws {
        let text = TableRenderer.render(try FixtureHosts.scan("labels-config"))
        let lines = text.split(separator: "\n").map(String.init)
        let header = try XCTUnwrap(lines.first { $0.hasPrefix("NAME") })
        XCTAssertTrue(header.contains("SCORE  GRADE  LAYERS  FAIL"), header)
        let columns = header.split(separator: " ").map(String.init)
        func row(_ vm: String) throws -> [String: String] {
            let line = try XCTUnwrap(lines.first { $0.hasPrefix(vm + " ") }, vm)
            return Dictionary(uniqueKeysWithValues: zip(columns, line.split(separator: " ").map(String.init)))
        }
        let root = try row("cfg-rootdac")
        // dac down; sandbox-free shut-off VM: dac, mac, device-surface and the host layer
        // (management.guest-definition-protected) are scored.
        XCTAssertEqual(root["LAYERS"], "3/4")
        XCTAssertEqual(root["DAC"], "0!")
        XCTAssertEqual(root["SECCOMP"], "-", "a shut-off VM has no seccomp verdict, not 100")
        XCTAssertEqual(root["NS"], "-")
        XCTAssertEqual(try row("cfg-clean")["LAYERS"], "4/4")
        XCTAssertEqual(try row("run-custom")["SECCOMP"], "100")
        XCTAssertTrue(try XCTUnwrap(lines.first).contains("layers standing "))
    }
}
