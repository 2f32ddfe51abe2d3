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

    func testARescanReusesFactsOnlyForUnchangedInputsAndRebuildsChangedOnes() {
        func record(_ name: String, id: Int?, devices: String) -> DomainRecord {
            DomainRecord(name: name, uuid: "u" + name, id: id, state: id == nil ? "shutoff" : "running", persistent: true,
                         autostart: false, xml: "<domain type='kvm'><name>\(name)</name><devices>\(devices)</devices></domain>")
        }
        let a = record("a", id: 1, devices: "<shmem name='s'/>")
        let b = record("b", id: 2, devices: "<sound model='ich6'/>")
        let c = record("c", id: nil, devices: "")
        let first = InventoryFacts.domains([a, b, c], definitions: nil, reusing: [:])
        XCTAssertEqual(first.built.count, 3)
        XCTAssertEqual(first.domains.map(\.facts.facts), InventoryFacts.domains([a, b, c]).map(\.facts.facts))

        // b's XML changes (its legacy sound card removed), c starts, a is untouched but now
        // shares its shmem with c: every one of them is rebuilt from the new input.
        let b2 = record("b", id: 2, devices: "")
        let c2 = record("c", id: 3, devices: "<shmem name='s'/>")
        // Known facts planted for the old inputs prove which ones are reused.
        var known = first.built
        for k in known.keys { known[k]!.set("planted", .bool(true)) }
        let second = InventoryFacts.domains([a, b2, c2], definitions: nil, reusing: known)
        let fresh = InventoryFacts.domains([a, b2, c2])
        XCTAssertEqual(second.domains.map(\.facts.facts), fresh.map(\.facts.facts), "changed inputs are built again")
        XCTAssertEqual(second.domains[1].facts.tree[path: "surface.legacyCount"], 0)
        XCTAssertEqual(second.domains[2].facts.tree[path: "domain.running"], true)
        XCTAssertEqual(second.domains[0].facts.tree[path: "surface.shmemSharedWith"], ["c"])
        XCTAssertEqual(Set(second.built.keys).count, 3)

        // Nothing changed: every domain's facts come from the last build.
        var latest = second.built
        for k in latest.keys { latest[k]!.set("planted", .bool(true)) }
        let third = InventoryFacts.domains([a, b2, c2], definitions: nil, reusing: latest)
        XCTAssertTrue(third.domains.allSatisfy { $0.facts.tree["planted"] == .bool(true) })
    }
}
