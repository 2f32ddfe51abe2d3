import Core
import Foundation
import XCTest

/// libvirtd going away under a running service and coming back: the service reaches libvirt
/// through a relay socket (Tests/Tools/unix-socket-relay.py) that the test kills and restarts.
final class ServiceLiveLibvirtOutageTests: ServiceLiveTestCase {
    static let relayScript = LiveLab.repository + "/Tests/Tools/unix-socket-relay.py"

    func startRelay(_ path: String) throws -> Process {
        let relay = Process()
        relay.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        relay.arguments = [Self.relayScript, path, ServiceLive.libvirtSocket]
        relay.standardOutput = FileHandle.nullDevice
        try relay.run()
        cleanups.append { if relay.isRunning { relay.terminate(); relay.waitUntilExit() } }
        try ServiceLive.eventually("the relay socket \(path)", timeout: 10) {
            FileManager.default.fileExists(atPath: path) ? true : nil
        }
        return relay
    }

    func metric(_ text: String, _ name: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    func testLostLibvirtServesStaleResultsAlertsAndResyncsWhenBack() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        let dir = try tempDir()
        let socketPath = dir + "/libvirt-sock"
        var relay = try startRelay(socketPath)
        let alertsFile = dir + "/alerts.out"
        let config = try writeConfig("""
            connect: qemu+unix:///system?socket=\(socketPath)
            events: true
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              libvirt_unreachable_seconds: 2
              new_finding_severities: [critical]
              command: ["/bin/sh", "-c", "cat >> \(alertsFile); echo >> \(alertsFile)"]
              retry_base_seconds: 1
            """, in: dir)
        let p = try serve(config: config, dataDir: dir + "/data")
        try waitForResults(p)
        let before = try XCTUnwrap(try p.json("/api/v1/summary"))
        let health = try XCTUnwrap(try p.json("/healthz"))
        XCTAssertEqual(health[path: "libvirt.connected"]?.boolValue, true, "\(health)")
        XCTAssertEqual(health["stale"]?.boolValue, false)
        let scanID = try XCTUnwrap(health[path: "lastScan.id"]?.stringValue)

        // libvirtd vanishes.
        relay.terminate()
        relay.waitUntilExit()
        let down = try ServiceLive.eventually("/healthz to report libvirt disconnected and stale results", timeout: 30, interval: 0.2) { () -> JSONValue? in
            guard let h = try p.json("/healthz"), h[path: "libvirt.connected"]?.boolValue == false, h["stale"]?.boolValue == true else { return nil }
            return h
        }
        XCTAssertEqual(down[path: "lastScan.id"]?.stringValue, scanID, "the last good scan is still the one served")
        XCTAssertEqual(down["status"]?.stringValue, "degraded", "\(down)")
        XCTAssertEqual(Set(down["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []),
                       ["libvirt is disconnected", "results are stale (the last scan could not read libvirt)"], "\(down)")
        let stale = try p.get("/api/v1/summary")
        XCTAssertEqual(stale.status, 200, "stale results are still served: \(stale.text)")
        XCTAssertEqual(before["stale"]?.boolValue, false)
        XCTAssertEqual(try stale.json()["stale"]?.boolValue, true, "the summary says the results are stale")
        let staleDomains = try XCTUnwrap(try p.json("/api/v1/domains"))
        XCTAssertTrue(staleDomains["domains"]?.arrayValue?.contains { $0["name"]?.stringValue == LiveLab.rootDAC } ?? false)
        let metrics = try p.get("/metrics").text
        XCTAssertEqual(metric(metrics, "virtaudit_libvirt_connected"), 0, metrics)
        XCTAssertEqual(metric(metrics, "virtaudit_results_stale"), 1, metrics)
        XCTAssertEqual(metric(metrics, "virtaudit_up"), 1, "results exist, stale or not")

        // After libvirt_unreachable_seconds the "libvirt unreachable" alert goes out.
        try ServiceLive.eventually("a delivered libvirt-unreachable alert", timeout: 30, interval: 0.5) { () -> Bool? in
            let entries = try p.json("/api/v1/alerts?state=delivered")?["alerts"]?.arrayValue ?? []
            return entries.contains { $0[path: "payload.kind"]?.stringValue == "libvirt-unreachable" } ? true : nil
        }
        let out = try String(contentsOfFile: alertsFile, encoding: .utf8)
        XCTAssertTrue(out.contains("\"kind\":\"libvirt-unreachable\""), out)
        XCTAssertTrue(p.process.isRunning, p.logText)

        // libvirtd is back: the service reconnects by itself, rescans fully, results are fresh.
        relay = try startRelay(socketPath)
        let up = try ServiceLive.eventually("/healthz connected, not stale, with a new scan", timeout: 90, interval: 0.5) { () -> JSONValue? in
            guard let h = try p.json("/healthz"), h[path: "libvirt.connected"]?.boolValue == true, h["stale"]?.boolValue == false,
                  let id = h[path: "lastScan.id"]?.stringValue, id != scanID else { return nil }
            return h
        }
        XCTAssertNotNil(up[path: "lastScan.at"]?.stringValue)
        XCTAssertEqual(up["status"]?.stringValue, "ok", "\(up)")
        XCTAssertEqual(try p.json("/api/v1/summary")?["stale"]?.boolValue, false)
        let fresh = try p.get("/metrics").text
        XCTAssertEqual(metric(fresh, "virtaudit_libvirt_connected"), 1)
        XCTAssertEqual(metric(fresh, "virtaudit_results_stale"), 0)
        XCTAssertGreaterThanOrEqual(metric(fresh, "virtaudit_scan_failures_total") ?? 0, 1, fresh)

        // Events flow again on the new connection: a guest defined now shows up without a request.
        let g = guest()
        try g.define()
        try ServiceLive.eventually("\(g.name) listed after reconnecting (event-driven)", timeout: 15) {
            try p.get("/api/v1/domains/\(g.uuid)").status == 200 ? true : nil
        }
        XCTAssertEqual(p.stop(), 0, p.logText)
    }
}
