import Core
@testable import Devices
import XCTest

final class DeviceSchemaTests: XCTestCase {
    /// Every leaf path produced on every fixture is documented.
    func testEveryProducedPathIsInTheSchema() {
        let schema = FactSchema([DeviceAudit.schema])
        var seen = Set<String>()
        func walk(_ v: JSONValue, _ path: String) {
            switch v {
            case .object(let o):
                if !path.isEmpty && !path.hasSuffix("[]") { seen.insert(path) }
                for (k, c) in o where k != "unknown" { walk(c, path.isEmpty ? k : path + "." + k) }
            case .array(let a):
                seen.insert(path)
                for c in a where c.objectValue != nil { walk(c, path + "[]") }
            default:
                seen.insert(path)
            }
        }
        let usb = HostDeviceSpec(type: "usb", usbVendor: "0x046d", usbProduct: "0xc52b", usbBus: 1, usbDevice: 4)
        let mdev = HostDeviceSpec(type: "mdev", mdevUUID: "4b20d080-1b54-4048-85b3-a6a62d165c01")
        for s in ["iommu-clean-gpu", "iommu-vf-pf", "iommu-garbage", "iommu-none"] {
            let r = DeviceAudit.collect(root: Fixture.root(s), domains: [
                vm("a", [pci("0000:01:00.0"), pci("0000:41:10.0"), usb, mdev]), vm("b", [pci("0000:41:10.2")]),
            ])
            walk(r.host.tree, "")
            for (_, b) in r.domains { walk(b.tree, "") }
        }
        let undocumented = seen.filter { !schema.knows($0) && $0 != "host" && $0 != "host.iommu" && $0 != "devices" }
        XCTAssertEqual(undocumented.sorted(), [])
        XCTAssertTrue(seen.contains("devices.hostdevs[].groupMembers[].assignedTo"))
    }

    func testSchemaHasNoDuplicatePaths() {
        XCTAssertEqual(Set(DeviceAudit.schema.map(\.path)).count, DeviceAudit.schema.count)
    }
}
