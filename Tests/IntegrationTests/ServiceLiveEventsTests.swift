import Core
import Foundation
import XCTest

/// `virtaudit serve` against the live libvirtd with periodic scans off: only libvirt events (and
/// requests) trigger scans, so everything seen here was driven by events end to end.
final class ServiceLiveEventsTests: ServiceLiveTestCase {
    /// Config with events on and no periodic scans.
    func eventsOnlyConfig(_ dir: String) throws -> String {
        try writeConfig("""
            events: true
            scan_interval_seconds: 0
            log_level: info
            reports:
              interval_seconds: 0
            """, in: dir)
    }

    /// The finding, with its rule's texts (`rules` of the list) under `texts`.
    func failingDACFinding(_ p: ServeProcess, _ name: String) throws -> JSONValue? {
        guard let doc = try p.json("/api/v1/findings?domain=\(name)&status=fail&rule=dac.non-root-user") else { return nil }
        guard var f = doc["findings"]?.arrayValue?.first(where: { $0["rule"]?.stringValue == "dac.non-root-user" }) else { return nil }
        f.set("texts", to: doc["rules"]?["dac.non-root-user"] ?? .null)
        return f
    }

    func domainState(_ p: ServeProcess, _ id: String) throws -> String? {
        try p.json("/api/v1/domains/\(id)")?["state"]?.stringValue
    }

    /// Starts a weak guest and returns how long after `virsh start` returned its failing DAC
    /// finding was served.
    func startAndMeasure(_ p: ServeProcess, _ g: TempGuest) throws -> TimeInterval {
        try g.start()
        let t0 = Date()
        try ServiceLive.eventually("failing dac.non-root-user for \(g.name) in /api/v1/findings", timeout: 30) {
            try failingDACFinding(p, g.name)
        }
        return Date().timeIntervalSince(t0)
    }

    func testWeakGuestFindingIsServedWithinTwoSecondsOfStartThenShutoffThenGone() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        let p = try serve(config: try eventsOnlyConfig(dir), dataDir: dir + "/data")
        try waitForResults(p)

        let g = guest()
        try g.define()
        // The definition event alone makes the new (shut off) domain appear.
        try ServiceLive.eventually("\(g.name) listed as shutoff after virsh define", timeout: 10) {
            try domainState(p, g.uuid) == "shutoff" ? true : nil
        }
        let latency = try startAndMeasure(p, g)
        print("detection latency: failing dac.non-root-user for \(g.name) served \(Int(latency * 1000)) ms after virsh start returned")
        XCTAssertLessThanOrEqual(latency, 2.0, "finding served \(latency) s after virsh start")

        let finding = try XCTUnwrap(try failingDACFinding(p, g.name))
        XCTAssertEqual(finding["layer"]?.stringValue, "dac")
        XCTAssertEqual(finding[path: "target.name"]?.stringValue, g.name)
        XCTAssertEqual(finding[path: "target.uuid"]?.stringValue, g.uuid)
        XCTAssertEqual(finding["observed"]?["process.uid"]?.intValue, 0, "\(finding)")
        XCTAssertTrue(finding[path: "texts.remediation"]?.stringValue?.contains("seclabel") ?? false, "the remediation names the XML element")
        let detail = try XCTUnwrap(try p.json("/api/v1/domains/\(g.uuid)"))
        XCTAssertEqual(detail["state"]?.stringValue, "running")
        XCTAssertEqual(detail[path: "facts.process.uid"]?.intValue, 0, "qemu of \(g.name) should run as root")

        try g.destroy()
        try ServiceLive.eventually("\(g.name) shutoff in /api/v1/domains/{uuid} after virsh destroy", timeout: 10) {
            try domainState(p, g.uuid) == "shutoff" ? true : nil
        }
        XCTAssertNil(try failingDACFinding(p, g.name), "a shut-off guest has no failing process finding")

        try g.undefine()
        try ServiceLive.eventually("404 for \(g.name) after virsh undefine", timeout: 10) {
            try p.get("/api/v1/domains/\(g.uuid)").status == 404 ? true : nil
        }
        XCTAssertEqual(try p.get("/api/v1/domains/\(g.name)").status, 404)
        // The lab guests were never touched.
        XCTAssertEqual(try domainState(p, LiveLab.rootDAC), "running")

        let log = p.logText
        XCTAssertTrue(log.contains("scan.kind=domains"), "event-driven one-domain scans expected in the log:\n\(log)")
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    func testBurstOfEventsFromSeveralGuestsLeavesNoneBehind() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        let p = try serve(config: try eventsOnlyConfig(dir), dataDir: dir + "/data")
        try waitForResults(p)
        let gs = (0..<3).map { _ in guest() }
        for g in gs { try g.define() }
        // Start them at once: their events arrive while scans for the others are running.
        let errors = DataBox()
        DispatchQueue.concurrentPerform(iterations: gs.count) { i in
            do { try gs[i].start() } catch { errors.append(Data("\(error)\n".utf8)) }
        }
        XCTAssertTrue(errors.data.isEmpty, String(decoding: errors.data, as: UTF8.self))
        for g in gs {
            try ServiceLive.eventually("failing dac.non-root-user for \(g.name) after a burst of starts", timeout: 10) {
                try failingDACFinding(p, g.name)
            }
        }
        DispatchQueue.concurrentPerform(iterations: gs.count) { i in
            do { try gs[i].destroy() } catch { errors.append(Data("\(error)\n".utf8)) }
        }
        XCTAssertTrue(errors.data.isEmpty, String(decoding: errors.data, as: UTF8.self))
        for g in gs {
            try ServiceLive.eventually("\(g.name) shutoff after a burst of destroys", timeout: 10) {
                try domainState(p, g.uuid) == "shutoff" ? true : nil
            }
        }
        DispatchQueue.concurrentPerform(iterations: gs.count) { i in
            do { try gs[i].undefine() } catch { errors.append(Data("\(error)\n".utf8)) }
        }
        for g in gs {
            try ServiceLive.eventually("\(g.name) gone after a burst of undefines", timeout: 10) {
                try p.get("/api/v1/domains/\(g.uuid)").status == 404 ? true : nil
            }
        }
        let metrics = try p.get("/metrics").text
        let events = metrics.split(separator: "\n").first { $0.hasPrefix("virtaudit_libvirt_events_total ") }
        XCTAssertGreaterThanOrEqual(Int(events?.split(separator: " ").last ?? "") ?? 0, 4 * gs.count, metrics)
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    func testHistoryAndDiffFollowTheScansAndSurviveARestart() throws {
        try ServiceLive.requireLibvirt()
        let dir = try tempDir()
        let config = try eventsOnlyConfig(dir)
        let data = dir + "/data"
        let p = try serve(config: config, dataDir: data)
        try waitForResults(p)

        let g = guest()
        try g.define()
        _ = try startAndMeasure(p, g)
        try g.destroy()
        try ServiceLive.eventually("\(g.name) shutoff", timeout: 10) { try domainState(p, g.uuid) == "shutoff" ? true : nil }

        let history = try ServiceLive.eventually("at least 3 history points for \(g.uuid)", timeout: 10) { () -> [JSONValue]? in
            guard let points = try p.json("/api/v1/history?target=\(g.uuid)")?["points"]?.arrayValue, points.count >= 3 else { return nil }
            return points
        }
        for point in history {
            for key in ["scanId", "at", "score", "grade", "state", "name", "failing"] {
                XCTAssertNotNil(point[key], "history point lacks \(key): \(point)")
            }
            XCTAssertEqual(point["name"]?.stringValue, g.name)
        }
        let states = Set(history.compactMap { $0["state"]?.stringValue })
        XCTAssertTrue(states.isSuperset(of: ["running", "shutoff"]), "states seen: \(states)")
        let running = try XCTUnwrap(history.first { $0["state"]?.stringValue == "running" })
        let off = try XCTUnwrap(history.first { $0["state"]?.stringValue == "shutoff" })
        XCTAssertGreaterThan(running["failing"]?.intValue ?? 0, off["failing"]?.intValue ?? 0,
                             "the running root guest fails more rules than the shut-off one")

        // The default diff compares the two newest scans (well-formed whatever they are: event
        // bursts can add a rescan after the destroy).
        let latest = try XCTUnwrap(try p.json("/api/v1/diff"))
        for key in ["from", "to", "fromAt", "toAt", "new", "resolved", "changed", "scoreChanges", "addedTargets", "removedTargets"] {
            XCTAssertNotNil(latest[key], "diff lacks \(key): \(latest)")
        }
        XCTAssertNotEqual(latest["from"], latest["to"])
        // The guest's last running scan -> its first shut-off scan resolves the DAC finding.
        let lastRunning = try XCTUnwrap(history.lastIndex { $0["state"]?.stringValue == "running" })
        let firstOff = try XCTUnwrap(history[lastRunning...].firstIndex { $0["state"]?.stringValue == "shutoff" })
        let from = try XCTUnwrap(history[lastRunning]["scanId"]?.stringValue)
        let to = try XCTUnwrap(history[firstOff]["scanId"]?.stringValue)
        let diff = try XCTUnwrap(try p.json("/api/v1/diff?from=\(from)&to=\(to)"))
        let resolved = try XCTUnwrap(diff["resolved"]?.arrayValue)
        XCTAssertTrue(resolved.contains { $0["target"]?.stringValue == g.uuid && $0[path: "finding.rule"]?.stringValue == "dac.non-root-user" },
                      "the destroy should resolve \(g.name)'s dac.non-root-user: \(diff)")
        let explicit = try XCTUnwrap(try p.json("/api/v1/diff?from=\(diff["from"]!.stringValue!)&to=\(diff["to"]!.stringValue!)"))
        XCTAssertEqual(explicit, diff)
        XCTAssertEqual(try p.get("/api/v1/diff?from=nonexistent-scan&to=\(diff["to"]!.stringValue!)").status, 404)
        XCTAssertEqual(try p.get("/api/v1/history?target=bad%20target").status, 400)
        let hostHistory = try XCTUnwrap(try p.json("/api/v1/history?target=host")?["points"]?.arrayValue)
        XCTAssertGreaterThanOrEqual(hostHistory.count, 3)

        XCTAssertEqual(p.stop(), 0, p.logText)
        try g.undefine()

        // Same data directory: the history is still there, unchanged.
        let again = try serve(config: config, dataDir: data)
        let kept = try XCTUnwrap(try again.json("/api/v1/history?target=\(g.uuid)")?["points"]?.arrayValue,
                                 "history lost after restart")
        // Nothing committed is lost; an event-driven rescan may have landed after the snapshot.
        XCTAssertGreaterThanOrEqual(kept.count, history.count)
        XCTAssertEqual(kept.prefix(history.count).map { $0["scanId"] }, history.map { $0["scanId"] })
        XCTAssertEqual(try again.json("/api/v1/diff?from=\(diff["from"]!.stringValue!)&to=\(diff["to"]!.stringValue!)"), diff)
        try waitForResults(again)
        // The restart's start-up scan joins the history; the undefined guest is no longer listed.
        let after = try XCTUnwrap(try again.json("/api/v1/history?target=host")?["points"]?.arrayValue)
        XCTAssertGreaterThan(after.count, hostHistory.count)
        XCTAssertEqual(try again.get("/api/v1/domains/\(g.uuid)").status, 404)
        XCTAssertEqual(again.stop(), 0, again.logText)
    }
}
