import Core
import XCTest
@testable import HostProbes

final class QemuPidFileTests: XCTestCase {
    func testPidTextParses() throws {
        for (text, pid) in [("3595", 3595), ("3595\n", 3595), (" 12 ", 12)] {
            XCTAssertEqual(try QemuPidFile.parse(text), pid, text)
        }
        for bad in ["", "0", "-3", "abc", "12 13"] {
            XCTAssertThrowsError(try QemuPidFile.parse(bad), bad)
        }
    }

    func testFixtureAndMissingPidFiles() throws {
        XCTAssertEqual(try QemuPidFile.read(domain: "va-confined", root: ProcFixture.root("proc-libvirt-default")), 3595)
        XCTAssertThrowsError(try QemuPidFile.read(domain: "nope", root: ProcFixture.root("proc-libvirt-default"))) { error in
            guard case ProbeError.notFound = error else { return XCTFail("\(error)") }
        }
    }
}
