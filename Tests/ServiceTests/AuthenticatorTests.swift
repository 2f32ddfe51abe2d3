import HTTPServer
import XCTest
@testable import Service

final class AuthenticatorTests: XCTestCase {
    func testBearerTokenParsing() {
        XCTAssertEqual(Authenticator.bearerToken("Bearer abc"), "abc")
        XCTAssertEqual(Authenticator.bearerToken("BEARER   abc"), "abc")
        XCTAssertNil(Authenticator.bearerToken("Bearer"))
        XCTAssertNil(Authenticator.bearerToken("Bearer a b"))
        XCTAssertNil(Authenticator.bearerToken("Basic abc"))
        XCTAssertNil(Authenticator.bearerToken("abc"))
        XCTAssertNil(Authenticator.bearerToken("Bearer ab\u{7f}c"))
    }

    func testRoleOfARequest() throws {
        let logs = LogCapture()
        let read = TokenStore.newToken(role: .read)
        let auth = Authenticator(tokens: try TokenStore.parse(read.line), logger: logs.logger)
        let request = HTTPRequest.get("/api/v1/summary", headers: [("Authorization", "Bearer \(read.token)")])
        XCTAssertEqual(try auth.role(of: request).get(), .read)
        XCTAssertEqual(auth.role(of: .get("/api/v1/summary")).failureValue, .unauthenticated(reason: "missing credentials"))
        XCTAssertEqual(logs.records.count, 1, "only the refusal is logged")
        XCTAssertEqual(logs.records.first?.metadata["path"]?.description, "/api/v1/summary")
    }

    func testOpenModeGivesLoopbackAdminAndRefusesRemotePeers() {
        let auth = Authenticator(tokens: TokenStore(), logger: LogCapture().logger)
        XCTAssertEqual(try auth.role(of: .get("/api/v1/summary", remote: "::1")).get(), .admin)
        XCTAssertEqual(auth.role(of: .get("/api/v1/summary", remote: "10.0.0.1")).failureValue,
                       .forbidden(reason: "remote client and no tokens configured"))
    }

    func testMoreThanOneAuthorizationHeaderIsABadRequest() throws {
        let read = TokenStore.newToken(role: .read)
        let auth = Authenticator(tokens: try TokenStore.parse(read.line), logger: LogCapture().logger)
        // First-wins would let a proxy and the service disagree about who is asking.
        let request = HTTPRequest.get("/api/v1/summary", headers: [("Authorization", "Bearer \(read.token)"),
                                                                   ("Authorization", "Bearer other")])
        XCTAssertEqual(auth.role(of: request).failureValue, .badRequest(reason: "more than one Authorization header"))
        let open = Authenticator(tokens: TokenStore(), logger: LogCapture().logger)
        XCTAssertEqual(open.role(of: request).failureValue, .badRequest(reason: "more than one Authorization header"))
    }

    /// DNS rebinding: without tokens, only loopback names, configured names and the service's
    /// port are accepted in `Host`.
    func testOpenModeHostAllowlist() {
        let auth = Authenticator(tokens: TokenStore(), logger: LogCapture().logger,
                                 allowedHosts: ["virtaudit.example.org", "HYPERVISOR-7."], port: 8470)
        let table: [(String, Bool)] = [
            ("127.0.0.1:8470", true), ("127.0.0.1", true), ("localhost:8470", true), ("LOCALHOST:8470", true),
            ("localhost.:8470", true), ("[::1]:8470", true), ("[::1]", true), ("127.1.2.3:8470", true),
            ("[::ffff:127.0.0.1]:8470", true), ("virtaudit.example.org:8470", true), ("hypervisor-7:8470", true),
            ("evil.example:8470", false), ("evil.example", false), ("localhost.evil.example:8470", false),
            ("127.0.0.1.evil.example:8470", false), ("127.0.0.1:8471", false), ("localhost:80", false),
            ("10.0.0.5:8470", false), ("[::2]:8470", false), ("127.0.0.256:8470", false),
            ("localhost:", false), ("localhost:x", false), ("", false), ("[::1", false), ("a:b:c", false),
        ]
        for (host, allowed) in table {
            let request = HTTPRequest.get("/api/v1/report", headers: [("Host", host)])
            XCTAssertEqual(auth.role(of: request).failureValue == nil, allowed, host)
        }
        // With tokens, `Host` is not the gate (the token is).
        XCTAssertNil(auth.openModeRefusal(.get("/api/v1/report")), "no Host (HTTP/1.0) is fine")
    }

    /// CSRF: a state-changing request without tokens must be non-simple and same-origin.
    func testOpenModeCrossSiteRequestsAreRefused() {
        let auth = Authenticator(tokens: TokenStore(), logger: LogCapture().logger, port: 8470)
        let table: [([(String, String)], Bool)] = [
            ([], false),                                                   // a form or fetch with no body
            ([("Content-Type", "text/plain")], false),                     // simple request
            ([("Content-Type", "application/x-www-form-urlencoded")], false),
            ([("Content-Type", "multipart/form-data; boundary=x")], false),
            ([("Content-Type", "application/json")], true),
            ([("Content-Type", "Application/JSON; charset=utf-8")], true),
            ([("Content-Type", "application/merge-patch+json")], true),
            ([("X-Requested-With", "virtaudit")], true),
            ([("X-Requested-With", "x"), ("Origin", "http://127.0.0.1:8470")], true),
            ([("X-Requested-With", "x"), ("Origin", "http://localhost:8470")], true),
            ([("X-Requested-With", "x"), ("Origin", "https://evil.example")], false),
            ([("X-Requested-With", "x"), ("Origin", "null")], false),
            ([("X-Requested-With", "x"), ("Origin", "http://127.0.0.1:9999")], false),
            ([("Content-Type", "application/json"), ("Sec-Fetch-Site", "same-origin")], true),
            ([("Content-Type", "application/json"), ("Sec-Fetch-Site", "none")], true),
            ([("Content-Type", "application/json"), ("Sec-Fetch-Site", "cross-site")], false),
            ([("Content-Type", "application/json"), ("Sec-Fetch-Site", "same-site")], false),
        ]
        for (headers, allowed) in table {
            let request = HTTPRequest.get("/api/v1/scans", headers: headers, method: "POST")
            XCTAssertEqual(auth.crossSiteRefusal(request) == nil, allowed, "\(headers)")
        }
    }
}

final class AuthenticatorCheckTests: XCTestCase {
    func testLoopbackNamesUseTheOneAddressCheck() {
        for name in ["localhost", "127.0.0.1", "127.9.9.9", "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:0:0:1]"] {
            XCTAssertTrue(Authenticator.isLoopbackName(name), name)
        }
        for name in ["::1", "[127.0.0.1]", "[::ffff:10.0.0.1]", "127.0.0.256", "127.example", "[::2]", "localhost.evil"] {
            XCTAssertFalse(Authenticator.isLoopbackName(name), name)
        }
    }

    func testCheckPerAccessLevel() throws {
        let read = TokenStore.newToken(role: .read)
        let tokens = Authenticator(tokens: try TokenStore.parse(read.line), logger: LogCapture().logger)
        let open = Authenticator(tokens: TokenStore(), logger: LogCapture().logger, port: 8470)
        let anonymous = HTTPRequest.get("/x", remote: "192.0.2.1")
        let withRead = HTTPRequest.get("/x", headers: [("Authorization", "Bearer \(read.token)")], method: "POST")
        XCTAssertNil(tokens.check(anonymous, .open))
        XCTAssertNil(tokens.check(anonymous, .page), "with tokens, the dashboard's files need none")
        XCTAssertEqual(tokens.check(anonymous, .read), .unauthenticated(reason: "missing credentials"))
        XCTAssertNil(tokens.check(withRead, .read))
        XCTAssertEqual(tokens.check(withRead, .admin(action: "start scans")),
                       .forbidden(reason: "token role 'read' cannot start scans"))
        let rebound = HTTPRequest.get("/x", headers: [("Host", "evil.example:8470")])
        XCTAssertNil(open.check(rebound, .open), "probes need no name")
        XCTAssertNotNil(open.check(rebound, .page))
        XCTAssertNotNil(open.check(rebound, .read))
        let simplePost = HTTPRequest.get("/x", headers: [("Host", "127.0.0.1:8470")], method: "POST")
        XCTAssertNil(open.check(simplePost, .read))
        XCTAssertEqual(open.check(simplePost, .admin(action: "start scans")).map(\.error.status), 403, "CSRF")
        XCTAssertEqual(open.check(HTTPRequest.get("/x", remote: "::ffff:127.0.0.1"), .read), nil, "mapped loopback peer")
        XCTAssertNotNil(open.check(HTTPRequest.get("/x", remote: "::ffff:192.0.2.1"), .read))
    }
}
