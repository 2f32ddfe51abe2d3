import Core
import XCTest
@testable import Reporting

final class SignatureTests: XCTestCase {
    func testHMACMatchesRFC4231TestCase2() {
        let mac = Signature.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        XCTAssertEqual(Hex.encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testWebhookSignatureCoversTimestampAndBody() {
        let a = Signature.webhook(secret: "s", timestamp: 1, body: Array("{}".utf8))
        XCTAssertTrue(a.hasPrefix("sha256="))
        XCTAssertNotEqual(a, Signature.webhook(secret: "s", timestamp: 2, body: Array("{}".utf8)))
        XCTAssertNotEqual(a, Signature.webhook(secret: "t", timestamp: 1, body: Array("{}".utf8)))
    }

    /// RFC 4231 section 4: the HMAC-SHA-256 vectors beside case 2 (keys shorter than, equal to
    /// and longer than the block, data longer than the block, a truncated output).
    func testHMACMatchesTheOtherRFC4231TestCases() {
        let blockKey = [UInt8](repeating: 0xaa, count: 131)
        let cases: [(key: [UInt8], data: [UInt8], mac: String)] = [
            ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
             "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
             "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            (blockKey, Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (blockKey, Array(("This is a test using a larger than block-size key and a larger than block-size data. "
                              + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (n, c) in cases.enumerated() {
            let mac = Signature.hmacSHA256(key: c.key, message: c.data)
            XCTAssertEqual(mac.count, 32)
            XCTAssertEqual(Hex.encode(mac), c.mac, "vector \(n)")
        }
        // Case 5: the output truncated to 128 bits.
        let truncated = Signature.hmacSHA256(key: [UInt8](repeating: 0x0c, count: 20), message: Array("Test With Truncation".utf8))
        XCTAssertEqual(Hex.encode(truncated.prefix(16)), "a3b6167473100ee06e0c796c2955552b")
    }

    /// The header value a receiver recomputes: HMAC over "<timestamp>.<body>", hex, `sha256=`.
    func testWebhookSignatureIsTheHMACOfTimestampDotBody() {
        XCTAssertEqual(Signature.webhook(secret: "whsec", timestamp: 1_700_000_000, body: Array(#"{"kind":"test"}"#.utf8)),
                       "sha256=1e376740a99dded1023b20b0edba00f1f6b6f88f77f9b26a61e73012aebe6ca5")
    }
}
