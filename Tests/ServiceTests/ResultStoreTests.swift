import Core
import Foundation
import Synchronization
import HTTPServer
import XCTest
@testable import Service

final class ResultStoreTests: XCTestCase {
    func testEmptyStoreHasNoSnapshotOrSummary() {
        let store = ResultStore()
        XCTAssertNil(store.snapshot)
        XCTAssertNil(store.summary())
        XCTAssertFalse(store.isStale)
        XCTAssertFalse(store.isLibvirtConnected)
    }

    func testPublishPrecomputesBodiesThatMatchTheirETags() throws {
        let store = ResultStore()
        store.publish(Sample.report())
        let snapshot = try XCTUnwrap(store.snapshot)
        for body in [snapshot.domainList, snapshot.host, snapshot.findingsAll.body, snapshot.fullReport.body]
            + snapshot.domainDetails + snapshot.domainFacts {
            XCTAssertEqual(body.etag, ResponseHelpers.etag(for: body.bytes))
            XCTAssertNoThrow(try JSONValue(parsing: Data(body.bytes)))
        }
        XCTAssertEqual(snapshot.domainIndex("db02"), 1)
        XCTAssertEqual(snapshot.domainIndex(Sample.build.uppercased()), 2)
        XCTAssertNil(snapshot.domainIndex("DB02"), "names are exact")
        XCTAssertTrue(store.isLibvirtConnected)
    }

    func testStaleReportSetsTheStaleFlagWithoutClaimingAConnection() {
        let store = ResultStore()
        store.publish(Sample.report(stale: true))
        XCTAssertTrue(store.isStale)
        XCTAssertFalse(store.isLibvirtConnected)
    }

    func testReadersKeepTheSnapshotTheyHoldWhileANewOneIsPublished() throws {
        let store = ResultStore()
        store.publish(Sample.report(scanId: "scan-1"))
        let held = try XCTUnwrap(store.snapshot)
        store.publish(Sample.report(scanId: "scan-2"))
        XCTAssertEqual(held.report.scanId, "scan-1")
        XCTAssertEqual(store.snapshot?.report.scanId, "scan-2")
    }

    func testConcurrentReadersAlwaysSeeACompleteSnapshot() {
        let store = ResultStore()
        store.publish(Sample.report(scanId: "scan-0"))
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            if i % 10 == 0 {
                store.publish(Sample.report(scanId: "scan-\(i)"))
            } else {
                let snapshot = store.snapshot
                XCTAssertEqual(snapshot?.domainDetails.count, 3)
                XCTAssertNotNil(store.summary())
            }
        }
    }

    func testRecordsAreReplacedByIdAndTrimmedKeepingActiveOnes() {
        let store = ResultStore(recordLimit: 2)
        store.upsert(ScanRecord(id: "a", state: .running, trigger: .request, requestedAt: "t"))
        store.upsert(ScanRecord(id: "b", state: .done, trigger: .request, requestedAt: "t"))
        store.upsert(ScanRecord(id: "c", state: .done, trigger: .request, requestedAt: "t"))
        XCTAssertEqual(store.recentRecords().map(\.id), ["c", "a"], "the oldest finished record is dropped")
        XCTAssertEqual(store.activeRecord()?.id, "a")
        store.upsert(ScanRecord(id: "a", state: .done, trigger: .request, requestedAt: "t"))
        XCTAssertNil(store.activeRecord())
        XCTAssertEqual(store.record(id: "a")?.state, .done)
        XCTAssertEqual(store.recentRecords(limit: 1).map(\.id), ["c"])
    }
}

final class LazyBodyTests: XCTestCase {
    func testEncodesOnceOnFirstUseAndKeepsTheResult() {
        let calls = Mutex(0)
        let lazy = LazyBody {
            calls.withLock { $0 += 1 }
            return ["a": 1]
        }
        XCTAssertEqual(calls.withLock { $0 }, 0, "nothing is encoded before it is asked for")
        let first = lazy.body
        let second = lazy.body
        XCTAssertEqual(first, second)
        XCTAssertEqual(String(decoding: first.bytes, as: UTF8.self), #"{"a":1}"#)
        XCTAssertEqual(calls.withLock { $0 }, 1)
    }
}
