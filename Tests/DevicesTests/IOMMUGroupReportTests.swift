@testable import Devices
import XCTest

final class IOMMUGroupReportTests: XCTestCase {
    func testBridgeOnOtherDriverIsANoteNotAReason() {
        let r = IOMMUGroupReport(group: 3, devices: [
            .init(address: "0000:00:1e.0", classCode: 0x060401, driver: "shpchp", driverKnown: true),
            .init(address: "0000:05:00.0", classCode: 0x020000, driver: "vfio-pci", driverKnown: true),
        ])
        XCTAssertEqual(r.viable, true)
        XCTAssertEqual(r.reasons, [])
        XCTAssertEqual(r.notes.count, 1)
        XCTAssertTrue(r.notes[0].contains("shpchp"))
    }

    func testEmptyGroupAndExtraReasonsAreUndecidable() {
        XCTAssertNil(IOMMUGroupReport(group: 1, devices: []).viable)
        let r = IOMMUGroupReport(group: 2, devices: [.init(address: "a", classCode: 0x030000, driverKnown: true)], extraReasons: ["x"])
        XCTAssertNil(r.viable)
        XCTAssertEqual(r.reasons, ["x"])
    }

    func testJSONCarriesTheContractKeys() {
        let r = IOMMUGroupReport(group: 4, type: "DMA", devices: [.init(address: "0000:01:00.0", vendor: 0x10de, device: 0x1b81, classCode: 0x030000, driver: nil, driverKnown: false)])
        let j = r.json
        XCTAssertEqual(j["group"], 4)
        XCTAssertEqual(j["viable"], .null)
        XCTAssertEqual(j["devices"]?.arrayValue?.first?["address"], "0000:01:00.0")
        XCTAssertEqual(j["devices"]?.arrayValue?.first?["driver"], .null)
        XCTAssertEqual(j["devices"]?.arrayValue?.first?["vendor"], "0x10de")
        XCTAssertEqual(j["reasons"], ["0000:01:00.0: driver unknown"])
    }
}
