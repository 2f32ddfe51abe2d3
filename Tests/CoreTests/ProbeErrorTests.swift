@testable import Core
import Glibc
import XCTest

final class ProbeErrorTests: XCTestCase {
    func testErrnoMapsToOneCasePerMeaning() {
        let p = "/sys/kernel/iommu_groups/7/type"
        let cases: [(Int32, ProbeError)] = [
            (ENOENT, .notFound(path: p)), (ENOTDIR, .notFound(path: p)),
            (EACCES, .permissionDenied(path: p)), (EPERM, .permissionDenied(path: p)),
            (EINVAL, .invalidArgument(path: p)),
            (EIO, .io(path: p, errno: EIO)), (EISDIR, .io(path: p, errno: EISDIR)),
        ]
        for (e, want) in cases {
            XCTAssertEqual(ProbeError.from(errno: e, path: p), want, "errno \(e)")
        }
    }

    func testESRCHNamesThePidOfAProcPath() {
        XCTAssertEqual(ProbeError.from(errno: ESRCH, path: "/fixture/proc/3595/attr/current"), .processGone(pid: 3595))
        XCTAssertEqual(ProbeError.from(errno: ESRCH, path: "/run/libvirt/qemu/va.pid"), .processGone(pid: -1))
    }

    func testFileReaderErrorsComeFromTheSameMapping() {
        XCTAssertThrowsError(try FileReader.read("/nonexistent-\(getpid())/status")) { error in
            XCTAssertEqual(error as? ProbeError, .notFound(path: "/nonexistent-\(getpid())/status"))
        }
        XCTAssertThrowsError(try FileReader.read("/")) { error in
            XCTAssertEqual(error as? ProbeError, .io(path: "/", errno: EISDIR))
        }
    }
}
