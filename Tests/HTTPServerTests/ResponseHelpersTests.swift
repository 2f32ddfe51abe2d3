@testable import HTTPServer
import XCTest

final class ResponseHelpersTests: XCTestCase {
    private func request(_ headers: [(String, String)] = [], method: String = "GET") -> HTTPRequest {
        HTTPRequest(method: method, target: "/x", path: "/x", headers: HTTPHeaders(headers))
    }

    private let json = HTTPResponse(status: 200, contentType: "application/json",
                                    body: Array(String(repeating: "{\"a\":1},", count: 300).utf8))

    func testETagIsStableAndDependsOnTheBody() {
        XCTAssertEqual(ResponseHelpers.etag(for: [1, 2, 3]), ResponseHelpers.etag(for: [1, 2, 3]))
        XCTAssertNotEqual(ResponseHelpers.etag(for: [1, 2, 3]), ResponseHelpers.etag(for: [1, 2, 4]))
        // A change in any lane of a 32-byte block, a trailing word or the tail changes the tag;
        // so does the length.
        let base = [UInt8](repeating: 7, count: 77)
        var tags: Set<String> = [ResponseHelpers.etag(for: base), ResponseHelpers.etag(for: base + [0])]
        for i in [0, 9, 31, 36, 63, 70, 76] {
            var changed = base
            changed[i] ^= 0x40
            tags.insert(ResponseHelpers.etag(for: changed))
        }
        XCTAssertEqual(tags.count, 9)
        XCTAssertTrue(ResponseHelpers.etag(for: []).hasPrefix("\""))
        XCTAssertTrue(ResponseHelpers.etag(for: []).hasSuffix("\""))
    }

    func testConditionalAddsETagAndAnswers304ForMatchingTagsListsAndStar() {
        let plain = ResponseHelpers.conditional(request: request(), response: json)
        let tag = plain.headers["ETag"]!
        XCTAssertEqual(plain.status, 200)
        for header in [tag, "\"zz\", " + tag, "*", "W/" + tag, "\"a\",W/\(tag) , \"b\""] {
            let r = ResponseHelpers.conditional(request: request([("If-None-Match", header)]), response: json)
            XCTAssertEqual(r.status, 304, header)
            XCTAssertEqual(r.body, [], header)
            XCTAssertEqual(r.headers["ETag"], tag, header)
            XCTAssertNil(r.headers["Content-Type"], header)
        }
        XCTAssertEqual(ResponseHelpers.conditional(request: request([("If-None-Match", "\"other\"")]), response: json).status, 200)
    }

    func testConditionalLeavesErrorsAndPostsAlone() {
        let notFound = HTTPResponse(status: 404, contentType: "application/json", body: [1])
        XCTAssertEqual(ResponseHelpers.conditional(request: request([("If-None-Match", "*")]), response: notFound).status, 404)
        let post = ResponseHelpers.conditional(request: request([("If-None-Match", "*")], method: "POST"), response: json)
        XCTAssertEqual(post.status, 200)
        XCTAssertNil(post.headers["ETag"])
    }

    func testGzipQualityHonoursQValues() {
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: nil), 0)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "gzip, deflate, br"), 1)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "gzip;q=0"), 0)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "GZIP ; Q=0.5"), 0.5)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "*;q=0.3"), 0.3)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "gzip;q=0, *"), 0)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "br, identity"), 0)
        XCTAssertEqual(ResponseHelpers.gzipQuality(acceptEncoding: "gzip;q=7"), 0)
    }

    func testCompressIfAcceptedGzipsLargeCompressibleBodiesOnly() throws {
        let accepted = request([("Accept-Encoding", "gzip")])
        let gz = ResponseHelpers.compressIfAccepted(request: accepted, response: json)
        XCTAssertEqual(gz.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(gz.headers["Vary"], "Accept-Encoding")
        XCTAssertEqual(HTTPCompression.gunzip(gz.body), json.body)

        let refused = ResponseHelpers.compressIfAccepted(request: request([("Accept-Encoding", "gzip;q=0")]), response: json)
        XCTAssertNil(refused.headers["Content-Encoding"])
        XCTAssertEqual(refused.headers["Vary"], "Accept-Encoding")

        let small = HTTPResponse(status: 200, contentType: "application/json", body: Array("{}".utf8))
        XCTAssertNil(ResponseHelpers.compressIfAccepted(request: accepted, response: small).headers["Content-Encoding"])

        let png = HTTPResponse(status: 200, contentType: "image/png", body: json.body)
        XCTAssertNil(ResponseHelpers.compressIfAccepted(request: accepted, response: png).headers["Content-Encoding"])
    }

    func testPrepareWeakensTheETagOfACompressedBodyAndStillRevalidates() {
        let accepted = request([("Accept-Encoding", "gzip")])
        let first = ResponseHelpers.prepare(request: accepted, response: json)
        let tag = try! XCTUnwrap(first.headers["ETag"])
        XCTAssertTrue(tag.hasPrefix("W/\""))
        let again = ResponseHelpers.prepare(request: request([("Accept-Encoding", "gzip"), ("If-None-Match", tag)]), response: json)
        XCTAssertEqual(again.status, 304)
    }

    func testNotModifiedKeepsTheVaryTheFullResponseWouldCarry() {
        let tag = ResponseHelpers.etag(for: json.body)
        let r = ResponseHelpers.prepare(request: request([("If-None-Match", "W/" + tag), ("Accept-Encoding", "gzip")]),
                                        response: json)
        XCTAssertEqual(r.status, 304)
        XCTAssertEqual(r.headers["Vary"], "Accept-Encoding", "caches must keep the gzip and identity variants apart")
        let small = HTTPResponse(status: 200, contentType: "application/json", body: Array("{}".utf8))
        let notCompressible = ResponseHelpers.prepare(request: request([("If-None-Match", "*")]), response: small)
        XCTAssertEqual(notCompressible.status, 304)
        XCTAssertNil(notCompressible.headers["Vary"], "a body never compressed does not vary")
    }

    func testStoredBodiesAreAnsweredFromTheirTagWithoutHashing() {
        // A tag that is not the hash of the body: only a stored tag can produce a 304 for it.
        let stored = ResponseHelpers.stored(json.body, etag: "\"from-the-store\"")
        let fresh = ResponseHelpers.prepare(request: request(), response: stored)
        XCTAssertEqual(fresh.headers["ETag"], "\"from-the-store\"")
        XCTAssertEqual(fresh.headers["X-Content-Type-Options"], "nosniff")
        XCTAssertEqual(fresh.headers["Cache-Control"], "no-cache")
        let again = ResponseHelpers.prepare(request: request([("If-None-Match", "\"x\", \"from-the-store\"")]), response: stored)
        XCTAssertEqual(again.status, 304)
        XCTAssertEqual(again.headers["ETag"], "\"from-the-store\"")
        let hashed = ResponseHelpers.prepare(request: request([("If-None-Match", ResponseHelpers.etag(for: json.body))]),
                                             response: stored)
        XCTAssertEqual(hashed.status, 200, "the body's hash is not its tag when the store supplied one")
    }

    func testGzipOfABodyIsReusedAcrossTargetsAndAChangedBodyOrTagIsCompressedAfresh() throws {
        let req = HTTPRequest(method: "GET", target: "/gzip-cache?x=1", path: "/gzip-cache",
                              headers: HTTPHeaders([("Accept-Encoding", "gzip")]))
        func tagged(_ body: [UInt8], _ tag: String) -> HTTPResponse {
            HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json"), ("ETag", tag)]), body: body)
        }
        let v1 = Array(String(repeating: "{\"v\":1},", count: 400).utf8)
        let first = ResponseHelpers.prepare(request: req, response: tagged(v1, "\"v1\""))
        XCTAssertEqual(first.headers["Content-Encoding"], "gzip")
        XCTAssertEqual(HTTPCompression.gunzip(first.body), v1)
        let key = GzipCache.Key(etag: "\"v1\"", length: v1.count)
        XCTAssertEqual(GzipCache.shared.get(key), first.body, "the encoding is kept for the next request")
        XCTAssertEqual(ResponseHelpers.prepare(request: req, response: tagged(v1, "\"v1\"")).body, first.body)

        // New content under a new tag: the new bytes, not the cached ones.
        let v2 = Array(String(repeating: "{\"v\":2},", count: 400).utf8)
        XCTAssertEqual(HTTPCompression.gunzip(ResponseHelpers.prepare(request: req, response: tagged(v2, "\"v2\"")).body), v2)
        // A handler reusing a tag for a body of another length does not get the old encoding.
        let v3 = Array(String(repeating: "{\"v\":3},", count: 500).utf8)
        XCTAssertEqual(HTTPCompression.gunzip(ResponseHelpers.prepare(request: req, response: tagged(v3, "\"v1\"")).body), v3)
        // The same body asked for under other targets and query strings (a cache-busting
        // client): the one kept encoding, not a new compression per target.
        let other = HTTPRequest(method: "GET", target: "/gzip-cache?x=2&nonce=7", path: "/gzip-cache",
                                headers: HTTPHeaders([("Accept-Encoding", "gzip")]))
        GzipCache.shared.put(key, first.body + [0])   // marker: only a cache hit returns these bytes
        XCTAssertEqual(ResponseHelpers.prepare(request: other, response: tagged(v1, "\"v1\"")).body, first.body + [0])
        GzipCache.shared.put(key, first.body)
        // Without a strong tag the key is a hash of the bytes: the same body is kept once.
        let before = GzipCache.shared.count
        let v4 = Array(String(repeating: "{\"v\":4},", count: 300).utf8)
        var weak = tagged(v4, "W/\"w\"")
        let w1 = ResponseHelpers.compressIfAccepted(request: req, response: weak)
        weak.headers.remove("ETag")
        let w2 = ResponseHelpers.compressIfAccepted(request: other, response: weak)
        XCTAssertEqual(GzipCache.shared.count, before + 1)
        XCTAssertEqual(HTTPCompression.gunzip(w1.body), v4)
        XCTAssertEqual(w1.body, w2.body)
    }

    func testGzipCacheStaysWithinItsEntryAndByteBounds() {
        let cache = GzipCache(maxEntries: 3, maxBytes: 100)
        for i in 0..<5 { cache.put(GzipCache.Key(etag: "\"\(i)\"", length: i), [UInt8](repeating: 1, count: 10)) }
        XCTAssertEqual(cache.count, 3)
        XCTAssertNil(cache.get(GzipCache.Key(etag: "\"0\"", length: 0)), "the oldest went first")
        XCTAssertNotNil(cache.get(GzipCache.Key(etag: "\"4\"", length: 4)))
        cache.put(GzipCache.Key(etag: "\"b\"", length: 1), [UInt8](repeating: 1, count: 95))
        XCTAssertEqual(cache.count, 1, "bytes over the bound evict older entries")
        cache.put(GzipCache.Key(etag: "\"h\"", length: 1), [UInt8](repeating: 1, count: 101))
        XCTAssertNil(cache.get(GzipCache.Key(etag: "\"h\"", length: 1)), "larger than the whole cache")
    }
}
