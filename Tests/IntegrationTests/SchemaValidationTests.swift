import Core
import Foundation
import Service
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The JSON that `virtaudit scan`, `virtaudit report` and every API route produce, checked
/// against the schemas of Docs/openapi.yaml (the document the service embeds). The programs run
/// as users run them, on the `weak` fixture host (test:/// driver, no libvirtd needed) with the
/// pipeline waivers, so findings of every status, waivers and alerts are present.
final class SchemaValidationTests: ServiceLiveTestCase {
    static let weak = LiveLab.repository + "/Tests/Fixtures/hosts/weak"
    static let waivers = LiveLab.repository + "/Tests/Fixtures/pipeline/waivers.yaml"
    static let fixtureArguments = ["--connect", "test://\(weak)/node.xml", "--root", weak + "/root",
                                   "--policies", LiveLab.repository + "/policies", "--waivers", waivers]

    let validator = OpenAPIValidator(document: OpenAPIDocument.bundled.value)

    override func setUp() {
        super.setUp()
        chmod(Self.weak + "/root/dev/kvm", 0o666)
    }

    // MARK: Results format 2, beyond the schema

    /// What FORMAT 2 promises that a schema cannot say: `rules` holds exactly the rules of the
    /// listed findings, `problems` lists no pass or not-applicable finding, `failing` counts the
    /// failing findings, and `all` lists as many passes as `layers` counts.
    func contractProblems(targets: [JSONValue], rules: JSONValue?, listed: String?, at where_: String) -> [String] {
        var problems: [String] = []
        let findings = targets.flatMap { $0["findings"]?.arrayValue ?? [] }
        let referenced = Set(findings.compactMap { $0["rule"]?.stringValue })
        let carried = Set(rules?.objectValue?.keys.map { $0 } ?? [])
        if referenced != carried {
            problems.append("\(where_): rules without a listed finding \(carried.subtracting(referenced).sorted()), "
                            + "listed findings without rule texts \(referenced.subtracting(carried).sorted())")
        }
        for target in targets {
            let name = target["name"]?.stringValue ?? target["hostname"]?.stringValue ?? "?"
            let list = target["findings"]?.arrayValue ?? []
            let statuses = list.compactMap { $0["status"]?.stringValue }
            if listed == "problems", let shown = statuses.first(where: { $0 == "pass" || $0 == "not-applicable" }) {
                problems.append("\(where_) \(name): a \(shown) finding is listed under findingsListed=problems")
            }
            var failing: [String: Int] = Dictionary(uniqueKeysWithValues: Severity.allCases.map { ($0.rawValue, 0) })
            for f in list where f["status"] == "fail" { failing[f["severity"]?.stringValue ?? "?", default: 0] += 1 }
            // (A findings list has no `failing`; the schema checks that targets have it.)
            if let served = target["failing"]?.objectValue?.mapValues({ $0.intValue ?? -1 }), served != failing {
                problems.append("\(where_) \(name): failing \(served) but the findings give \(failing)")
            }
            for (layer, score) in target["layers"]?.objectValue ?? [:] {
                let inLayer = list.filter { $0["layer"]?.stringValue == layer }
                for status in ["fail", "unknown", "waived"] + (listed == "all" ? ["pass"] : []) {
                    let counted = score[status]?.intValue ?? -1
                    let shown = inLayer.filter { $0["status"]?.stringValue == status }.count
                    if counted != shown {
                        problems.append("\(where_) \(name): layers.\(layer).\(status) is \(counted), \(shown) listed")
                    }
                }
            }
        }
        return problems
    }

    func reportProblems(_ doc: JSONValue, listed: String, at where_: String) -> [String] {
        var problems = validator.violations(doc, schema: "ScanReport").map { "\(where_) \($0)" }
        if doc["findingsListed"]?.stringValue != listed {
            problems.append("\(where_): findingsListed is \(doc["findingsListed"] ?? .null), not \(listed)")
        }
        let targets = [doc["host"] ?? .null] + (doc["domains"]?.arrayValue ?? [])
        return problems + contractProblems(targets: targets, rules: doc["rules"], listed: listed, at: where_)
    }

    // MARK: CLI

    func testScanJSONMatchesTheScanReportSchema() throws {
        let problems = try CLI.run(["scan", "--format", "json"] + Self.fixtureArguments)
        XCTAssertEqual(problems.status, 0, problems.stderr)
        let doc = try JSONValue(parsing: problems.stdout)
        XCTAssertEqual(reportProblems(doc, listed: "problems", at: "scan --format json"), [])
        let statuses = Set((doc["domains"]?.arrayValue ?? []).flatMap { $0["findings"]?.arrayValue ?? [] }.compactMap { $0["status"]?.stringValue })
        XCTAssertEqual(statuses, ["fail", "waived"], "the fixture has failing and waived findings (and none unknown)")

        let all = try CLI.run(["scan", "--format", "json", "--verbose"] + Self.fixtureArguments)
        XCTAssertEqual(all.status, 0, all.stderr)
        let verbose = try JSONValue(parsing: all.stdout)
        XCTAssertEqual(reportProblems(verbose, listed: "all", at: "scan --format json --verbose"), [])
        let listed = Set((verbose["domains"]?.arrayValue ?? []).flatMap { $0["findings"]?.arrayValue ?? [] }.compactMap { $0["status"]?.stringValue })
        XCTAssertEqual(listed, ["pass", "fail", "waived", "not-applicable"])
    }

    func testScanJSONOfTheLiveLabMatchesTheScanReportSchema() throws {
        try LiveLab.requireLab()
        let r = try CLI.run(["scan", "--format", "json", "--connect", LiveLab.uri])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(reportProblems(try JSONValue(parsing: r.stdout), listed: "problems", at: "scan (lab)"), [])
    }

    func testReportJSONMatchesTheScanReportSchema() throws {
        let dir = try tempDir()
        for run in 1...2 {
            let r = try CLI.run(["report", "--format", "json", "--output", dir] + Self.fixtureArguments)
            XCTAssertEqual(r.status, 0, r.stderr)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
            XCTAssertEqual(files.count, run)
            let doc = try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: dir + "/" + files.last!)))
            XCTAssertEqual(validator.violations(doc, schema: "ReportFile").map { "report #\(run) \($0)" }, [])
            XCTAssertEqual(reportProblems(doc["report"] ?? .null, listed: "problems", at: "report #\(run)"), [])
            XCTAssertEqual(doc["changes"]?.isNull, run == 1, "the second report says what changed since the first")
        }
    }

    // MARK: API

    /// Requests every documented route of a running `virtaudit serve` (every method, the
    /// success answer and each error it can be made to give here) and checks each answer
    /// against what the document declares for that path, method and status.
    func testEveryAPIResponseMatchesTheDocument() throws {
        let dir = try tempDir()
        let config = try writeConfig("""
            connect: "test://\(Self.weak)/node.xml"
            root: "\(Self.weak)/root"
            waivers: "\(Self.waivers)"
            events: false
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            alerts:
              command: ["/bin/sh", "-c", "cat > /dev/null"]
            """, in: dir)
        let p = try serve(config: config, dataDir: dir + "/data")
        try waitForResults(p)
        var client = CheckingClient(validator: validator, port: p.port)

        // A second scan, so that history and diff have two scans to compare.
        let started = try client.request("POST", "/api/v1/scans", headers: [("X-Requested-With", "virtaudit")])
        let scanId = try XCTUnwrap(started.json?["id"]?.stringValue)
        try ServiceLive.eventually("scan \(scanId) to finish", timeout: 60, interval: 0.1) { () -> Bool? in
            try p.json("/api/v1/scans/\(scanId)")?["state"]?.stringValue == "done" ? true : nil
        }

        let domains = try XCTUnwrap(client.request("GET", "/api/v1/domains").json?["domains"]?.arrayValue)
        let uuid = try XCTUnwrap(domains.first?["uuid"]?.stringValue)
        let name = try XCTUnwrap(domains.first { $0["name"] == "lab-root" }?["name"]?.stringValue)

        for path in ["/healthz", "/api/v1/summary", "/api/v1/policies", "/metrics",
                     "/api/v1/report", "/api/v1/report?findings=all", "/api/v1/report?findings=problems",
                     "/api/v1/domains?grade=A,B,C,D,F&sort=-score", "/api/v1/domains?state=running,shutoff&layer=dac&q=lab",
                     "/api/v1/domains/\(uuid)", "/api/v1/domains/\(name)?findings=all", "/api/v1/domains/\(uuid)/facts",
                     "/api/v1/host", "/api/v1/host?findings=all",
                     "/api/v1/findings", "/api/v1/findings?status=fail,waived&severity=high,critical",
                     "/api/v1/findings?target=host&layer=host", "/api/v1/findings?rule=dac.*&domain=\(name)",
                     "/api/v1/scans", "/api/v1/scans?limit=1", "/api/v1/scans/\(scanId)",
                     "/api/v1/history", "/api/v1/history?target=\(uuid)&limit=1", "/api/v1/diff",
                     "/api/v1/alerts", "/api/v1/alerts?state=pending", "/api/v1/admissions?decision=deny",
                     "/api/v1/openapi.yaml", "/api/v1/openapi.json"] {
            try client.request("GET", path)
        }
        // Errors: bad parameters, unknown ids and paths, methods, credentials, names, revalidation.
        for path in ["/api/v1/report?findings=some", "/api/v1/host?findings=", "/api/v1/domains/\(uuid)?findings=x",
                     "/api/v1/domains?sort=size", "/api/v1/findings?status=ok", "/api/v1/scans?limit=0",
                     "/api/v1/history?limit=x", "/api/v1/diff?from=%2F", "/api/v1/alerts?state=lost",
                     "/api/v1/admissions?decision=maybe",
                     "/api/v1/domains/no-such-vm", "/api/v1/domains/no-such-vm/facts", "/api/v1/scans/no-such-scan",
                     "/api/v1/history?target=no-such-vm", "/api/v1/diff?from=nope&to=nope2",
                     "/api/v1/nothing", "/api/v2/summary"] {
            try client.request("GET", path)
        }
        for (method, path) in [("DELETE", "/api/v1/summary"), ("POST", "/api/v1/report"), ("PUT", "/api/v1/scans"),
                               ("POST", "/api/v1/domains/\(uuid)"), ("POST", "/healthz"), ("POST", "/metrics"),
                               ("POST", "/api/v1/history"), ("PATCH", "/api/v1/openapi.json")] {
            try client.request(method, path)
        }
        try client.request("GET", "/api/v1/summary", headers: [("Authorization", "Bearer va_not-a-token")])
        try client.request("GET", "/api/v1/report", headers: [("Host", "rebound.example")])
        try client.request("POST", "/api/v1/scans")
        try client.request("POST", "/api/v1/scans", headers: [("X-Requested-With", "virtaudit"), ("Origin", "https://elsewhere.example")])
        for path in ["/api/v1/summary", "/api/v1/report", "/api/v1/domains/\(uuid)", "/api/v1/openapi.yaml"] {
            let first = try client.request("GET", path)
            let tag = try XCTUnwrap(first.headers["etag"], path)
            let again = try client.request("GET", path, headers: [("If-None-Match", tag)])
            XCTAssertEqual(again.status, 304, path)
        }

        // The listing asked for: problems by default, everything with findings=all, 400 for anything else.
        for (query, listed) in [("", "problems"), ("?findings=problems", "problems"), ("?findings=all", "all")] {
            let report = try XCTUnwrap(client.request("GET", "/api/v1/report" + query).json)
            XCTAssertEqual(reportProblems(report, listed: listed, at: "/api/v1/report\(query)"), [])
            let domain = try XCTUnwrap(client.request("GET", "/api/v1/domains/\(name)" + query).json)
            XCTAssertEqual(contractProblems(targets: [domain], rules: domain["rules"], listed: listed, at: "domain\(query)"), [])
            let host = try XCTUnwrap(client.request("GET", "/api/v1/host" + query).json)
            XCTAssertEqual(contractProblems(targets: [host], rules: host["rules"], listed: listed, at: "host\(query)"), [])
        }
        for path in ["/api/v1/report?findings=some", "/api/v1/host?findings=", "/api/v1/domains/\(uuid)?findings=x"] {
            XCTAssertEqual(try client.request("GET", path).status, 400, path)
        }
        let findings = try XCTUnwrap(client.request("GET", "/api/v1/findings").json)
        XCTAssertEqual(contractProblems(targets: [findings], rules: findings["rules"], listed: nil, at: "findings"), [])

        // A service whose scans cannot connect has no results yet.
        let none = try serve(config: try writeConfig("""
            connect: "test:///nonexistent/node.xml"
            events: false
            scan_interval_seconds: 0
            reports:
              interval_seconds: 0
            """, in: try tempDir()), dataDir: dir + "/none")
        var empty = CheckingClient(validator: validator, port: none.port)
        for path in ["/api/v1/summary", "/api/v1/report", "/api/v1/domains", "/api/v1/host", "/api/v1/findings", "/healthz"] {
            try empty.request("GET", path)
        }
        client.answered.formUnion(empty.answered)
        client.problems += empty.problems

        XCTAssertEqual(client.problems, [])
        // Every documented operation answered with success at least once, and each kind of error was seen.
        for (template, item) in validator.document["paths"]?.objectValue ?? [:] {
            for method in (item.objectValue ?? [:]).keys where method != "parameters" {
                let ok = client.answered.contains { $0.template == template && $0.method == method.uppercased() && (200..<300).contains($0.status) }
                XCTAssertTrue(ok, "\(method.uppercased()) \(template) never answered 2xx")
            }
        }
        XCTAssertEqual(Set(client.answered.map(\.status)).intersection([304, 400, 401, 403, 404, 405, 503]),
                       [304, 400, 401, 403, 404, 405, 503])
        // The embedded document is served as it is in Docs.
        let yaml = try client.request("GET", "/api/v1/openapi.yaml")
        XCTAssertEqual(yaml.body, try Data(contentsOf: URL(fileURLWithPath: LiveLab.repository + "/Docs/openapi.yaml")))
    }
}

/// Sends requests to a service and checks each answer against the document; collects problems
/// and which (path template, method, status) were answered.
struct CheckingClient {
    struct Answer: Hashable { var template: String; var method: String; var status: Int }

    let validator: OpenAPIValidator
    let port: Int
    var problems: [String] = []
    var answered: Set<Answer> = []

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    @discardableResult
    mutating func request(_ method: String, _ path: String, headers: [(String, String)] = []) throws -> Reply {
        // RawHTTP sends Host: 127.0.0.1; a Host given here replaces it.
        let host = headers.first { $0.0 == "Host" }?.1 ?? "127.0.0.1"
        let others = headers.filter { $0.0 != "Host" }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n"
        for (k, v) in others { head += "\(k): \(v)\r\n" }
        if method != "GET" && method != "HEAD" { head += "Content-Length: 0\r\n" }
        head += "\r\n"
        let fd = try RawHTTP.connect(port: port)
        defer { close(fd) }
        try RawHTTP.send(fd, Data(head.utf8))
        let reply = try RawHTTP.readReply(fd)
        problems += validator.responseViolations(method: method, path: path, status: reply.status,
                                                 headers: reply.headers, body: reply.body)
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        answered.insert(Answer(template: validator.template(for: bare) ?? bare, method: method, status: reply.status))
        return Reply(status: reply.status, headers: reply.headers, body: reply.body)
    }
}
