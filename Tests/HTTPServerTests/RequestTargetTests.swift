@testable import HTTPServer
import XCTest

final class RequestTargetTests: XCTestCase {
    func testPathIsDecodedOnceAndQuerySplit() throws {
        let (path, query) = try RequestTarget.parse("/a%20b/%252e?x=1&y=a%26b&flag&x=2&z=", method: "GET")
        XCTAssertEqual(path, "/a b/%2e")
        XCTAssertEqual(query, ["x": "2", "y": "a&b", "flag": "", "z": ""])
    }

    func testEncodedDotsAndSlashesDecodeSoStaticFilesCanRefuseThem() throws {
        XCTAssertEqual(try RequestTarget.parse("/%2e%2e/etc", method: "GET").path, "/../etc")
        XCTAssertEqual(try RequestTarget.parse("/..%2fx", method: "GET").path, "/../x")
    }

    func testInvalidEscapesNulAndBadUTF8AreRejected() {
        for target in ["/%", "/%4", "/%G1", "/a%00", "/%c3%28", "/?a=%", "/#x", "ftp://h/x", "http:///x"] {
            XCTAssertThrowsError(try RequestTarget.parse(target, method: "GET"), target) {
                XCTAssertEqual(($0 as? HTTPParseError)?.status, 400, target)
            }
        }
    }

    func testAbsoluteFormKeepsOnlyPathAndQuery() throws {
        XCTAssertEqual(try RequestTarget.parse("http://h:1/p/q?a=1", method: "GET").path, "/p/q")
        XCTAssertEqual(try RequestTarget.parse("http://h", method: "GET").path, "/")
        XCTAssertEqual(try RequestTarget.parse("https://h?a=b", method: "GET").query, ["a": "b"])
    }
}
