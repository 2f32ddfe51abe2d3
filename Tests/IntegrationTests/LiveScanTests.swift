import Foundation
import XCTest
import Audit
import Core

/// Scans the real libvirtd with the two lab guests and checks the scan tells them apart.
final class LiveScanTests: XCTestCase {
    /// One scan shared by the tests of this class (a scan of the live host takes a moment).
    private static let shared = Result { try LiveLab.scan() }

    private func report() throws -> ScanReport {
        try LiveLab.requireLab()
        return try Self.shared.get()
    }

    private func domain(_ name: String) throws -> DomainReport {
        let r = try report()
        return try XCTUnwrap(r.domains.first { $0.name == name }, "\(name) missing from \(r.domains.map(\.name))")
    }

    func testRootGuestRunsAsUIDZeroAndConfinedGuestDoesNot() throws {
        let root = try domain(LiveLab.rootDAC)
        let confined = try domain(LiveLab.confined)
        XCTAssertEqual(root.facts[path: "process.uid"], .int(0))
        let confinedUID = try XCTUnwrap(confined.facts[path: "process.uid"]?.intValue)
        XCTAssertNotEqual(confinedUID, 0)
    }

    func testDACRuleFailsForRootGuestAndPassesForConfinedGuest() throws {
        let root = try domain(LiveLab.rootDAC)
        let confined = try domain(LiveLab.confined)
        let rootDAC = root.findings.filter { $0.layer == .dac && $0.rule.contains("non-root") }
        XCTAssertFalse(rootDAC.isEmpty, "no non-root DAC rule evaluated")
        XCTAssertTrue(rootDAC.allSatisfy { $0.status == .fail }, "\(rootDAC.map { ($0.rule, $0.status) })")
        let confinedDAC = confined.findings.filter { $0.rule == rootDAC[0].rule }
        XCTAssertEqual(confinedDAC.first?.status, .pass)
    }

    func testRootGuestScoresLowerThanConfinedGuest() throws {
        let root = try domain(LiveLab.rootDAC)
        let confined = try domain(LiveLab.confined)
        XCTAssertLessThan(root.score, confined.score)
        XCTAssertLessThan(root.layers["dac"]?.score ?? 100, confined.layers["dac"]?.score ?? 0)
    }

    func testLiveProcessFactsShowLibvirtDefaults() throws {
        let confined = try domain(LiveLab.confined)
        XCTAssertEqual(confined.facts[path: "process.seccomp.mode"], .int(2))
        XCTAssertEqual(confined.facts[path: "process.namespaces.mnt.sharedWithHost"], .bool(false))
        XCTAssertEqual(confined.facts[path: "process.capabilities.effective"], .array([]))
        XCTAssertEqual(confined.facts[path: "domain.running"], .bool(true))
        XCTAssertEqual(confined.state, "running")
    }

    func testEveryRunningDomainHasAVerifiedProcess() throws {
        for d in try report().domains where d.state == "running" {
            XCTAssertNotNil(d.facts[path: "process.pid"]?.intValue, "\(d.name): \(d.facts["unknown"] ?? .null)")
        }
    }
}
