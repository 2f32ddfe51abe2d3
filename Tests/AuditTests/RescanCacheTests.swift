import Foundation
@testable import Audit
import Core
import Inventory
import XCTest

/// A rescan with the same auditor reuses what the last scan parsed and built only while its input
/// is unchanged: a changed definition or state is read again, never judged from the last scan.
final class RescanCacheTests: XCTestCase {
    func record(xml devices: String, id: Int?) -> DomainRecord {
        let xml = """
            <domain type='kvm'><name>re</name><uuid>6a0e3c52-9d1b-4f7e-8c2a-3b5d7f9e1c04</uuid><memory>65536</memory>
              <devices>\(devices)</devices></domain>
            """
        return DomainRecord(name: "re", uuid: "6a0e3c52-9d1b-4f7e-8c2a-3b5d7f9e1c04", id: id, state: id == nil ? "shutoff" : "running",
                            persistent: true, autostart: false, xml: xml)
    }

    func testAChangedDefinitionOrStateIsJudgedFromTheNewInput() throws {
        let settings = ScanSettings(uri: "test:///default", root: HostRoot(FixtureHosts.root("storage")),
                                    policiesDirectory: FixtureHosts.policies)
        let auditor = try Auditor(settings: settings)
        let none = Result<LibvirtHostInfo, InventoryError>.failure(.connect(uri: "test", message: "none"))
        let legacy = record(xml: "<sound model='ich6'/><video><model type='cirrus'/></video>", id: nil)
        let clean = record(xml: "", id: nil)

        let first = try auditor.assemble(records: [legacy], hostInfo: none).domain("re")
        XCTAssertEqual(first.facts[path: "surface.legacyCount"], 2)
        let same = try auditor.assemble(records: [legacy], hostInfo: none).domain("re")
        XCTAssertEqual(same.facts, first.facts, "an unchanged domain gives the same facts")

        // The XML changes: the new definition is parsed and its facts built.
        let changed = try auditor.assemble(records: [clean], hostInfo: none).domain("re")
        XCTAssertEqual(changed.facts[path: "surface.legacyCount"], 0)
        XCTAssertEqual(changed.facts[path: "surface.legacyDevices"], [])

        // Same XML, the domain started: its state is read again (and its process looked for).
        let started = try auditor.assemble(records: [record(xml: "", id: 7)], hostInfo: none).domain("re")
        XCTAssertEqual(started.facts[path: "domain.running"], true)
        XCTAssertEqual(started.facts[path: "domain.id"], 7)
        XCTAssertEqual(started.facts[path: "process.located"], false)

        // And back: the first definition again gives the first facts, not the last scan's.
        let back = try auditor.assemble(records: [legacy], hostInfo: none).domain("re")
        XCTAssertEqual(back.facts[path: "surface.legacyCount"], 2)
        XCTAssertEqual(back.facts[path: "domain.running"], false)
    }
}

final class ScanReadsTests: XCTestCase {
    func testCgroupFilesAreReadOncePerScanAndAgainByTheNextScan() throws {
        let dir = NSTemporaryDirectory() + "virtaudit-scanreads-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/sys/fs/cgroup/machine.slice", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/proc/42", withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: dir) }
        let root = HostRoot(dir)
        let limit = dir + "/sys/fs/cgroup/machine.slice/memory.max"
        let cgroup = dir + "/proc/42/cgroup"
        let status = dir + "/proc/42/status"
        try "max\n".write(toFile: limit, atomically: true, encoding: .utf8)
        try "0::/machine.slice\n".write(toFile: cgroup, atomically: true, encoding: .utf8)
        try "Name:\tqemu\n".write(toFile: status, atomically: true, encoding: .utf8)

        let scan = ScanReads(root: root)
        XCTAssertEqual(try scan.reader.readString(limit), "max\n")
        XCTAssertTrue(scan.reader.exists(limit))
        try "1024\n".write(toFile: limit, atomically: true, encoding: .utf8)
        try "0::/other.slice\n".write(toFile: cgroup, atomically: true, encoding: .utf8)
        _ = try scan.reader.readString(cgroup)
        try "Name:\tother\n".write(toFile: status, atomically: true, encoding: .utf8)
        // Within one scan a shared file is read once; other /proc files are read every time.
        XCTAssertEqual(try scan.reader.readString(limit), "max\n")
        XCTAssertEqual(try scan.reader.readString(cgroup), "0::/other.slice\n")
        try "0::/third.slice\n".write(toFile: cgroup, atomically: true, encoding: .utf8)
        XCTAssertEqual(try scan.reader.readString(cgroup), "0::/other.slice\n")
        XCTAssertEqual(try scan.reader.readString(status), "Name:\tother\n")

        // The next scan reads the host again and sees every change.
        let next = ScanReads(root: root)
        XCTAssertEqual(try next.reader.readString(limit), "1024\n")
        XCTAssertEqual(try next.reader.readString(cgroup), "0::/third.slice\n")
        try fm.removeItem(atPath: limit)
        XCTAssertTrue(next.reader.exists(dir + "/sys/fs/cgroup/machine.slice"))
        XCTAssertFalse(ScanReads(root: root).reader.exists(limit))
        XCTAssertThrowsError(try ScanReads(root: root).reader.read(limit))
    }
}
