import Core
@testable import Devices
@testable import HostProbes
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

    /// modprobe.d is read by HostProbes' ModprobeOptions: continuation lines, `-` as `_`,
    /// comments, the last value of a parameter, kstrtobool values, `file:line` sources.
    func testModprobeOptionsDecideAnUnloadedModule() {
        let text = """
            # options vfio_iommu_type1 allow_unsafe_interrupts=0
            options vfio-iommu-type1 \\
                allow_unsafe_interrupts=1 disable_hugepages=0
            options kvm ignore_msrs=1
            options iommufd allow_unsafe_interrupts=N
            """
        let m = ModprobeOptions(options: ModprobeOptions.parse(text, file: "/etc/modprobe.d/vfio.conf"))
        let p = VFIOModuleParameters.resolve(root: Fixture.root("iommu-garbage"), cmdline: nil, modprobe: m)
        XCTAssertEqual(p.type1, .init(allowed: true, source: "/etc/modprobe.d/vfio.conf:2"))
        XCTAssertEqual(p.iommufd, .init(allowed: false, source: "/etc/modprobe.d/vfio.conf:5"))
        let yes = ModprobeOptions(options: ModprobeOptions.parse("options iommufd allow_unsafe_interrupts=yes\n", file: "/run/modprobe.d/a.conf"))
        XCTAssertTrue(VFIOModuleParameters.resolve(root: Fixture.root("iommu-garbage"), cmdline: nil, modprobe: yes).iommufd.allowed)
    }
}
