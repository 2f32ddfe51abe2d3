import XCTest
@testable import Policy

final class GlobTests: XCTestCase {
    func testGlobTable() {
        let table: [(String, String, Bool)] = [
            ("web-*", "web-1", true), ("web-*", "web-", true), ("web-*", "db-web-1", false),
            ("*", "", true), ("a?c", "abc", true), ("a?c", "ac", false),
            ("mac.*", "mac.selinux.unique-mcs", true), ("*.unique-*", "mac.selinux.unique-mcs", true),
            ("a*b*c", "aXXbYYc", true), ("a*b*c", "aXXbYY", false), ("exact", "exact", true), ("exact", "exactly", false),
            ("**x", "yyx", true), ("é*", "été", true),
        ]
        for (pattern, text, want) in table {
            XCTAssertEqual(Glob(pattern).matches(text), want, "\(pattern) ~ \(text)")
        }
    }
}
