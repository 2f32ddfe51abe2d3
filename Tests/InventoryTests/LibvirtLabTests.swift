import Core
import XCTest
@testable import Inventory

/// The lab's libvirtd over the libvirt API (where their qemu processes are is HostProbes' concern).
final class LibvirtLabTests: XCTestCase {
    func testLiveLabGuestsAreListedRunningWithTheirUUIDs() throws {
        let conn = try Fixture.liveConnection()
        let records = try conn.listDomains()
        for name in ["va-confined", "va-rootdac"] {
            let record = try XCTUnwrap(records.first { $0.name == name }, "\(name) not listed")
            XCTAssertEqual(record.state, "running")
            let def = try DomainXML.parse(record.xml)
            XCTAssertEqual(def.uuid, record.uuid)
            XCTAssertTrue(["qemu", "kvm"].contains(def.type), def.type)
        }
        let info = try conn.hostInfo()
        XCTAssertEqual(info.driver, "QEMU")
        XCTAssertNotNil(info.hypervisorVersion)
    }
}
