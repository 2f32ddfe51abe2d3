import Core
import Foundation
import XCTest
@testable import Service

final class ScanCoordinatorTests: XCTestCase {
    struct LibvirtDown: Error, CustomStringConvertible {
        var description: String { "cannot connect to qemu:///system" }
    }

    func testScanPublishesItsReportAndFinishesTheRecord() throws {
        let store = ResultStore()
        let finished = expectation(description: "scan finished")
        let coordinator = ScanCoordinator(store: store, link: Self.link(store), logger: LogCapture().logger,
                                          onFinish: { _, _ in finished.fulfill() }) { scan in
            Sample.report(scanId: scan.id)
        }
        let record = coordinator.requestScan()
        XCTAssertEqual(record.state, .queued)
        XCTAssertEqual(record.trigger, .request)
        wait(for: [finished], timeout: 30)
        let done = try XCTUnwrap(store.record(id: record.id))
        XCTAssertEqual(done.state, .done)
        XCTAssertNotNil(done.startedAt)
        XCTAssertNotNil(done.finishedAt)
        XCTAssertEqual(done.result?.scanId, record.id)
        XCTAssertEqual(done.result?.domains, 3)
        XCTAssertEqual(done.result?.failing, 5)
        XCTAssertEqual(store.snapshot?.report.scanId, record.id)
    }

    func testAScanHistoryRefusedIsServedButRecordedAsNotPersisted() throws {
        let store = ResultStore()
        let finished = expectation(description: "scan finished")
        let publishedAtPersist = LockedCounter()
        let coordinator = ScanCoordinator(store: store, link: Self.link(store), logger: LogCapture().logger, onFinish: { _, _ in finished.fulfill() },
                                          persist: { _ in
            if store.snapshot != nil { publishedAtPersist.increment() }
            return "history database /d/history.sqlite3: database or disk is full"
        }) { scan in Sample.report(scanId: scan.id) }
        let record = coordinator.requestScan()
        wait(for: [finished], timeout: 30)
        let done = try XCTUnwrap(store.record(id: record.id))
        XCTAssertEqual(done.state, .done, "the results are still served")
        XCTAssertEqual(store.snapshot?.report.scanId, record.id)
        XCTAssertEqual(done.persisted, false)
        XCTAssertEqual(done.persistError, "history database /d/history.sqlite3: database or disk is full")
        XCTAssertEqual(done.json["persisted"], false)
        XCTAssertEqual(publishedAtPersist.value, 0, "history is written before the result is served")
        store.markPersisted(scanIDs: [record.id])
        XCTAssertEqual(store.record(id: record.id)?.persisted, true)
        XCTAssertNil(store.record(id: record.id)?.persistError)
    }

    func testARequestWhileAScanRunsGetsOneScanThatStartsAfterIt() throws {
        let store = ResultStore()
        let release = DispatchSemaphore(value: 0)
        let started = expectation(description: "first scan started")
        let finished = expectation(description: "both scans finished")
        finished.expectedFulfillmentCount = 2
        let runs = LockedCounter()
        let coordinator = ScanCoordinator(store: store, link: Self.link(store), logger: LogCapture().logger,
                                          onFinish: { _, _ in finished.fulfill() }) { scan in
            runs.increment()
            if runs.value == 1 {
                started.fulfill()
                release.wait()
            }
            return Sample.report(scanId: scan.id)
        }
        let first = coordinator.requestScan()
        wait(for: [started], timeout: 30)
        let second = coordinator.requestScan()
        let third = coordinator.requestScan()
        XCTAssertNotEqual(second.id, first.id, "the running scan may have read libvirt before the request")
        XCTAssertEqual(second.state, .queued)
        XCTAssertEqual(third.id, second.id, "requests meanwhile join the queued scan")
        release.signal()
        wait(for: [finished], timeout: 30)
        XCTAssertEqual(runs.value, 2)
        let done = try XCTUnwrap(store.record(id: second.id))
        XCTAssertEqual(done.state, .done)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(done.startedAt), try XCTUnwrap(store.record(id: first.id)?.finishedAt))
        XCTAssertEqual(store.snapshot?.report.scanId, second.id)
    }

    func testFailedScanKeepsThePreviousResultAndMarksItStale() throws {
        let store = ResultStore()
        store.publish(Sample.report(scanId: "good"))
        let finished = expectation(description: "scan finished")
        let logs = LogCapture()
        let coordinator = ScanCoordinator(store: store, link: Self.link(store), logger: logs.logger,
                                          onFinish: { _, _ in finished.fulfill() }) { _ in throw LibvirtDown() }
        let record = coordinator.requestScan()
        wait(for: [finished], timeout: 30)
        XCTAssertEqual(store.record(id: record.id)?.state, .failed)
        XCTAssertEqual(store.record(id: record.id)?.error, "cannot connect to qemu:///system")
        XCTAssertEqual(store.snapshot?.report.scanId, "good")
        XCTAssertTrue(store.isStale)
        XCTAssertFalse(store.isLibvirtConnected)
        XCTAssertEqual(try JSONValue(parsing: Data(XCTUnwrap(store.summary()).bytes))["stale"], true)
        XCTAssertTrue(logs.records.contains { $0.message == "scan failed" && $0.level == .error })
    }

    func testStartupScanIsRecordedWithItsTrigger() throws {
        let store = ResultStore()
        let finished = expectation(description: "first scan finished")
        finished.assertForOverFulfill = false
        let coordinator = ScanCoordinator(store: store, link: Self.link(store), logger: LogCapture().logger,
                                          onFinish: { _, _ in finished.fulfill() }) { scan in Sample.report(scanId: scan.id) }
        coordinator.requestScan(trigger: .startup)
        wait(for: [finished], timeout: 30)
        coordinator.stop()
        XCTAssertEqual(store.recentRecords().last?.trigger, .startup)
    }
}

extension ScanCoordinatorTests {
    /// A link whose health is shown in `store`, as the service wires it (no connection is opened).
    static func link(_ store: ResultStore) -> LibvirtLink {
        LibvirtLink(uri: "test:///default", onChange: { store.show($0) })
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
