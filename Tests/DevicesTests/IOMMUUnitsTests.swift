import Core
@testable import Devices
import XCTest

final class IOMMUUnitsTests: XCTestCase {
    func testIntelUnitsReadECAPBit3() {
        let u = IOMMUUnits.read(root: Fixture.root("iommu-clean-gpu")).units
        XCTAssertEqual(u.map(\.name), ["dmar0", "dmar1"])
        XCTAssertEqual(u.map(\.interruptRemappingCapable), [true, true])
        let p = IOMMUUnits.read(root: Fixture.root("iommu-passthrough")).units
        XCTAssertEqual(p.first?.interruptRemappingCapable, false)
    }

    func testAMDUnitHasNoCapabilityBitAndGarbageECAPIsUnknown() {
        let a = IOMMUUnits.read(root: Fixture.root("iommu-vf-pf")).units
        XCTAssertEqual(a.map(\.vendor), ["amd"])
        XCTAssertNil(a.first?.interruptRemappingCapable)
        let g = IOMMUUnits.read(root: Fixture.root("iommu-garbage")).units
        XCTAssertEqual(g.map(\.interruptRemappingCapable), [false, nil])
        XCTAssertEqual(IOMMUUnits.read(root: Fixture.root("iommu-none")).units, [])
    }

    func testParseECAP() {
        XCTAssertEqual(IOMMUUnits.parseECAP("f050da\n"), 0xf050da)
        XCTAssertNil(IOMMUUnits.parseECAP("xyz"))
        XCTAssertNil(IOMMUUnits.parseECAP(""))
    }
}
