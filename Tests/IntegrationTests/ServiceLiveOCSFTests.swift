import Core
import Foundation
import XCTest

/// OCSF output against the live lab: the service's findings file (every scan appended, valid
/// OCSF), `scan --format ocsf`, and finding ids that stay the same across rescans and restarts.
final class ServiceLiveOCSFTests: ServiceLiveTestCase {
    struct Event {
        var uid: String
        var vm: String
        var rule: String
        var scan: String
        var firstSeen: Int?
    }

    func events(_ text: String) throws -> [Event] {
        try text.split(separator: "\n").map { line in
            let v = try JSONValue(parsing: Data(line.utf8))
            return Event(uid: v[path: "finding_info.uid"]?.stringValue ?? "", vm: v["resources"]?.arrayValue?.first?["name"]?.stringValue ?? "",
                         rule: v[path: "compliance.control"]?.stringValue ?? "", scan: v[path: "unmapped.scan_id"]?.stringValue ?? "",
                         firstSeen: v[path: "finding_info.first_seen_time"]?.intValue)
        }
    }

    func fileEvents(_ dir: String) throws -> [Event] {
        try events((try? String(contentsOfFile: dir + "/findings.ocsf.jsonl", encoding: .utf8)) ?? "")
    }

    func validate(_ path: String) throws {
        let (status, out) = try OCSFValidator.run(path)
        XCTAssertEqual(status, 0, out)
    }

    func testTheServiceAppendsValidEventsPerScanWithIdsStableAcrossRescansAndRestarts() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        let dir = try tempDir()
        let config = try writeConfig("""
            scan_interval_seconds: 0
            events: false
            ocsf:
              directory: \(dir)/ocsf
            """, in: dir)
        let p = try serve(config: config, dataDir: dir + "/data")
        let first = try ServiceLive.eventually("the start-up scan's OCSF events", timeout: 90, interval: 0.2) { () -> [Event]? in
            let e = try fileEvents(dir + "/ocsf")
            return e.contains { $0.vm == LiveLab.rootDAC && $0.rule.hasPrefix("dac.") } ? e : nil
        }
        let rescan = try p.post("/api/v1/scans")
        XCTAssertEqual(rescan.status, 202, rescan.text)
        let second = try ServiceLive.eventually("a second scan's events", timeout: 90, interval: 0.2) { () -> [Event]? in
            let e = try fileEvents(dir + "/ocsf")
            return Set(e.map(\.scan)).count >= 2 ? e : nil
        }
        p.stop()
        try serve(config: config, dataDir: dir + "/data")
        let third = try ServiceLive.eventually("the restarted service's events", timeout: 90, interval: 0.2) { () -> [Event]? in
            let e = try fileEvents(dir + "/ocsf")
            return Set(e.map(\.scan)).count >= 3 ? e : nil
        }
        XCTAssertGreaterThan(second.count, first.count)
        // Per scan, the lab guests' (vm, rule) -> id pairs are the same.
        let scans = Dictionary(grouping: third.filter { $0.vm.hasPrefix("va-") }, by: \.scan).values.map { list in
            Dictionary(list.map { ("\($0.vm)/\($0.rule)", $0.uid) }, uniquingKeysWith: { a, _ in a })
        }
        XCTAssertEqual(scans.count, 3)
        for s in scans.dropFirst() { XCTAssertEqual(s, scans[0]) }
        XCTAssertNotNil(scans[0]["\(LiveLab.rootDAC)/dac.non-root-user"])
        // First seen is the first scan's time in every later scan (from history, across the restart).
        let rootUID = try XCTUnwrap(scans[0]["\(LiveLab.rootDAC)/dac.non-root-user"])
        let seen = Set(third.filter { $0.uid == rootUID }.compactMap(\.firstSeen))
        XCTAssertEqual(seen.count, 1, "first_seen_time is one value across scans: \(seen)")
        try validate(dir + "/ocsf/findings.ocsf.jsonl")
    }

    func testScanFormatOCSFGivesTheSameIdsOnEveryRun() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        var runs: [[String: String]] = []
        for _ in 0..<2 {
            let r = try CLI.run(["scan", "--format", "ocsf", "--policies", ServiceLive.policies])
            XCTAssertEqual(r.status, 0, r.stderr)
            let text = String(decoding: r.stdout, as: UTF8.self)
            let e = try events(text).filter { $0.vm.hasPrefix("va-") }
            runs.append(Dictionary(e.map { ("\($0.vm)/\($0.rule)", $0.uid) }, uniquingKeysWith: { a, _ in a }))
            let file = NSTemporaryDirectory() + "i21-scan-\(UUID().uuidString).jsonl"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            try validate(file)
        }
        XCTAssertFalse(runs[0].isEmpty)
        XCTAssertEqual(runs[0], runs[1])
    }
}

/// scripts/validate-ocsf (py-ocsf-models). Missing: a failure in CI, a skip elsewhere.
enum OCSFValidator {
    static func run(_ path: String) throws -> (Int32, String) {
        let r = try ServiceLive.run("/usr/bin/env", ["python3", LiveLab.repository + "/scripts/validate-ocsf", path])
        guard r.status == 3 else { return (r.status, r.out + r.err) }
        let env = ProcessInfo.processInfo.environment
        if env["CI"] == "true" || LiveLab.required { XCTFail("OCSF validator missing: \(r.err)") }
        throw XCTSkip("OCSF validator missing: \(r.err)")
    }
}
