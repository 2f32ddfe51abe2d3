import Core
@testable import HostProbes
import XCTest

final class LibvirtDaemonProcessTests: XCTestCase {
    func testConfigAndListenArgumentsInEveryGetoptSpelling() {
        let cases: [([String], String?, Bool)] = [
            ([], nil, false),
            (["-d"], nil, false),
            (["--listen"], nil, true),
            (["-l", "-d"], nil, true),
            (["-dl"], nil, true),
            (["-f", "/tmp/a.conf"], "/tmp/a.conf", false),
            (["-f/tmp/b.conf", "--listen"], "/tmp/b.conf", true),
            (["--config", "/etc/x.conf"], "/etc/x.conf", false),
            (["--config=/etc/y.conf", "-l"], "/etc/y.conf", true),
            (["--timeout", "120", "-p", "/run/x.pid"], nil, false),
            (["-ldf", "/c.conf"], "/c.conf", true),
            (["-f", "/first", "-f", "/second"], "/second", false),
            (["--", "--listen"], nil, false),
        ]
        for (args, config, listen) in cases {
            let got = LibvirtDaemonProcess.parseArguments(args)
            XCTAssertEqual(got.config, config, "\(args)")
            XCTAssertEqual(got.listen, listen, "\(args)")
        }
    }

    func testSocketLinksGiveInodesAndOtherLinksNothing() {
        XCTAssertEqual(LibvirtDaemonProcess.socketInode("socket:[31337]"), 31337)
        XCTAssertNil(LibvirtDaemonProcess.socketInode("anon_inode:[eventfd]"))
        XCTAssertNil(LibvirtDaemonProcess.socketInode("/dev/null"))
        XCTAssertNil(LibvirtDaemonProcess.socketInode("socket:[x]"))
    }

    func testScanFindsOnlyLibvirtDaemonsWithTheirSockets() throws {
        let root = HostRoot(HostFixture.fixtures + "/hosts/mgmt-open/root")
        let found = try LibvirtDaemonProcess.scan(root: root)
        XCTAssertEqual(found.map(\.pid), [1200])
        XCTAssertEqual(found.first?.name, "libvirtd")
        XCTAssertEqual(found.first?.listen, true)
        XCTAssertEqual(found.first?.socketInodes, [31337, 31338, 31339])
        XCTAssertEqual(found.first?.netNamespace, "net:[4026531833]")
    }
}
