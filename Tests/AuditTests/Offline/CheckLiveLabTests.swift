@testable import Audit
import Core
import Foundation
import Inventory
import XCTest

/// A check of what the lab's guests leave behind (their live XML, libvirt's status XML, their
/// qemu's /proc files) gives the live scan's verdict for every rule the artifacts decide.
final class CheckLiveLabTests: XCTestCase {
    static let guest = "va-rootdac"

    func requireLab() throws {
        guard FileManager.default.fileExists(atPath: "/run/libvirt/qemu/\(Self.guest).pid") else {
            let msg = "live lab not running (scripts/lab up): /run/libvirt/qemu/\(Self.guest).pid missing"
            if ProcessInfo.processInfo.environment["VIRTAUDIT_REQUIRE_LIBVIRT"] == "1" { XCTFail(msg) }
            throw XCTSkip(msg)
        }
    }

    func liveScan() throws -> DomainReport {
        let auditor = try Auditor(settings: ScanSettings(policiesDirectory: FixtureHosts.policies))
        let report = try auditor.scan()
        return try XCTUnwrap(report.domains.first { $0.name == Self.guest })
    }

    /// Every decided (not offline) verdict of the check equals the live one; returns how many.
    @discardableResult
    func assertSameVerdicts(_ artifacts: [CheckArtifact], live: DomainReport, file: StaticString = #filePath,
                            line: UInt = #line) throws -> (decided: Int, offline: Int) {
        guard case .success(let r) = OfflineCheck.run(artifacts, auditor: CheckFixtures.auditor) else {
            XCTFail("check failed", file: file, line: line)
            return (0, 0)
        }
        XCTAssertEqual(r.targets.map(\.name), [Self.guest], file: file, line: line)
        let t = try XCTUnwrap(r.targets.first)
        let liveStatus = Dictionary(live.findings.map { ($0.rule, $0.status.rawValue) }, uniquingKeysWith: { a, _ in a })
        var decided = 0, offline = 0
        for f in t.findings {
            if f.status == "not-applicable-offline" { offline += 1; continue }
            decided += 1
            // Without a process sample, check judges the configuration twin of a process rule
            // (dac.label-not-root for dac.non-root-user): the live scan, which saw the process,
            // judged the same question through the process rule.
            if let twin = Self.processTwins[f.finding.rule], liveStatus[f.finding.rule] == "not-applicable",
               f.status != "not-applicable" {
                XCTAssertEqual(f.status, liveStatus[twin], "\(f.finding.rule): check says \(f.status), the live scan's \(twin) \(liveStatus[twin] ?? "nothing")",
                               file: file, line: line)
                continue
            }
            XCTAssertEqual(f.status, liveStatus[f.finding.rule], "\(f.finding.rule): check says \(f.status), live scan \(liveStatus[f.finding.rule] ?? "nothing") (\(f.finding.reason ?? ""))",
                           file: file, line: line)
        }
        return (decided, offline)
    }

    /// Configuration rules judged only while no process was seen, and the process rule that
    /// answers the same question once it is.
    static let processTwins = [
        "dac.label-not-root": "dac.non-root-user", "dac.configured-user-not-root": "dac.non-root-user",
        "mac.selinux-label-not-unconfined": "mac.confined", "mac.configured-security-driver": "mac.confined",
        "mac.selinux-label-categories": "mac.selinux-categories", "mac.selinux-label-not-full-range": "mac.selinux-not-full-range",
    ]

    func testSavedLiveXMLGivesTheLiveVerdictsForXMLDecidableRules() throws {
        try requireLab()
        let connection = try LibvirtConnection(uri: "qemu:///system")
        defer { connection.close() }
        let record = try XCTUnwrap(try connection.listDomains().first { $0.name == Self.guest })
        let live = try liveScan()
        let fresh = try assertSameVerdicts([CheckArtifact(name: "dumpxml", bytes: Array(record.xml.utf8))], live: live)
        XCTAssertGreaterThanOrEqual(fresh.decided, 20, "the XML decides the surface, device and labelling rules")
        XCTAssertGreaterThan(fresh.offline, 10, "process rules are offline, not judged")
        // The copy saved in the fixtures (virsh dumpxml of the same guest) judges the same.
        try assertSameVerdicts([try CheckFixtures.artifact("live-va-rootdac.xml")], live: live)
    }

    func testStatusXMLWithTheProcessFilesDecidesTheProcessRulesToo() throws {
        try requireLab()
        let pid = try String(contentsOfFile: "/run/libvirt/qemu/\(Self.guest).pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let files = ["/run/libvirt/qemu/\(Self.guest).xml", "/proc/\(pid)/status", "/proc/\(pid)/cmdline"]
        let artifacts = try files.map { CheckArtifact(name: $0, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
        let live = try liveScan()
        let n = try assertSameVerdicts(artifacts, live: live)
        XCTAssertGreaterThanOrEqual(n.decided, 30, "credentials, capabilities, seccomp and -sandbox come from the samples")
        // Namespaces and cgroups are not in these files: still offline.
        guard case .success(let r) = OfflineCheck.run(artifacts, auditor: CheckFixtures.auditor) else { return XCTFail() }
        XCTAssertEqual(r.targets.first?.status("namespaces.private-mount"), "not-applicable-offline")
        XCTAssertEqual(r.targets.first?.status("dac.non-root-user"), "fail", "va-rootdac's qemu runs as root")
    }
}
