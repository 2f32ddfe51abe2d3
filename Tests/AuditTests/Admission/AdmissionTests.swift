@testable import Audit
import Core
import Foundation
import XCTest

/// Admission judges the XML libvirt hands its qemu hook through the `check` pipeline: XML rules
/// decided, process rules not applicable before qemu exists, waivers honoured until they expire.
final class AdmissionTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_796_500_000) // 2026-12-05

    func xml(_ name: String) throws -> [UInt8] { try CheckFixtures.artifact(name).bytes }

    func auditor(waivers: String? = nil) throws -> Auditor {
        var path: String?
        if let waivers {
            path = NSTemporaryDirectory() + "admission-waivers-\(UUID().uuidString).yaml"
            try waivers.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        defer { if let path { try? FileManager.default.removeItem(atPath: path) } }
        return try Auditor(settings: ScanSettings(uri: "admission", policiesDirectory: FixtureHosts.policies, waiversPath: path))
    }

    func testRootDACLabelDeniesEvenThoughTheHookXMLCarriesTheNewDomainID() throws {
        // The live XML has <domain id='2'>, as at `prepare begin`.
        let v = try Admission.judge(xml: xml("live-va-rootdac.xml"), auditor: auditor(), settings: AdmissionSettings(), host: nil, now: now)
        XCTAssertEqual(v.name, "va-rootdac")
        XCTAssertEqual(v.denials.map(\.rule), ["dac.label-not-root"])
        XCTAssertEqual(v.denials.first?.status, "fail")
        XCTAssertEqual(Admission.outcome(v, mode: .enforce), .deny)
        XCTAssertEqual(Admission.outcome(v, mode: .warn), .wouldDeny)
        XCTAssertEqual(Admission.outcome(v, mode: .dryrun), .wouldDeny)
        let line = try XCTUnwrap(v.denials.first?.line)
        XCTAssertTrue(line.hasPrefix("dac.label-not-root (critical, dac) fail: observed {"), line)
        XCTAssertTrue(line.contains("\"labels.dac.uid\":0"), line)
        XCTAssertTrue(line.contains("; remediation: "), line)
        XCTAssertFalse(line.contains("\n"))
    }

    func testConfinedGuestIsAdmitted() throws {
        let v = try Admission.judge(xml: xml("live-va-confined.xml"), auditor: auditor(), settings: AdmissionSettings(), host: nil, now: now)
        XCTAssertEqual(v.denials, [])
        XCTAssertEqual(Admission.outcome(v, mode: .enforce), .admit)
    }

    func testDenySeveritiesChooseWhatDenies() throws {
        let s = AdmissionSettings(denySeverities: [.high])
        let v = try Admission.judge(xml: xml("live-va-rootdac.xml"), auditor: auditor(), settings: s, host: nil, now: now)
        XCTAssertFalse(v.denials.contains { $0.rule == "dac.label-not-root" })
        XCTAssertTrue(v.denials.allSatisfy { $0.severity == .high })
    }

    func testCurrentWaiverAdmitsAndExpiredWaiverDoesNot() throws {
        func waiver(_ expires: String) -> String {
            "waivers:\n  - rule: dac.label-not-root\n    vm: va-rootdac\n    reason: legacy appliance\n    owner: ops\n    expires: \(expires)\n"
        }
        let current = try Admission.judge(xml: xml("live-va-rootdac.xml"), auditor: auditor(waivers: waiver("2027-01-31")),
                                          settings: AdmissionSettings(), host: nil, now: now)
        XCTAssertEqual(current.denials, [])
        XCTAssertEqual(current.waived, ["dac.label-not-root"])
        let expired = try Admission.judge(xml: xml("live-va-rootdac.xml"), auditor: auditor(waivers: waiver("2026-11-30")),
                                          settings: AdmissionSettings(), host: nil, now: now)
        XCTAssertEqual(expired.denials.map(\.rule), ["dac.label-not-root"])
        XCTAssertEqual(expired.waived, [])
    }

    func testHostdevsAreJudgedAgainstTheHostsIOMMUGroups() throws {
        // devices-shared: turing-gpu assigns 0000:01:00.0 (on nouveau), whose group holds three
        // host-driven functions. Without the host root the groups are undecided.
        let node = try String(contentsOfFile: FixtureHosts.nodeFile("devices-shared"), encoding: .utf8)
        let domain = Array(try XCTUnwrap(FixtureHosts.domainText(named: "turing-gpu", in: node)).utf8)
        let root = HostRoot(FixtureHosts.root("devices-shared"))
        let s = AdmissionSettings(denySeverities: [.critical, .high])
        let judged = try Admission.judge(xml: domain, auditor: auditor(), settings: s, host: Admission.hostFacts(root: root),
                                         hostRoot: root, now: now)
        let rules = Set(judged.denials.map(\.rule))
        // group-viable names the host-driven members; vfio-driver waits for the start (managed='yes' rebinds then).
        XCTAssertTrue(rules.contains("device-isolation.group-viable"), "\(rules)")
        XCTAssertFalse(rules.contains("device-isolation.vfio-driver"), "\(rules)")
        let blind = try Admission.judge(xml: domain, auditor: auditor(), settings: s, host: nil, now: now)
        XCTAssertFalse(blind.denials.contains { $0.rule == "device-isolation.group-viable" }, "\(blind.denials.map(\.rule))")
    }

    func testInputThatIsNoDomainXMLIsAFailureNotAnAdmission() throws {
        for input in ["", "not xml at all", "<domain type='qemu'><name>x</name>", try String(contentsOfFile: CheckFixtures.directory + "/ps-eZ.txt", encoding: .utf8)] {
            XCTAssertThrowsError(try Admission.judge(xml: Array(input.utf8), auditor: auditor(), settings: AdmissionSettings(), host: nil, now: now),
                                 input) { error in
                guard case Admission.Failure.input = error else { return XCTFail("\(error)") }
            }
        }
    }

    func testNotStartedRemovesOnlyTheRootElementsID() {
        let cases: [(String, String)] = [
            ("<domain type='qemu' id='7'><name>a</name></domain>", "<domain type='qemu'><name>a</name></domain>"),
            ("<domain id=\"12\" type='kvm'><x id='3'/></domain>", "<domain type='kvm'><x id='3'/></domain>"),
            ("<domain type='qemu'><x id='3'/></domain>", "<domain type='qemu'><x id='3'/></domain>"),
            ("<?xml version='1.0'?>\n<domain type='qemu' uuid_id='1'/>", "<?xml version='1.0'?>\n<domain type='qemu' uuid_id='1'/>"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(String(decoding: Admission.notStarted(Array(input.utf8)), as: UTF8.self), expected)
        }
    }

    func testHookOperationsAndTheirRoles() {
        let table: [(String, String, HookCall.Role)] = [
            ("prepare", "begin", .gate), ("start", "begin", .passThrough), ("migrate", "begin", .filter), ("restore", "begin", .filter),
            ("reconnect", "begin", .passThrough), ("attach", "begin", .passThrough), ("started", "begin", .passThrough),
            ("prepare", "end", .passThrough), ("stopped", "end", .passThrough), ("release", "end", .passThrough),
        ]
        for (op, sub, role) in table {
            XCTAssertEqual(HookCall(name: "vm", operation: op, subOperation: sub, extra: "-").role, role, "\(op) \(sub)")
        }
        XCTAssertTrue(AdmissionOutcome.failedOpen.admitted)
        XCTAssertFalse(AdmissionOutcome.failedClosed.admitted)
        XCTAssertTrue(AdmissionOutcome.wouldDeny.admitted)
        XCTAssertFalse(AdmissionOutcome.deny.admitted)
    }
}
