import Core
import XCTest
@testable import HostProbes

final class ProcCmdlineTests: XCTestCase {
    func testNulSeparatedArgumentsSplit() {
        let cases: [([UInt8], [String])] = [
            (Array("/usr/bin/qemu\0-S\0".utf8), ["/usr/bin/qemu", "-S"]),
            (Array("a\0\0b\0".utf8), ["a", "", "b"]),
            (Array("no-terminator".utf8), ["no-terminator"]),
            ([], []),
            ([0], [""]),
        ]
        for (bytes, args) in cases {
            XCTAssertEqual(ProcCmdline.parse(bytes).arguments, args, "\(bytes)")
        }
    }

    func testRealQemuCommandLineFromFixture() throws {
        let c = try ProcCmdline.read(pid: 3595, root: ProcFixture.root("proc-libvirt-default"))
        XCTAssertEqual(c.arguments.first, "/usr/bin/qemu-system-x86_64")
        let i = try XCTUnwrap(c.arguments.firstIndex(of: "-sandbox"))
        XCTAssertEqual(c.arguments[i + 1], "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny")
        XCTAssertFalse(c.arguments.contains { $0.contains("\0") })
    }
}
