import Core
import Foundation
import XCTest

/// The service process under a full disk, hanging alert hooks and pathological input files:
/// scans are never lost silently, no hook process outlives its timeout or the service, and
/// deep nesting is an error, never a crash.
final class ServiceLiveDurabilityTests: ServiceLiveTestCase {
    static let weakHost = LiveLab.repository + "/Tests/Fixtures/hosts/weak"

    func mountTmpfs(_ path: String, size: String = "2m") throws {
        guard getuid() == 0 else { throw XCTSkip("mounting a tmpfs needs root") }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard (try ServiceLive.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path])).status == 0 else {
            throw XCTSkip("cannot mount a tmpfs here")
        }
        cleanups.append { _ = try? ServiceLive.run("/bin/umount", [path]) }
    }

    /// Fills the file system holding `dir` to the last byte; returns the filler's path.
    func fill(_ dir: String) -> String {
        let filler = dir + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        for size in [65_536, 4096, 1] {
            let block = [UInt8](repeating: 0xAA, count: size)
            while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        }
        close(fd)
        return filler
    }

    func requestScan(_ p: ServeProcess) throws -> String {
        let r = try RawHTTP.request(port: p.port, method: "POST", path: "/api/v1/scans",
                                    headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
        XCTAssertEqual(r.status, 202)
        return try XCTUnwrap(try JSONValue(parsing: r.body)["id"]?.stringValue)
    }

    func finished(_ p: ServeProcess, _ id: String) throws -> JSONValue {
        try ServiceLive.eventually("scan \(id) to finish", timeout: 60, interval: 0.05) { () -> JSONValue? in
            guard let r = try p.json("/api/v1/scans/\(id)"), r["state"]?.stringValue == "done" || r["state"]?.stringValue == "failed" else { return nil }
            return r
        }
    }

    func testScansOnAFullDiskAreFlaggedAlertedAndWrittenWhenSpaceReturns() throws {
        let dir = try tempDir()
        let data = dir + "/data"
        try mountTmpfs(data)
        let alerts = dir + "/alerts.log"
        let config = try writeConfig("""
            connect: "test:///default"
            events: false
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              new_finding_severities: []
              grade_below: null
              host_score_drop: null
              command: ["/bin/sh", "-c", "cat >> \(alerts); echo >> \(alerts)"]
              retry_base_seconds: 1
              retry_max_seconds: 2
            """, in: dir)
        let p = try serve(config: config, dataDir: data)
        try waitForResults(p)
        let first = try finished(p, try requestScan(p))
        XCTAssertEqual(first["persisted"]?.boolValue, true, "\(first)")

        let filler = fill(data)
        var ids: [String] = []
        for _ in 0..<5 {
            let record = try finished(p, try requestScan(p))
            XCTAssertEqual(record["state"]?.stringValue, "done", "results are still published")
            XCTAssertEqual(record["persisted"]?.boolValue, false, "\(record)")
            XCTAssertTrue(record["persistError"]?.stringValue?.contains("full") == true, "\(record)")
            ids.append(try XCTUnwrap(record["id"]?.stringValue))
        }
        let health = try p.get("/healthz")
        XCTAssertEqual(health.status, 200)
        let h = try JSONValue(parsing: health.body)
        XCTAssertEqual(h["status"]?.stringValue, "degraded")
        XCTAssertEqual(h[path: "history.pendingScans"]?.intValue, 5)
        XCTAssertTrue(h["reasons"]?.arrayValue?.first?.stringValue?.hasPrefix("history write failed, 5 scans waiting") == true, "\(h)")
        let metrics = try p.get("/metrics").text
        XCTAssertTrue(metrics.contains("\nvirtaudit_scan_failures_total 5\n"), metrics)
        XCTAssertTrue(metrics.contains("\nvirtaudit_history_pending_scans 5\n"), metrics)
        try ServiceLive.eventually("the history-write-failed alert from the command sink", timeout: 20, interval: 0.2) { () -> Bool? in
            ((try? String(contentsOfFile: alerts, encoding: .utf8)) ?? "").contains("\"kind\":\"history-write-failed\"") ? true : nil
        }

        try FileManager.default.removeItem(atPath: filler)
        try ServiceLive.eventually("held scans written once space returned", timeout: 30, interval: 0.2) { () -> Bool? in
            let points = try p.json("/api/v1/history?target=host&limit=100")?["points"]?.arrayValue ?? []
            let written = Set(points.compactMap { $0["scanId"]?.stringValue })
            return ids.allSatisfy(written.contains) ? true : nil
        }
        for id in ids {
            XCTAssertEqual(try p.json("/api/v1/scans/\(id)")?["persisted"]?.boolValue, true, "record of \(id) updated")
        }
        XCTAssertEqual(try p.json("/healthz")?["status"]?.stringValue, "ok")
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    /// Processes still running (zombies excluded) among `pids`.
    func running(_ pids: [pid_t]) -> [pid_t] {
        pids.filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            return !"ZX".contains(stat[stat.index(close, offsetBy: 2)])
        }
    }

    /// Zombie children of `pid` (hooks it never reaped).
    func zombieChildren(of pid: pid_t) -> [pid_t] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }.filter { child in
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return fields.count > 1 && fields[0] == "Z" && pid_t(fields[1]) == pid
        }
    }

    func testHangingHooksAreKilledAsAGroupReapedAndEndedAtShutdown() throws {
        let dir = try tempDir()
        let pids = dir + "/pids"
        let config = try writeConfig("""
            connect: "test://\(Self.weakHost)/node.xml"
            root: "\(Self.weakHost)/root"
            events: false
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              command: ["/bin/sh", "-c", "echo $$ >> \(pids); sleep 300 & echo $! >> \(pids); wait"]
              command_timeout_seconds: 1
            """, in: dir)
        let p = try serve(config: config, dataDir: dir + "/data")
        try waitForResults(p)
        func started() -> [pid_t] {
            ((try? String(contentsOfFile: pids, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
        }
        // Two hooks timed out (1 s + 2 s grace each) and a third is running.
        _ = try ServiceLive.eventually("three hooks started", timeout: 30, interval: 0.1) { started().count >= 6 ? true : nil }
        let servicePID = p.process.processIdentifier
        let firstTwo = Array(started().prefix(4))
        XCTAssertEqual(running(firstTwo), [], "timed-out hooks and their children are gone")
        XCTAssertEqual(zombieChildren(of: servicePID), [], "every hook was reaped")
        XCTAssertEqual(p.stop(), 0, p.logText)
        let all = started()
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(running(all), [], "no hook process outlives the service (\(all.count) started)")
    }

    func testAlertCommandsRunWithoutTheServicesAmbientCapabilities() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to start the service with an ambient capability")
        }
        let dir = try tempDir()
        let out = dir + "/hook-status"
        let config = try writeConfig("""
            connect: "test://\(Self.weakHost)/node.xml"
            root: "\(Self.weakHost)/root"
            events: false
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              command: ["/bin/sh", "-c", "grep CapAmb /proc/self/status >> \(out)"]
            """, in: dir)
        let p = ServeProcess(["serve", "--config", config, "--port", "0", "--data-dir", dir + "/data",
                              "--policies", ServiceLive.policies])
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        serve.arguments = ["--inh-caps", "+sys_ptrace", "--ambient-caps", "+sys_ptrace", ServiceLive.executable] + p.arguments
        serve.standardOutput = FileHandle.nullDevice
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { serve.terminate(); serve.waitUntilExit() } }
        let lines = try ServiceLive.eventually("the alert command's capability line", timeout: 60, interval: 0.1) { () -> [String]? in
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            return text.isEmpty ? nil : text.split(separator: "\n").map { $0.replacingOccurrences(of: "\t", with: " ") }
        }
        XCTAssertEqual(lines.first, "CapAmb: 0000000000000000", "the hook must not inherit CAP_SYS_PTRACE")
        // The test can fail: under setpriv, a program the service started without clearing its
        // ambient set would have CAP_SYS_PTRACE in it.
        let control = try ServiceLive.run("/usr/bin/setpriv", ["--inh-caps", "+sys_ptrace", "--ambient-caps", "+sys_ptrace",
                                                               "/bin/grep", "CapAmb", "/proc/self/status"])
        XCTAssertEqual(control.out.replacingOccurrences(of: "\t", with: " ").trimmingCharacters(in: .whitespacesAndNewlines),
                       "CapAmb: 0000000000080000")
        serve.terminate()
        serve.waitUntilExit()
    }

    func testDeepYAMLAndExpressionsAreErrorsNotCrashes() throws {
        let dir = try tempDir()
        let deepConfig = dir + "/deep.yaml"
        try ("port: 8471\nlimits:\n" + (0..<5_000).map { String(repeating: " ", count: $0 + 2) + "k\($0):" }.joined(separator: "\n") + " 1\n")
            .write(toFile: deepConfig, atomically: true, encoding: .utf8)
        let serve = try ServiceLive.run(ServiceLive.executable, ["serve", "--config", deepConfig, "--port", "0", "--data-dir", dir + "/data"])
        XCTAssertEqual(serve.status, 2, "the configuration error exit, not SIGSEGV: \(serve.err)")
        XCTAssertTrue(serve.err.contains("\(deepConfig): not valid YAML: line 66: YAML nested deeper than 64 levels (the limit)"), serve.err)

        let flow = dir + "/flow.yaml"
        try ("rules: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n")
            .write(toFile: flow, atomically: true, encoding: .utf8)
        let parens = dir + "/parens.yaml", nots = dir + "/nots.yaml"
        for (file, check) in [(parens, String(repeating: "(", count: 20_000) + "process.uid == 0" + String(repeating: ")", count: 20_000)),
                              (nots, String(repeating: "not ", count: 50_000) + "process.uid == 0")] {
            try """
                rules:
                  - id: dac.deep
                    layer: dac
                    severity: high
                    title: deep
                    check: "\(check)"
                    expected: x
                    rationale: x
                    remediation: x
                    references: [https://libvirt.org/]
                """.write(toFile: file, atomically: true, encoding: .utf8)
        }
        for (file, message) in [(flow, "\(flow):1: YAML nested deeper than 64 levels (the limit)"),
                                (parens, "\(parens):6: rule dac.deep: check, column 101: expression nested deeper than 100 levels (the limit)"),
                                (nots, "\(nots):6: rule dac.deep: check, column 397: expression nested deeper than 100 levels (the limit)")] {
            let lint = try ServiceLive.run(ServiceLive.executable, ["policy", "lint", file])
            XCTAssertEqual(lint.status, 1, "\(file): an error exit, not SIGSEGV: \(lint.err)")
            XCTAssertTrue((lint.out + lint.err).contains(message), lint.out + lint.err)
        }
    }
}
