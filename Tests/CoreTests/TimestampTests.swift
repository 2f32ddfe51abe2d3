import Foundation
import XCTest
@testable import Core

final class TimestampTests: XCTestCase {
    func testFormatsUTCWithMilliseconds() {
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.format(Date(timeIntervalSince1970: 1_795_000_000.25)), "2026-11-18T11:06:40.250Z")
    }

    func testParsesWhatItFormatsAndRejectsGarbage() {
        XCTAssertEqual(Timestamp.parse("2026-11-18T11:06:40.250Z"), 1_795_000_000.25)
        XCTAssertEqual(Timestamp.parse("2026-11-18T11:06:40Z"), 1_795_000_000)
        XCTAssertNil(Timestamp.parse("yesterday"))
    }
}
