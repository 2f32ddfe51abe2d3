import Core
@testable import Devices
import XCTest

final class IOMMUReportTests: XCTestCase {
    func testListingJSONHasGroupsWithContractKeys() throws {
        let l = try IOMMUReport.listing(files: [Fixture.listing("acs-less-chipset.txt")])
        let out = IOMMUReport.render(listing: l, format: .json)
        let json = try JSONValue(parsing: Data(out.utf8))
        let groups = try XCTUnwrap(json["groups"]?.arrayValue)
        XCTAssertEqual(groups.count, 7)
        for g in groups {
            XCTAssertNotNil(g["group"]?.intValue)
            XCTAssertNotNil(g["viable"])
            XCTAssertNotNil(g["reasons"]?.arrayValue)
            for d in g["devices"]?.arrayValue ?? [] {
                XCTAssertNotNil(d["address"]?.stringValue)
                XCTAssertNotNil(d["driver"])
            }
        }
    }

    func testUnreadableListingFileIsAnError() {
        XCTAssertThrowsError(try IOMMUReport.listing(files: [Fixture.listing("no-such-file.txt")]))
    }

    func testLiveSysfsJSONUnderFixtureRoot() throws {
        let out = IOMMUReport.render(host: HostIOMMU.read(root: Fixture.root("iommu-shared-group")), format: .json)
        let json = try JSONValue(parsing: Data(out.utf8))
        XCTAssertEqual(json["present"], true)
        let g1 = try XCTUnwrap(json["groups"]?.arrayValue?.first { $0["group"] == 1 })
        XCTAssertEqual(g1["viable"], false)
        XCTAssertTrue(g1["reasons"]!.strings.contains("0000:01:00.2 is bound to host driver xhci_hcd"))
    }

    func testLiveTableOnThisMachineSaysNoIOMMU() {
        let out = IOMMUReport.render(host: HostIOMMU.read(root: HostRoot("/")), format: .table)
        XCTAssertTrue(out.contains("absent"), out)
        XCTAssertTrue(out.contains("no IOMMU groups"), out)
    }
}

import Foundation
