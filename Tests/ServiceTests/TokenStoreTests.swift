import Core
import XCTest
@testable import Service

final class TokenStoreTests: XCTestCase {
    /// sha256("test") is a published test vector.
    let testHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

    func testHashOfAKnownTokenMatchesTheSHA256TestVector() {
        XCTAssertEqual(TokenStore.line(role: .read, token: "test"), "read sha256:\(testHash)")
        XCTAssertEqual(TokenStore.line(role: .admin, token: "test", name: "ops team"), "admin sha256:\(testHash) ops team")
    }

    /// FIPS 180-2 appendix B: one-block and two-block messages, and the empty message.
    func testTokenHashesMatchTheFIPS180Vectors() {
        let vectors = [
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ]
        for (token, digest) in vectors {
            XCTAssertEqual(TokenStore.line(role: .read, token: token), "read sha256:\(digest)", token)
        }
    }

    /// The whole 32-byte digest is compared: one differing bit anywhere is no match.
    func testMatchComparesEveryByteOfTheDigest() throws {
        for position in [0, 31] {
            var digest = try XCTUnwrap(Hex.decode(testHash))
            digest[position] ^= 0x01
            let store = try TokenStore.parse("read sha256:\(Hex.encode(digest))\n")
            XCTAssertNil(store.match(token: "test"), "byte \(position) differs")
        }
    }

    func testParsesRolesNamesCommentsAndBlankLines() throws {
        let store = try TokenStore.parse("""
            # tokens for virtaudit

            read sha256:\(testHash) grafana dashboard
              admin\tsha256:\(String(repeating: "A", count: 64))
            """)
        XCTAssertEqual(store.entries.count, 2)
        XCTAssertEqual(store.entries[0].role, .read)
        XCTAssertEqual(store.entries[0].name, "grafana dashboard")
        XCTAssertEqual(store.entries[0].line, 3)
        XCTAssertEqual(store.entries[1].role, .admin)
        XCTAssertNil(store.entries[1].name)
        XCTAssertEqual(store.entries[1].digest, Array(repeating: 0xaa, count: 32))
    }

    func testMatchFindsTheTokenByHashOnly() throws {
        let store = try TokenStore.parse("read sha256:\(testHash) ci\n")
        XCTAssertEqual(store.match(token: "test")?.name, "ci")
        XCTAssertNil(store.match(token: "Test"))
        XCTAssertNil(store.match(token: testHash), "the hash itself is not a token")
        XCTAssertNil(store.match(token: ""))
    }

    func testMalformedLinesAreErrorsWithFileAndLine() {
        let cases: [(String, Int, String)] = [
            ("read\n", 1, "expected"),
            ("\nwrite sha256:\(testHash)\n", 2, "unknown role 'write'"),
            ("read va_plaintexttoken\n", 1, "not a plain token"),
            ("read sha256:abc\n", 1, "64 hex digits"),
            ("read sha256:\(String(repeating: "g", count: 64))\n", 1, "64 hex digits"),
            ("read sha256:\(testHash)\nadmin sha256:\(testHash)\n", 2, "already on line 1"),
        ]
        for (text, line, fragment) in cases {
            XCTAssertThrowsError(try TokenStore.parse(text, file: "/etc/virtaudit/tokens"), text) { error in
                guard case .malformed(let file, let l, let reason)? = error as? TokenFileError else {
                    return XCTFail("\(error)")
                }
                XCTAssertEqual(file, "/etc/virtaudit/tokens")
                XCTAssertEqual(l, line, text)
                XCTAssertTrue(reason.contains(fragment), "\(text): \(reason)")
                XCTAssertTrue("\(error)".hasPrefix("/etc/virtaudit/tokens:\(line): "), "\(error)")
            }
        }
    }

    func testNewTokenIsRandomAndItsLineAdmitsIt() throws {
        let a = TokenStore.newToken(role: .admin, name: "ops")
        let b = TokenStore.newToken(role: .admin, name: "ops")
        XCTAssertNotEqual(a.token, b.token)
        XCTAssertTrue(a.token.hasPrefix("va_"))
        XCTAssertEqual(a.token.count, 3 + 43, "32 bytes in unpadded base64")
        XCTAssertFalse(a.line.contains(a.token), "the line must not hold the token")
        let store = try TokenStore.parse(a.line)
        XCTAssertEqual(store.match(token: a.token)?.role, .admin)
        XCTAssertEqual(store.match(token: a.token)?.name, "ops")
        XCTAssertNil(store.match(token: b.token))
    }

    func testAdminImpliesReadButNotTheReverse() {
        XCTAssertTrue(TokenRole.admin.allows(.read))
        XCTAssertTrue(TokenRole.admin.allows(.admin))
        XCTAssertTrue(TokenRole.read.allows(.read))
        XCTAssertFalse(TokenRole.read.allows(.admin))
    }

    func testLoadOfAMissingFileIsUnreadable() {
        XCTAssertThrowsError(try TokenStore.load(path: "/nonexistent/tokens")) { error in
            guard case .unreadable(let file, _)? = error as? TokenFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, "/nonexistent/tokens")
        }
    }
}
