import Core
@testable import Devices
import HostProbes
import XCTest

final class VFIOModuleParametersTests: XCTestCase {
    func testLoadedModuleParameterWins() {
        let p = VFIOModuleParameters.read(root: Fixture.root("iommu-passthrough"), cmdline: nil)
        XCTAssertTrue(p.type1.allowed)
        XCTAssertEqual(p.type1.source, "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts")
        XCTAssertFalse(p.iommufd.allowed)
        XCTAssertTrue(p.anyAllowed)
        XCTAssertFalse(VFIOModuleParameters.read(root: Fixture.root("iommu-clean-gpu"), cmdline: nil).anyAllowed)
    }

    func testUnloadedModuleFallsBackToModprobeThenCmdline() {
        // iommu-garbage: the parameter is a directory (unreadable) and there is no modprobe.d.
        let g = VFIOModuleParameters.read(root: Fixture.root("iommu-garbage"), cmdline: nil)
        XCTAssertEqual(g.type1.source, "default")
        let c = VFIOModuleParameters.read(root: Fixture.root("iommu-none"),
                                          cmdline: KernelCmdline.parse("vfio_iommu_type1.allow_unsafe_interrupts=Y"))
        XCTAssertTrue(c.type1.allowed)
        XCTAssertEqual(c.type1.source, "/proc/cmdline")
    }

    func testParseModprobe() {
        let r = VFIOModuleParameters.parseModprobe("""
            # options vfio_iommu_type1 allow_unsafe_interrupts=1
            options vfio-iommu-type1 \\
                allow_unsafe_interrupts=1 disable_hugepages=0
            options kvm ignore_msrs=1
            options iommufd allow_unsafe_interrupts=N
            """)
        XCTAssertEqual(r.map(\.0), ["vfio_iommu_type1", "iommufd"])
        XCTAssertEqual(r.map(\.1), [true, false])
    }
}
