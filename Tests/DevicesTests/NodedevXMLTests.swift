@testable import Devices
import XCTest

final class NodedevXMLTests: XCTestCase {
    func testADeviceWithoutDriverElementHasNoDriverAndItsGroupMembersUnknownDrivers() throws {
        let xml = """
            <device>
              <name>pci_0000_05_00_0</name>
              <path>/sys/devices/pci0000:00/0000:00:1c.4/0000:05:00.0</path>
              <parent>pci_0000_00_1c_4</parent>
              <capability type='pci'>
                <class>0x020000</class>
                <domain>0</domain>
                <bus>5</bus>
                <slot>0</slot>
                <function>0</function>
                <product id='0x1533'>I210 Gigabit Network Connection</product>
                <vendor id='0x8086'>Intel Corporation</vendor>
                <iommuGroup number='14'>
                  <address domain='0x0000' bus='0x00' slot='0x1c' function='0x4'/>
                  <address domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
                </iommuGroup>
              </capability>
            </device>
            """
        let x = NodedevXML.extract(xml, file: "n.xml")
        XCTAssertEqual(x.entries.map(\.address), ["0000:05:00.0", "0000:00:1c.4"])
        XCTAssertEqual(x.entries[0].driver, IOMMUListing.DriverState.none)
        XCTAssertEqual(x.entries[1].driver, .unknown)
        XCTAssertEqual(x.entries.map(\.group), [14, 14])
        XCTAssertEqual(x.entries[0].upstream, ["0000:00:1c.4"])
        XCTAssertEqual(x.entries[0].classCode, 0x020000)
        XCTAssertEqual(x.lines.count, 18)
    }

    func testNonPCIDevicesAndTruncatedDocuments() {
        let usb = "<device>\n  <name>usb_1_1</name>\n  <capability type='usb_device'>\n    <bus>1</bus>\n  </capability>\n</device>\n"
        let x = NodedevXML.extract(usb, file: "u")
        XCTAssertEqual(x.entries, [])
        XCTAssertEqual(x.ignored.map(\.number), [1])
        // Cut off after the address: still the device, its group not known.
        let cut = "<device>\n<name>pci_0000_01_00_0</name>\n<capability type='pci'>\n<domain>0</domain>\n<bus>1</bus>\n<slot>0</slot>\n<function>0</function>\n"
        XCTAssertEqual(NodedevXML.extract(cut, file: "c").entries.map(\.address), ["0000:01:00.0"])
    }
}
