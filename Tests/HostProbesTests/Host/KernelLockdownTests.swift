import Core
@testable import HostProbes
import XCTest

final class KernelLockdownTests: XCTestCase {
    func testBracketedWordIsTheMode() throws {
        let cases: [(String, String, [String])] = [
            ("[none] integrity confidentiality\n", "none", ["none", "integrity", "confidentiality"]),
            ("none [integrity] confidentiality\n", "integrity", ["none", "integrity", "confidentiality"]),
            ("none integrity [confidentiality]", "confidentiality", ["none", "integrity", "confidentiality"]),
            ("[none]", "none", ["none"]),
        ]
        for (text, mode, available) in cases {
            XCTAssertEqual(try KernelLockdown.parse(text), KernelLockdown(mode: mode, available: available), text)
        }
    }

    func testGarbageIsAParseError() {
        let cases: [(String, String)] = [
            ("", "no active mode in brackets"),
            ("none integrity confidentiality", "no active mode in brackets"),
            ("[none] [integrity]", "more than one active mode"),
            ("[] none", "unexpected word '[]'"),
            ("none [Integrity]", "unexpected word '[Integrity]'"),
            ("[none\u{FF}\u{1}] integrity", "unexpected word '[noneÿ?]'"),
            ("\u{2}\u{1}[none]", "unexpected word '??[none]'"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try KernelLockdown.parse(text, path: "l"), text) { error in
                XCTAssertEqual(error as? ProbeError, .parse(path: "l", reason: reason))
            }
        }
        XCTAssertThrowsError(try KernelLockdown.read(root: HostFixture.root("host-garbage")))
    }

    func testAbsentFileSaysTheLSMIsUnavailableSoTheModeStaysUnknown() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try KernelLockdown.read(root: HostRoot(dir.path))) { error in
            guard case .unsupported(let reason)? = error as? ProbeError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("lockdown LSM is not available"), reason)
        }
    }

    func testFixture() throws {
        XCTAssertEqual(try KernelLockdown.read(root: HostFixture.root("host-selinux")).mode, "integrity")
    }
}
