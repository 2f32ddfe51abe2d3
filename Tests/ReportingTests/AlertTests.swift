import Core
import Foundation
import History
import XCTest
@testable import Reporting

final class AlertEngineTests: XCTestCase {
    let policy = AlertPolicy()

    func testOnlyNewCriticalAndHighFindingsAlert() {
        let before = Sample.report("s1", [Sample.domain("a", score: 80, grade: "B", [Sample.finding("r.old", .fail, .critical)])])
        let after = Sample.report("s2", [Sample.domain("a", score: 70, grade: "B", [
            Sample.finding("r.old", .fail, .critical), Sample.finding("r.new", .fail, .high),
            Sample.finding("r.low", .fail, .low), Sample.finding("r.unknown", .unknown, .critical),
        ])])
        let alerts = AlertEngine.evaluate(previous: before, current: after, policy: policy)
        XCTAssertEqual(alerts.map(\.key), ["finding:uuid-a:r.new"])
        XCTAssertEqual(alerts.first?.details["remediation"], "fix r.new")
    }

    func testGradeDropAlertsOnceWhenCrossingTheThreshold() {
        let b = Sample.report("s1", [Sample.domain("a", score: 80, grade: "B", [])])
        let d = Sample.report("s2", [Sample.domain("a", score: 45, grade: "D", [])])
        XCTAssertEqual(AlertEngine.evaluate(previous: b, current: d, policy: policy).map(\.kind), [.gradeDrop])
        let f = Sample.report("s3", [Sample.domain("a", score: 20, grade: "F", [])])
        XCTAssertEqual(AlertEngine.evaluate(previous: d, current: f, policy: policy).filter { $0.kind == .gradeDrop }.count, 0,
                       "already below the threshold")
    }

    func testHostScoreDropAlerts() {
        let a = Sample.report("s1", host: 90, [])
        let b = Sample.report("s2", host: 75, [])
        XCTAssertEqual(AlertEngine.evaluate(previous: a, current: b, policy: policy).map(\.kind), [.hostScoreDrop])
        XCTAssertTrue(AlertEngine.evaluate(previous: a, current: Sample.report("s3", host: 85, []), policy: policy).isEmpty)
    }

    func testLibvirtUnreachableAlertsOnlyAfterTheLimit() {
        let since = Date(timeIntervalSince1970: 1_800_000_000)
        XCTAssertNil(AlertEngine.libvirtUnreachable(since: since, uri: "qemu:///system", policy: policy, now: since.addingTimeInterval(60)))
        let alert = AlertEngine.libvirtUnreachable(since: since, uri: "qemu:///system", policy: policy, now: since.addingTimeInterval(301))
        XCTAssertEqual(alert?.kind, .libvirtUnreachable)
    }
}

final class AlertDeliveryTests: XCTestCase {
    func startReceiver(failures: Int, secret: String) throws -> (port: Int, log: String, process: Process) {
        let dir = Sample.tempDir()
        let portFile = dir + "/port", log = dir + "/log"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Sample.repository + "/Tests/Tools/webhook-receiver.py", portFile, log, secret, String(failures)]
        try p.run()
        for _ in 0..<200 {
            if let s = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(s) { return (port, log, p) }
            usleep(25_000)
        }
        p.terminate()
        throw XCTSkip("webhook receiver did not start")
    }

    func logLines(_ path: String) -> [JSONValue] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONValue(parsing: Data($0.utf8)) }
    }

    func testWebhookThatFailsThenSucceedsIsRetriedUntilDelivered() async throws {
        let rx = try startReceiver(failures: 2, secret: "s3cret")
        defer { rx.process.terminate() }
        let store = try HistoryStore(directory: Sample.tempDir())
        let sink = WebhookSink(url: URL(string: "http://127.0.0.1:\(rx.port)/hook")!, secret: "s3cret", timeout: 5)
        let dispatcher = AlertDispatcher(store: store, sinks: [sink], baseDelay: 0.05, maxDelay: 0.2)
        let alerts = AlertEngine.evaluate(previous: nil, current: Sample.report("s1", [
            Sample.domain("a", score: 30, grade: "F", [Sample.finding("dac.non-root-user", .fail, .critical)])]), policy: AlertPolicy())
        XCTAssertEqual(try dispatcher.enqueue(alerts), 2, "a new finding and a grade below C")
        XCTAssertEqual(try dispatcher.enqueue(alerts), 0, "the same alerts are de-duplicated")

        var delivered = 0
        for _ in 0..<40 where delivered < 2 {
            delivered += await dispatcher.deliverDue().delivered
            try await Task.sleep(nanoseconds: 60_000_000)
        }
        XCTAssertEqual(delivered, 2)
        let lines = logLines(rx.log)
        XCTAssertEqual(lines.map { $0["status"]?.intValue ?? 0 }, [500, 500, 204, 204])
        XCTAssertTrue(lines.allSatisfy { $0["signatureOK"] == .bool(true) }, "\(lines)")
        XCTAssertEqual(Set(lines.compactMap { $0[path: "body.kind"]?.stringValue }), ["new-finding", "grade-drop"])
        let entries = try store.alerts()
        XCTAssertTrue(entries.allSatisfy { $0.state == .delivered }, "\(entries)")
        XCTAssertEqual(entries.map(\.attempts).reduce(0, +), 4)
    }

    func testUnreachableWebhookStaysPendingWithTheError() async throws {
        let store = try HistoryStore(directory: Sample.tempDir())
        // A port nothing listens on: connection refused.
        let sink = WebhookSink(url: URL(string: "http://127.0.0.1:9/hook")!, secret: nil, timeout: 2)
        let dispatcher = AlertDispatcher(store: store, sinks: [sink], baseDelay: 60)
        try dispatcher.enqueue([Alert(kind: .hostScoreDrop, key: "k", severity: .high, summary: "s", target: [:], details: [:], scanId: nil, at: "")])
        let outcome = await dispatcher.deliverDue()
        XCTAssertEqual(outcome.failed, 1)
        let entry = try XCTUnwrap(try store.alerts().first)
        XCTAssertEqual(entry.state, .pending)
        XCTAssertEqual(entry.attempts, 1)
        XCTAssertNotNil(entry.lastError)
    }

    func testCommandSinkGetsTheAlertOnStdinAndTimesOut() async throws {
        let dir = Sample.tempDir()
        let sink = CommandSink(argv: ["/bin/sh", "-c", "cat > \(dir)/alert.json"], timeout: 5)
        try await sink.deliver(Array(#"{"kind":"new-finding"}"#.utf8))
        XCTAssertEqual(try String(contentsOfFile: dir + "/alert.json", encoding: .utf8), #"{"kind":"new-finding"}"#)

        let slow = CommandSink(argv: ["/bin/sleep", "30"], timeout: 0.3)
        let start = Date()
        do {
            try await slow.deliver([])
            XCTFail("a command over its timeout must fail")
        } catch {
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        do {
            try await CommandSink(argv: ["/bin/false"]).deliver([])
            XCTFail("non-zero exit must fail")
        } catch {
            XCTAssertTrue("\(error)".contains("exited 1"), "\(error)")
        }
    }
}
