import Core
import Foundation
import XCTest

/// The Alertmanager sink against a real Alertmanager (Debian's `prometheus-alertmanager`,
/// started here on loopback with its own storage and no cluster): a root guest's finding fires
/// with the documented labels, stopping and removing the guest ends it, Alertmanager down for a
/// while loses nothing, and the finding ids survive a service restart.
final class ServiceLiveAlertmanagerTests: ServiceLiveTestCase {
    static let binary = "/usr/bin/prometheus-alertmanager"

    /// A running Alertmanager on `port`; `stop()` ends it.
    final class AlertmanagerProcess: @unchecked Sendable {
        let process = Process()
        let port: Int

        /// A long resolve_timeout: an alert leaves the active list only through our endsAt.
        static let defaultConfig = """
            global:
              resolve_timeout: 1h
            route:
              receiver: blackhole
              group_by: [host, rule]
            receivers:
              - name: blackhole
            """

        init(port: Int, dir: String, configText: String = AlertmanagerProcess.defaultConfig) throws {
            self.port = port
            let config = dir + "/alertmanager.yml"
            try configText.write(toFile: config, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
            process.executableURL = URL(fileURLWithPath: ServiceLiveAlertmanagerTests.binary)
            process.arguments = ["--config.file=" + config, "--storage.path=" + dir + "/data",
                                 "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address="]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try process.run()
            _ = try ServiceLive.eventually("Alertmanager to answer /-/ready", timeout: 30, interval: 0.1) { () -> Bool? in
                (try? RawHTTP.request(port: port, path: "/-/ready", timeout: 2))?.status == 200 ? true : nil
            }
        }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        /// The active alerts Alertmanager holds.
        func alerts() throws -> [JSONValue] {
            let r = try RawHTTP.request(port: port, path: "/api/v2/alerts", timeout: 5)
            guard r.status == 200 else { return [] }
            return try JSONValue(parsing: r.body).arrayValue ?? []
        }
    }

    /// A root guest of this test's own (`i21-am-<random>`), 64 MiB, no disk.
    final class RootGuest: @unchecked Sendable {
        let name = "i21-am-\(UUID().uuidString.prefix(8).lowercased())"
        private(set) var uuid = ""

        func defineAndStart() throws {
            let path = NSTemporaryDirectory() + name + ".xml"
            try """
            <domain type='qemu'>
              <name>\(name)</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
              <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>
            </domain>
            """.write(toFile: path, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: path) }
            try ServiceLive.virsh("define", path)
            uuid = try ServiceLive.virsh("domuuid", name).trimmingCharacters(in: .whitespacesAndNewlines)
            try ServiceLive.virsh("start", name)
        }

        func remove() {
            _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "destroy", name])
            _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "undefine", name])
        }
    }

    func startAlertmanager(port: Int, config: String = AlertmanagerProcess.defaultConfig) throws -> AlertmanagerProcess {
        let am = try AlertmanagerProcess(port: port, dir: try tempDir(), configText: config)
        cleanups.append { am.stop() }
        return am
    }

    func rootGuest() -> RootGuest {
        let g = RootGuest()
        cleanups.append { g.remove() }
        return g
    }

    func config(alertmanagerPort: Int) -> String {
        """
        scan_interval_seconds: 10
        alerts:
          retry_base_seconds: 1
          retry_max_seconds: 5
          alertmanager:
            urls: [http://127.0.0.1:\(alertmanagerPort)]
            resend_seconds: 5
            dashboard_url: http://127.0.0.1:8470/
        """
    }

    static func labels(_ a: JSONValue) -> [String: String] {
        (a["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// The DAC-layer alerts of one VM, as Alertmanager holds them.
    func dacAlerts(_ am: AlertmanagerProcess, vm: String) throws -> [JSONValue] {
        try am.alerts().filter { Self.labels($0)["vm"] == vm && Self.labels($0)["layer"] == "dac" }
    }

    /// Outbox entries (all states) from GET /api/v1/alerts.
    func outbox(_ p: ServeProcess) throws -> [JSONValue] {
        try p.json("/api/v1/alerts?limit=1000")?["alerts"]?.arrayValue ?? []
    }

    func mentions(_ entry: JSONValue, vm: String) -> Bool {
        (entry["payload"]?.arrayValue ?? []).contains { Self.labels($0)["vm"] == vm }
    }

    func testRootGuestFiresInAlertmanagerWithItsLabelsAndStoppingItEndsTheAlert() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        try ServiceLive.requireTool(Self.binary)
        let am = try startAlertmanager(port: try ServiceLive.freePort())
        let dir = try tempDir()
        try serve(config: try writeConfig(config(alertmanagerPort: am.port), in: dir), dataDir: dir + "/data")

        // The lab's root guest fires, with every documented label.
        let rootdac = try ServiceLive.eventually("a DAC alert for va-rootdac in Alertmanager", timeout: 90, interval: 0.5) {
            try dacAlerts(am, vm: LiveLab.rootDAC).first
        }
        let l = Self.labels(rootdac)
        XCTAssertEqual(l["alertname"], "VirtauditFinding")
        XCTAssertTrue(["critical", "high"].contains(l["severity"] ?? ""), "\(l)")
        XCTAssertEqual(l["host"], ProcessInfo.processInfo.hostName)
        let uuid = try ServiceLive.virsh("domuuid", LiveLab.rootDAC).trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(l["vm_uuid"], uuid)
        XCTAssertTrue(l["rule"]?.hasPrefix("dac.") ?? false, "\(l)")
        XCTAssertTrue(l["finding_id"]?.hasPrefix("va1-") ?? false, "\(l)")
        let ann = (rootdac["annotations"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        XCTAssertTrue(ann["summary"]?.contains(LiveLab.rootDAC) ?? false, "\(ann)")
        XCTAssertFalse(ann["remediation"]?.isEmpty ?? true)
        XCTAssertNotNil(ann["observed"])
        XCTAssertEqual(ann["dashboard"], "http://127.0.0.1:8470/#/vm/" + uuid)
        XCTAssertNotNil(rootdac["startsAt"]?.stringValue)
        // The confined lab guest runs as libvirt-qemu: no DAC alert.
        XCTAssertTrue(try dacAlerts(am, vm: LiveLab.confined).isEmpty)

        // A root guest of our own fires; stopping and removing it ends its alerts in Alertmanager.
        let g = rootGuest()
        try g.defineAndStart()
        _ = try ServiceLive.eventually("a DAC alert for \(g.name)", timeout: 90, interval: 0.5) {
            try dacAlerts(am, vm: g.name).first
        }
        g.remove()
        _ = try ServiceLive.eventually("\(g.name)'s alerts to end in Alertmanager", timeout: 90, interval: 0.5) { () -> Bool? in
            try am.alerts().contains { Self.labels($0)["vm"] == g.name } ? nil : true
        }
        // The lab guest still fires (re-sent, not resolved).
        XCTAssertFalse(try dacAlerts(am, vm: LiveLab.rootDAC).isEmpty)
    }

    func testAlertmanagerDownForAWhileLosesNothingAndIdsSurviveARestart() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        try ServiceLive.requireTool(Self.binary)
        let port = try ServiceLive.freePort()
        var am = try startAlertmanager(port: port)
        let dir = try tempDir()
        let configPath = try writeConfig(config(alertmanagerPort: port), in: dir)
        let first = try serve(config: configPath, dataDir: dir + "/data")
        let before = try ServiceLive.eventually("va-rootdac's alert", timeout: 90, interval: 0.5) {
            try dacAlerts(am, vm: LiveLab.rootDAC).first
        }

        // Alertmanager goes away (with its state); a new root guest appears meanwhile.
        am.stop()
        let g = rootGuest()
        try g.defineAndStart()
        _ = try ServiceLive.eventually("the service to scan \(g.name)", timeout: 60, interval: 0.5) { () -> Bool? in
            let domains = try first.json("/api/v1/domains")?["domains"]?.arrayValue ?? []
            return domains.contains { $0["name"]?.stringValue == g.name } ? true : nil
        }
        // The batch naming it waits in the outbox, retried, with the failure recorded.
        let waiting = try ServiceLive.eventually("a retried Alertmanager batch naming \(g.name)", timeout: 30, interval: 0.5) {
            try outbox(first).first { e in
                e["sink"]?.stringValue == "alertmanager-1" && e["state"]?.stringValue == "pending"
                    && (e["attempts"]?.intValue ?? 0) >= 1 && mentions(e, vm: g.name)
            }
        }
        XCTAssertNotNil(waiting["lastError"]?.stringValue)

        // The service restarts too: ids come from the host, the VM and the rule, never the run.
        first.stop()
        try serve(config: configPath, dataDir: dir + "/data")
        am = try startAlertmanager(port: port)
        let newGuest = try ServiceLive.eventually("\(g.name)'s alert after Alertmanager came back", timeout: 90, interval: 0.5) {
            try dacAlerts(am, vm: g.name).first
        }
        XCTAssertEqual(Self.labels(newGuest)["vm_uuid"], g.uuid)
        // Delivered from the outbox: the batch queued during the outage, or the one that took it over.
        let entries = try outbox(try XCTUnwrap(processes.last))
        XCTAssertTrue(entries.contains { $0["sink"]?.stringValue == "alertmanager-1" && $0["state"]?.stringValue == "delivered" && mentions($0, vm: g.name) })
        XCTAssertFalse(entries.contains { $0["sink"]?.stringValue == "alertmanager-1" && $0["state"]?.stringValue == "failed" })
        let after = try ServiceLive.eventually("va-rootdac's alert again", timeout: 30, interval: 0.5) {
            try dacAlerts(am, vm: LiveLab.rootDAC).first { Self.labels($0)["rule"] == Self.labels(before)["rule"] }
        }
        XCTAssertEqual(Self.labels(after)["finding_id"], Self.labels(before)["finding_id"])
        XCTAssertEqual(after["startsAt"]?.stringValue, before["startsAt"]?.stringValue,
                       "startsAt is the finding's first-seen time from history")
    }

    /// The documented routing (packaging/prometheus/alertmanager-virtaudit.yml) passes amtool, and
    /// its inhibit rule silences a host's findings while that host's libvirt is unreachable.
    func testTheDocumentedRouteInhibitsAHostsFindingsWhileItsLibvirtIsUnreachable() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        try ServiceLive.requireTool(Self.binary)
        try ServiceLive.requireTool("/usr/bin/amtool")
        let path = LiveLab.repository + "/packaging/prometheus/alertmanager-virtaudit.yml"
        let check = try ServiceLive.run("/usr/bin/amtool", ["check-config", path])
        XCTAssertEqual(check.status, 0, check.out + check.err)
        let am = try startAlertmanager(port: try ServiceLive.freePort(), config: try String(contentsOfFile: path, encoding: .utf8))
        let dir = try tempDir()
        try serve(config: try writeConfig(config(alertmanagerPort: am.port), in: dir), dataDir: dir + "/data")
        let finding = try ServiceLive.eventually("va-rootdac's alert", timeout: 90, interval: 0.5) {
            try dacAlerts(am, vm: LiveLab.rootDAC).first
        }
        XCTAssertEqual(finding[path: "status.state"]?.stringValue, "active")
        // The alert virtaudit raises when libvirt stays unreachable, for the same host.
        let host = try XCTUnwrap(Self.labels(finding)["host"])
        let outage = Data(#"[{"labels":{"alertname":"VirtauditLibvirtUnreachable","severity":"high","host":"\#(host)"}}]"#.utf8)
        let posted = try RawHTTP.request(port: am.port, method: "POST", path: "/api/v2/alerts",
                                         headers: [("Content-Type", "application/json")], body: outage)
        XCTAssertEqual(posted.status, 200, posted.text)
        _ = try ServiceLive.eventually("va-rootdac's finding to be inhibited", timeout: 30, interval: 0.5) { () -> Bool? in
            try dacAlerts(am, vm: LiveLab.rootDAC).allSatisfy { $0[path: "status.state"]?.stringValue == "suppressed"
                && !($0[path: "status.inhibitedBy"]?.arrayValue ?? []).isEmpty } ? true : nil
        }
    }
}
