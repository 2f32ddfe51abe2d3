import Core
import Crypto
import Foundation
import HTTPServer

/// Validators for cacheable responses: a strong ETag from the body and `If-None-Match` -> 304.
/// Compression is left to the server (`Accept-Encoding` handling is not done here).
enum Conditional {
    /// A strong entity tag: the first 128 bits of the body's SHA-256, quoted.
    static func etag(for body: [UInt8]) -> String {
        "\"" + Hex.encode(SHA256.hash(data: body).prefix(16)) + "\""
    }

    /// True when an `If-None-Match` value names `etag` (weak comparison, as RFC 9110 asks for
    /// If-None-Match) or is `*`.
    static func matches(ifNoneMatch: String, etag: String) -> Bool {
        let wanted = opaque(etag)
        for candidate in ifNoneMatch.split(separator: ",") {
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" || opaque(tag) == wanted { return true }
        }
        return false
    }

    /// A 200 carrying `etag`, or a 304 without body when the request already has it.
    static func respond(to request: HTTPRequest, body: [UInt8], etag: String, headers: HTTPHeaders) -> HTTPResponse {
        var headers = headers
        headers.replace("ETag", etag)
        if let header = request.headers["If-None-Match"], matches(ifNoneMatch: header, etag: etag) {
            headers.remove("Content-Type")
            return HTTPResponse(status: 304, headers: headers, body: [])
        }
        return HTTPResponse(status: 200, headers: headers, body: body)
    }

    private static func opaque(_ tag: some StringProtocol) -> Substring {
        let s = Substring(tag)
        return s.hasPrefix("W/") ? s.dropFirst(2) : s
    }
}
