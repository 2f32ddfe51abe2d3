import Audit
import Core
import Foundation
import XCTest

/// Scans of the device fixture hosts fail the device-isolation rules and name the offending
/// device (its PCI address) in the finding's observed values.
final class DeviceFindingsTests: XCTestCase {
    private func assertFails(_ host: ScanReport, _ vm: String, _ rule: String, naming addresses: [String],
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let f = try host.domain(vm, file: file, line: line).finding(rule, file: file, line: line)
        XCTAssertEqual(f.status, .fail, "\(vm) \(rule)", file: file, line: line)
        for a in addresses {
            XCTAssertTrue(f.observedText.contains(a), "\(vm) \(rule) does not name \(a): \(f.observedText)", file: file, line: line)
        }
    }

    func testSharedGroupNamesTheHostDriverMembers() throws {
        let r = try FixtureHosts.scan("devices-shared")
        // The GPU's group also holds its USB-C controller (xhci_hcd) and UCSI function on host drivers.
        try assertFails(r, "turing-gpu", "device-isolation.group-viable", naming: ["0000:01:00.2", "0000:01:00.3"])
        try assertFails(r, "turing-gpu", "device-isolation.vfio-driver", naming: ["0000:01:00.0"])
        XCTAssertEqual(try r.domain("turing-gpu").profile, "passthrough")
        XCTAssertEqual(try r.domain("turing-gpu").finding("device-isolation.group-viable").severity, .critical)
    }

    func testTwoVMsNamingOneDeviceBothFailWithTheAddress() throws {
        let r = try FixtureHosts.scan("devices-shared")
        for vm in ["turing-gpu", "turing-gpu-b"] {
            try assertFails(r, vm, "device-isolation.device-not-shared", naming: ["0000:01:00.0"])
        }
        XCTAssertTrue(try r.domain("turing-gpu").finding("device-isolation.device-not-shared").observedText.contains("turing-gpu-b"))
    }

    func testVFsSpreadOverTwoVMsAndPFOnHostDriver() throws {
        let r = try FixtureHosts.scan("devices-vf-pf")
        try assertFails(r, "nfv-a", "device-isolation.vf-siblings-same-vm", naming: ["0000:41:10.0"])
        try assertFails(r, "nfv-b", "device-isolation.vf-siblings-same-vm", naming: ["0000:41:10.2"])
        try assertFails(r, "nfv-a", "device-isolation.pf-not-host-driver", naming: ["0000:41:00.0"])
        try assertFails(r, "nfv-b", "device-isolation.vfio-driver", naming: ["0000:41:10.4"])
        try assertFails(r, "nfv-b", "device-isolation.device-present", naming: ["0000:41:1f.0"])
        XCTAssertEqual(try r.domain("nfv-a").finding("device-isolation.vfio-driver").status, .pass)
    }

    func testLegacyPciStubAssignmentIsNamed() throws {
        let r = try FixtureHosts.scan("devices-pci-stub")
        try assertFails(r, "cad-legacy", "device-isolation.no-legacy-assignment", naming: ["0000:01:00.0", "0000:01:00.1"])
        try assertFails(r, "cad-legacy", "device-isolation.vfio-driver", naming: ["0000:01:00.0"])
    }

    func testPassthroughHostFailsTranslationInterruptsAndACS() throws {
        let r = try FixtureHosts.scan("devices-passthrough")
        let failing = Set(r.host.findings.filter { $0.status == .fail }.map(\.rule))
        for rule in ["device-isolation.host-iommu-translated", "device-isolation.host-no-unsafe-interrupts",
                     "device-isolation.host-interrupt-remapping", "device-isolation.host-no-acs-override"] {
            XCTAssertTrue(failing.contains(rule), "\(rule) does not fail on the passthrough host")
        }
        for rule in ["device-isolation.no-unsafe-interrupts", "device-isolation.interrupt-remapping"] {
            XCTAssertEqual(try r.domain("gaming").finding(rule).status, .fail, rule)
        }
    }

    func testNoIOMMUHostWithAnAssignedDevice() throws {
        let r = try FixtureHosts.scan("devices-none")
        XCTAssertEqual(try XCTUnwrap(r.host.findings.first { $0.rule == "device-isolation.host-iommu-enabled" }).status, .fail)
        XCTAssertEqual(try r.domain("no-iommu-gpu").finding("device-isolation.iommu-present").status, .fail)
    }

    func testCleanGPUGroupPassesEveryDeviceRule() throws {
        let r = try FixtureHosts.scan("hardened")
        let d = try r.domain("gpu-render")
        let device = d.findings.filter { $0.layer == .deviceIsolation }
        XCTAssertGreaterThanOrEqual(device.count, 10)
        for f in device { XCTAssertEqual(f.status, .pass, "\(f.rule): \(f.observedText)") }
        for f in r.host.findings where f.layer == .deviceIsolation {
            XCTAssertEqual(f.status, .pass, "\(f.rule): \(f.observedText)")
        }
        // Guests without assigned devices are not judged on device isolation.
        for f in try r.domain("db-primary").findings where f.layer == .deviceIsolation {
            XCTAssertEqual(f.status, .notApplicable, f.rule)
        }
    }
}
