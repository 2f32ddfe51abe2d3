@testable import Audit
import CSELinux
import Core
import Foundation
import HostProbes
import Inventory
import XCTest

/// `StorageHostFacts`: each local image's live label against the running qemu's, on a real
/// temporary tree with `security.selinux` attributes.
final class StorageHostFactsTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "virtaudit-storage-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/img", withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func image(_ name: String, label: String?) throws {
        let p = dir + "/img/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: p, contents: nil))
        guard let label else { return }
        let bytes = Array(label.utf8) + [0]
        let rc = bytes.withUnsafeBytes { setxattr(p, "security.selinux", $0.baseAddress, $0.count, 0) }
        guard rc == 0 else { throw XCTSkip("cannot set security.selinux here (errno \(errno))") }
    }

    /// The facts of a running domain whose qemu runs at `s0:c5,c6`, with one disk per entry.
    private func facts(_ disks: [(file: String, extra: String)]) -> FactBuilder {
        var devices = ""
        for (i, d) in disks.enumerated() {
            devices += "<disk type='file'><driver type='raw'/><source file='/img/\(d.file)'/><target dev='vd\(Character(UnicodeScalar(97 + i)!))'/>\(d.extra)</disk>"
        }
        let xml = "<domain type='kvm' id='3'><name>t</name><uuid>6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e99</uuid><memory>1024</memory><devices>\(devices)</devices></domain>"
        let record = DomainRecord(name: "t", uuid: "6f3c2a10-4b1e-4c0d-8e21-7a9d5b3c1e99", id: 3, state: "running",
                                  persistent: true, autostart: false, xml: xml)
        var d = InventoryFacts.domains([record])[0]
        d.facts.set("process.selinux.context", .string("system_u:system_r:svirt_t:s0:c5,c6"))
        var f = d.facts
        StorageHostFacts.collect(d, root: HostRoot(dir), ksm: .success(KSMState(run: 0)), into: &f)
        return f
    }

    func testLiveLabelStates() throws {
        try image("own.raw", label: "system_u:object_r:svirt_image_t:s0:c5,c6")
        try image("other.raw", label: "system_u:object_r:svirt_image_t:s0:c7,c8")
        try image("plain.raw", label: nil)
        try image("iso.raw", label: "system_u:object_r:virt_content_t:s0")
        let f = facts([("own.raw", ""), ("other.raw", ""), ("plain.raw", ""), ("gone.raw", ""), ("iso.raw", "<readonly/>")])
        let states = (0..<5).map { f.tree[path: "storage.disks.\($0).liveLabelState"]?.stringValue }
        XCTAssertEqual(states, ["own-pair", "other", "unlabelled", "absent", "not-applicable"])
        XCTAssertEqual(f.tree[path: "storage.imagesOutsidePair"],
                       ["vdb: /img/other.raw (disk) labelled system_u:object_r:svirt_image_t:s0:c7,c8"])
        XCTAssertEqual(f.tree[path: "storage.disks.0.liveLabelOwnPair"], true)
        XCTAssertEqual(f.tree[path: "storage.disks.1.liveLabelOwnPair"], false)
        XCTAssertEqual(f.tree[path: "storage.disks.0.ownerUid"], .int(Int(getuid())))
        XCTAssertEqual(f.tree[path: "memory.ksmMerging"], false)
    }

    func testUnreadableImageMakesTheComparisonUnknown() throws {
        try image("own.raw", label: "system_u:object_r:svirt_image_t:s0:c5,c6")
        XCTAssertEqual(symlink(dir + "/img/loop.raw", dir + "/img/loop.raw"), 0, "a symlink loop: stat fails with ELOOP")
        let f = facts([("own.raw", ""), ("loop.raw", "")])
        XCTAssertEqual(f.tree[path: "storage.disks.1.liveLabelState"], "unreadable")
        XCTAssertEqual(f.tree[path: "storage.imagesOutsidePair"], .null)
        XCTAssertTrue((FactBuilder.reason(for: "storage.imagesOutsidePair", in: f.facts) ?? "").contains("loop.raw"))
        XCTAssertEqual(f.tree[path: "storage.worldWritableImages"], .null, "the unreadable image might be world-writable")
    }

    func testWorldWritableImageIsListedWithItsMode() throws {
        try image("open.raw", label: nil)
        XCTAssertEqual(chmod(dir + "/img/open.raw", 0o666), 0)
        try image("closed.raw", label: nil)
        XCTAssertEqual(chmod(dir + "/img/closed.raw", 0o600), 0)
        let f = facts([("open.raw", ""), ("closed.raw", "")])
        XCTAssertEqual(f.tree[path: "storage.worldWritableImages"], ["vda: /img/open.raw (disk) mode 0666"])
    }
}
