import Core
import Foundation
import XCTest

/// `GET /metrics` of a running service, checked by the real Prometheus tools: `promtool check
/// metrics` lints it, and a Prometheus server scrapes it (and evaluates the shipped alerting rules).
final class ServiceLiveMetricsTests: ServiceLiveTestCase {
    static let promtool = "/usr/bin/promtool"
    static let prometheus = "/usr/bin/prometheus"
    static let rules = LiveLab.repository + "/packaging/prometheus/virtaudit-rules.yml"

    func testMetricsPassPromtoolLint() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        try ServiceLive.requireTool(Self.promtool)
        let dir = try tempDir()
        let p = try serve(config: nil, dataDir: dir + "/data", extra: ["--log-level", "notice"])
        try waitForResults(p)
        let r = try p.get("/metrics")
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(r.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") ?? false, "\(r.headers)")
        let lint = try ServiceLive.run(Self.promtool, ["check", "metrics"], stdin: r.body)
        XCTAssertEqual(lint.status, 0, "promtool check metrics:\n\(lint.out)\(lint.err)\n--- metrics ---\n\(r.text)")
        XCTAssertEqual(lint.out + lint.err, "", "promtool lint remarks")
        for family in ["virtaudit_up 1", "virtaudit_libvirt_connected 1", "virtaudit_results_stale 0"] {
            XCTAssertTrue(r.text.contains("\n" + family + "\n"), "\(family) missing:\n\(r.text)")
        }
        XCTAssertTrue(r.text.contains("virtaudit_domain_score{domain=\"\(LiveLab.rootDAC)\""), r.text)
        XCTAssertEqual(p.stop(), 0, p.logText)
    }

    func testPrometheusScrapesBothLabGuestsAndEvaluatesTheShippedRules() throws {
        try ServiceLive.requireLibvirt()
        try LiveLab.requireLab()
        try ServiceLive.requireTool(Self.prometheus)
        let dir = try tempDir()
        let p = try serve(config: nil, dataDir: dir + "/data", extra: ["--log-level", "notice"])
        try waitForResults(p)

        let promPort = try ServiceLive.freePort()
        try FileManager.default.copyItem(atPath: Self.rules, toPath: dir + "/virtaudit-rules.yml")
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files: [virtaudit-rules.yml]
            scrape_configs:
              - job_name: virtaudit
                scrape_interval: 1s
                scrape_timeout: 1s
                static_configs:
                  - targets: ['127.0.0.1:\(p.port)']
            """.write(toFile: dir + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prom = Process()
        prom.executableURL = URL(fileURLWithPath: Self.prometheus)
        prom.arguments = ["--config.file=\(dir)/prometheus.yml", "--storage.tsdb.path=\(dir)/tsdb",
                          "--web.listen-address=127.0.0.1:\(promPort)", "--log.level=warn"]
        let promLog = dir + "/prometheus.log"
        FileManager.default.createFile(atPath: promLog, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: promLog))
        prom.standardOutput = logHandle
        prom.standardError = logHandle
        try prom.run()
        cleanups.append {
            if prom.isRunning { prom.terminate(); prom.waitUntilExit() }
            try? logHandle.close()
        }

        func query(_ q: String) throws -> [JSONValue]? {
            let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
            let r = try RawHTTP.request(port: promPort, path: "/api/v1/query?query=\(encoded)")
            guard r.status == 200, let doc = try? JSONValue(parsing: r.body), doc["status"]?.stringValue == "success" else { return nil }
            return doc[path: "data.result"]?.arrayValue
        }
        let series = try ServiceLive.eventually("Prometheus to return virtaudit_domain_score for both lab guests", timeout: 90, interval: 0.5) { () -> [JSONValue]? in
            guard let result = try query("virtaudit_domain_score") else { return nil }
            let names = Set(result.compactMap { $0[path: "metric.domain"]?.stringValue })
            return names.isSuperset(of: [LiveLab.confined, LiveLab.rootDAC]) ? result : nil
        }
        for s in series {
            XCTAssertEqual(s[path: "metric.job"]?.stringValue, "virtaudit")
            XCTAssertNotNil(s[path: "metric.uuid"]?.stringValue)
            let value = try XCTUnwrap(s["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init))
            XCTAssertTrue((0...100).contains(value), "\(s)")
        }
        func score(_ name: String) -> Double? {
            series.first { $0[path: "metric.domain"]?.stringValue == name }?["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init)
        }
        XCTAssertLessThan(try XCTUnwrap(score(LiveLab.rootDAC)), try XCTUnwrap(score(LiveLab.confined)))

        // The shipped rules load and evaluate on the real series: va-rootdac's critical findings
        // put VirtauditCriticalFindings at least in pending state.
        let rules = try ServiceLive.eventually("Prometheus to evaluate the virtaudit rule group", timeout: 30, interval: 0.5) { () -> [JSONValue]? in
            let r = try RawHTTP.request(port: promPort, path: "/api/v1/rules")
            guard r.status == 200, let groups = try JSONValue(parsing: r.body)[path: "data.groups"]?.arrayValue, !groups.isEmpty else { return nil }
            let all = groups.flatMap { $0["rules"]?.arrayValue ?? [] }
            return all.allSatisfy({ $0["lastEvaluation"]?.stringValue?.hasPrefix("0001") == false }) ? all : nil
        }
        for rule in rules {
            XCTAssertEqual(rule["health"]?.stringValue, "ok", "\(rule["name"] ?? .null): \(rule["lastError"] ?? .null)")
        }
        try ServiceLive.eventually("VirtauditCriticalFindings pending or firing", timeout: 30, interval: 0.5) { () -> Bool? in
            let r = try RawHTTP.request(port: promPort, path: "/api/v1/alerts")
            guard r.status == 200, let alerts = try JSONValue(parsing: r.body)[path: "data.alerts"]?.arrayValue else { return nil }
            return alerts.contains { $0[path: "labels.alertname"]?.stringValue == "VirtauditCriticalFindings" } ? true : nil
        }
        prom.terminate()
        prom.waitUntilExit()
        XCTAssertEqual(p.stop(), 0, p.logText)
    }
}
