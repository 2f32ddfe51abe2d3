import Core
import Foundation
import XCTest
@testable import Policy

final class WaiversTests: XCTestCase {
    private func date(_ iso: String) -> Date { ISO8601DateFormatter().date(from: iso)! }

    private func setup(now: String) throws -> Evaluator {
        let policies = try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema)
        let waivers = try Waivers.load(path: fixture("policy-waivers") + "/waivers.yaml")
        return Evaluator(policies: policies, waivers: waivers, now: date(now))
    }

    private let rootVM: JSONValue = [
        "domain": ["running": true, "metadata": ["profile": "strict"]],
        "process": ["uid": 0, "gid": 0, "capabilities": ["effective": []]],
        "sandbox": ["spawn": "allow"],
        "devices": ["hostdevs": []],
    ]

    func testWaiversFileParsesEntries() throws {
        let w = try Waivers.load(path: fixture("policy-waivers") + "/waivers.yaml")
        XCTAssertEqual(w.entries.map(\.rule.pattern), ["qemu-sandbox.*", "dac.non-root-user", "host.selinux-enforcing"])
        XCTAssertEqual(w.entries.map(\.line), [2, 8, 14])
        XCTAssertEqual(w.entries.map(\.appliesToHost), [false, false, true])
        XCTAssertEqual(w.entries[0].expires, "2026-12-31")
    }

    func testActiveWaiverTurnsFailIntoWaivedAndCostsNothing() throws {
        let v = try setup(now: "2026-06-01T12:00:00Z").evaluateDomain(name: "legacy-7", uuid: "x", facts: rootVM, host: [:])
        let f = try XCTUnwrap(v.findings.first { $0.rule == "qemu-sandbox.spawn-deny" })
        XCTAssertEqual(f.status, .waived)
        XCTAssertEqual(f.pointsLost, 0)
        XCTAssertEqual(f.reason, "legacy guests need spawn for their qemu-bridge-helper")
        XCTAssertEqual(f.waiver?["owner"], "virt-team@example.com")
        XCTAssertEqual(f.waiver?["expires"], "2026-12-31")
        XCTAssertEqual(f.waiver?["status"], "fail")
        XCTAssertEqual(v.score.layers["qemu-sandbox"]?.waived, 1)
        // Same VM under another name: the glob does not match, the rule fails.
        let other = try setup(now: "2026-06-01T12:00:00Z").evaluateDomain(name: "web-7", uuid: "x", facts: rootVM, host: [:])
        XCTAssertEqual(other.findings.first { $0.rule == "qemu-sandbox.spawn-deny" }?.status, .fail)
        XCTAssertGreaterThan(v.score.score, other.score.score)
    }

    func testWaiverHoldsThroughItsExpiryDayUTC() throws {
        let last = try setup(now: "2026-12-31T23:59:59Z").evaluateDomain(name: "legacy-7", uuid: "x", facts: rootVM, host: [:])
        XCTAssertEqual(last.findings.first { $0.rule == "qemu-sandbox.spawn-deny" }?.status, .waived)
        let after = try setup(now: "2027-01-01T00:00:00Z").evaluateDomain(name: "legacy-7", uuid: "x", facts: rootVM, host: [:])
        XCTAssertEqual(after.findings.first { $0.rule == "qemu-sandbox.spawn-deny" }?.status, .fail)
    }

    func testExpiredWaiverNoLongerAppliesAndAddsAFinding() throws {
        let uuid = "6F1C2D3E-0000-4000-8000-000000000001"
        let v = try setup(now: "2026-06-01T00:00:00Z").evaluateDomain(name: "db-1", uuid: uuid, facts: rootVM, host: [:])
        XCTAssertEqual(v.findings.first { $0.rule == "dac.non-root-user" }?.status, .fail)
        let expired = v.findings.filter { $0.rule == "waiver.expired" }
        XCTAssertEqual(expired.count, 1)
        let e = try XCTUnwrap(expired.first)
        XCTAssertEqual(e.layer, .dac)
        XCTAssertEqual(e.severity, .low)
        XCTAssertEqual(e.status, .fail)
        XCTAssertTrue(e.reason?.contains("waivers.yaml:8") ?? false, e.reason ?? "")
        XCTAssertTrue(e.reason?.contains("expired on 2026-01-31") ?? false)
        XCTAssertGreaterThan(e.pointsLost, 0)
        // Before expiry the same VM is waived and there is no extra finding.
        let before = try setup(now: "2026-01-31T10:00:00Z").evaluateDomain(name: "db-1", uuid: uuid, facts: rootVM, host: [:])
        XCTAssertEqual(before.findings.first { $0.rule == "dac.non-root-user" }?.status, .waived)
        XCTAssertFalse(before.findings.contains { $0.rule == "waiver.expired" })
    }

    func testExpiredWaiverOnAPassingRuleIsSilent() throws {
        var facts = rootVM
        facts.set("process.uid", to: 107)
        facts.set("process.gid", to: 107)
        let v = try setup(now: "2026-06-01T00:00:00Z").evaluateDomain(name: "db-1", uuid: "6f1c2d3e-0000-4000-8000-000000000001",
                                                                     facts: facts, host: [:])
        XCTAssertEqual(v.findings.first { $0.rule == "dac.non-root-user" }?.status, .pass)
        XCTAssertFalse(v.findings.contains { $0.rule == "waiver.expired" })
    }

    func testWaiverAlsoCoversUnknownAndKeepsTheUnknownReason() throws {
        var facts = rootVM
        facts.set("sandbox.spawn", to: nil)
        facts.set("unknown", to: ["sandbox": "/proc/9/cmdline: process 9 exited during the scan"])
        let v = try setup(now: "2026-06-01T00:00:00Z").evaluateDomain(name: "legacy-1", uuid: "", facts: facts, host: [:])
        let f = try XCTUnwrap(v.findings.first { $0.rule == "qemu-sandbox.spawn-deny" })
        XCTAssertEqual(f.status, .waived)
        XCTAssertEqual(f.waiver?["status"], "unknown")
        XCTAssertEqual(f.waiver?["unknownReason"], "/proc/9/cmdline: process 9 exited during the scan")
    }

    func testHostWaiverAppliesToHostFindingsOnly() throws {
        let e = try setup(now: "2026-06-01T00:00:00Z")
        let h = e.evaluateHost(facts: ["host": ["selinux": ["enforcing": false]]])
        XCTAssertEqual(h.findings.map(\.rule), ["host.selinux-enforcing"])
        XCTAssertEqual(h.findings.first?.status, .waived)
        XCTAssertEqual(h.score.score, 100)
        let late = try setup(now: "2026-07-01T00:00:00Z").evaluateHost(facts: ["host": ["selinux": ["enforcing": false]]])
        XCTAssertEqual(late.findings.map(\.rule), ["host.selinux-enforcing", "waiver.expired"])
        XCTAssertEqual(late.findings.last?.layer, .host)
    }

    func testWaiverLoadErrorsNameFileAndLine() {
        let path = fixture("policy-waivers") + "/bad-waivers.yaml"
        XCTAssertThrowsError(try Waivers.load(path: path)) { error in
            XCTAssertEqual((error as! PolicyError).diagnostics.map(\.description), [
                "\(path):6: rule dac.*: expires '2026-02-30' is not a date YYYY-MM-DD",
                "\(path):12: rule mac.*: unknown key 'until' in a waiver (expected one of: rule, vm, host, reason, owner, expires)",
                "\(path):8: rule mac.*: waiver needs 'vm' (a VM name glob or uuid) or 'host: true'",
            ])
        }
    }

    func testWaiversExampleFileIsValid() throws {
        let root = URL(fileURLWithPath: fixture("x")).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let w = try Waivers.load(path: root.appendingPathComponent("policies/waivers.example.yaml").path)
        XCTAssertFalse(w.entries.isEmpty)
    }

    func testNoneWaivesNothing() {
        XCTAssertTrue(Waivers.none.entries.isEmpty)
        XCTAssertNil(Waivers.endOfDay("2026-13-01"))
        XCTAssertNil(Waivers.endOfDay("26-01-01"))
        XCTAssertNotNil(Waivers.endOfDay("2028-02-29"))
    }
}
