import Core
import Foundation
import XCTest
import Service

/// The validator behind SchemaValidationTests: it must reject what breaks a schema, or a passing
/// schema test proves nothing.
final class OpenAPIValidatorTests: XCTestCase {
    /// A small document with one schema per keyword.
    let validator = OpenAPIValidator(document: [
        "paths": [
            "/api/v1/things": ["get": ["responses": [
                "200": ["description": "ok", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Thing"]]]],
                "304": ["description": "not modified"],
                "400": ["$ref": "#/components/responses/Bad"],
            ]]],
            "/api/v1/things/{id}": ["get": ["responses": [
                "200": ["description": "ok", "headers": ["ETag": ["required": true, "schema": ["type": "string"]]],
                        "content": ["text/plain": ["schema": ["type": "string"]]]],
            ]]],
        ],
        "components": [
            "responses": [
                "Bad": ["description": "bad", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]],
                "MethodNotAllowed": ["description": "405", "headers": ["Allow": ["required": true]],
                                     "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]],
                "UnknownPath": ["description": "404", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]],
            ],
            "schemas": [
                "Error": ["type": "object", "required": ["error"], "properties": ["error": ["type": "string"]]],
                "Thing": [
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "count", "note"],
                    "properties": [
                        "name": ["type": "string", "minLength": 1, "pattern": "^[a-z]+$"],
                        "count": ["type": "integer", "minimum": 0, "maximum": 10],
                        "ratio": ["type": "number", "minimum": 0, "exclusiveMinimum": true],
                        "note": ["type": "string", "nullable": true],
                        "kind": ["type": "string", "enum": ["a", "b"]],
                        "tags": ["type": "array", "minItems": 1, "items": ["type": "string"]],
                        "flag": ["type": "boolean"],
                        "extra": ["type": "object", "additionalProperties": ["type": "integer"]],
                        "either": ["oneOf": [["type": "integer"], ["type": "number", "minimum": 5]]],
                        "any": ["anyOf": [["type": "string"], ["type": "boolean"]]],
                        "both": ["allOf": [["$ref": "#/components/schemas/Named"], ["type": "object", "required": ["b"]]]],
                        "free": ["description": "anything"],
                    ],
                ],
                "Named": ["type": "object", "required": ["a"], "properties": ["a": ["type": "string"]]],
            ],
        ],
    ])

    let good: JSONValue = ["name": "ok", "count": 3, "note": nil]

    func problems(_ change: (inout [String: JSONValue]) -> Void) -> [String] {
        var object = good.objectValue!
        change(&object)
        return validator.violations(.object(object), schema: "Thing")
    }

    func testAConformingValueHasNoProblems() {
        XCTAssertEqual(validator.violations(good, schema: "Thing"), [])
        XCTAssertEqual(problems {
            $0["ratio"] = 0.5; $0["kind"] = "b"; $0["tags"] = ["x"]; $0["flag"] = true; $0["extra"] = ["k": 1]
            $0["either"] = 2; $0["any"] = false; $0["both"] = ["a": "x", "b": 1]; $0["free"] = .null; $0["note"] = "n"
        }, [])
    }

    func testTypesAreEnforced() {
        XCTAssertEqual(problems { $0["name"] = 1 }, ["$.name: int, not a string"])
        XCTAssertEqual(problems { $0["count"] = 1.5 }, ["$.count: number, not an integer"])
        XCTAssertEqual(problems { $0["count"] = "3" }, ["$.count: string, not an integer"])
        XCTAssertEqual(problems { $0["ratio"] = "1" }, ["$.ratio: string, not a number"])
        XCTAssertEqual(problems { $0["flag"] = 0 }, ["$.flag: int, not a boolean"])
        XCTAssertEqual(problems { $0["tags"] = "x" }, ["$.tags: string, not an array"])
        XCTAssertEqual(problems { $0["extra"] = [] }, ["$.extra: list, not an object"])
        XCTAssertEqual(validator.violations(["x"], schema: "Thing"), ["$: list, not an object"])
    }

    func testNullNeedsNullable() {
        XCTAssertEqual(problems { $0["name"] = .null }, ["$.name: null is not allowed"])
        XCTAssertEqual(problems { $0["note"] = .null }, [])
        XCTAssertEqual(problems { $0["free"] = .null }, [], "a schema without type admits null")
    }

    func testRequiredAndAdditionalProperties() {
        XCTAssertEqual(problems { $0.removeValue(forKey: "note") },
                       ["$: missing required key 'note'"])
        XCTAssertEqual(problems { $0["title"] = "long text" },
                       ["$: key 'title' is not allowed (additionalProperties: false)"])
        XCTAssertEqual(problems { $0["extra"] = ["k": "v"] }, ["$.extra.k: string, not an integer"])
    }

    func testEnumRangesLengthsPatternsAndItems() {
        XCTAssertEqual(problems { $0["kind"] = "c" }, [#"$.kind: "c" is not one of ["a","b"]"#])
        XCTAssertEqual(problems { $0["count"] = -1 }, ["$.count: -1.0 below the minimum 0.0"])
        XCTAssertEqual(problems { $0["count"] = 11 }, ["$.count: 11.0 above the maximum 10.0"])
        XCTAssertEqual(problems { $0["ratio"] = 0 }, ["$.ratio: 0.0 below the minimum 0.0"], "exclusiveMinimum")
        XCTAssertEqual(problems { $0["name"] = "" }, ["$.name: shorter than 1 characters", #"$.name: "" does not match ^[a-z]+$"#])
        XCTAssertEqual(problems { $0["name"] = "Ab" }, [#"$.name: "Ab" does not match ^[a-z]+$"#])
        XCTAssertEqual(problems { $0["tags"] = [] }, ["$.tags: 0 items, fewer than 1"])
        XCTAssertEqual(problems { $0["tags"] = ["x", 2] }, ["$.tags[1]: int, not a string"])
    }

    func testCompositions() {
        XCTAssertEqual(problems { $0["either"] = 7 }, ["$.either: matches 2 of oneOf, not exactly one"])
        XCTAssertEqual(problems { $0["either"] = "x" }, ["$.either: matches 0 of oneOf, not exactly one"])
        XCTAssertEqual(problems { $0["any"] = 1 }, ["$.any: matches none of anyOf"])
        XCTAssertEqual(problems { $0["both"] = ["b": 1] }, ["$.both: missing required key 'a'"])
        XCTAssertEqual(problems { $0["both"] = ["a": "x"] }, ["$.both: missing required key 'b'"])
    }

    func testUnknownKeywordsAndReferencesAreProblemsNotPasses() {
        XCTAssertEqual(validator.violations("x", ["type": "string", "const": "y"]), ["$: unsupported schema keyword 'const'"])
        XCTAssertEqual(validator.violations("x", ["$ref": "#/components/schemas/Nope"]), [##"$: unresolved $ref "#/components/schemas/Nope""##])
        XCTAssertEqual(validator.violations("x", ["type": "text"]), ["$: unknown schema type 'text'"])
        XCTAssertEqual(validator.violations("x", ["$ref": "#/components/schemas/Error", "type": "string"]).first,
                       "$: 'type' beside $ref is ignored by OpenAPI 3.0")
    }

    func testResponsesAreMatchedToTheirDeclaration() {
        let json = ["content-type": "application/json"]
        func check(_ method: String, _ path: String, _ status: Int, _ headers: [String: String], _ body: String) -> [String] {
            validator.responseViolations(method: method, path: path, status: status, headers: headers, body: Data(body.utf8))
        }
        func check(_ method: String, _ path: String, _ status: Int, _ body: String) -> [String] {
            check(method, path, status, json, body)
        }
        XCTAssertEqual(check("GET", "/api/v1/things?x=1", 200, #"{"name":"a","count":1,"note":null}"#), [])
        XCTAssertEqual(check("GET", "/api/v1/things", 200, #"{"name":"a","count":1}"#),
                       ["GET /api/v1/things -> 200 [GET /api/v1/things 200] $: missing required key 'note'"])
        XCTAssertEqual(check("GET", "/api/v1/things", 400, #"{"error":"bad"}"#), [])
        XCTAssertEqual(check("GET", "/api/v1/things", 404, #"{"error":"x"}"#),
                       ["GET /api/v1/things -> 404: status not declared in the document"])
        XCTAssertEqual(check("GET", "/api/v1/things", 304, [:], ""), [])
        XCTAssertEqual(check("GET", "/api/v1/things", 304, [:], "x"),
                       ["GET /api/v1/things -> 304: 1 bytes of body where GET /api/v1/things 304 declares none"])
        XCTAssertEqual(check("GET", "/api/v1/things", 200, ["content-type": "text/html"], "<p>"),
                       [#"GET /api/v1/things -> 200: content type 'text/html' not declared (GET /api/v1/things 200 has ["application/json"])"#])
        XCTAssertEqual(check("GET", "/api/v1/things", 200, "not json"), ["GET /api/v1/things -> 200: body is not JSON"])
        // Templated paths, required headers, text bodies.
        XCTAssertEqual(check("GET", "/api/v1/things/7", 200, ["content-type": "text/plain", "etag": "\"1\""], "seven"), [])
        XCTAssertEqual(check("GET", "/api/v1/things/7", 200, ["content-type": "text/plain"], "seven"),
                       ["GET /api/v1/things/7 -> 200: required header ETag missing (GET /api/v1/things/{id} 200)"])
        // 405 for a method the path lacks, 404 for a path the document lacks; anything else is undeclared.
        XCTAssertEqual(check("DELETE", "/api/v1/things", 405, ["content-type": "application/json", "allow": "GET"], #"{"error":"m"}"#), [])
        XCTAssertEqual(check("DELETE", "/api/v1/things", 405, #"{"error":"m"}"#),
                       ["DELETE /api/v1/things -> 405: required header Allow missing (405 MethodNotAllowed)"])
        XCTAssertEqual(check("DELETE", "/api/v1/things", 200, #"{}"#),
                       ["DELETE /api/v1/things -> 200: status not declared in the document"])
        XCTAssertEqual(check("GET", "/api/v1/nothing", 404, #"{"error":"n"}"#), [])
        XCTAssertEqual(check("GET", "/api/v1/nothing", 200, #"{}"#),
                       ["GET /api/v1/nothing -> 200: status not declared in the document"])
        XCTAssertEqual(check("GET", "/elsewhere", 404, #"{"error":"n"}"#),
                       ["GET /elsewhere -> 404: status not declared in the document"])
    }

    // MARK: The real document

    let real = OpenAPIValidator(document: OpenAPIDocument.bundled.value)

    func testTheDocumentUsesOnlyKeywordsTheValidatorChecks() {
        XCTAssertEqual(real.unsupportedKeywords(), [])
    }

    /// A finding of format 2, as FORMAT 2 defines it.
    let finding: JSONValue = ["id": "va1-00000000000000000000000000000000", "rule": "dac.non-root-user", "layer": "dac",
                              "severity": "high", "status": "fail", "observed": ["process.uid": 0], "reason": nil,
                              "pointsLost": 12.5, "waiver": nil]

    func testTheDocumentRejectsFormatOneFindings() {
        XCTAssertEqual(real.violations(finding, schema: "Finding"), [])
        var old = finding.objectValue!
        old["title"] = "qemu does not run as root"
        old["expected"] = "a non-root user"
        old["remediation"] = "set user"
        XCTAssertEqual(real.violations(.object(old), schema: "Finding").count, 3, "texts belong in `rules`")
        var noWaiver = finding.objectValue!
        noWaiver.removeValue(forKey: "waiver")
        XCTAssertEqual(real.violations(.object(noWaiver), schema: "Finding"), ["$: missing required key 'waiver'"])
        var wrongStatus = finding.objectValue!
        wrongStatus["status"] = "ok"
        XCTAssertEqual(real.violations(.object(wrongStatus), schema: "Finding").count, 1)
    }

    func testTheDocumentRejectsAFormatOneReport() {
        let score: [String: JSONValue] = ["score": 80, "grade": "B", "layers": [:], "layersStanding": 3, "layersTotal": 4,
                                          "failing": ["critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0]]
        var host = score
        host["hostname"] = "h"; host["facts"] = [:]; host["findings"] = [finding]
        let rules: JSONValue = ["dac.non-root-user": ["title": "t", "layer": "dac", "severity": "high", "expected": "e",
                                                      "rationale": "r", "remediation": "m", "references": []]]
        let report: JSONValue = [
            "format": 2, "version": 2, "scanId": "s", "startedAt": "a", "finishedAt": "b", "durationMs": 1.5,
            "connection": "test:///default", "root": "/", "hostId": nil, "stale": false, "errors": [],
            "findingsListed": "problems", "rules": rules, "host": .object(host), "domains": [], "stats": nil,
        ]
        XCTAssertEqual(real.violations(report, schema: "ScanReport"), [])
        var v1 = report.objectValue!
        v1.removeValue(forKey: "format"); v1.removeValue(forKey: "rules"); v1.removeValue(forKey: "findingsListed")
        v1["version"] = 1
        XCTAssertEqual(Set(real.violations(.object(v1), schema: "ScanReport")),
                       ["$: missing required key 'format'", "$: missing required key 'rules'",
                        "$: missing required key 'findingsListed'", "$.version: 1 is not one of [2]"])
        var badRule = report.objectValue!
        badRule["rules"] = ["dac.non-root-user": ["title": "t", "id": "dac.non-root-user"]]
        XCTAssertTrue(real.violations(.object(badRule), schema: "ScanReport").contains(
            "$.rules.dac.non-root-user: key 'id' is not allowed (additionalProperties: false)"))
    }
}
