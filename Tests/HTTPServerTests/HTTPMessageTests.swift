@testable import HTTPServer
import XCTest

final class HTTPMessageTests: XCTestCase {
    func testHeaderNamesMatchIgnoringASCIICaseOnly() {
        var h = HTTPHeaders([("Content-Type", "application/json"), ("X-[", "bracket"), ("Ärger", "umlaut")])
        XCTAssertEqual(h["content-type"], "application/json")
        XCTAssertEqual(h["CONTENT-TYPE"], "application/json")
        XCTAssertTrue(h.contains("cOnTeNt-TyPe"))
        XCTAssertFalse(h.contains("content-typ"))
        XCTAssertNil(h["x-{"], "[ and { differ by the case bit but are not letters")
        XCTAssertEqual(h["X-["], "bracket")
        XCTAssertNil(h["ärger"], "non-ASCII bytes compare exactly")
        XCTAssertEqual(h["Ärger"], "umlaut")
        h.add("content-type", "text/plain")
        XCTAssertEqual(h.values("Content-Type"), ["application/json", "text/plain"])
        h.replace("CONTENT-type", "text/html")
        XCTAssertEqual(h.values("content-type"), ["text/html"])
        h.remove("Content-Type")
        XCTAssertFalse(h.contains("content-type"))
        XCTAssertEqual(h.fields.count, 2)
    }
}
