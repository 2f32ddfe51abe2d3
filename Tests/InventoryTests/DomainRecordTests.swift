import XCTest
@testable import Inventory

final class DomainRecordTests: XCTestCase {
    func testStateNamesFollowVirDomainState() {
        let names = (0...7).map(DomainRecord.stateName)
        XCTAssertEqual(names, ["nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"])
        XCTAssertEqual(DomainRecord.stateName(99), "nostate")
    }

    func testActiveMeansADomainID() {
        XCTAssertTrue(DomainRecord(name: "a", uuid: "u", id: 3, state: "paused", persistent: true, autostart: false, xml: "").isActive)
        XCTAssertFalse(DomainRecord(name: "a", uuid: "u", id: nil, state: "shutoff", persistent: true, autostart: false, xml: "").isActive)
    }
}
