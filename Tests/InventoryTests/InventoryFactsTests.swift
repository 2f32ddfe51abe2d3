import Core
import XCTest
@testable import Inventory

final class InventoryFactsTests: XCTestCase {
    func testDomainsKeepOrderAndCarryParseFailures() {
        let good = DomainRecord(name: "a", uuid: "ua", id: 1, state: "running", persistent: true, autostart: false,
                                xml: "<domain type='kvm'><name>a</name><devices><shmem name='s'/></devices></domain>")
        let bad = DomainRecord(name: "b", uuid: "ub", id: nil, state: "shutoff", persistent: true, autostart: false,
                               xml: "not xml")
        let peer = DomainRecord(name: "c", uuid: "uc", id: 2, state: "running", persistent: true, autostart: false,
                                xml: "<domain type='qemu'><name>c</name><devices><shmem name='s'/></devices></domain>")
        let out = InventoryFacts.domains([good, bad, peer])
        XCTAssertEqual(out.map(\.record.name), ["a", "b", "c"])
        XCTAssertEqual(try out[0].definition.get().type, "kvm")
        guard case .failure(.malformed) = out[1].definition else { return XCTFail("\(out[1].definition)") }
        XCTAssertEqual(out[0].facts.tree[path: "surface.shmemSharedWith"], ["c"])
        XCTAssertEqual(out[2].facts.tree[path: "surface.shmemSharedWith"], ["a"])
        XCTAssertNotNil(out[1].facts.unknown["surface"])
    }

    func testSchemaCoversDomainAndHostFields() {
        let paths = Set(InventoryFacts.schema.map(\.path))
        XCTAssertTrue(paths.isSuperset(of: ["domain.name", "surface.legacyDevices", "confidential.launchSecurity.type",
                                            "host.libvirt.version", "host.hostname"]))
        XCTAssertTrue(InventoryFacts.schema.allSatisfy { !$0.doc.isEmpty && !$0.source.isEmpty })
        XCTAssertTrue(InventoryFacts.schema.allSatisfy { $0.kind != .list || $0.element != nil }, "lists name their element kind")
    }
}
