import Core
import Crypto
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
            guard let digest = Hex.decode(fields[1].dropFirst(7)), digest.count == 32 else {
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
        let digest = SHA256.hash(data: Array(token.utf8))
        var found: Entry?
        for entry in entries {
            // `Digest == bytes` compares in constant time.
            if digest == entry.digest && found == nil { found = entry }
        }
        return found
    }

    /// A new random token (a 256-bit key from the system's cryptographic random source,
    /// URL-safe base64 with a `va_` prefix) and the token-file line that admits it. Only the
    /// line should be stored.
    public static func newToken(role: TokenRole, name: String? = nil) -> (token: String, line: String) {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let token = "va_" + bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return (token, line(role: role, token: token, name: name))
    }

    /// The token-file line for a token.
    public static func line(role: TokenRole, token: String, name: String? = nil) -> String {
        var line = "\(role.rawValue) sha256:\(Hex.encode(SHA256.hash(data: Array(token.utf8))))"
        if let name, !name.isEmpty { line += " \(name)" }
        return line
    }
}

public enum TokenFileError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformed(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): cannot read the token file: \(reason)"
        case .malformed(let file, let line, let reason): return "\(file):\(line): \(reason)"
        }
    }
}
