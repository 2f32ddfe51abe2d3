import Core
@testable import HostProbes
import XCTest

final class SMTControlTests: XCTestCase {
    func testControlValues() throws {
        for value in ["on", "off", "forceoff", "notsupported", "notimplemented", "4"] {
            XCTAssertEqual(try SMTControl.parseControl(value + "\n"), value)
        }
        for garbage in ["", "maybe", "ON", "o\u{0}n", "12345"] {
            XCTAssertThrowsError(try SMTControl.parseControl(garbage), garbage.debugDescription)
        }
    }

    func testActiveValues() throws {
        XCTAssertEqual(try SMTControl.parseActive("1\n"), true)
        XCTAssertEqual(try SMTControl.parseActive("0\n"), false)
        XCTAssertThrowsError(try SMTControl.parseActive("yes"))
    }

    func testFixtures() throws {
        XCTAssertEqual(try SMTControl.read(root: HostFixture.root("host-selinux")), SMTControl(control: "off", active: false))
        XCTAssertEqual(try SMTControl.read(root: HostFixture.root("host-weak")), SMTControl(control: "on", active: true))
        XCTAssertThrowsError(try SMTControl.read(root: HostFixture.root("host-garbage")))
    }

    func testMissingActiveFileIsUnknownWithReason() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("on\n", to: SMTControl.controlPath, under: dir)
        let s = try SMTControl.read(root: HostRoot(dir.path))
        XCTAssertNil(s.active)
        var b = FactBuilder()
        s.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.cpu.smt.control"], "on")
        XCTAssertNotNil(b.unknown["host.cpu.smt.active"])
    }
}
