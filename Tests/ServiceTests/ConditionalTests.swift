import Core
import HTTPServer
import XCTest
@testable import Service

/// ETags, 304 and gzip of the API: one path (`ResponseHelpers.prepare`), tags computed once
/// per encoded body.
final class ConditionalTests: XCTestCase {
    var store = ResultStore()

    override func setUp() {
        store = ResultStore()
        store.publish(Sample.report())
    }

    var router: APIRouter { APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: LogCapture().logger) }

    func testResultBodiesAreServedUnderTheStoreTagNotAHashOfTheBody() throws {
        let snapshot = try XCTUnwrap(store.snapshot)
        let index = try XCTUnwrap(snapshot.domainIndex("web01"))
        let response = router.handle(.get("/api/v1/domains/web01"))
        XCTAssertEqual(response.status, 200)
        let tag = try XCTUnwrap(store.etag(.domain(index, listing: .problems)))
        XCTAssertEqual(response.headers["ETag"], tag, "the tag the store derived, not the HTTP layer's hash")
        XCTAssertNotEqual(tag, ResponseHelpers.etag(for: response.body))
        XCTAssertEqual(router.handle(.get("/api/v1/host")).headers["ETag"], store.etag(.host(listing: .problems)))
        XCTAssertNotEqual(router.handle(.get("/api/v1/host?findings=all")).headers["ETag"], store.etag(.host(listing: .problems)),
                          "another listing is another representation")
    }

    func testIfNoneMatchListsWeakTagsAndStarAnswer304WithoutBodyOrType() throws {
        let tag = try XCTUnwrap(router.handle(.get("/api/v1/summary")).headers["ETag"])
        for header in [tag, "W/" + tag, "\"x\", " + tag, "\"x\",W/\(tag)", "*"] {
            let r = router.handle(.get("/api/v1/summary", headers: [("If-None-Match", header)]))
            XCTAssertEqual(r.status, 304, header)
            XCTAssertEqual(r.body, [], header)
            XCTAssertNil(r.headers["Content-Type"], header)
            XCTAssertEqual(r.headers["ETag"], tag, header)
            XCTAssertEqual(r.headers["Cache-Control"], "no-cache", header)
        }
        for header in ["\"x\"", String(tag.dropLast()) + "0\"", tag.replacingOccurrences(of: "\"", with: "")] {
            XCTAssertEqual(router.handle(.get("/api/v1/summary", headers: [("If-None-Match", header)])).status, 200, header)
        }
    }

    func testGzipWeakensTheTagAddsVaryAndStillRevalidates() throws {
        let gzip = [("Accept-Encoding", "gzip")]
        let plain = router.handle(.get("/api/v1/report"))
        let compressed = router.handle(.get("/api/v1/report", headers: gzip))
        XCTAssertEqual(compressed.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(compressed.headers["Vary"], "Accept-Encoding")
        XCTAssertEqual(plain.headers["Vary"], "Accept-Encoding")
        XCTAssertEqual(HTTPCompression.gunzip(compressed.body), plain.body)
        let weak = try XCTUnwrap(compressed.headers["ETag"])
        XCTAssertEqual(weak, "W/" + (plain.headers["ETag"] ?? ""))
        let again = router.handle(.get("/api/v1/report", headers: gzip + [("If-None-Match", weak)]))
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(again.headers["Vary"], "Accept-Encoding")
    }

    func testErrorsAndPostsCarryNoTag() {
        XCTAssertNil(router.handle(.get("/api/v1/domains/nope")).headers["ETag"])
        XCTAssertEqual(router.handle(.get("/api/v1/domains/nope", headers: [("If-None-Match", "*")])).status, 404)
        XCTAssertNil(router.handle(.get("/api/v1/scans", headers: HTTPRequest.dashboardPost, method: "POST")).headers["ETag"])
    }
}
