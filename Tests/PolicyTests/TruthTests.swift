import XCTest
@testable import Policy

final class TruthTests: XCTestCase {
    private let u = Truth.unknown("r")

    func testAndTruthTable() {
        let table: [(Truth, Truth, Truth)] = [
            (.true, .true, .true), (.true, .false, .false), (.true, u, u),
            (.false, .true, .false), (.false, .false, .false), (.false, u, .false),
            (u, .true, u), (u, .false, .false), (u, u, u),
        ]
        for (a, b, want) in table { XCTAssertEqual(Truth.and(a, b), want, "\(a) and \(b)") }
    }

    func testOrTruthTable() {
        let table: [(Truth, Truth, Truth)] = [
            (.true, .true, .true), (.true, .false, .true), (.true, u, .true),
            (.false, .true, .true), (.false, .false, .false), (.false, u, u),
            (u, .true, .true), (u, .false, u), (u, u, u),
        ]
        for (a, b, want) in table { XCTAssertEqual(Truth.or(a, b), want, "\(a) or \(b)") }
    }

    func testNotKeepsUnknownAndItsReason() {
        XCTAssertEqual(Truth.true.negated, .false)
        XCTAssertEqual(Truth.false.negated, .true)
        XCTAssertEqual(Truth.unknown("why").negated, .unknown("why"))
    }

    func testUnknownReasonOfLeftSideWins() {
        XCTAssertEqual(Truth.and(.unknown("left"), .unknown("right")), .unknown("left"))
        XCTAssertEqual(Truth.or(.true, .unknown("right")).reason, nil)
    }
}
