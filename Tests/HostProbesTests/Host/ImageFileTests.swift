import CSELinux
import Core
@testable import HostProbes
import XCTest

/// An image's owner, mode and `security.selinux` attribute.
final class ImageFileTests: XCTestCase {
    func testLabelOwnerAndModeOfAnImage() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        try HostFixture.write("", to: "/images/a.qcow2", under: dir)
        try HostFixture.write("", to: "/images/plain.raw", under: dir)
        let a = dir.path + "/images/a.qcow2"
        XCTAssertEqual(chmod(a, 0o666), 0)
        let label = Array("system_u:object_r:svirt_image_t:s0:c1,c2".utf8) + [0]
        let rc = label.withUnsafeBytes { setxattr(a, "security.selinux", $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw XCTSkip("cannot set security.selinux here (errno \(errno)): needs root on a filesystem with xattrs") }

        let root = HostRoot(dir.path)
        let image = try ImageFile.read(path: "/images/a.qcow2", root: root)
        XCTAssertEqual(image.selinuxLabel, "system_u:object_r:svirt_image_t:s0:c1,c2")
        XCTAssertEqual(image.modeString, "0666")
        XCTAssertTrue(image.worldWritable)
        XCTAssertEqual(image.uid, Int(getuid()))
        let plain = try ImageFile.read(path: "/images/plain.raw", root: root)
        XCTAssertNil(plain.selinuxLabel, "no attribute: no label, not an error")
    }

    func testMissingImageIsNotFound() {
        XCTAssertThrowsError(try ImageFile.read(path: "/nope.img", root: HostRoot("/nonexistent-root"))) { e in
            guard case ProbeError.notFound = e else { return XCTFail("\(e)") }
        }
    }

    func testLabelBytesLoseTheirNUL() {
        XCTAssertEqual(ImageFile.parseLabel(Array("a:b:c:s0\u{0}".utf8)), "a:b:c:s0")
        XCTAssertNil(ImageFile.parseLabel([0]))
        XCTAssertNil(ImageFile.parseLabel([]))
    }
}
