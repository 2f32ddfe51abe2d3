import Core
import XCTest
@testable import HostProbes

final class ProcRootTests: XCTestCase {
    func testLinkTargetsGivePathAndChroot() throws {
        let cases: [(String, String, Bool)] = [
            ("/", "/", false),
            ("/var/lib/libvirt/qemu/chroot/va", "/var/lib/libvirt/qemu/chroot/va", true),
            ("/srv/jail/", "/srv/jail", true),
        ]
        for (link, path, chrooted) in cases {
            let r = try ProcRoot.parse(link: link)
            XCTAssertEqual(r.path, path, link)
            XCTAssertEqual(r.chrooted, chrooted, link)
        }
        XCTAssertThrowsError(try ProcRoot.parse(link: "relative"))
    }

    func testFixtureSymlinksAreReadNotFollowed() throws {
        XCTAssertEqual(try ProcRoot.read(pid: 3595, root: ProcFixture.root("proc-libvirt-default")).path, "/")
        let jailed = try ProcRoot.read(pid: 6100, root: ProcFixture.root("proc-apparmor"))
        XCTAssertEqual(jailed.path, "/var/lib/libvirt/qemu/chroot/va-armored")
        XCTAssertTrue(jailed.chrooted)
    }
}
