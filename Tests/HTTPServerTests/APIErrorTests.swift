import Core
import Foundation
@testable import HTTPServer
import XCTest

final class APIErrorTests: XCTestCase {
    private func object(_ error: APIError) throws -> JSONValue {
        try XCTUnwrap(try JSONValue(parsing: Data(error.body))["error"])
    }

    func testBodyIsTheErrorObjectWrittenByJSONWriter() throws {
        let error = APIError(status: 400, message: "bad \"x\" <y>\n\u{1}")
        XCTAssertEqual(error.body, JSONWriter.bytes(["error": ["code": "bad_request", "message": "bad \"x\" <y>\n\u{1}"]]))
        XCTAssertEqual(try object(error)["message"], "bad \"x\" <y>\n\u{1}", "quotes, newlines and controls round-trip")
        XCTAssertEqual(String(decoding: APIError.notFound("no such path").body, as: UTF8.self),
                       #"{"error":{"code":"not_found","message":"no such path"}}"#)
    }

    func testDetailsAreAddedButNeverReplaceCodeOrMessage() throws {
        let error = APIError(status: 400, code: "bad_request", message: "m",
                             details: ["parameter": "limit", "code": "spoofed", "message": "spoofed"])
        XCTAssertEqual(try object(error), ["code": "bad_request", "message": "m", "parameter": "limit"])
        XCTAssertEqual(try object(.badParameter("sort", "'sort' has unknown value 'x'"))["parameter"], "sort")
    }

    func testResponseCarriesStatusJSONNoStoreNosniffAndItsHeaders() {
        let r = APIError.methodNotAllowed(["GET", "POST"]).response
        XCTAssertEqual(r.status, 405)
        XCTAssertEqual(r.headers["Allow"], "GET, POST")
        XCTAssertEqual(r.headers["Content-Type"], "application/json")
        XCTAssertEqual(r.headers["Cache-Control"], "no-store")
        XCTAssertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        let retry = APIError(status: 503, code: "no_results", message: "later",
                             headers: HTTPHeaders([("Retry-After", "10"), ("Cache-Control", "no-cache")])).response
        XCTAssertEqual(retry.headers["Retry-After"], "10")
        XCTAssertEqual(retry.headers.values("Cache-Control"), ["no-cache"], "a given field replaces the default")
    }

    func testDefaultCodesFollowTheStatus() {
        let table: [(Int, String)] = [(400, "bad_request"), (401, "unauthorized"), (403, "forbidden"), (404, "not_found"),
                                      (405, "method_not_allowed"), (408, "request_timeout"), (413, "content_too_large"),
                                      (414, "uri_too_long"), (431, "header_fields_too_large"), (500, "internal_error"),
                                      (501, "not_implemented"), (503, "service_unavailable"),
                                      (505, "http_version_not_supported"), (502, "server_error"), (418, "client_error")]
        for (status, code) in table { XCTAssertEqual(APIError(status: status, message: "").code, code, "\(status)") }
        XCTAssertEqual(APIError(status: 503, code: "no_results", message: "").code, "no_results")
    }
}

final class IPAddressTests: XCTestCase {
    func testLoopbackAddresses() {
        for address in ["127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1",
                        "::FFFF:127.0.0.1", "::ffff:7f00:1", "0:0:0:0:0:ffff:127.9.8.7", "::ffff:7fff:ffff"] {
            XCTAssertTrue(IPAddress.isLoopback(address), address)
        }
    }

    func testOtherAddressesNamesAndTextAreNotLoopback() {
        for address in ["0.0.0.0", "::", "192.0.2.1", "128.0.0.1", "126.255.255.255", "::2", "fe80::1",
                        "::ffff:10.0.0.1", "::ffff:8000:1", "::127.0.0.1", "64:ff9b::127.0.0.1", "localhost", "",
                        "127.evil.example", "127.0.0.1.evil.example", "127.0.0.256", "[::1]", "::1%lo", " 127.0.0.1"] {
            XCTAssertFalse(IPAddress.isLoopback(address), address)
        }
    }

    func testRequestPeerUsesTheSameCheck() {
        for (remote, loopback) in [("::ffff:127.0.0.1", true), ("::FFFF:7f00:1", true), ("127.0.0.9", true),
                                   ("::ffff:192.0.2.1", false), ("127.example", false)] {
            let request = HTTPRequest(method: "GET", target: "/", path: "/", remoteAddress: remote)
            XCTAssertEqual(request.isLoopback, loopback, remote)
        }
    }

    func testListenAddressesTakeBracketsAndLocalhostButNoOtherName() {
        for host in ["127.0.0.1", "::1", "[::1]", "::ffff:127.0.0.1", "[::ffff:7f00:1]", "localhost", "LOCALHOST"] {
            XCTAssertTrue(IPAddress.isLoopbackListen(host), host)
        }
        for host in ["0.0.0.0", "", "[]", "127.evil.example", "localhost.evil.example", "[127.0.0.1", "::ffff:10.0.0.1",
                     "[::]", "192.0.2.1"] {
            XCTAssertFalse(IPAddress.isLoopbackListen(host), host)
        }
    }

    func testNumericAddresses() {
        for address in ["127.0.0.1", "0.0.0.0", "::", "fe80::1", "::ffff:1.2.3.4"] { XCTAssertTrue(IPAddress.isNumeric(address), address) }
        for address in ["localhost", "", "1.2.3", "[::1]", "::g"] { XCTAssertFalse(IPAddress.isNumeric(address), address) }
    }
}
