import XCTest
@testable import Reporting

final class SignatureTests: XCTestCase {
    func testHMACMatchesRFC4231TestCase2() {
        let mac = Signature.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Signature.hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testWebhookSignatureCoversTimestampAndBody() {
        let a = Signature.webhook(secret: "s", timestamp: 1, body: Array("{}".utf8))
        XCTAssertTrue(a.hasPrefix("sha256="))
        XCTAssertNotEqual(a, Signature.webhook(secret: "s", timestamp: 2, body: Array("{}".utf8)))
        XCTAssertNotEqual(a, Signature.webhook(secret: "t", timestamp: 1, body: Array("{}".utf8)))
    }
}
