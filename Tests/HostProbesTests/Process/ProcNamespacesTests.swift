import Core
import XCTest
@testable import HostProbes

final class ProcNamespacesTests: XCTestCase {
    func testLinkTargetsParseToInodes() throws {
        let cases: [(String, String, UInt64)] = [
            ("mnt:[4026531840]", "mnt", 4026531840),
            ("time:[4026531834]", "time", 4026531834),
            ("cgroup:[4026531835]\n", "cgroup", 4026531835),
        ]
        for (link, kind, inode) in cases {
            XCTAssertEqual(try ProcNamespaces.parse(link: link, kind: kind), inode, link)
        }
    }

    func testWrongKindOrShapeIsAParseError() {
        for (link, kind) in [("net:[4026531833]", "mnt"), ("mnt:4026531840", "mnt"), ("mnt:[x]", "mnt"), ("", "pid")] {
            XCTAssertThrowsError(try ProcNamespaces.parse(link: link, kind: kind), link) { error in
                guard case ProbeError.parse = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testFixtureReadsEveryKindFromRealSymlinks() {
        let ns = ProcNamespaces.read(pid: "3595", root: ProcFixture.root("proc-libvirt-default"))
        XCTAssertEqual(ns.errors, [:])
        XCTAssertEqual(ns.inodes["mnt"], 4026532177)
        XCTAssertEqual(ns.inodes["net"], 4026531833)
        XCTAssertEqual(Set(ns.inodes.keys), Set(ProcNamespaces.kinds))
    }

    func testMissingAndUnreadableLinksAreRecordedPerKind() {
        let old = ProcNamespaces.read(pid: "3595", root: ProcFixture.root("proc-missing-files"))
        guard case .notFound? = old.errors["time"] else { return XCTFail("\(old.errors)") }
        XCTAssertEqual(old.inodes.count, 7)

        // ns/net is a directory: readlink answers EINVAL.
        let odd = ProcNamespaces.read(pid: "3595", root: ProcFixture.root("proc-unreadable"))
        guard case .invalidArgument? = odd.errors["net"] else { return XCTFail("\(odd.errors)") }
        XCTAssertEqual(odd.inodes["mnt"], 4026532177)
    }

    func testLiveSelfNamespacesAreReadable() {
        let ns = ProcNamespaces.read(pid: "self", root: HostRoot())
        XCTAssertNotNil(ns.inodes["mnt"])
        XCTAssertNotNil(ns.inodes["net"])
    }
}
