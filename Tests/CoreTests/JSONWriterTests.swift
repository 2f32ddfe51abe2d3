import Foundation
import XCTest
@testable import Core

final class JSONWriterTests: XCTestCase {
    func testEscapesQuotesControlCharactersHTMLAndLineSeparators() {
        let s: JSONValue = .string("q\"b\\n\nr\rt\tc\u{1}\u{1f} <a>&amp; \u{2028}\u{2029} é😀")
        XCTAssertEqual(JSONWriter.string(s),
                       #""q\"b\\n\nr\rt\tc\u0001\u001f \u003ca\u003e\u0026amp; \u2028\u2029 é😀""#)
    }

    func testIntegersIncludingExtremesAndIntegralDoubles() {
        let v: JSONValue = [0, -1, 42, .int(Int.min), .int(Int.max), -3.0, 0.5, 1e300, .double(.nan)]
        XCTAssertEqual(JSONWriter.string(v),
                       "[0,-1,42,-9223372036854775808,9223372036854775807,-3,0.5,1e+300,null]")
    }

    func testPrettyOutputIndentsTwoSpacesPerLevel() {
        let v: JSONValue = ["b": [1, [:]], "a": .null, "c": []]
        XCTAssertEqual(JSONWriter.string(v, pretty: true), "{\n  \"a\": null,\n  \"b\": [\n    1,\n    {}\n  ],\n  \"c\": []\n}")
    }

    func testDataAndStringCarryTheSameBytes() {
        let v: JSONValue = ["name": "vm-é", "n": 3]
        XCTAssertEqual(JSONWriter.data(v), Data(JSONWriter.string(v).utf8))
        XCTAssertEqual(JSONWriter.bytes(v), Array(JSONWriter.string(v).utf8))
    }
}
