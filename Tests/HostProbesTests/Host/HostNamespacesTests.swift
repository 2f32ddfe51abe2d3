import Core
@testable import HostProbes
import XCTest

final class HostNamespacesTests: XCTestCase {
    func testLinkParsesToInode() {
        XCTAssertEqual(HostNamespaces.parse("mnt:[4026531841]", type: "mnt"), 4026531841)
        XCTAssertNil(HostNamespaces.parse("net:[4026531840]", type: "mnt"))
        XCTAssertNil(HostNamespaces.parse("mnt:[abc]", type: "mnt"))
        XCTAssertNil(HostNamespaces.parse("mnt:4026531841", type: "mnt"))
    }

    func testFixtureReadsInitsSymlinks() throws {
        let n = try HostNamespaces.read(root: HostFixture.root("host-selinux"))
        XCTAssertEqual(n.source, "/proc/1")
        XCTAssertEqual(n.links["mnt"], "mnt:[4026531841]")
        XCTAssertEqual(n.links.count, HostNamespaces.types.count)
    }

    func testNoProcIsNotFound() {
        XCTAssertThrowsError(try HostNamespaces.read(root: HostFixture.root("host-garbage"))) { error in
            guard case .notFound? = error as? ProbeError else { return XCTFail("\(error)") }
        }
    }

    func testLiveHostFallsBackToOwnNamespacesWhenInitIsDenied() throws {
        let n = try HostNamespaces.read(root: HostRoot("/"))
        let initReadable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/1/ns/mnt")) != nil
        XCTAssertEqual(n.source, initReadable ? "/proc/1" : "/proc/self")
        let own = try FileManager.default.destinationOfSymbolicLink(atPath: "\(n.source)/ns/mnt")
        XCTAssertEqual(n.links["mnt"], own)
    }
}
