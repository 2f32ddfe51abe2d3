import Core
import Crypto
import Foundation

/// HMAC-SHA256 signatures for webhook bodies.
public enum Signature {
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// The `X-Virtaudit-Signature` value for a body sent at `timestamp`:
    /// `sha256=` + hex(HMAC-SHA256(secret, "<timestamp>.<body>")). Receivers recompute it with the
    /// shared secret and the `X-Virtaudit-Timestamp` header, and reject old timestamps (replay).
    public static func webhook(secret: String, timestamp: Int, body: [UInt8]) -> String {
        "sha256=" + Hex.encode(hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body))
    }
}
