import CCrypto
import Foundation

/// HMAC-SHA256 signatures for webhook bodies (OpenSSL libcrypto).
public enum Signature {
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var len: UInt32 = 0
        _ = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &len)
            }
        }
        return Array(out.prefix(Int(len)))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }

    /// The `X-Virtaudit-Signature` value for a body sent at `timestamp`:
    /// `sha256=` + hex(HMAC-SHA256(secret, "<timestamp>.<body>")). Receivers recompute it with the
    /// shared secret and the `X-Virtaudit-Timestamp` header, and reject old timestamps (replay).
    public static func webhook(secret: String, timestamp: Int, body: [UInt8]) -> String {
        "sha256=" + hex(hmacSHA256(key: Array(secret.utf8), message: Array("\(timestamp).".utf8) + body))
    }
}
