import Core
@testable import HostProbes
import XCTest

/// `/sys/kernel/mm/ksm/run`.
final class KSMStateTests: XCTestCase {
    func testRunValues() throws {
        let cases: [(String, Int, Bool)] = [("0\n", 0, false), ("1\n", 1, true), ("2\n", 2, false)]
        for (text, run, merging) in cases {
            let dir = try HostFixture.tempRoot()
            defer { try? FileManager.default.removeItem(at: dir) }
            try HostFixture.write(text, to: KSMState.runPath, under: dir)
            let k = try XCTUnwrap(KSMState.read(root: HostRoot(dir.path)))
            XCTAssertEqual(k.run, run, text)
            XCTAssertEqual(k.merging, merging, text)
        }
    }

    func testKernelWithoutKSMMergesNothing() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertNil(try KSMState.read(root: HostRoot(dir.path)))
    }

    func testGarbageIsAParseError() {
        for text in ["", "3", "yes", "-1"] {
            XCTAssertThrowsError(try KSMState.parse(text), text) { e in
                guard case ProbeError.parse = e else { return XCTFail("\(e)") }
            }
        }
    }
}
