import Core
import Foundation
import HTTPServer
import XCTest
@testable import Service

/// Checks the router's answers against the schemas of Docs/openapi.yaml, without sockets.
final class OpenAPIConformanceTests: XCTestCase {
    let spec = OpenAPIDocument.bundled.value

    /// A small validator for the subset of OpenAPI 3.0 schemas the document uses.
    func violations(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        if let ref = schema["$ref"]?.stringValue {
            let name = String(ref.split(separator: "/").last ?? "")
            guard let target = spec["components"]?["schemas"]?[name] else { return ["\(path): unresolved \(ref)"] }
            return violations(value, target, at: path)
        }
        var problems: [String] = []
        for part in schema["allOf"]?.arrayValue ?? [] { problems += violations(value, part, at: path) }
        if value.isNull {
            return schema["type"] == nil || schema["nullable"] == true ? problems : problems + ["\(path): null"]
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(value) {
            problems.append("\(path): \(value) not in enum")
        }
        switch schema["type"]?.stringValue {
        case "object":
            guard let object = value.objectValue else { return problems + ["\(path): not an object"] }
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
                problems.append("\(path): missing \(key)")
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for (key, item) in object {
                if let sub = properties[key] {
                    problems += violations(item, sub, at: "\(path).\(key)")
                } else if let extra = schema["additionalProperties"], extra.objectValue != nil {
                    problems += violations(item, extra, at: "\(path).\(key)")
                }
            }
        case "array":
            guard let items = value.arrayValue else { return problems + ["\(path): not an array"] }
            if let sub = schema["items"] {
                for (i, item) in items.enumerated() { problems += violations(item, sub, at: "\(path)[\(i)]") }
            }
        case "string": if value.stringValue == nil { problems.append("\(path): not a string") }
        case "integer": if case .int = value {} else { problems.append("\(path): not an integer") }
        case "number": if value.doubleValue == nil { problems.append("\(path): not a number") }
        case "boolean": if value.boolValue == nil { problems.append("\(path): not a boolean") }
        default: break
        }
        return problems
    }

    func schema(_ path: String, _ method: String, _ status: String) throws -> JSONValue {
        let operation = try XCTUnwrap(spec["paths"]?[path]?[method], "\(method) \(path)")
        var response = try XCTUnwrap(operation["responses"]?[status], "\(method) \(path) \(status)")
        if let ref = response["$ref"]?.stringValue {
            response = try XCTUnwrap(spec["components"]?["responses"]?[String(ref.split(separator: "/").last!)])
        }
        return try XCTUnwrap(response["content"]?["application/json"]?["schema"], "\(method) \(path) \(status)")
    }

    func assertConforms(_ response: HTTPResponse, _ path: String, _ method: String = "get",
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let body = try XCTUnwrap(response.json, "body of \(path)", file: file, line: line)
        let problems = violations(body, try schema(path, method, String(response.status)))
        XCTAssertEqual(problems, [], "\(method) \(path) \(response.status)", file: file, line: line)
    }

    func testValidatorNoticesMissingAndMistypedFields() {
        let finding = JSONValue.object(["rule": "x", "layer": "nope", "severity": "high"])
        let problems = violations(finding, ["$ref": "#/components/schemas/Finding"])
        XCTAssertTrue(problems.contains("$: missing status"))
        XCTAssertTrue(problems.contains { $0.hasPrefix("$.layer:") })
    }

    func testResultResponsesMatchTheirSchemas() throws {
        let store = ResultStore()
        let router = APIRouter(store: store, trigger: RecordingTrigger(store: store), tokens: TokenStore(),
                               logger: LogCapture().logger)
        store.publish(Sample.report())
        var waived = Sample.report(scanId: "w")
        waived.domains[0].findings[0].status = .waived
        waived.domains[0].findings[0].waiver = ["reason": "accepted", "expires": "2027-01-01"]
        store.publish(waived)
        try assertConforms(router.handle(.get("/healthz")), "/healthz")
        try assertConforms(router.handle(.get("/api/v1/summary")), "/api/v1/summary")
        try assertConforms(router.handle(.get("/api/v1/report")), "/api/v1/report")
        try assertConforms(router.handle(.get("/api/v1/domains")), "/api/v1/domains")
        try assertConforms(router.handle(.get("/api/v1/domains?sort=x")), "/api/v1/domains")
        try assertConforms(router.handle(.get("/api/v1/domains/web01")), "/api/v1/domains/{id}")
        try assertConforms(router.handle(.get("/api/v1/domains/none")), "/api/v1/domains/{id}")
        try assertConforms(router.handle(.get("/api/v1/domains/web01/facts")), "/api/v1/domains/{id}/facts")
        try assertConforms(router.handle(.get("/api/v1/host")), "/api/v1/host")
        try assertConforms(router.handle(.get("/api/v1/findings")), "/api/v1/findings")
        try assertConforms(router.handle(.get("/api/v1/policies")), "/api/v1/policies")
        try assertConforms(router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST")), "/api/v1/scans", "post")
        try assertConforms(router.handle(.get("/api/v1/scans")), "/api/v1/scans")
        try assertConforms(router.handle(.get("/api/v1/scans/scan-1")), "/api/v1/scans/{id}")
    }

    func testFinishedScanRecordsMatchTheirSchema() throws {
        var record = ScanRecord(id: "a", state: .done, trigger: .schedule, requestedAt: Timestamp.format(Date()),
                                startedAt: Timestamp.format(Date()), finishedAt: Timestamp.format(Date()))
        record.result = ScanRecord.ResultSummary(report: Sample.report(stale: true))
        XCTAssertEqual(violations(record.json, ["$ref": "#/components/schemas/ScanRecord"]), [])
    }

    func testErrorResponsesMatchTheirSchemas() throws {
        let store = ResultStore()
        let tokens = try TokenStore.parse(TokenStore.newToken(role: .read).line)
        let open = APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: LogCapture().logger)
        let closed = APIRouter(store: store, trigger: nil, tokens: tokens, logger: LogCapture().logger)
        try assertConforms(open.handle(.get("/api/v1/summary")), "/api/v1/summary")
        try assertConforms(open.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST")), "/api/v1/scans", "post")
        try assertConforms(closed.handle(.get("/api/v1/summary")), "/api/v1/summary")
        try assertConforms(open.handle(.get("/api/v1/summary", remote: "192.0.2.1")), "/api/v1/summary")
        try assertConforms(open.handle(.get("/api/v1/scans?limit=x")), "/api/v1/scans")
    }
}
