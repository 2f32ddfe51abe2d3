import XCTest
@testable import Service

final class FindingQueryTests: XCTestCase {
    func testGlobMatching() {
        let table: [(String, String, Bool)] = [
            ("mac.*", "mac.svirt-unique", true),
            ("mac.*", "dac.non-root", false),
            ("*", "", true),
            ("*root*", "dac.non-root-user", true),
            ("dac.non-root-user", "dac.non-root-user", true),
            ("dac.non-root", "dac.non-root-user", false),
            ("d?c.*", "dac.x", true),
            ("d?c.*", "dc.x", false),
            ("*.*.*", "a.b", false),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
        ]
        for (pattern, text, expected) in table {
            XCTAssertEqual(Glob.matches(pattern, text), expected, "\(pattern) ~ \(text)")
        }
    }

    func testDefaultQueryKeepsEveryFinding() throws {
        let query = try FindingQuery(query: [:])
        XCTAssertTrue(query.isDefault)
        XCTAssertEqual(query.apply(ResultSnapshot(report: Sample.report(), publishedAt: .init())).count, 9)
    }
}
