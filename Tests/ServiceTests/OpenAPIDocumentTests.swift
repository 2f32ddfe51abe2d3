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

    func testNonOpenAPIYAMLIsRejected() {
        XCTAssertThrowsError(try OpenAPIDocument(yaml: Array("swagger: '2.0'\n".utf8)))
        XCTAssertThrowsError(try OpenAPIDocument(yaml: Array("openapi: [\n".utf8)))
    }
}
