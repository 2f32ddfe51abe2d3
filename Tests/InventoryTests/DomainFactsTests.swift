import Core
import Glibc
import XCTest
@testable import Inventory

final class DomainFactsTests: XCTestCase {
    /// Facts of the four node-file domains, listed through the libvirt test driver.
    private func nodeFacts() throws -> [String: JSONValue] {
        let records = try LibvirtConnection(uri: Fixture.nodeURI).listDomains()
        var out: [String: JSONValue] = [:]
        for d in InventoryFacts.domains(records) { out[d.record.name] = d.facts.facts }
        return out
    }

    func testDisplayListenAddressesUseTheOneLoopbackCheck() {
        let cases: [(String?, String?, Bool?)] = [
            ("address", "127.0.0.1", false), ("address", "::ffff:127.0.0.1", false), ("address", "[::1]", false),
            ("address", "localhost", false), ("address", "127.evil.example", true), ("address", "0.0.0.0", true),
            ("address", "::", true), ("address", nil, nil), ("network", "default", true), ("socket", "/run/vnc", false),
            (nil, nil, nil),
        ]
        for (listenType, listen, expected) in cases {
            let g = DomainDefinition.Graphics(type: "vnc", listenType: listenType, listen: listen)
            XCTAssertEqual(DomainFacts.nonLoopback(g), expected, "\(String(describing: listenType)) \(String(describing: listen))")
        }
    }

    func testLegacyGuestSurface() throws {
        let f = try XCTUnwrap(try nodeFacts()["legacy-qemu"])
        let legacy = Set(f[path: "surface.legacyDevices"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        XCTAssertTrue(legacy.isSuperset(of: ["ide-controller", "ide-disk", "ide-cdrom", "floppy", "usb-uhci", "cirrus-vga",
                                             "usb-tablet", "ps2-mouse", "ps2-keyboard", "sound-ich6", "serial-pty",
                                             "parallel-file", "nic-rtl8139", "usb-redirection", "watchdog-ib700"]), "\(legacy)")
        XCTAssertEqual(f[path: "surface.legacyCount"]?.intValue, legacy.count)
        let emulated = try XCTUnwrap(f[path: "surface.emulatedDevices"]?.arrayValue)
        XCTAssertEqual(f[path: "surface.emulatedCount"]?.intValue, emulated.count)
        XCTAssertTrue(emulated.contains { $0["kind"] == "video" && $0["model"] == "cirrus" && $0["legacy"] == true })
        XCTAssertEqual(f[path: "domain.securityDisabled"], true)
        XCTAssertEqual(f[path: "domain.seclabelModels"], ["none"])
        XCTAssertEqual(f[path: "surface.guestAgent"], false)
        XCTAssertEqual(f[path: "surface.graphics.0.type"], "spice")
        XCTAssertEqual(f[path: "surface.graphics.0.nonLoopback"], true)
        let channels = try XCTUnwrap(f[path: "surface.hostChannels"]?.arrayValue)
        XCTAssertEqual(channels.map { $0["kind"]?.stringValue ?? "" }, ["serial", "parallel"], "the serial's console alias is not repeated")
        XCTAssertEqual(channels[1]["source"], "/var/log/libvirt/legacy-parallel.log")
        XCTAssertEqual(f[path: "domain.type"], "qemu")
        XCTAssertEqual(f[path: "domain.machine"], "pc-i440fx-7.2")
        XCTAssertEqual(f[path: "domain.memoryKiB"], 1048576)
    }

    func testHardenedGuestIdentityAndSurface() throws {
        let f = try XCTUnwrap(try nodeFacts()["web-kvm"])
        XCTAssertEqual(f[path: "domain.metadata.profile"], "hardened")
        XCTAssertEqual(f[path: "domain.metadata.elements.1.name"], "owner")
        XCTAssertEqual(f[path: "domain.metadata.elements.1.namespace"], "https://example.org/app/1")
        XCTAssertEqual(f[path: "domain.metadata.elements.1.attributes.team"], "web")
        XCTAssertEqual(f[path: "domain.metadata.elements.1.text"], "ops")
        XCTAssertEqual(f[path: "domain.type"], "kvm")
        XCTAssertEqual(f[path: "domain.state"], "running")
        XCTAssertEqual(f[path: "domain.running"], true)
        XCTAssertEqual(f[path: "domain.memoryKiB"]?.intValue, 2 * 1024 * 1024)
        XCTAssertEqual(f[path: "domain.seclabels.0.model"], "selinux")
        XCTAssertEqual(f[path: "domain.seclabels.0.label"], "system_u:system_r:svirt_t:s0:c10,c20")
        XCTAssertEqual(f[path: "domain.seclabels.0.relabel"], true)
        XCTAssertEqual(f[path: "domain.dacLabel"], .null)
        XCTAssertEqual(f[path: "domain.securityDisabled"], false)
        XCTAssertEqual(f[path: "surface.legacyDevices"], [])
        XCTAssertEqual(f[path: "surface.legacyCount"], 0)
        XCTAssertEqual(f[path: "surface.guestAgent"], true)
        XCTAssertEqual(f[path: "surface.guestAgentChannel"],
                       "/var/lib/libvirt/qemu/channel/target/domain-1-web-kvm/org.qemu.guest_agent.0")
        XCTAssertEqual(f[path: "surface.vsock"], true)
        XCTAssertEqual(f[path: "surface.vsockCid"], 42)
        XCTAssertEqual(f[path: "surface.shmem.0"], ["name": "shared0", "model": "ivshmem-plain", "size": .int(4 << 20)])
        XCTAssertEqual(f[path: "surface.graphics.0.nonLoopback"], false)
        XCTAssertEqual(f[path: "surface.hasQemuCommandline"], false)
        XCTAssertEqual(f[path: "confidential.launchSecurity.present"], false)
        XCTAssertEqual(f[path: "confidential.launchSecurity.type"], .null)
        XCTAssertNil(f["unknown"], "nothing unknown: \(String(describing: f["unknown"]))")
    }

    func testSharedMemoryPeersAcrossDomains() throws {
        let facts = try nodeFacts()
        XCTAssertEqual(facts["web-kvm"]?[path: "surface.shmemSharedWith"], ["legacy-qemu"])
        XCTAssertEqual(facts["legacy-qemu"]?[path: "surface.shmemSharedWith"], ["web-kvm"])
        XCTAssertEqual(facts["conf-kvm"]?[path: "surface.shmemSharedWith"], [])
    }

    /// The lab guests: default DAC confinement (the libvirt-qemu account) versus a root label.
    func testLiveLabGuestFacts() throws {
        let records = try Fixture.liveConnection().listDomains()
        let facts = Dictionary(InventoryFacts.domains(records).map { ($0.record.name, $0.facts.facts) }, uniquingKeysWith: { a, _ in a })
        let confined = try XCTUnwrap(facts["va-confined"])
        let rootdac = try XCTUnwrap(facts["va-rootdac"])
        // Debian's qemu.conf runs qemu as user and group libvirt-qemu.
        let user = try XCTUnwrap(getpwnam("libvirt-qemu"), "no libvirt-qemu user")
        let group = try XCTUnwrap(getgrnam("libvirt-qemu"), "no libvirt-qemu group")
        XCTAssertEqual(confined[path: "domain.dacLabel"], .string("+\(user.pointee.pw_uid):+\(group.pointee.gr_gid)"))
        XCTAssertEqual(rootdac[path: "domain.dacLabel"], "+0:+0")
        XCTAssertEqual(rootdac[path: "domain.seclabels.0.type"], "static")
        for f in [confined, rootdac] {
            XCTAssertEqual(f[path: "domain.type"], "qemu")
            XCTAssertEqual(f[path: "domain.running"], true)
            XCTAssertEqual(f[path: "domain.securityDisabled"], false)
            XCTAssertEqual(f[path: "surface.graphics.0.nonLoopback"], false, "the lab's VNC listens on 127.0.0.1")
            XCTAssertNil(f["unknown"])
        }
    }

    func testShutOffConfidentialGuest() throws {
        let f = try XCTUnwrap(try nodeFacts()["conf-kvm"])
        XCTAssertEqual(f[path: "domain.state"], "shutoff")
        XCTAssertEqual(f[path: "domain.running"], false)
        XCTAssertEqual(f[path: "domain.id"], .null)
        XCTAssertEqual(f[path: "domain.persistent"], true)
        XCTAssertEqual(f[path: "domain.autostart"], false)
        XCTAssertEqual(f[path: "confidential.launchSecurity.present"], true)
        XCTAssertEqual(f[path: "confidential.launchSecurity.type"], "sev")
        XCTAssertEqual(f[path: "confidential.launchSecurity.policy"], "0x0003")
        XCTAssertEqual(f[path: "confidential.launchSecurity.debugAllowed"], false)
        XCTAssertEqual(f[path: "domain.seclabelModels"], ["dac"])
    }

    func testPausedGuestIsRunningWithRootDACLabel() throws {
        let f = try XCTUnwrap(try nodeFacts()["paused-qemu"])
        XCTAssertEqual(f[path: "domain.state"], "paused")
        XCTAssertEqual(f[path: "domain.running"], true)
        XCTAssertNotNil(f[path: "domain.id"]?.intValue)
        XCTAssertEqual(f[path: "domain.dacLabel"], "+0:+0")
    }

    func testQemuCommandlineAndGraphicsWithoutListen() throws {
        let xml = try Fixture.text("inventory-xml/full-features.xml")
        let record = DomainRecord(name: "full-features", uuid: "9d8c7b6a-5f4e-4d3c-8b2a-190817263545", id: 7,
                                  state: "running", persistent: true, autostart: true, xml: xml)
        let f = DomainFacts.build(record: record, definition: DomainFacts.definition(of: record)).facts
        XCTAssertEqual(f[path: "surface.qemuCommandline"], ["-device", "pci-testdev"])
        XCTAssertEqual(f[path: "surface.hasQemuCommandline"], true)
        XCTAssertEqual(f[path: "surface.graphics.0.nonLoopback"], .null, "no listen: qemu.conf decides")
        XCTAssertEqual(f[path: "surface.graphics.1.nonLoopback"], true, "a libvirt network listens on an interface")
        XCTAssertEqual(f[path: "surface.graphics.2.nonLoopback"], false, "a unix socket")
        XCTAssertEqual(f[path: "surface.guestAgent"], true)
        XCTAssertEqual(f[path: "surface.guestAgentChannel"], .null)
        XCTAssertEqual(f[path: "surface.vsockCid"], .null)
        XCTAssertEqual(f[path: "domain.dacLabel"], "+107:+107")
        XCTAssertEqual(f[path: "domain.seclabelModels"], ["selinux", "dac"])
        XCTAssertEqual(f[path: "domain.metadata.profile"], "baseline")
        XCTAssertEqual(f[path: "confidential.launchSecurity.type"], "sev-snp")
        let networked = f[path: "surface.hostChannels"]?.arrayValue?.filter { $0["networked"] == true }.count
        XCTAssertEqual(networked, 2)
    }

    func testUnparsableXMLMakesXMLFactsUnknownButKeepsLibvirtFacts() {
        let record = DomainRecord(name: "broken", uuid: "u", id: nil, state: "shutoff", persistent: true, autostart: false,
                                  xml: "<domain type='kvm'><name>broken</name>")
        let f = DomainFacts.build(record: record, definition: DomainFacts.definition(of: record)).facts
        XCTAssertEqual(f[path: "domain.name"], "broken")
        XCTAssertEqual(f[path: "domain.state"], "shutoff")
        XCTAssertEqual(f[path: "domain.type"], .null)
        let reason = FactBuilder.reason(for: "surface.legacyCount", in: f)
        XCTAssertTrue(reason?.contains("not well-formed") ?? false, "\(String(describing: reason))")
        XCTAssertNotNil(FactBuilder.reason(for: "domain.seclabels", in: f))
        XCTAssertNotNil(FactBuilder.reason(for: "confidential.launchSecurity.present", in: f))
        XCTAssertNil(FactBuilder.reason(for: "domain.name", in: f))
    }

    func testLibvirtProblemsBecomeUnknownReasons() {
        let record = DomainRecord(name: "half", uuid: "u", id: 3, state: nil, persistent: nil, autostart: true, xml: "",
                                  problems: ["state": "state read failed", "persistent": "rpc error", "xml": "xml read failed"])
        let f = DomainFacts.build(record: record, definition: DomainFacts.definition(of: record)).facts
        XCTAssertEqual(FactBuilder.reason(for: "domain.state", in: f), "state read failed")
        XCTAssertEqual(FactBuilder.reason(for: "domain.persistent", in: f), "rpc error")
        XCTAssertEqual(FactBuilder.reason(for: "domain.emulator", in: f), "libvirt gave no domain XML: xml read failed")
        XCTAssertEqual(f[path: "domain.running"], true)
        XCTAssertEqual(f[path: "domain.autostart"], true)
    }

    func testEveryProducedPathIsInTheSchemaAndEveryFieldIsProduced() throws {
        let schema = FactSchema([InventoryFacts.schema])
        var produced: Set<String> = [], leaves: Set<String> = []
        var trees = Array(try nodeFacts().values)
        let full = DomainRecord(name: "full-features", uuid: "x", id: 7, state: "running", persistent: true, autostart: true,
                                xml: try Fixture.text("inventory-xml/full-features.xml"))
        trees.append(DomainFacts.build(record: full, definition: DomainFacts.definition(of: full)).facts)
        let storage = DomainRecord(name: "storage-features", uuid: "y", id: nil, state: "shutoff", persistent: true, autostart: false,
                                   xml: try Fixture.text("inventory-xml/storage-features.xml"))
        trees.append(DomainFacts.build(record: storage, definition: DomainFacts.definition(of: storage)).facts)
        let resources = DomainRecord(name: "host-resources", uuid: "z", id: 9, state: "running", persistent: true, autostart: false,
                                     xml: try Fixture.text("inventory-xml/host-resources.xml"))
        trees.append(DomainFacts.build(record: resources, definition: DomainFacts.definition(of: resources)).facts)
        trees.append(HostLibvirtFacts.build(try LibvirtConnection(uri: "test:///default").hostInfo()).facts)
        for t in trees { collect(t, "", into: &produced, leaves: &leaves) }
        for path in leaves.sorted() {
            XCTAssertTrue(schema.knows(path), "produced but not in the schema: \(path)")
        }
        for field in InventoryFacts.schema {
            XCTAssertTrue(produced.contains(field.path), "in the schema but never produced: \(field.path)")
        }
        XCTAssertEqual(Set(InventoryFacts.schema.map(\.path)).count, InventoryFacts.schema.count, "duplicate schema paths")
    }

    /// Every path in a fact tree (list elements as `[]`), and the leaves among them.
    private func collect(_ v: JSONValue, _ prefix: String, into out: inout Set<String>, leaves: inout Set<String>) {
        if !prefix.isEmpty && !prefix.hasSuffix("[]") { out.insert(prefix) }
        switch v {
        case .object(let o):
            if o.isEmpty { leaves.insert(prefix) }
            for (k, child) in o where !(prefix.isEmpty && k == "unknown") {
                collect(child, prefix.isEmpty ? k : prefix + "." + k, into: &out, leaves: &leaves)
            }
        case .array(let items):
            leaves.insert(prefix)
            for item in items { if case .object = item { collect(item, prefix + "[]", into: &out, leaves: &leaves) } }
        default:
            leaves.insert(prefix)
        }
    }
}
