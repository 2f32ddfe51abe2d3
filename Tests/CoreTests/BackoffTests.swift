import XCTest
@testable import Core

final class BackoffTests: XCTestCase {
    func testDefaultScheduleDoublesFromHalfASecondToThirtySeconds() {
        let b = Backoff()
        let schedule = (0..<9).map { b.baseDelay(attempt: $0) }
        XCTAssertEqual(schedule, [0.5, 1, 2, 4, 8, 16, 30, 30, 30])
        XCTAssertEqual(b.baseDelay(attempt: 10_000), 30, "a long outage neither overflows nor exceeds the cap")
    }

    func testJitterSpansPlusMinusTheFractionAndNeverExceedsTheCap() {
        let b = Backoff(initial: 1, maximum: 10, multiplier: 2, jitter: 0.25)
        XCTAssertEqual(b.delay(attempt: 1, unit: 0), 1.5)
        XCTAssertEqual(b.delay(attempt: 1, unit: 0.5), 2)
        XCTAssertEqual(b.delay(attempt: 1, unit: 1), 2.5)
        XCTAssertEqual(b.delay(attempt: 5, unit: 0), 7.5)
        XCTAssertEqual(b.delay(attempt: 5, unit: 1), 10, "jitter above the cap is clipped to it")
        XCTAssertEqual(b.delay(attempt: 1, unit: 7), 2.5, "out-of-range units are clamped")
    }

    func testRandomDelaysStayInsideTheJitterBand() {
        let b = Backoff()
        for attempt in 0..<8 {
            let base = b.baseDelay(attempt: attempt)
            for _ in 0..<50 {
                let d = b.delay(attempt: attempt)
                XCTAssertGreaterThanOrEqual(d, base * 0.8 - 1e-9)
                XCTAssertLessThanOrEqual(d, min(30, base * 1.2) + 1e-9)
            }
        }
    }

    func testNonsenseParametersAreClamped() {
        let b = Backoff(initial: -1, maximum: -5, multiplier: 0.5, jitter: 3)
        XCTAssertEqual(b.initial, 0)
        XCTAssertEqual(b.maximum, 0)
        XCTAssertEqual(b.multiplier, 1)
        XCTAssertEqual(b.jitter, 1)
        XCTAssertEqual(b.delay(attempt: 3, unit: 1), 0)
        let flat = Backoff(initial: 2, maximum: 1)
        XCTAssertEqual(flat.maximum, 2, "the cap is never below the first delay")
    }
}

final class BackoffUsersTests: XCTestCase {
    func testLibvirtLinkScheduleDoublesFromOneSecondToAMinuteWithoutJitter() {
        let b = Backoff.libvirtLink
        XCTAssertEqual((0..<8).map { b.delay(attempt: $0) }, [1, 2, 4, 8, 16, 32, 60, 60])
    }
}
