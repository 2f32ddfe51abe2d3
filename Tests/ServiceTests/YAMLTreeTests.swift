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

final class YAMLTreeDepthTests: XCTestCase {
    func testADeepConfigurationIsAnErrorNamingFileLineAndLimit() {
        let text = "port: 8471\nlimits:\n" + (0..<5_000).map { String(repeating: " ", count: $0 + 2) + "k\($0):" }.joined(separator: "\n") + " 1\n"
        XCTAssertThrowsError(try ServiceConfig.parse(text, file: "/etc/virtaudit/virtaudit.yaml")) { error in
            XCTAssertEqual("\(error)", "/etc/virtaudit/virtaudit.yaml: not valid YAML: line 66: YAML nested deeper than 64 levels (the limit)")
        }
    }

    func testAnAliasChainCannotDeepenTheConvertedTree() {
        let text = "a0: &a0 [1]\n" + (1..<100).map { "a\($0): &a\($0) [*a\($0 - 1)]" }.joined(separator: "\n") + "\n"
        XCTAssertThrowsError(try YAMLTree.json(parsing: text)) { error in
            XCTAssertTrue("\(error)".contains("through alias *a"), "\(error)")
        }
    }
}
