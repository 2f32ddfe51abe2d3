import HTTPServer
import XCTest
@testable import Service

final class ConditionalTests: XCTestCase {
    func testETagIsAQuotedDigestThatDependsOnTheBody() {
        let a = Conditional.etag(for: Array("a".utf8))
        XCTAssertEqual(a, "\"ca978112ca1bbdcafac231b39a23dc4d\"", "first 16 bytes of sha256(\"a\")")
        XCTAssertNotEqual(a, Conditional.etag(for: Array("b".utf8)))
    }

    func testIfNoneMatchListsWeakTagsAndStar() {
        let tag = "\"abc\""
        XCTAssertTrue(Conditional.matches(ifNoneMatch: "\"abc\"", etag: tag))
        XCTAssertTrue(Conditional.matches(ifNoneMatch: "\"x\", W/\"abc\"", etag: tag))
        XCTAssertTrue(Conditional.matches(ifNoneMatch: "*", etag: tag))
        XCTAssertFalse(Conditional.matches(ifNoneMatch: "\"abcd\"", etag: tag))
        XCTAssertFalse(Conditional.matches(ifNoneMatch: "abc", etag: tag))
    }

    func testNotModifiedResponseHasNoBodyOrContentType() {
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Cache-Control", "no-cache")])
        let request = HTTPRequest.get("/x", headers: [("if-none-match", "\"t\"")])
        let response = Conditional.respond(to: request, body: [1, 2], etag: "\"t\"", headers: headers)
        XCTAssertEqual(response.status, 304)
        XCTAssertEqual(response.body, [])
        XCTAssertNil(response.headers["Content-Type"])
        XCTAssertEqual(response.headers["Cache-Control"], "no-cache")
        let fresh = Conditional.respond(to: .get("/x"), body: [1, 2], etag: "\"t\"", headers: headers)
        XCTAssertEqual(fresh.status, 200)
        XCTAssertEqual(fresh.body, [1, 2])
        XCTAssertEqual(fresh.headers["ETag"], "\"t\"")
    }
}
