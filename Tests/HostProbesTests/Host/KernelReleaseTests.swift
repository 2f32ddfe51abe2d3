import Core
@testable import HostProbes
import XCTest

final class KernelReleaseTests: XCTestCase {
    func testReleaseIsOneTrimmedWord() throws {
        XCTAssertEqual(try KernelRelease.parse("6.1.0-25-amd64\n").release, "6.1.0-25-amd64")
        XCTAssertEqual(try KernelRelease.parse("5.14.0-427.13.1.el9_4.x86_64").release, "5.14.0-427.13.1.el9_4.x86_64")
        for garbage in ["", "\n", "6.1 extra", "\u{7F}ELF", String(repeating: "x", count: 65)] {
            XCTAssertThrowsError(try KernelRelease.parse(garbage), garbage.debugDescription)
        }
    }

    func testDirectoryInPlaceOfTheFileIsAnIOError() {
        let root = HostFixture.root("host-garbage")
        XCTAssertThrowsError(try KernelRelease.read(root: root)) { error in
            XCTAssertEqual(error as? ProbeError, .io(path: root.path(KernelRelease.path), errno: EISDIR))
        }
    }

    func testLiveReleaseMatchesUname() throws {
        var u = utsname()
        XCTAssertEqual(uname(&u), 0)
        let expected = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertEqual(try KernelRelease.read(root: HostRoot("/")).release, expected)
    }
}
