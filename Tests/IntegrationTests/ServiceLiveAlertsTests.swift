import Core
import Foundation
import XCTest

/// Alert delivery from a running `virtaudit serve` to a real webhook receiver (Python, checking
/// the HMAC signature, refusing the first attempts of every alert) and to a command sink.
final class ServiceLiveAlertsTests: ServiceLiveTestCase {
    static let receiver = LiveLab.repository + "/Tests/Tools/alert-webhook-receiver.py"
    static let failuresPerAlert = 2

    struct Received {
        var status: Int
        var signatureOK: Bool
        var attempt: Int
        var key: String
        var body: JSONValue
    }

    func received(_ logFile: String) -> [Received] {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let v = try? JSONValue(parsing: Data(line.utf8)) else { return nil }
            return Received(status: v["status"]?.intValue ?? 0, signatureOK: v["signatureOK"]?.boolValue ?? false,
                            attempt: v["attempt"]?.intValue ?? 0, key: v["key"]?.stringValue ?? "", body: v["body"] ?? .null)
        }
    }

    /// Outbox entries (all states) from GET /api/v1/alerts.
    func outbox(_ p: ServeProcess) throws -> [JSONValue] {
        try XCTUnwrap(try p.json("/api/v1/alerts?limit=1000")?["alerts"]?.arrayValue)
    }

    func delivered(_ entries: [JSONValue], key: String, sink: String) -> JSONValue? {
        entries.first {
            $0[path: "payload.key"]?.stringValue == key && $0["sink"]?.stringValue == sink && $0["state"]?.stringValue == "delivered"
        }
    }

    /// Starts Tests/Tools/alert-webhook-receiver.py; returns its port.
    func startReceiver(portFile: String, logFile: String, secret: String, failures: Int, port: Int? = nil) throws -> Int {
        try? FileManager.default.removeItem(atPath: portFile)
        let receiver = Process()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        receiver.arguments = [Self.receiver, portFile, logFile, secret, String(failures), "170"] + (port.map { [String($0)] } ?? [])
        receiver.standardOutput = FileHandle.nullDevice
        try receiver.run()
        cleanups.append { if receiver.isRunning { receiver.terminate(); receiver.waitUntilExit() } }
        return try ServiceLive.eventually("the webhook receiver's port file", timeout: 15) { () -> Int? in
            (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
        }
    }

    func testUndeliveredAlertsSurviveARestartAndAreDeliveredOnceWithoutDuplicates() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        let dir = try tempDir()
        let secret = "restart-\(UUID().uuidString)"
        try secret.write(toFile: dir + "/webhook.secret", atomically: true, encoding: .utf8)
        // Nothing listens on the webhook port while the service first runs.
        let port = try ServiceLive.freePort()
        let config = try writeConfig("""
            events: true
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              new_finding_severities: [critical]
              grade_below: null
              webhook_url: http://127.0.0.1:\(port)/hook
              webhook_secret_file: \(dir)/webhook.secret
              webhook_timeout_seconds: 2
              retry_base_seconds: 1
              retry_max_seconds: 2
            """, in: dir)
        let data = dir + "/data"
        let first = try serve(config: config, dataDir: data)
        try waitForResults(first)
        let rootUUID = try XCTUnwrap(try first.json("/api/v1/domains/\(LiveLab.rootDAC)")?["uuid"]?.stringValue)
        let key = "finding:\(rootUUID):dac.non-root-user"
        let failed = try ServiceLive.eventually("\(key) pending after failed attempts", timeout: 30, interval: 0.5) { () -> JSONValue? in
            let entries = try first.json("/api/v1/alerts?state=pending&limit=1000")?["alerts"]?.arrayValue ?? []
            return entries.first { $0[path: "payload.key"]?.stringValue == key && ($0["attempts"]?.intValue ?? 0) >= 2 }
        }
        XCTAssertNotNil(failed["lastError"]?.stringValue, "\(failed)")
        let pendingBefore = try XCTUnwrap(try first.json("/api/v1/alerts?state=pending&limit=1000")?["alerts"]?.arrayValue)
            .compactMap { $0[path: "payload.key"]?.stringValue }
        XCTAssertEqual(Set(pendingBefore).count, pendingBefore.count, "one outbox entry per alert and sink")
        XCTAssertEqual(first.stop(), 0, first.logText)

        // The receiver comes up; the service restarts on the same data directory.
        let logFile = dir + "/receiver.log"
        _ = try startReceiver(portFile: dir + "/receiver.port", logFile: logFile, secret: secret, failures: 0, port: port)
        let second = try serve(config: config, dataDir: data)
        try waitForResults(second)
        try ServiceLive.eventually("every alert queued before the restart delivered", timeout: 60, interval: 0.5) { () -> Bool? in
            let delivered = try second.json("/api/v1/alerts?state=delivered&limit=1000")?["alerts"]?.arrayValue ?? []
            let keys = Set(delivered.compactMap { $0[path: "payload.key"]?.stringValue })
            return keys.isSuperset(of: pendingBefore) ? true : nil
        }
        // Give the dispatcher a few more rounds to show it sends nothing twice.
        Thread.sleep(forTimeInterval: 5)
        let got = try String(contentsOfFile: logFile, encoding: .utf8).split(separator: "\n")
            .compactMap { try? JSONValue(parsing: Data($0.utf8)) }
        let keys = got.compactMap { $0["key"]?.stringValue }
        XCTAssertTrue(got.allSatisfy { $0["signatureOK"]?.boolValue == true }, "bad signature")
        XCTAssertEqual(keys.count, Set(keys).count, "an alert was delivered twice: \(keys.sorted())")
        XCTAssertEqual(Set(keys), Set(pendingBefore),
                       "the restart's first scan found nothing new, so only the old alerts go out")
        let counts = try XCTUnwrap(try second.json("/api/v1/alerts")?["counts"])
        XCTAssertEqual(counts["pending"]?.intValue, 0, "\(counts)")
        XCTAssertEqual(counts["delivered"]?.intValue, pendingBefore.count, "\(counts)")
        XCTAssertEqual(second.stop(), 0, second.logText)
    }

    func testAlertsAreSignedRetriedUntilDeliveredAndReachTheCommandSink() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        let dir = try tempDir()
        let secret = "s3cret-\(UUID().uuidString)"
        try (secret + "\n").write(toFile: dir + "/webhook.secret", atomically: true, encoding: .utf8)
        let portFile = dir + "/receiver.port", logFile = dir + "/receiver.log", commandFile = dir + "/command.out"

        // The receiver: fails the first two POSTs of every alert, then accepts.
        let port = try startReceiver(portFile: portFile, logFile: logFile, secret: secret, failures: Self.failuresPerAlert)

        let config = try writeConfig("""
            events: true
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              new_finding_severities: [critical, high]
              webhook_url: http://127.0.0.1:\(port)/virtaudit
              webhook_secret_file: \(dir)/webhook.secret
              command: ["/bin/sh", "-c", "cat >> \(commandFile)"]
              retry_base_seconds: 1
              retry_max_seconds: 4
            """, in: dir)
        let p = try serve(config: config, dataDir: dir + "/data")
        try waitForResults(p)
        let sinks = try XCTUnwrap(try p.json("/api/v1/alerts")?["sinks"]?.arrayValue)
        XCTAssertEqual(Set(sinks.compactMap(\.stringValue)), ["webhook", "command"])

        // First scan of a fresh data directory: va-rootdac's failing critical findings are new.
        let rootUUID = try XCTUnwrap(try p.json("/api/v1/domains/\(LiveLab.rootDAC)")?["uuid"]?.stringValue)
        let rootCritical = try XCTUnwrap(try p.json("/api/v1/findings?domain=\(rootUUID)&status=fail&severity=critical")?["findings"]?.arrayValue)
            .compactMap { $0["rule"]?.stringValue }
        XCTAssertTrue(rootCritical.contains("dac.non-root-user"), "va-rootdac should fail dac.non-root-user: \(rootCritical)")
        let rootKeys = rootCritical.map { "finding:\(rootUUID):\($0)" }
        try ServiceLive.eventually("va-rootdac's critical findings delivered to the webhook after retries", timeout: 60, interval: 0.5) { () -> Bool? in
            let entries = try outbox(p)
            return rootKeys.allSatisfy { delivered(entries, key: $0, sink: "webhook") != nil } ? true : nil
        }

        // A weak guest started now: its new critical finding goes out too.
        let g = guest()
        try g.define()
        try g.start()
        let key = "finding:\(g.uuid):dac.non-root-user"
        let (webhookEntry, commandEntry) = try ServiceLive.eventually("\(key) delivered to both sinks", timeout: 60, interval: 0.5) { () -> (JSONValue, JSONValue)? in
            let entries = try outbox(p)
            guard let w = delivered(entries, key: key, sink: "webhook"), let c = delivered(entries, key: key, sink: "command") else { return nil }
            return (w, c)
        }
        XCTAssertEqual(webhookEntry["attempts"]?.intValue, Self.failuresPerAlert + 1, "\(webhookEntry)")
        XCTAssertEqual(commandEntry["attempts"]?.intValue, 1, "the command sink succeeds at once: \(commandEntry)")
        XCTAssertNotNil(webhookEntry["deliveredAt"]?.stringValue)
        XCTAssertEqual(webhookEntry[path: "payload.kind"]?.stringValue, "new-finding")
        XCTAssertEqual(webhookEntry[path: "payload.severity"]?.stringValue, "critical")
        XCTAssertEqual(webhookEntry[path: "payload.target.name"]?.stringValue, g.name)
        XCTAssertEqual(webhookEntry[path: "payload.details.layer"]?.stringValue, "dac")
        XCTAssertFalse(webhookEntry[path: "payload.details.remediation"]?.stringValue?.isEmpty ?? true)

        let entries = try outbox(p)
        for k in rootKeys {
            let e = try XCTUnwrap(delivered(entries, key: k, sink: "webhook"))
            XCTAssertGreaterThan(e["attempts"]?.intValue ?? 0, 1, "\(k) should have needed retries: \(e)")
        }

        // What the receiver saw: every request signed correctly; each alert refused twice, then accepted once.
        let log = received(logFile)
        XCTAssertFalse(log.isEmpty)
        XCTAssertTrue(log.allSatisfy(\.signatureOK), "bad signatures: \(log.filter { !$0.signatureOK }.map(\.key))")
        for k in rootKeys + [key] {
            let attempts = log.filter { $0.key == k }
            XCTAssertEqual(attempts.map(\.status), Array(repeating: 500, count: Self.failuresPerAlert) + [204], "\(k)")
            XCTAssertEqual(attempts.last?.body[path: "source"]?.stringValue, "virtaudit")
        }
        let accepted = log.filter { $0.status == 204 }
        XCTAssertEqual(accepted.count, Set(accepted.map(\.key)).count, "an alert was delivered twice")

        // The command sink got the alert JSON on standard input.
        let commandOut = try String(contentsOfFile: commandFile, encoding: .utf8)
        XCTAssertTrue(commandOut.contains("\"key\":\"\(key)\""), commandOut.prefix(2000).description)
        for k in rootKeys { XCTAssertTrue(commandOut.contains("\"key\":\"\(k)\""), k) }
        XCTAssertTrue(commandOut.contains("\"source\":\"virtaudit\""))

        let metrics = try p.get("/metrics").text
        let deliveredCount = metrics.split(separator: "\n").first { $0.hasPrefix("virtaudit_alerts{state=\"delivered\"}") }
        let n = try XCTUnwrap(deliveredCount.flatMap { Int($0.split(separator: " ").last ?? "") }, "metrics: \(metrics)")
        XCTAssertGreaterThanOrEqual(n, 2 * (rootKeys.count + 1), "delivered alerts in /metrics")
        XCTAssertFalse(p.logText.contains(secret), "the webhook secret must not be logged")
        XCTAssertEqual(p.stop(), 0, p.logText)
    }
}
