import Foundation
import XCTest
import Audit
import Core

/// Guests on the lab libvirtd that are handed host storage: a 9p share of a home directory, and a
/// raw block disk on a whole loop device. The findings come from the live XML libvirt generates
/// for the running guests, read through the audit pipeline, and from the host's real sysfs.
final class LiveStorageTests: XCTestCase {
    private var cleanups: [() -> Void] = []
    private let tag = UUID().uuidString.prefix(8).lowercased()

    override func tearDown() {
        for c in cleanups.reversed() { c() }
        cleanups = []
        super.tearDown()
    }

    /// Starts a transient guest (gone once destroyed) and registers its destruction.
    private func startGuest(_ name: String, devices: String) throws {
        let path = NSTemporaryDirectory() + name + ".xml"
        try LiveLab.guestXML(name, devices: devices).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        cleanups.append { _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "destroy", name]) }
        try ServiceLive.virsh("create", path)
    }

    private func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o755])
        cleanups.append { try? FileManager.default.removeItem(atPath: path) }
    }

    /// A loop device over a small sparse file, detached (and the file removed) at tear-down.
    private func loopDevice() throws -> String {
        let file = "/var/tmp/i14s-loop-\(tag).img"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: nil))
        cleanups.append { try? FileManager.default.removeItem(atPath: file) }
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try h.truncate(atOffset: 8 << 20)
        try h.close()
        let r = try ServiceLive.run("/usr/sbin/losetup", ["--find", "--show", file])
        guard r.status == 0 else { throw XCTSkip("losetup could not attach a loop device: \(r.err)") }
        let dev = r.out.trimmingCharacters(in: .whitespacesAndNewlines)
        cleanups.append { _ = try? ServiceLive.run("/usr/sbin/losetup", ["--detach", dev]) }
        return dev
    }

    func testHomeDirectoryShareAndWholeLoopDiskFailFromTheLiveXML() throws {
        try LiveLab.requireLab()
        let home = "/home/i14s-share-\(tag)", readonlyDir = "/var/tmp/i14s-ro-\(tag)"
        try makeDirectory(home)
        try makeDirectory(readonlyDir)
        let loop = try loopDevice()
        let share = "i14s-share9p-\(tag)", disk = "i14s-loopdisk-\(tag)"
        try startGuest(share, devices: """
                <filesystem type='mount' accessmode='passthrough'>
                  <source dir='\(home)'/>
                  <target dir='hostshare'/>
                </filesystem>
            """)
        try startGuest(disk, devices: """
                <disk type='block' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source dev='\(loop)'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <filesystem type='mount' accessmode='mapped'>
                  <source dir='\(readonlyDir)'/>
                  <target dir='exports'/>
                  <readonly/>
                </filesystem>
            """)
        // libvirt's own live XML carries the elements the findings are about.
        let shareXML = try ServiceLive.virsh("dumpxml", share)
        XCTAssertTrue(shareXML.contains("<source dir='\(home)'/>"), shareXML)
        XCTAssertTrue(try ServiceLive.virsh("dumpxml", disk).contains("<source dev='\(loop)'"))

        let report = try LiveLab.scan()
        let s = try report.domain(share), d = try report.domain(disk)
        XCTAssertEqual(s.state, "running")

        // The 9p share of a home directory: writable, passthrough, critical.
        XCTAssertEqual(s.facts[path: "shares.filesystems.0.transport"], "9p")
        XCTAssertEqual(s.facts[path: "shares.filesystems.0.accessmode"], "passthrough")
        XCTAssertEqual(s.facts[path: "shares.filesystems.0.source"], .string(home))
        let system = try s.finding("shares.no-writable-system-directory")
        XCTAssertEqual(system.status, .fail)
        XCTAssertEqual(system.severity, .critical)
        XCTAssertTrue(system.observedText.contains(home), system.observedText)
        XCTAssertEqual(try s.finding("shares.no-writable-passthrough").status, .fail)

        // The whole loop device, told apart by the host's real sysfs.
        XCTAssertEqual(d.facts[path: "storage.disks.0.path"], .string(loop))
        XCTAssertEqual(d.facts[path: "storage.disks.0.blockKind"], "loop")
        XCTAssertEqual(d.facts[path: "storage.disks.0.blockEvidence"], "sysfs")
        XCTAssertEqual(d.facts[path: "storage.disks.0.wholeDisk"], true)
        let whole = try d.finding("storage.no-whole-host-disk")
        XCTAssertEqual(whole.status, .fail)
        XCTAssertTrue(whole.observedText.contains(loop), whole.observedText)
        // Its read-only, mapped share and its declared raw format pass; the share guest has no disk.
        XCTAssertEqual(try d.finding("shares.no-writable-system-directory").status, .pass)
        XCTAssertEqual(try d.finding("shares.no-writable-passthrough").status, .pass)
        XCTAssertEqual(try d.finding("storage.format-declared").status, .pass)
        XCTAssertEqual(try s.finding("storage.no-whole-host-disk").status, .pass)
    }
}

private extension ScanReport {
    func domain(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> DomainReport {
        try XCTUnwrap(domains.first { $0.name == name }, "no domain \(name) in \(domains.map(\.name))", file: file, line: line)
    }
}

private extension DomainReport {
    func finding(_ rule: String, file: StaticString = #filePath, line: UInt = #line) throws -> Finding {
        try XCTUnwrap(findings.first { $0.rule == rule }, "\(name) has no verdict for \(rule)", file: file, line: line)
    }
}

private extension Finding {
    var observedText: String { JSONWriter.string(observed) }
}
