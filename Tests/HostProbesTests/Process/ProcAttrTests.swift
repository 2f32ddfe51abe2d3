import Core
import XCTest
@testable import HostProbes

final class ProcAttrTests: XCTestCase {
    let einval = ProbeError.invalidArgument(path: "/proc/9/attr/current")
    let noAA = ProbeError.notFound(path: "/proc/9/attr/apparmor/current")

    func testNoLSMGivesAbsentLabelsWithTheKernelsReason() {
        let a = ProcAttr.resolve(current: .failure(einval), selinuxLibrary: nil, apparmorCurrent: .failure(noAA))
        guard case .absent(let r) = a.selinux else { return XCTFail("\(a.selinux)") }
        XCTAssertTrue(r.contains("no LSM provides this attribute"), r)
        guard case .absent(let r2) = a.apparmor else { return XCTFail("\(a.apparmor)") }
        XCTAssertTrue(r2.contains("AppArmor does not label"), r2)
        XCTAssertEqual(a.readErrors, [])
    }

    func testSELinuxContextInAttrCurrent() {
        let a = ProcAttr.resolve(current: .success("system_u:system_r:svirt_t:s0:c392,c662\0"), selinuxLibrary: nil,
                                 apparmorCurrent: .failure(noAA))
        guard case .label(let c) = a.selinux else { return XCTFail("\(a.selinux)") }
        XCTAssertEqual(c.type, "svirt_t")
        guard case .absent = a.apparmor else { return XCTFail("\(a.apparmor)") }
    }

    func testLibraryAnswerWinsOverAttrCurrent() {
        let a = ProcAttr.resolve(current: nil, selinuxLibrary: .success("system_u:system_r:svirt_tcg_t:s0:c1,c2"),
                                 apparmorCurrent: .failure(ProbeError.invalidArgument(path: "aa")))
        guard case .label(let c) = a.selinux else { return XCTFail("\(a.selinux)") }
        XCTAssertEqual(c.type, "svirt_tcg_t")
        guard case .absent = a.apparmor else { return XCTFail("\(a.apparmor)") }
    }

    func testAppArmorFromItsOwnFileAndFromAttrCurrentOnOldKernels() {
        let label = "libvirt-1b12e57c-bb1d-43e2-ad97-9f409ec2e398 (enforce)\n"
        let modern = ProcAttr.resolve(current: .success(label), selinuxLibrary: nil, apparmorCurrent: .success(label))
        guard case .label(let l) = modern.apparmor else { return XCTFail("\(modern.apparmor)") }
        XCTAssertEqual(l.mode, "enforce")
        guard case .absent(let r) = modern.selinux else { return XCTFail("\(modern.selinux)") }
        XCTAssertTrue(r.contains("AppArmor label"), r)

        let old = ProcAttr.resolve(current: .success("unconfined\n"), selinuxLibrary: nil, apparmorCurrent: .failure(noAA))
        guard case .label(let u) = old.apparmor else { return XCTFail("\(old.apparmor)") }
        XCTAssertFalse(u.confined)
    }

    func testUnreadableOrGarbledLabelsFail() {
        let io = ProbeError.io(path: "/proc/9/attr/current", errno: EISDIR)
        let a = ProcAttr.resolve(current: .failure(io), selinuxLibrary: nil, apparmorCurrent: .success("garbage"))
        XCTAssertEqual(a.selinux, .failed(io))
        guard case .failed(.parse) = a.apparmor else { return XCTFail("\(a.apparmor)") }
        XCTAssertEqual(a.readErrors.count, 2)

        let bad = ProcAttr.resolve(current: .success("system_u:system_r:svirt_t:s0:c9.c1"), selinuxLibrary: nil,
                                   apparmorCurrent: .failure(noAA))
        guard case .failed(.parse) = bad.selinux else { return XCTFail("\(bad.selinux)") }
    }

    func testOtherLSMLabelIsNotSELinux() {
        let a = ProcAttr.resolve(current: .success("_"), selinuxLibrary: nil, apparmorCurrent: .failure(noAA))
        guard case .absent(let r) = a.selinux else { return XCTFail("\(a.selinux)") }
        XCTAssertTrue(r.contains("'_'"), r)
    }

    func testFixtureReadsUseTheRootNotTheLibrary() {
        let a = ProcAttr.read(pid: 5012, root: ProcFixture.root("proc-selinux-svirt"))
        guard case .label(let c) = a.selinux else { return XCTFail("\(a.selinux)") }
        XCTAssertEqual(c.mls?.categories, [392, 662])
    }

    func testLiveProcessWithoutLSMHere() throws {
        // This machine has neither SELinux nor AppArmor: the kernel answers EINVAL for attr/current.
        let a = ProcAttr.read(pid: Int(getpid()), root: HostRoot())
        if case .label = a.selinux { throw XCTSkip("SELinux labels processes on this host") }
        if case .label = a.apparmor { throw XCTSkip("AppArmor labels processes on this host") }
        guard case .absent = a.selinux, case .absent = a.apparmor else { return XCTFail("\(a)") }
    }
}
