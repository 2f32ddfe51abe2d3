import Audit
import Core
import Foundation
import Inventory
import XCTest

/// The storage fixture host: each storage, share and memory rule fails on the guest that is handed
/// the host resource, naming the disk or share, and passes on the guest that is set up the right way.
final class StorageFindingsTests: XCTestCase {
    private static let report = Result { try FixtureHosts.scan("storage") }

    private func domain(_ name: String) throws -> DomainReport { try Self.report.get().domain(name) }

    static let rules = ["storage.no-rawio-lun", "storage.no-whole-host-disk", "storage.format-declared",
                        "storage.no-shared-writable-disk", "storage.reservations-managed", "storage.disk-mac-labelled",
                        "storage.disk-dac-labelled", "storage.forced-label-own-pair", "storage.image-label-own-pair",
                        "shares.no-writable-system-directory", "shares.no-writable-passthrough", "memory.not-shared",
                        "memory.no-guest-core-dump", "storage.image-not-world-writable"]

    func testCleanGuestPassesEveryRuleWithRealDisksAndShares() throws {
        let clean = try domain("files-clean")
        for rule in Self.rules { XCTAssertEqual(try clean.finding(rule).status, .pass, rule) }
        // Passing for the right reasons: the disks are there and were looked at.
        XCTAssertEqual(clean.facts[path: "storage.disks.1.blockKind"], "lvm")
        XCTAssertEqual(clean.facts[path: "storage.disks.2.blockKind"], "partition")
        XCTAssertEqual(clean.facts[path: "storage.disks.0.liveLabelState"], "own-pair")
        XCTAssertEqual(clean.facts[path: "storage.disks.0.forcedLabelOwnPair"], true)
        XCTAssertEqual(clean.facts[path: "shares.filesystems.0.accessmode"], "mapped")
    }

    func testExposedGuestFailsEachDiskRuleNamingTheDisk() throws {
        let exposed = try domain("disks-exposed")
        let expected: [(String, String)] = [
            ("storage.no-rawio-lun", "sda: /dev/sdb (lun)"),
            ("storage.reservations-managed", "sda: /dev/sdb (lun)"),
            ("storage.no-whole-host-disk", "/dev/disk/by-id/wwn-0x5000c500a1b2c3d4"),
            ("storage.format-declared", "/var/lib/libvirt/images/imported.img"),
            ("storage.no-shared-writable-disk", "/var/lib/libvirt/images/cluster-quorum.raw"),
            ("storage.disk-mac-labelled", "/srv/scratch/unlabelled.raw"),
            ("storage.disk-dac-labelled", "/srv/scratch/root-owned.raw"),
            ("storage.forced-label-own-pair", "svirt_image_t:s0\""),
            ("storage.image-label-own-pair", "s0:c1,c2"),
            ("storage.image-not-world-writable", "/srv/scratch/root-owned.raw (disk) mode 0666"),
        ]
        for (rule, evidence) in expected {
            let f = try exposed.finding(rule)
            XCTAssertEqual(f.status, .fail, rule)
            XCTAssertTrue(f.observedText.contains(evidence), "\(rule): \(f.observedText)")
        }
        XCTAssertEqual(try exposed.finding("storage.no-rawio-lun").layer, .dac)
        XCTAssertTrue(try Self.report.get().text(for: exposed.finding("storage.no-rawio-lun")).remediation.contains("rawio"))
        // The LUN is a whole disk by design: only the by-id disk is named.
        XCTAssertFalse(try exposed.finding("storage.no-whole-host-disk").observedText.contains("/dev/sdb"))
    }

    func testShutOffGuestIsJudgedByItsConfiguration() throws {
        let etc = try domain("share-etc")
        XCTAssertEqual(etc.state, "shutoff")
        for rule in ["shares.no-writable-system-directory", "shares.no-writable-passthrough", "memory.not-shared",
                     "memory.no-guest-core-dump"] {
            XCTAssertEqual(try etc.finding(rule).status, .fail, rule)
        }
        let system = try etc.finding("shares.no-writable-system-directory")
        XCTAssertEqual(system.severity, .critical)
        XCTAssertTrue(system.observedText.contains("/etc (tag hostetc)"), system.observedText)
        XCTAssertTrue(system.observedText.contains("/home/alice"), system.observedText)
        // Comparing live labels needs a running qemu.
        XCTAssertEqual(try etc.finding("storage.image-label-own-pair").status, .notApplicable)
    }

    /// KSM merging is a host fact every domain carries: running on the storage and weak hosts, absent
    /// (no sys/kernel/mm/ksm) on the hardened one, where nosharepages is then not needed.
    func testKSMStateDecidesWhetherNosharepagesIsNeeded() throws {
        XCTAssertEqual(try domain("files-clean").facts[path: "memory.ksmMerging"], true)
        let hardened = try FixtureHosts.scan("hardened")
        XCTAssertEqual(try hardened.domain("db-primary").facts[path: "memory.ksmMerging"], false)
        let labRoot = try FixtureHosts.scan("weak").domain("lab-root")
        XCTAssertEqual(labRoot.facts[path: "memory.ksmMerging"], true)
        XCTAssertEqual(try labRoot.finding("memory.no-ksm-merging").status, .fail)
    }

    func testUnclassifiableBlockDiskIsUnknownNotPass() throws {
        let xml = """
            <domain type='kvm'><name>odd</name><uuid>2b4d6f8a-0c1e-4a3b-9d5f-7a9c1e3b5d09</uuid><memory>65536</memory>
              <devices><disk type='block' device='disk'><driver name='qemu' type='raw'/>
                <source dev='/dev/disk/by-path/pci-0000:00:17.0-ata-9'/><target dev='vda' bus='virtio'/></disk></devices>
            </domain>
            """
        let record = DomainRecord(name: "odd", uuid: "2b4d6f8a-0c1e-4a3b-9d5f-7a9c1e3b5d09", id: nil, state: "shutoff",
                                  persistent: true, autostart: false, xml: xml)
        let settings = ScanSettings(uri: "test:///default", root: HostRoot(FixtureHosts.root("storage")),
                                    policiesDirectory: FixtureHosts.policies)
        let report = try Auditor(settings: settings).assemble(records: [record], hostInfo: .failure(.connect(uri: "test", message: "none")))
        let f = try report.domain("odd").finding("storage.no-whole-host-disk")
        XCTAssertNil(try report.domain("odd").findings.first { $0.rule == "memory.no-ksm-merging" }, "a hardened-only rule on a baseline VM")
        XCTAssertEqual(f.status, .unknown)
        XCTAssertTrue((f.reason ?? "").contains("by-path"), f.reason ?? "")
    }
}
