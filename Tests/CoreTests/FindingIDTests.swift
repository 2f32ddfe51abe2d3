@testable import Core
import Foundation
import XCTest

final class FindingIDTests: XCTestCase {
    func testTheSamePartsGiveTheSameIdAndAnyChangedPartAnotherOne() {
        let base = FindingID.make(host: "h", target: "u", rule: "r")
        XCTAssertEqual(base, FindingID.make(host: "h", target: "u", rule: "r"))
        XCTAssertTrue(base.hasPrefix("va1-"))
        XCTAssertEqual(base.count, 36)
        let others = [
            FindingID.make(host: "h2", target: "u", rule: "r"), FindingID.make(host: "h", target: "u2", rule: "r"),
            FindingID.make(host: "h", target: "u", rule: "r2"), FindingID.make(host: "h", target: "u", rule: "r", subject: "0000:01:00.0"),
            // The separator keeps parts apart: ("ab", "c") is not ("a", "bc").
            FindingID.make(host: "hu", target: "", rule: "r"),
        ]
        XCTAssertEqual(Set(others + [base]).count, others.count + 1)
    }

    func testAKnownIdNeverChanges() {
        // Pinned (computed independently with the FNV-1a definition): pipelines store these ids,
        // so a change of the derivation is a breaking change.
        XCTAssertEqual(FindingID.make(host: "0123456789abcdef0123456789abcdef", target: "host", rule: "host.selinux-enforcing"),
                       "va1-063e838fa013007f5322dd0afaf8b0e0")
    }

    func testTheIdIsTheFNVOfThePartsJoinedByNUL() {
        // The definition, spelled out: both hashes over the UTF-8 of the parts joined by NUL.
        func reference(_ parts: [String]) -> String {
            let bytes = Array(parts.joined(separator: "\u{0}").utf8)
            return "va1-" + FindingID.hex(FindingID.fnv1a(bytes, basis: 0xcbf2_9ce4_8422_2325))
                + FindingID.hex(FindingID.fnv1a(bytes, basis: 0x84222325_cbf29ce4))
        }
        let cases: [[String]] = [
            ["", "", "", ""], ["h", "u", "r", ""], ["hôte-é", "uuid-ü", "mac.label", "0000:01:00.0"],
            ["0123456789abcdef0123456789abcdef", "host", "host.selinux-enforcing", ""],
            [String(repeating: "x", count: 300), "🙂", "r", "s"],
        ]
        for c in cases {
            XCTAssertEqual(FindingID.make(host: c[0], target: c[1], rule: c[2], subject: c[3].isEmpty ? nil : c[3]), reference(c))
        }
    }

    func testMachineIdParsing() {
        let table: [(String, String?)] = [
            ("0123456789abcdef0123456789abcdef\n", "0123456789abcdef0123456789abcdef"),
            ("0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdef"),
            ("", nil), ("uninitialized\n", nil), ("0123456789abcdef\n", nil), ("0123456789abcdef0123456789abcdeg\n", nil),
        ]
        for (text, want) in table { XCTAssertEqual(FindingID.parseMachineID(text), want, text) }
    }

    func testHostIdIsTheMachineIdUnderTheRootElseTheHostname() throws {
        let dir = NSTemporaryDirectory() + "virtaudit-mid-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(FindingID.hostID(root: HostRoot(dir), hostname: "hv1"), "hostname:hv1")
        try "fedcba9876543210fedcba9876543210\n".write(toFile: dir + "/etc/machine-id", atomically: true, encoding: .utf8)
        XCTAssertEqual(FindingID.hostID(root: HostRoot(dir), hostname: "hv1"), "fedcba9876543210fedcba9876543210")
    }

    func testAssignGivesEveryFindingAnIdAndExpiredWaiversTheirSubject() {
        let f = Finding(rule: "dac.x", layer: .dac, severity: .high, status: .fail, observed: [:])
        func expired(_ pattern: String) -> Finding {
            Finding(rule: "waiver.expired", layer: .dac, severity: .low, status: .fail,
                    observed: ["waiver": ["rule": .string(pattern)]])
        }
        var r = ScanReport(scanId: "s", startedAt: "", finishedAt: "", durationMs: 0, connection: "", root: "/",
                           host: HostReport(hostname: "hv", facts: [:], findings: [f], score: Score(score: 1, grade: "F", layers: [:])),
                           domains: [DomainReport(name: "a", uuid: "u-a", state: "running", id: 1, profile: "p", facts: [:],
                                                  findings: [f, expired("dac.*"), expired("mac.*")], score: Score(score: 1, grade: "F", layers: [:]))])
        FindingID.assign(&r, hostId: "m")
        XCTAssertEqual(r.hostId, "m")
        XCTAssertEqual(r.host.findings[0].id, FindingID.make(host: "m", target: "host", rule: "dac.x"))
        XCTAssertEqual(r.domains[0].findings[0].id, FindingID.make(host: "m", target: "u-a", rule: "dac.x"))
        XCTAssertEqual(r.domains[0].findings[1].id, FindingID.make(host: "m", target: "u-a", rule: "waiver.expired", subject: "dac.*"))
        XCTAssertNotEqual(r.domains[0].findings[1].id, r.domains[0].findings[2].id)
    }
}
