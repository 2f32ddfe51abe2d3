import Core
import XCTest
@testable import Service

final class YAMLTreeTests: XCTestCase {
    func testScalarsGetTheirYAMLTypesAndKeysStayStrings() throws {
        let value = try YAMLTree.json(parsing: """
            200: {a: 1, b: 1.5, c: true, d: null, e: '3', f: text, g: [x, 2]}
            """)
        XCTAssertEqual(value, ["200": ["a": 1, "b": 1.5, "c": true, "d": nil, "e": "3", "f": "text", "g": ["x", 2]]])
    }

    func testEmptyDocumentIsNull() throws {
        XCTAssertEqual(try YAMLTree.json(parsing: ""), .null)
    }
}
