import XCTest
@testable import HostProbes

final class CapabilitySetTests: XCTestCase {
    func testMasksDecodeToKernelNames() {
        let cases: [(String, [String])] = [
            ("0000000000000000", []),
            ("0000000000000001", ["CAP_CHOWN"]),
            ("0000000000200000", ["CAP_SYS_ADMIN"]),
            ("0000000000030000", ["CAP_SYS_MODULE", "CAP_SYS_RAWIO"]),
            ("0000010000000000", ["CAP_CHECKPOINT_RESTORE"]),
            ("0000020000000001", ["CAP_CHOWN", "CAP_41"]),
            ("8000000000000000", ["CAP_63"]),
        ]
        for (hex, names) in cases {
            XCTAssertEqual(CapabilitySet.parse(hex: hex)?.names, names, hex)
        }
    }

    func testFullLabMaskHasFortyCapabilitiesWithoutSysResource() throws {
        // va-rootdac's CapEff: every capability 0...40 except CAP_SYS_RESOURCE (24).
        let set = try XCTUnwrap(CapabilitySet.parse(hex: "000001fffeffffff"))
        XCTAssertEqual(set.count, 40)
        XCTAssertFalse(set.contains("CAP_SYS_RESOURCE"))
        XCTAssertTrue(set.contains("CAP_SYS_ADMIN"))
        XCTAssertEqual(set.names.last, "CAP_CHECKPOINT_RESTORE")
        XCTAssertEqual(set.hex, "000001fffeffffff")
    }

    func testNameTableMatchesKernelNumbering() {
        XCTAssertEqual(CapabilitySet.names.count, 41)
        XCTAssertEqual(CapabilitySet.name(of: 21), "CAP_SYS_ADMIN")
        XCTAssertEqual(CapabilitySet.name(of: 38), "CAP_PERFMON")
        XCTAssertEqual(CapabilitySet.name(of: 39), "CAP_BPF")
    }

    func testNonHexMasksAreRejected() {
        for bad in ["", "zz", "00000000000000000", "-1", "0x"] {
            XCTAssertNil(CapabilitySet.parse(hex: bad), bad)
        }
    }
}
