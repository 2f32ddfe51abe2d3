import XCTest
@testable import Inventory

final class InventoryErrorTests: XCTestCase {
    func testDescriptionsCarryWhereAndLibvirtsMessage() {
        XCTAssertEqual(InventoryError.connect(uri: "qemu:///system", message: "Failed to connect socket").description,
                       "cannot connect to libvirt at qemu:///system: Failed to connect socket")
        XCTAssertEqual(InventoryError.lost(uri: "qemu:///system", message: "End of file while reading data").description,
                       "lost the libvirt connection to qemu:///system: End of file while reading data")
        XCTAssertEqual(InventoryError.domain(name: "va", message: "internal error").description, "libvirt domain va: internal error")
        XCTAssertEqual(InventoryError.call(function: "virConnectListAllDomains", message: "denied").description,
                       "virConnectListAllDomains failed: denied")
    }

    func testXMLErrorDescriptionsNameTheProblem() {
        XCTAssertEqual(DomainXMLError.missing("<name>").description, "domain XML lacks <name>")
        XCTAssertEqual(DomainXMLError.invalid(what: "<memory>", value: "lots").description, "domain XML has an unreadable <memory>: 'lots'")
        XCTAssertEqual(DomainXMLError.notADomain(root: "network").description, "domain XML has root <network>, expected <domain>")
        XCTAssertEqual(DomainXMLError.unavailable("gone").description, "libvirt gave no domain XML: gone")
    }
}
