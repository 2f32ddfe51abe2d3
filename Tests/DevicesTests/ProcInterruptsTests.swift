import Core
@testable import Devices
import XCTest

final class ProcInterruptsTests: XCTestCase {
    func testRemappedDomainsHaveIRPrefix() throws {
        XCTAssertEqual(try ProcInterrupts.read(root: Fixture.root("iommu-clean-gpu")).remappingActive, true)
        XCTAssertEqual(try ProcInterrupts.read(root: Fixture.root("iommu-none")).remappingActive, false)
        XCTAssertThrowsError(try ProcInterrupts.read(root: Fixture.root("iommu-pci-stub")))
    }

    func testLiveMachineHasNoRemapping() throws {
        // This machine has no IOMMU: its IO-APIC and MSI-X lines carry no IR- prefix.
        XCTAssertNotEqual(try ProcInterrupts.read(root: HostRoot("/")).remappingActive, true)
    }

    func testParseNewStylePerDeviceMSIDomainsAndNoX86Lines() {
        let p = ProcInterrupts.parse(" 28:  0  0 IR-PCI-MSIX-0000:00:01.0   0-edge  virtio0-config\n")
        XCTAssertEqual(p.remappedLines, 1)
        XCTAssertNil(ProcInterrupts.parse(" 11:  5  GICv3  27 Level  arch_timer\n").remappingActive)
        XCTAssertNil(ProcInterrupts.parse("").remappingActive)
    }
}
