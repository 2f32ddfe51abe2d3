@testable import Devices
import XCTest

final class IOMMUTableTests: XCTestCase {
    func testTableAlignsContinuationRowsAndExplainsVerdicts() throws {
        let l = try IOMMUReport.listing(files: [Fixture.listing("wrapped.txt"), Fixture.listing("find-groups.txt")])
        let text = IOMMUTable.render(l.groups)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].hasPrefix("GROUP  VIABLE  ADDRESS"))
        let row = try XCTUnwrap(lines.first { $0.contains("0000:01:00.1") })
        XCTAssertTrue(row.hasPrefix(" "), "continuation row keeps the group columns blank: \(row)")
        XCTAssertTrue(lines.contains("group 9 not viable: 0000:02:00.0 is bound to host driver igb"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("group 7 undecided: 0000:00:1f.2") })
    }

    func testEmptyRendersAPlainLine() {
        XCTAssertEqual(IOMMUTable.render([]), "no IOMMU groups\n")
    }
}
