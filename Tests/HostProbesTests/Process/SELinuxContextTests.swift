import Core
import XCTest
@testable import HostProbes

final class SELinuxContextTests: XCTestCase {
    func testContextsSplitIntoUserRoleTypeLevel() throws {
        let c = try SELinuxContext.parse("system_u:system_r:svirt_t:s0:c392,c662\0")
        XCTAssertEqual(c.user, "system_u")
        XCTAssertEqual(c.role, "system_r")
        XCTAssertEqual(c.type, "svirt_t")
        XCTAssertEqual(c.level, "s0:c392,c662")
        XCTAssertEqual(c.mls?.sensitivity, "s0")
        XCTAssertEqual(c.mls?.categories, [392, 662])
        XCTAssertTrue(c.confinedType)
        XCTAssertEqual(c.raw, "system_u:system_r:svirt_t:s0:c392,c662")
    }

    /// A custom type (from a <baselabel> or a static label) is confined but needs review; only
    /// the known unconfined types count as unconfined.
    func testTypesClassifyAsSVirtUnconfinedOrCustom() throws {
        let cases: [(String, SELinuxContext.TypeClass, Bool)] = [
            ("svirt_t", .svirt, true), ("svirt_tcg_t", .svirt, true), ("svirt_kvm_net_t", .svirt, true),
            ("svirt_lxc_net_t", .svirt, true), ("svirt_qemu_net_t", .svirt, true),
            ("unconfined_t", .unconfined, false), ("virtd_t", .unconfined, false), ("spc_t", .unconfined, false),
            ("initrc_t", .unconfined, false), ("kernel_t", .unconfined, false), ("unconfined_service_t", .unconfined, false),
            ("virtqemud_t", .unconfined, false),
            ("mycorp_guest_t", .custom, true), ("svirt_custom_t", .custom, true), ("httpd_t", .custom, true),
        ]
        for (type, cls, confined) in cases {
            let c = try SELinuxContext.parse("system_u:system_r:\(type):s0:c1,c2")
            XCTAssertEqual(c.typeClass, cls, type)
            XCTAssertEqual(c.confinedType, confined, type)
        }
    }

    func testCategorySetsExpandRangesSorted() throws {
        let cases: [(String, [Int])] = [
            ("c392,c662", [392, 662]),
            ("c662,c392", [392, 662]),
            ("c1,c5.c7", [1, 5, 6, 7]),
            ("c3,c3,c2.c4", [2, 3, 4]),
            ("c0", [0]),
        ]
        for (text, cats) in cases {
            XCTAssertEqual(try MLSLevel.categories(text), cats, text)
        }
        XCTAssertEqual(try MLSLevel.categories("c0.c1023").count, 1024)
    }

    func testLevelsAndRanges() throws {
        let cases: [(String, String, Int, Bool, Bool)] = [
            // text, sensitivity, count, fullRange, isRange
            ("s0", "s0", 0, false, false),
            ("s0:c392,c662", "s0", 2, false, false),
            ("s0-s0:c0.c1023", "s0", 1024, true, true),
            ("s0:c0.c1000", "s0", 1001, true, false),
            ("s0:c0.c999", "s0", 1000, false, false),
        ]
        for (text, sens, count, full, range) in cases {
            let l = try MLSLevel.parse(text)
            XCTAssertEqual(l.sensitivity, sens, text)
            XCTAssertEqual(l.categories.count, count, text)
            XCTAssertEqual(l.fullRange, full, text)
            XCTAssertEqual(l.isRange, range, text)
        }
    }

    func testMalformedContextsAndLevelsThrow() {
        for bad in ["", "unconfined", "a:b", "user::type", "system_u:system_r:svirt_t:x0", "system_u:system_r:svirt_t:s0:c5.c2",
                    "system_u:system_r:svirt_t:s0:d1", "system_u:system_r:svirt_t:s0:c1.c2.c3", "system_u:system_r:svirt_t:s0:c0.c99999999"] {
            XCTAssertThrowsError(try SELinuxContext.parse(bad), bad)
        }
    }

    func testContextWithoutMLSHasNoLevel() throws {
        let c = try SELinuxContext.parse("system_u:system_r:svirt_t")
        XCTAssertNil(c.level)
        XCTAssertNil(c.mls)
    }

    func testShapeDetectionTellsContextsFromOtherLabels() {
        XCTAssertTrue(SELinuxContext.looksLikeContext("system_u:system_r:svirt_t:s0:c1,c2"))
        XCTAssertFalse(SELinuxContext.looksLikeContext("libvirt-x (enforce)"))
        XCTAssertFalse(SELinuxContext.looksLikeContext("_"))
    }
}
