import Core
import Foundation
import XCTest
@testable import HostProbes

final class ProcessLocatorTests: XCTestCase {
    private let locator = ProcessLocator(root: ProcFixture.root("proc-locator-run"))
    private let confinedUUID = "1b12e57c-bb1d-43e2-ad97-9f409ec2e398"

    func testPidFileWhoseProcessCarriesTheUUIDIsFound() throws {
        let loc = locator.locate(name: "va-confined", uuid: confinedUUID, type: "qemu")
        guard case .found(let pid, let cmdline, let source) = loc else { return XCTFail("\(loc)") }
        XCTAssertEqual(pid, 3595)
        XCTAssertEqual(source, "/run/libvirt/qemu/va-confined.pid")
        XCTAssertEqual(cmdline.first, "/usr/bin/qemu-system-x86_64")
        XCTAssertTrue(cmdline.contains("-sandbox"))
        XCTAssertEqual(loc.pid, 3595)
    }

    func testUUIDMatchIgnoresCase() {
        XCTAssertEqual(locator.locate(name: "va-confined", uuid: confinedUUID.uppercased(), type: "kvm").pid, 3595)
    }

    func testStalePidReusedByAnotherProcessIsRejected() {
        let loc = locator.locate(name: "stale", uuid: confinedUUID, type: "qemu")
        guard case .unknown(let reason) = loc else { return XCTFail("stale pid accepted: \(loc)") }
        XCTAssertTrue(reason.contains("pid 4242 from /run/libvirt/qemu/stale.pid does not carry uuid \(confinedUUID)"), reason)
        XCTAssertTrue(reason.contains("libvirtd"), reason)
    }

    func testPidFromAnotherDomainIsRejected() {
        // va-confined's pid file names a live qemu, but of a different domain.
        let loc = locator.locate(name: "va-confined", uuid: "7f3e5d7a-0c51-4b0e-9a51-2f7d8e1c9b01", type: "qemu")
        XCTAssertNil(loc.pid)
    }

    func testMissingPidFileFallsBackToDomstatus() throws {
        let loc = locator.locate(name: "va-rootdac", uuid: "d1c2d2a3-8e4f-4b5b-9c8d-7e6f5a4b3c2d", type: "qemu")
        // The fixture is a real status file; its uuid is the one on its process's command line.
        let cmd = try FileReader.read(ProcFixture.root("proc-locator-run").proc("3620/cmdline"))
        let args = ProcessLocator.parseCmdline(cmd)
        let uuid = try XCTUnwrap(args.firstIndex(of: "-uuid").map { args[$0 + 1] })
        XCTAssertNil(loc.pid, "a wrong uuid must not match")
        let found = locator.locate(name: "va-rootdac", uuid: uuid, type: "qemu")
        guard case .found(let pid, _, let source) = found else { return XCTFail("\(found)") }
        XCTAssertEqual(pid, 3620)
        XCTAssertEqual(source, "/run/libvirt/qemu/va-rootdac.xml")
    }

    func testGarbagePidFileFallsBackToDomstatus() {
        let loc = locator.locate(name: "fallback", uuid: "7f3e5d7a-0c51-4b0e-9a51-2f7d8e1c9b01", type: "kvm")
        guard case .found(let pid, _, let source) = loc else { return XCTFail("\(loc)") }
        XCTAssertEqual(pid, 7001)
        XCTAssertEqual(source, "/run/libvirt/qemu/fallback.xml")
    }

    func testGarbagePidFileWithoutStatusIsUnknownWithBothReasons() {
        guard case .unknown(let reason) = locator.locate(name: "garbage", uuid: confinedUUID, type: "qemu") else {
            return XCTFail("garbage accepted")
        }
        XCTAssertTrue(reason.contains("/run/libvirt/qemu/garbage.pid: 'not-a-pid' is not a pid"), reason)
        XCTAssertTrue(reason.contains("/run/libvirt/qemu/garbage.xml: no such file"), reason)
        XCTAssertFalse(reason.contains(ProcFixture.fixtures), "reasons name host paths, not the fixture root: \(reason)")
    }

    func testVanishedProcessGivesUnknownNotCrash() {
        guard case .unknown(let reason) = locator.locate(name: "gone", uuid: confinedUUID, type: "qemu") else {
            return XCTFail("gone process located")
        }
        XCTAssertTrue(reason.contains("process 31337 from /run/libvirt/qemu/gone.pid is gone"), reason)
    }

    func testUnreadableCmdlineGivesUnknownWithReason() {
        // proc/5151/cmdline is a directory: reading it fails with EISDIR.
        guard case .unknown(let reason) = locator.locate(name: "unreadable", uuid: confinedUUID, type: "qemu") else {
            return XCTFail("unreadable cmdline accepted")
        }
        XCTAssertTrue(reason.contains("cannot read /proc/5151/cmdline"), reason)
    }

    func testBrokenStatusFileGivesUnknownNamingIt() {
        guard case .unknown(let reason) = locator.locate(name: "brokenstatus", uuid: confinedUUID, type: "qemu") else {
            return XCTFail("broken status accepted")
        }
        XCTAssertTrue(reason.contains("/run/libvirt/qemu/brokenstatus.xml: not well-formed XML"), reason)
    }

    func testNonQemuDomainTypeIsNotLocated() {
        guard case .unknown(let reason) = locator.locate(name: "va-confined", uuid: confinedUUID, type: "xen") else {
            return XCTFail("xen domain located")
        }
        XCTAssertTrue(reason.contains("'xen' is not run by qemu"), reason)
    }

    func testDomainTypeDecidesNotTheDriver() throws {
        // The test driver's domains say type='test'; the same name and uuid under qemu is found.
        XCTAssertNil(locator.locate(name: "va-confined", uuid: confinedUUID, type: "test").pid)
        XCTAssertEqual(locator.locate(name: "va-confined", uuid: confinedUUID, type: "qemu").pid, 3595)
        XCTAssertNil(locator.locate(name: "va-confined", uuid: "", type: "qemu").pid, "no uuid, nothing to verify against")
        XCTAssertNil(locator.locate(name: "../va-confined", uuid: confinedUUID, type: "qemu").pid)
    }

    func testVarRunIsUsedWhenRunHasNoLibvirtDirectory() {
        let l = ProcessLocator(root: ProcFixture.root("proc-locator-varrun"))
        guard case .found(let pid, _, let source) = l.locate(name: "va-confined", uuid: confinedUUID, type: "qemu") else {
            return XCTFail("not found under var/run")
        }
        XCTAssertEqual(pid, 3595)
        XCTAssertEqual(source, "/var/run/libvirt/qemu/va-confined.pid")
    }

    func testCmdlineSplitsOnNulAndNeedsTheUUIDFlag() {
        let args = ProcessLocator.parseCmdline(Array("qemu\0-name\0guest=x\0-uuid\0ABC\0".utf8))
        XCTAssertEqual(args, ["qemu", "-name", "guest=x", "-uuid", "ABC"])
        XCTAssertTrue(ProcessLocator.carriesUUID(args, uuid: "abc"))
        XCTAssertFalse(ProcessLocator.carriesUUID(["qemu", "-name", "abc"], uuid: "abc"), "the uuid must follow -uuid")
        XCTAssertFalse(ProcessLocator.carriesUUID(["qemu", "-uuid"], uuid: "abc"))
    }

    /// The lab's guests: each qemu is located from its pid file on the live host, checked against
    /// the uuid libvirt recorded in its status file.
    func testLiveLabGuestsAreLocated() throws {
        let live = ProcessLocator(root: HostRoot("/"))
        for name in ["va-confined", "va-rootdac"] {
            let statusPath = DomainStatusFile.path(domain: name, root: HostRoot("/"))
            guard FileManager.default.fileExists(atPath: statusPath) else {
                if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" {
                    return XCTFail("\(statusPath) missing but VIRTAUDIT_REQUIRE_LIBVIRT=1")
                }
                throw XCTSkip("lab guest \(name) is not running here")
            }
            let status = try String(contentsOfFile: statusPath, encoding: .utf8)
            let uuid = try XCTUnwrap(status.range(of: "<uuid>").flatMap { open in
                status.range(of: "</uuid>", range: open.upperBound..<status.endIndex).map { String(status[open.upperBound..<$0.lowerBound]) }
            })
            let loc = live.locate(name: name, uuid: uuid, type: "kvm")
            guard case .found(let pid, let cmdline, let source) = loc else { return XCTFail("\(name): \(loc)") }
            XCTAssertEqual(pid, try PidFile.read(domain: name, root: HostRoot("/")))
            XCTAssertEqual(pid, try DomainStatusFile.readPid(statusPath))
            XCTAssertEqual(source, "/run/libvirt/qemu/\(name).pid")
            XCTAssertTrue(cmdline.contains("guest=\(name),debug-threads=on"), "\(cmdline)")
            XCTAssertNil(live.locate(name: name, uuid: UUID().uuidString, type: "kvm").pid, "another uuid must not match")
        }
    }
}
