import Core
import Foundation
import XCTest
@testable import Service

final class OpenAPIDocumentTests: XCTestCase {
    static let docsFile = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/openapi.yaml")

    func testEmbeddedDocumentIsTheDocsFile() throws {
        // Sources/Service/openapi.yaml is a link to Docs/openapi.yaml; SwiftPM embeds what it points to.
        let link = Self.docsFile.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/Service/openapi.yaml")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), "../../Docs/openapi.yaml")
        XCTAssertEqual(OpenAPIDocument.bundled.yaml, Array(try Data(contentsOf: Self.docsFile)))
    }

    func testBundledDocumentParsesAsOpenAPI3() {
        let doc = OpenAPIDocument.bundled
        XCTAssertEqual(doc.value["openapi"], "3.0.3")
        XCTAssertEqual(try JSONValue(parsing: Data(doc.json)), doc.value)
        XCTAssertNotNil(doc.value["components"]?["schemas"]?["ScanReport"])
    }

    func testResponseCodesStayStrings() {
        let responses = OpenAPIDocument.bundled.value["paths"]?["/api/v1/domains"]?["get"]?["responses"]?.objectValue
        XCTAssertEqual(responses.map { Set($0.keys) }, ["200", "304", "400", "401", "403", "503"])
    }

    func testEveryDocumentedPathIsRoutedAndEveryRouteDocumented() throws {
        let paths = try XCTUnwrap(OpenAPIDocument.bundled.value["paths"]?.objectValue)
        for (path, item) in paths where path.hasPrefix("/api/") && !ServiceRoutes.extraPaths.contains(path) {
            let concrete = path.replacingOccurrences(of: "{id}", with: "x")
            let route = try XCTUnwrap(APIRouter.Route(path: concrete), path)
            let documented = Set((item.objectValue ?? [:]).keys.map { $0.uppercased() }).subtracting(["PARAMETERS"])
            XCTAssertEqual(documented, Set(route.methods), path)
        }
        let routes = ["summary", "report", "domains", "domains/{id}", "domains/{id}/facts", "host", "findings",
                      "policies", "scans", "scans/{id}", "openapi.yaml", "openapi.json"]
        // History, diff, alerts and metrics are served by ServiceRoutes (they need the database).
        XCTAssertEqual(Set(paths.keys), Set(routes.map { "/api/v1/\($0)" } + ["/healthz"]).union(ServiceRoutes.extraPaths))
    }

    func testDocumentedErrorCodesCoverTheRouter() throws {
        let codes = OpenAPIDocument.bundled.value["components"]?["schemas"]?["Error"]?["properties"]?["error"]?["properties"]?["code"]?["enum"]
        let documented = Set(codes?.arrayValue?.compactMap(\.stringValue) ?? [])
        let source = try String(contentsOf: Self.docsFile.deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Service/APIRouter.swift"), encoding: .utf8)
        let used = source.matches(of: /error\(\d{3}, "([a-z_]+)"/).map { String($0.output.1) }
        XCTAssertFalse(used.isEmpty)
        for code in used { XCTAssertTrue(documented.contains(code), code) }
    }

    func testNonOpenAPIYAMLIsRejected() {
        XCTAssertThrowsError(try OpenAPIDocument(yaml: Array("swagger: '2.0'\n".utf8)))
        XCTAssertThrowsError(try OpenAPIDocument(yaml: Array("openapi: [\n".utf8)))
    }
}
