import XCTest
@testable import HostProbes

final class MCSAnalysisTests: XCTestCase {
    func testVMsWithTheSameCategorySetShareEachOther() {
        let d = MCSAnalysis.duplicates([
            (uuid: "u1", name: "web", level: "s0:c392,c662"),
            (uuid: "u2", name: "db", level: "s0:c662,c392"),
            (uuid: "u3", name: "mail", level: "s0:c392,c663"),
            (uuid: "u4", name: "dns", level: "s0:c392.c392,c662"),
            (uuid: "u5", name: "none", level: nil),
            (uuid: "u6", name: "bad", level: "garbage"),
        ])
        XCTAssertEqual(d["u1"], ["db", "dns"])
        XCTAssertEqual(d["u2"], ["dns", "web"])
        XCTAssertEqual(d["u3"], [])
        XCTAssertEqual(d["u4"], ["db", "web"])
        XCTAssertNil(d["u5"])
        XCTAssertNil(d["u6"])
    }

    func testSubsetsAndOtherSensitivitiesAreNotShared() {
        let d = MCSAnalysis.duplicates([
            (uuid: "a", name: "a", level: "s0:c1,c2"),
            (uuid: "b", name: "b", level: "s0:c1"),
            (uuid: "c", name: "c", level: "s1:c1,c2"),
            (uuid: "d", name: "d", level: "s0-s0:c0.c1023"),
        ])
        XCTAssertEqual(d.values.map(\.count), [0, 0, 0, 0])
    }

    func testLevelsWithoutCategoriesShareTheEmptySet() {
        let d = MCSAnalysis.duplicates([(uuid: "a", name: "a", level: "s0"), (uuid: "b", name: "b", level: "s0")])
        XCTAssertEqual(d, ["a": ["b"], "b": ["a"]])
    }
}
