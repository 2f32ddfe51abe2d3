@testable import Devices
import XCTest

final class GroupViabilityTests: XCTestCase {
    func testKernelAcceptedDrivers() {
        for d in ["vfio-pci", "vfio_pci", "mlx5_vfio_pci", "hisi_acc_vfio_pci", "nvgrace_gpu_vfio_pci", "pci-stub"] {
            XCTAssertTrue(GroupViability.isUserSpaceSafe(driver: d), d)
        }
        for d in ["nouveau", "xhci_hcd", "vfio", "ixgbevf", "pcieport"] {
            XCTAssertFalse(GroupViability.isUserSpaceSafe(driver: d), d)
        }
    }

    func testMemberVerdicts() {
        XCTAssertEqual(GroupViability.judge(address: "a", driver: .some(nil), bridge: false), .allowed)
        XCTAssertEqual(GroupViability.judge(address: "a", driver: .some("vfio-pci"), bridge: false), .allowed)
        XCTAssertEqual(GroupViability.judge(address: "a", driver: .some("pcieport"), bridge: true), .allowed)
        XCTAssertEqual(GroupViability.judge(address: "a", driver: .some("shpchp"), bridge: true), .allowed)
        XCTAssertEqual(GroupViability.judge(address: "a", driver: nil, bridge: true), .allowed)
        XCTAssertEqual(GroupViability.judge(address: "a", driver: .some("e1000e"), bridge: false), .blocks("a is bound to host driver e1000e"))
        XCTAssertEqual(GroupViability.judge(address: "a", driver: nil, bridge: false), .undecided("a: driver unknown"))
        XCTAssertEqual(GroupViability.judge(address: "a", driver: .some("e1000e"), bridge: nil), .blocks("a is bound to host driver e1000e"))
    }

    func testBlockingBeatsUndecidedBeatsViable() {
        XCTAssertEqual(GroupViability.combine([.allowed, .undecided("u"), .blocks("b")]).viable, false)
        XCTAssertEqual(GroupViability.combine([.allowed, .undecided("u"), .blocks("b")]).reasons, ["b"])
        XCTAssertNil(GroupViability.combine([.allowed, .undecided("u")]).viable)
        XCTAssertEqual(GroupViability.combine([.allowed]).viable, true)
    }
}
