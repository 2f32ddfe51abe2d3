import CCrypto
import Foundation

/// What a token allows. `admin` implies `read`.
public enum TokenRole: String, Sendable, Hashable, CaseIterable {
    case read, admin

    public func allows(_ needed: TokenRole) -> Bool {
        self == .admin || needed == .read
    }
}

/// API tokens, kept only as SHA-256 hashes. The token file has one token a line:
///
///     # role  hash                                                                     name
///     read    sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 grafana
///     admin   sha256:...                                                               ops
///
/// Blank lines and lines starting with `#` are ignored. Plain tokens are never stored.
public struct TokenStore: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var role: TokenRole
        /// The 32-byte SHA-256 digest of the token.
        public var digest: [UInt8]
        public var name: String?
        public var line: Int
    }

    public private(set) var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    public var isEmpty: Bool { entries.isEmpty }

    public static func load(path: String) throws -> TokenStore {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TokenFileError.unreadable(file: path, reason: ServiceConfig.describe(error))
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String = "<tokens>") throws -> TokenStore {
        var entries: [Entry] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 2 else {
                throw TokenFileError.malformed(file: file, line: lineNumber,
                    reason: "expected '<role> sha256:<hex> [name]'")
            }
            guard let role = TokenRole(rawValue: fields[0]) else {
                throw TokenFileError.malformed(file: file, line: lineNumber,
                    reason: "unknown role '\(fields[0])' (roles: read, admin)")
            }
            guard fields[1].hasPrefix("sha256:") else {
                throw TokenFileError.malformed(file: file, line: lineNumber,
                    reason: "the second field must be 'sha256:<64 hex digits>' (the hash printed by 'virtaudit token new'), not a plain token")
            }
            guard let digest = decodeHex(String(fields[1].dropFirst(7))), digest.count == 32 else {
                throw TokenFileError.malformed(file: file, line: lineNumber,
                    reason: "the hash must be 64 hex digits after 'sha256:'")
            }
            if let previous = entries.first(where: { $0.digest == digest }) {
                throw TokenFileError.malformed(file: file, line: lineNumber,
                    reason: "the same token hash is already on line \(previous.line)")
            }
            let name = fields.count > 2 ? fields[2...].joined(separator: " ") : nil
            entries.append(Entry(role: role, digest: digest, name: name, line: lineNumber))
        }
        return TokenStore(entries: entries)
    }

    /// The entry matching a presented token, if any. Every stored hash is compared in constant
    /// time, so timing tells nothing about which or how much matched.
    public func match(token: String) -> Entry? {
        let digest = Self.sha256(Array(token.utf8))
        var found: Entry?
        for entry in entries {
            let equal = digest.withUnsafeBytes { a in
                entry.digest.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) == 0 }
            }
            if equal && found == nil { found = entry }
        }
        return found
    }

    /// A new random token (32 bytes from the OpenSSL CSPRNG, URL-safe base64 with a `va_` prefix)
    /// and the token-file line that admits it. Only the line should be stored.
    public static func newToken(role: TokenRole, name: String? = nil) throws -> (token: String, line: String) {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&bytes, 32) == 1 else { throw TokenFileError.randomUnavailable }
        let token = "va_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (token, line(role: role, token: token, name: name))
    }

    /// The token-file line for a token.
    public static func line(role: TokenRole, token: String, name: String? = nil) -> String {
        var line = "\(role.rawValue) sha256:\(hex(sha256(Array(token.utf8))))"
        if let name, !name.isEmpty { line += " \(name)" }
        return line
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBufferPointer { input in
            _ = SHA256(input.baseAddress, input.count, &digest)
        }
        return digest
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

public enum TokenFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformed(file: String, line: Int, reason: String)
    case randomUnavailable

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read the token file: \(reason)"
        case .malformed(let file, let line, let reason): return "\(file):\(line): \(reason)"
        case .randomUnavailable: return "the system random generator failed"
        }
    }
}
