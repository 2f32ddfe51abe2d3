import Foundation
import Synchronization
import XCTest
@testable import Service

/// The scan planner driven by event sequences, without threads or libvirt.
final class ScanPlannerTests: XCTestCase {
    func planner() -> ScanPlanner { ScanPlanner(makeID: { "scan-\($0)" }) }

    func testFirstScanIsFullAndStartsAtOnce() {
        var p = planner()
        let d = p.handle(.requested(.startup))
        XCTAssertEqual(d.recordID, "scan-1")
        XCTAssertTrue(d.recordCreated)
        XCTAssertEqual(d.recordTrigger, .startup)
        XCTAssertEqual(d.start, .init(id: "scan-1", trigger: .startup, scope: .full))
        XCTAssertEqual(p.activeID, "scan-1")
    }

    func testAnEventBeforeAnyListingScansEverything() {
        var p = planner()
        let d = p.handle(.domainChanged(uuid: "u1"))
        XCTAssertEqual(d.start?.scope, .full, "there is no listing to refresh yet")
        XCTAssertEqual(d.start?.trigger, .event)
    }

    func testEventWhenIdleRefreshesOnlyThatDomain() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        XCTAssertTrue(p.handle(.scanFinished(id: "scan-1")).publish)
        let d = p.handle(.domainChanged(uuid: "u1"))
        XCTAssertEqual(d.start, .init(id: "scan-2", trigger: .event, scope: .domains(["u1"])))
    }

    func testAnEventBurstDuringAScanCoalescesIntoOneScanAfterIt() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        var queued: Set<String> = []
        for i in 0..<500 {
            let d = p.handle(.domainChanged(uuid: "u\(i % 7)"))
            XCTAssertNil(d.start, "nothing starts while a scan runs")
            queued.insert(d.recordID ?? "")
        }
        XCTAssertEqual(queued, ["scan-2"], "the whole burst joins one queued scan")
        let done = p.handle(.scanFinished(id: "scan-1"))
        XCTAssertTrue(done.publish)
        XCTAssertEqual(done.completed, ["scan-1"])
        XCTAssertEqual(done.start, .init(id: "scan-2", trigger: .event, scope: .domains(Set((0..<7).map { "u\($0)" }))))
        XCTAssertEqual(p.counters.events, 500)
        let last = p.handle(.scanFinished(id: "scan-2"))
        XCTAssertNil(last.start, "events already covered are not scanned again")
        XCTAssertTrue(p.isIdle)
    }

    func testEventsArrivingAfterAQueuedScanWasQueuedAreStillInItsScope() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        _ = p.handle(.domainChanged(uuid: "a"))       // scan-2 runs for a
        _ = p.handle(.domainChanged(uuid: "b"))       // scan-3 queued
        _ = p.handle(.domainChanged(uuid: "c"))       // joins scan-3
        let d = p.handle(.scanFinished(id: "scan-2"))
        XCTAssertEqual(d.start?.scope, .domains(["b", "c"]))
    }

    func testARequestDuringARunningScanGetsAScanThatStartsAfterIt() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        let second = p.handle(.requested(.request))
        XCTAssertEqual(second.recordID, "scan-2")
        XCTAssertTrue(second.recordCreated)
        XCTAssertNil(second.start)
        let third = p.handle(.requested(.request))
        XCTAssertEqual(third.recordID, "scan-2", "joins the queued scan")
        XCTAssertFalse(third.recordCreated)
        let done = p.handle(.scanFinished(id: "scan-1"))
        XCTAssertEqual(done.start, .init(id: "scan-2", trigger: .request, scope: .full))
    }

    func testARequestTurnsAQueuedEventScanIntoAFullOne() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        _ = p.handle(.domainChanged(uuid: "a"))
        _ = p.handle(.domainChanged(uuid: "b"))
        XCTAssertEqual(p.handle(.requested(.request)).recordID, "scan-3")
        XCTAssertEqual(p.handle(.scanFinished(id: "scan-2")).start?.scope, .full)
    }

    func testTimerAndReconnectJoinARunningFullScan() {
        var p = planner()
        _ = p.handle(.requested(.request))
        let timer = p.handle(.timerDue)
        XCTAssertEqual(timer.recordID, "scan-1")
        XCTAssertFalse(timer.recordCreated)
        XCTAssertNil(p.handle(.reconnectDue).start)
        XCTAssertNil(p.handle(.scanFinished(id: "scan-1")).start, "nothing was queued")
    }

    func testTimerDuringAnIncrementalScanQueuesAFullOne() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        _ = p.handle(.domainChanged(uuid: "a"))
        let timer = p.handle(.timerDue)
        XCTAssertTrue(timer.recordCreated)
        XCTAssertEqual(p.handle(.scanFinished(id: "scan-2")).start, .init(id: "scan-3", trigger: .schedule, scope: .full))
    }

    func testAFailedScanCompletesWithoutPublishingAndTheNextScanIsFull() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        _ = p.handle(.domainChanged(uuid: "a"))
        _ = p.handle(.domainChanged(uuid: "b"))        // queued behind scan-2
        let failed = p.handle(.scanFailed(id: "scan-2"))
        XCTAssertFalse(failed.publish)
        XCTAssertEqual(failed.completed, ["scan-2"])
        XCTAssertEqual(failed.start?.scope, .full, "after a failure the listing may be outdated")
        XCTAssertEqual(p.counters.failures, 1)
        XCTAssertEqual(p.counters.scans, 1)
    }

    func testReconnectDueStartsAFullScanOnlyWhenIdle() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFailed(id: "scan-1"))
        let retry = p.handle(.reconnectDue)
        XCTAssertEqual(retry.start, .init(id: "scan-2", trigger: .reconnect, scope: .full))
        XCTAssertNil(p.handle(.reconnectDue).start, "a scan under way will tell whether libvirt is back")
    }

    func testLosingLibvirtMakesTheNextEventScanFull() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        XCTAssertNil(p.handle(.libvirtLost).start)
        XCTAssertEqual(p.handle(.domainChanged(uuid: "a")).start?.scope, .full)
    }

    func testLibvirtBackResyncsFullyOnceThereIsAResult() {
        var p = planner()
        XCTAssertNil(p.handle(.libvirtBack).start, "before the first result the start-up scan covers it")
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        _ = p.handle(.libvirtLost)
        XCTAssertEqual(p.handle(.libvirtBack).start, .init(id: "scan-2", trigger: .reconnect, scope: .full))
    }

    func testLibvirtBackDuringAScanQueuesAResyncAfterIt() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        _ = p.handle(.scanFinished(id: "scan-1"))
        _ = p.handle(.domainChanged(uuid: "a"))
        let back = p.handle(.libvirtBack)
        XCTAssertNil(back.start)
        XCTAssertEqual(p.handle(.scanFinished(id: "scan-2")).start?.scope, .full)
    }

    func testFinishOfAnUnknownScanIsIgnored() {
        var p = planner()
        _ = p.handle(.requested(.startup))
        XCTAssertEqual(p.handle(.scanFinished(id: "other")), ScanPlanner.Decision())
        XCTAssertEqual(p.activeID, "scan-1")
    }
}

/// The libvirt link as the one owner of health and staleness (no daemon needed).
final class LibvirtLinkHealthTests: XCTestCase {
    struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }

    final class Changes: Sendable {
        private let list = Mutex<[LibvirtLink.Health]>([])
        func add(_ h: LibvirtLink.Health) { list.withLock { $0.append(h) } }
        var all: [LibvirtLink.Health] { list.withLock { $0 } }
    }

    func testFailuresBackOffAndMarkStaleUntilAScanSucceeds() throws {
        let changes = Changes()
        let link = LibvirtLink(uri: "qemu:///nowhere", open: { _ in throw Refused() }, onChange: { changes.add($0) })
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        XCTAssertTrue(link.reconnectDue(now: t0), "never connected: an attempt is due")
        XCTAssertThrowsError(try link.connection(now: t0))
        link.scanFailed(Refused(), now: t0)
        XCTAssertEqual(link.health.stale, true)
        XCTAssertEqual(link.health.connected, false)
        XCTAssertEqual(link.health.downSince, t0)
        XCTAssertFalse(link.reconnectDue(now: t0.addingTimeInterval(0.5)), "inside the 1 s backoff")
        XCTAssertThrowsError(try link.connection(now: t0.addingTimeInterval(0.5))) {
            XCTAssertTrue("\($0)".contains("next attempt in 1 s"), "\($0)")
        }
        XCTAssertTrue(link.reconnectDue(now: t0.addingTimeInterval(1)))
        XCTAssertThrowsError(try link.connection(now: t0.addingTimeInterval(1)))
        XCTAssertEqual(link.retryAt, t0.addingTimeInterval(3), "second failure waits 2 s")
        link.scanSucceeded()
        XCTAssertEqual(link.health, LibvirtLink.Health(connected: true, stale: false, downSince: nil, lastError: nil))
        XCTAssertEqual(changes.all.map(\.stale), [true, false], "observers see each change once, in order")
    }

    func testLosingEventsMarksStaleAndShowsInTheStore() {
        let store = ResultStore()
        let link = LibvirtLink(uri: "test:///default", onChange: { store.show($0) })
        link.scanSucceeded()
        XCTAssertTrue(store.isLibvirtConnected)
        XCTAssertFalse(store.isStale)
        link.eventsLost(reason: "keepalive timeout")
        XCTAssertTrue(store.isStale)
        XCTAssertFalse(store.isLibvirtConnected)
        XCTAssertEqual(link.health.lastError, "keepalive timeout")
    }
}

/// The one timer thread: deadlines, no polling.
final class SchedulerTests: XCTestCase {
    func testJobsRunAtTheirDeadlinesAndADetachedJobDoesNotBlockTheOthers() {
        let scheduler = Scheduler()
        let fast = expectation(description: "inline job ran three times")
        fast.expectedFulfillmentCount = 3
        fast.assertForOverFulfill = false
        let slowStarted = expectation(description: "detached job started")
        let release = DispatchSemaphore(value: 0)
        scheduler.every(3600, name: "slow", first: Date(), placement: .detached) {
            slowStarted.fulfill()
            release.wait()
        }
        scheduler.every(0.05, name: "fast", first: Date()) { fast.fulfill() }
        scheduler.start()
        wait(for: [slowStarted, fast], timeout: 10)
        release.signal()
        scheduler.stop()
    }

    func testNothingRunsBeforeTheFirstDeadline() {
        let scheduler = Scheduler()
        let ran = expectation(description: "job ran")
        ran.isInverted = true
        scheduler.every(3600, name: "later") { ran.fulfill() }
        scheduler.start()
        wait(for: [ran], timeout: 0.3)
        XCTAssertEqual(scheduler.deadlines.map(\.name), ["later"])
        scheduler.stop()
    }
}
