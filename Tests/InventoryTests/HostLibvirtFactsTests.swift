import Core
import XCTest
@testable import Inventory

final class HostLibvirtFactsTests: XCTestCase {
    func testHostFactsFromTheTestDriver() throws {
        let info = try LibvirtConnection(uri: "test:///default").hostInfo()
        let f = HostLibvirtFacts.build(info).facts
        XCTAssertEqual(f[path: "host.libvirt.driver"], "TEST")
        XCTAssertEqual(f[path: "host.libvirt.uri"], "test:///default")
        XCTAssertEqual(f[path: "host.libvirt.version"]?.stringValue, info.libvirtVersion)
        XCTAssertNotNil(f[path: "host.hostname"]?.stringValue)
        XCTAssertNil(f["unknown"])
    }

    func testMissingValuesCarryLibvirtsReason() {
        let info = LibvirtHostInfo(uri: "qemu:///system", libvirtVersion: "9.0.0", hypervisorVersion: nil, driver: "QEMU",
                                   hostname: nil, problems: ["hypervisorVersion": "no qemu binary"])
        let f = HostLibvirtFacts.build(info).facts
        XCTAssertEqual(f[path: "host.libvirt.hypervisorVersion"], .null)
        XCTAssertEqual(FactBuilder.reason(for: "host.libvirt.hypervisorVersion", in: f), "no qemu binary")
        XCTAssertEqual(FactBuilder.reason(for: "host.hostname", in: f), "libvirt did not report it")
        XCTAssertEqual(f[path: "host.libvirt.version"], "9.0.0")
    }

    func testUnreachableLibvirtMakesEveryFactUnknown() {
        let f = HostLibvirtFacts.unavailable(uri: "qemu:///system", reason: "cannot connect").facts
        for p in ["host.libvirt.version", "host.libvirt.hypervisorVersion", "host.libvirt.driver", "host.hostname"] {
            XCTAssertEqual(f[path: p], .null, p)
            XCTAssertEqual(FactBuilder.reason(for: p, in: f), "cannot connect", p)
        }
    }
}
