import Core
import Foundation
import XCTest
@testable import Inventory

final class ProcessLocatorTests: XCTestCase {
    private let locator = ProcessLocator(root: HostRoot(Fixture.path("inventory-run")))
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
        let cmd = try FileReader.read(Fixture.path("inventory-run/proc/3620/cmdline"))
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
        XCTAssertTrue(reason.contains("/run/libvirt/qemu/garbage.pid does not hold a pid: 'not-a-pid'"), reason)
        XCTAssertTrue(reason.contains("/run/libvirt/qemu/garbage.xml: no such file"), reason)
        XCTAssertFalse(reason.contains(Fixture.root), "reasons name host paths, not the fixture root: \(reason)")
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

    func testDefinitionTypeDecidesNotTheDriver() throws {
        var def = DomainDefinition(type: "test", name: "va-confined")
        def.uuid = confinedUUID
        XCTAssertNil(locator.locate(def).pid)
        def.type = "qemu"
        XCTAssertEqual(locator.locate(def).pid, 3595)
    }

    func testVarRunIsUsedWhenRunHasNoLibvirtDirectory() {
        let l = ProcessLocator(root: HostRoot(Fixture.path("inventory-varrun")))
        guard case .found(let pid, _, let source) = l.locate(name: "va-confined", uuid: confinedUUID, type: "qemu") else {
            return XCTFail("not found under var/run")
        }
        XCTAssertEqual(pid, 3595)
        XCTAssertEqual(source, "/var/run/libvirt/qemu/va-confined.pid")
    }

    func testPidFileParsing() {
        XCTAssertEqual(ProcessLocator.parsePidFile("3595"), 3595)
        XCTAssertEqual(ProcessLocator.parsePidFile("3595\n"), 3595)
        XCTAssertNil(ProcessLocator.parsePidFile(""))
        XCTAssertNil(ProcessLocator.parsePidFile("0"))
        XCTAssertNil(ProcessLocator.parsePidFile("-5"))
        XCTAssertNil(ProcessLocator.parsePidFile("12 34"))
    }

    func testDomstatusParsing() {
        XCTAssertEqual(try ProcessLocator.parseDomstatus("<domstatus state='running' pid='42'><domain/></domstatus>").get(), 42)
        XCTAssertThrowsError(try ProcessLocator.parseDomstatus("<domstatus state='running'/>").get())
        XCTAssertThrowsError(try ProcessLocator.parseDomstatus("<domstatus pid='x'/>").get())
        XCTAssertThrowsError(try ProcessLocator.parseDomstatus("<domain pid='42'/>").get())
    }

    func testCmdlineSplitsOnNulAndNeedsTheUUIDFlag() {
        let args = ProcessLocator.parseCmdline(Array("qemu\0-name\0guest=x\0-uuid\0ABC\0".utf8))
        XCTAssertEqual(args, ["qemu", "-name", "guest=x", "-uuid", "ABC"])
        XCTAssertTrue(ProcessLocator.carriesUUID(args, uuid: "abc"))
        XCTAssertFalse(ProcessLocator.carriesUUID(["qemu", "-name", "abc"], uuid: "abc"), "the uuid must follow -uuid")
        XCTAssertFalse(ProcessLocator.carriesUUID(["qemu", "-uuid"], uuid: "abc"))
    }

    /// The lab's libvirtd: both guests are listed and their qemu processes located on the live host.
    func testLiveLabGuestsAreListedAndLocated() throws {
        let conn = try Fixture.liveConnection()
        let records = try conn.listDomains()
        let live = ProcessLocator(root: HostRoot("/"))
        for name in ["va-confined", "va-rootdac"] {
            let record = try XCTUnwrap(records.first { $0.name == name }, "\(name) not listed")
            XCTAssertEqual(record.state, "running")
            let def = try DomainXML.parse(record.xml)
            XCTAssertEqual(def.uuid, record.uuid)
            let loc = live.locate(def)
            guard case .found(let pid, let cmdline, let source) = loc else { return XCTFail("\(name): \(loc)") }
            let pidFile = try FileReader.readString("/run/libvirt/qemu/\(name).pid").trimmingWhitespace()
            XCTAssertEqual(String(pid), pidFile)
            XCTAssertEqual(source, "/run/libvirt/qemu/\(name).pid")
            XCTAssertTrue(cmdline.contains("guest=\(name),debug-threads=on"), "\(cmdline)")
        }
        let info = try conn.hostInfo()
        XCTAssertEqual(info.driver, "QEMU")
        XCTAssertNotNil(info.hypervisorVersion)
    }
}
