@testable import HTTPServer
import XCTest

/// The parser, fed strings: no sockets.
final class HTTPParserTests: XCTestCase {
    private let small = HTTPParserLimits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 5, maxBodyBytes: 100)

    /// All requests from `text`, or the error that stopped parsing.
    private func parse(_ text: String, limits: HTTPParserLimits = HTTPParserLimits(), chunk: Int = .max) -> ([ParsedRequest], HTTPParseError?) {
        var p = HTTPParser(limits: limits)
        var out: [ParsedRequest] = []
        let bytes = Array(text.utf8)
        var i = 0
        repeat {
            let end = min(bytes.count, i + (chunk == .max ? bytes.count : chunk))
            p.append(bytes[i..<end])
            i = end
            do {
                while let r = try p.next() { out.append(r) }
            } catch {
                return (out, error)
            }
        } while i < bytes.count
        return (out, nil)
    }

    private func status(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) -> Int? {
        parse(text, limits: limits).1?.status
    }

    func testSimpleGetGivesMethodPathQueryAndHeaders() throws {
        let (reqs, err) = parse("GET /api/v1/domains?grade=F&q=a+b%21 HTTP/1.1\r\nHost: x\r\nX-Two:  spaced value \t\r\n\r\n")
        XCTAssertNil(err)
        let r = try XCTUnwrap(reqs.first)
        XCTAssertEqual(r.request.method, "GET")
        XCTAssertEqual(r.request.target, "/api/v1/domains?grade=F&q=a+b%21")
        XCTAssertEqual(r.request.path, "/api/v1/domains")
        XCTAssertEqual(r.request.query, ["grade": "F", "q": "a b!"])
        XCTAssertEqual(r.request.headers["x-two"], "spaced value")
        XCTAssertEqual(r.minorVersion, 1)
        XCTAssertTrue(r.keepAlive)
    }

    func testByteByByteFeedingGivesTheSameRequests() {
        let text = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
        let (reqs, err) = parse(text, chunk: 1)
        XCTAssertNil(err)
        XCTAssertEqual(reqs.map(\.request.path), ["/a", "/b"])
        XCTAssertEqual(reqs.first?.request.body, Array("hello".utf8))
    }

    func testPipelinedRequestsComeOutInOrder() {
        let text = (1...3).map { "GET /\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
        XCTAssertEqual(parse(text).0.map(\.request.path), ["/1", "/2", "/3"])
    }

    func testKeepAliveFollowsVersionAndConnectionHeader() {
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").0.first?.keepAlive, false)
        XCTAssertEqual(parse("GET / HTTP/1.0\r\n\r\n").0.first?.keepAlive, false)
        XCTAssertEqual(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").0.first?.keepAlive, true)
        XCTAssertEqual(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n").0.first?.keepAlive, false)
    }

    func testBareLFLineEndsAndLeadingEmptyLinesAreAccepted() {
        XCTAssertEqual(parse("\r\nGET /lf HTTP/1.1\nHost: x\n\n").0.first?.request.path, "/lf")
    }

    func testAbsoluteFormAndAsteriskForm() {
        XCTAssertEqual(parse("GET http://example.com/p?a=1 HTTP/1.1\r\nHost: x\r\n\r\n").0.first?.request.path, "/p")
        XCTAssertEqual(parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").0.first?.request.path, "*")
        XCTAssertEqual(status("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
        XCTAssertEqual(status("GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
    }

    func testMalformedRequestsGetTheRightStatus() {
        let cases: [(String, Int)] = [
            ("GET / HTTP/1.1\r\n\r\n", 400),                                     // no Host
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
            ("GET / HTTP/0.9\r\n\r\n", 505),
            ("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400),
            ("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /\u{7f} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\n\tfolded\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
            ("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /%gg HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /a%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /%ff%fe HTTP/1.1\r\nHost: a\r\n\r\n", 400),                      // not UTF-8
            ("GET /?q=%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 2\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
            ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n", 413),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(status(text), expected, text.debugDescription)
        }
    }

    func testEqualDuplicateContentLengthsAreAccepted() {
        let (reqs, err) = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 003\r\n\r\nabc")
        XCTAssertNil(err)
        XCTAssertEqual(reqs.first?.request.body, Array("abc".utf8))
    }

    func testLimitsGive414And431And413() {
        XCTAssertEqual(status("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n", limits: small), 414)
        XCTAssertEqual(status("GET /" + String(repeating: "a", count: 100), limits: small), 414)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 300) + "\r\n\r\n", limits: small), 431)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 400), limits: small), 431)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\n" + (0..<6).map { "X\($0): v\r\n" }.joined() + "\r\n", limits: small), 431)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", limits: small), 413)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n" + String(repeating: "x", count: 64) + "\r\n40\r\n", limits: small), 413)
    }

    func testBodyAtTheLimitIsAccepted() {
        let body = String(repeating: "x", count: 100)
        XCTAssertEqual(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + body, limits: small).0.first?.request.body.count, 100)
    }

    func testChunkedBodyWithExtensionsAndTrailers() {
        let (reqs, err) = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3;name=v\r\nabc\r\nA \r\n0123456789\r\n0\r\nT: 1\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n", chunk: 7)
        XCTAssertNil(err)
        XCTAssertEqual(reqs.first.map { String(decoding: $0.request.body, as: UTF8.self) }, "abc0123456789")
        XCTAssertEqual(reqs.last?.request.path, "/next")
    }

    func testExpectContinueIsReportedUntilTheBodyArrives() throws {
        var p = HTTPParser()
        p.append(Array("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        XCTAssertNil(try p.next())
        XCTAssertTrue(p.expectsContinue)
        XCTAssertEqual(p.phase, .body)
        p.append(Array("ok".utf8))
        XCTAssertEqual(try p.next()?.request.body, Array("ok".utf8))
        XCTAssertFalse(p.expectsContinue)
        XCTAssertEqual(p.phase, .idle)
    }

    func testErrorIsStickyAfterItIsReturned() {
        var p = HTTPParser()
        p.append(Array("BAD\r\n\r\n".utf8))
        XCTAssertThrowsError(try p.next())
        p.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        XCTAssertThrowsError(try p.next())
    }

    func testPhaseTracksHeadAndBody() throws {
        var p = HTTPParser()
        XCTAssertEqual(p.phase, .idle)
        p.append(Array("GET".utf8))
        XCTAssertNil(try p.next())
        XCTAssertEqual(p.phase, .head)
    }
}
