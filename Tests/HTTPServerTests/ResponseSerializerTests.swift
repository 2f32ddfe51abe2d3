import Glibc
@testable import HTTPServer
import XCTest

final class ResponseSerializerTests: XCTestCase {
    private func text(_ r: HTTPResponse, keepAlive: Bool = true, omitBody: Bool = false) -> String {
        String(decoding: ResponseSerializer.serialize(r, keepAlive: keepAlive, omitBody: omitBody), as: UTF8.self)
    }

    func testServerOwnsFramingHeaders() {
        var r = HTTPResponse(status: 200, contentType: "text/plain", body: Array("hi".utf8))
        r.headers.add("Content-Length", "999")
        r.headers.add("Transfer-Encoding", "chunked")
        r.headers.add("Server", "other")
        let t = text(r)
        XCTAssertTrue(t.hasPrefix("HTTP/1.1 200 OK\r\nDate: "))
        XCTAssertTrue(t.contains("\r\nServer: virtaudit\r\n"))
        XCTAssertFalse(t.contains("999"))
        XCTAssertFalse(t.contains("chunked"))
        XCTAssertFalse(t.contains("other"))
        XCTAssertTrue(t.hasSuffix("Content-Length: 2\r\nConnection: keep-alive\r\n\r\nhi"))
    }

    func testHeadKeepsContentLengthWithoutBodyAnd304HasNeither() {
        let r = HTTPResponse(status: 200, contentType: "text/plain", body: Array("hello".utf8))
        XCTAssertTrue(text(r, keepAlive: false, omitBody: true).hasSuffix("Content-Length: 5\r\nConnection: close\r\n\r\n"))
        let nm = text(HTTPResponse(status: 304, headers: HTTPHeaders([("ETag", "\"1\"")]), body: [1, 2]))
        XCTAssertFalse(nm.contains("Content-Length"))
        XCTAssertTrue(nm.hasSuffix("\r\n\r\n"))
    }

    func testCRLFInHeaderValuesCannotSplitTheResponse() {
        let r = HTTPResponse(status: 200, headers: HTTPHeaders([("X-Echo", "a\r\nSet-Cookie: evil=1")]), body: [])
        let t = text(r)
        XCTAssertFalse(t.contains("\r\nSet-Cookie"))
        XCTAssertTrue(t.contains("X-Echo: a Set-Cookie: evil=1\r\n"))
    }

    func testDateIsIMFFixdate() {
        XCTAssertEqual(HTTPDate.format(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    func testStatusLineAndContentLengthAreWrittenForAnyStatusAndSize() {
        XCTAssertTrue(text(HTTPResponse(status: 418, body: [])).hasPrefix("HTTP/1.1 418 Status 418\r\nDate: "))
        XCTAssertTrue(text(HTTPResponse(status: 201, body: [])).hasPrefix("HTTP/1.1 201 Created\r\n"))
        XCTAssertTrue(text(HTTPResponse(status: 42, body: [])).hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
        XCTAssertTrue(text(HTTPResponse(status: 200, body: [])).contains("\r\nContent-Length: 0\r\n"))
        let big = [UInt8](repeating: 0x61, count: 1_234_567)
        let bytes = ResponseSerializer.serialize(HTTPResponse(status: 200, body: big), keepAlive: false, omitBody: false)
        let head = String(decoding: bytes.prefix(200), as: UTF8.self)
        XCTAssertTrue(head.contains("\r\nContent-Length: 1234567\r\nConnection: close\r\n\r\n"))
        XCTAssertEqual(Array(bytes.suffix(big.count)), big)
        XCTAssertEqual(bytes.count, head.range(of: "\r\n\r\n")!.upperBound.utf16Offset(in: head) + big.count)
    }

    func testDateFieldIsTheCurrentSecondsIMFFixdate() {
        let before = time(nil)
        let field = String(decoding: DateField().current(), as: UTF8.self)
        let after = time(nil)
        XCTAssertTrue(field == "Date: \(HTTPDate.format(before))\r\n" || field == "Date: \(HTTPDate.format(after))\r\n", field)
        XCTAssertEqual(HTTPDate.fieldBytes().count, field.utf8.count)
    }
}
