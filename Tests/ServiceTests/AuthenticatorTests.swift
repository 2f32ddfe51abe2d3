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
        let read = try TokenStore.newToken(role: .read)
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
}
