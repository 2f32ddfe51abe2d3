import Core
import Foundation
import Synchronization
import History
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

    func testPublishKeepsFactsAsBytesAndNoEncodedBodies() throws {
        let store = ResultStore()
        let report = Sample.report()
        store.publish(report)
        let snapshot = try XCTUnwrap(store.snapshot)
        XCTAssertEqual(store.bodies.stats.entries, 0, "nothing is encoded before it is asked for")
        for (i, d) in report.domains.enumerated() {
            XCTAssertEqual(try JSONValue(parsing: Data(snapshot.facts.domains[i])), d.facts)
            XCTAssertEqual(snapshot.summaryReport.domains[i].facts, ResultSnapshot.retained(d.facts))
        }
        XCTAssertEqual(snapshot.report, report, "the whole scan comes back from the compact form")
        XCTAssertEqual(snapshot.domainIndex("db02"), 1)
        XCTAssertEqual(snapshot.domainIndex(Sample.build.uppercased()), 2)
        XCTAssertNil(snapshot.domainIndex("DB02"), "names are exact")
        XCTAssertTrue(store.isLibvirtConnected)
    }

    func testRetainedFactsKeepOnlyManagement() {
        let facts: JSONValue = ["management": ["kind": "libvirt"], "qemu": ["pid": 4], "management.pid": 7]
        XCTAssertEqual(ResultSnapshot.retained(facts), ["management": ["kind": "libvirt"], "management.pid": 7])
        XCTAssertEqual(ResultSnapshot.retained(.null), .object([:]))
    }

    func testBodiesAreEncodedOncePerGenerationAndTaggedWithoutHashing() throws {
        let store = ResultStore()
        store.publish(Sample.report())
        let calls = Mutex(0)
        func host() -> EncodedBody? {
            store.body(.host(listing: .problems)) { snapshot, _ in
                calls.withLock { $0 += 1 }
                return ResultsJSON.host(snapshot.summaryReport.host, rules: snapshot.summaryReport.rules,
                                        facts: snapshot.facts.host)
            }
        }
        let first = try XCTUnwrap(host())
        let second = try XCTUnwrap(host())
        XCTAssertEqual(first, second)
        XCTAssertEqual(calls.withLock { $0 }, 1)
        XCTAssertEqual(first.etag, store.etag(.host(listing: .problems)))
        XCTAssertNotEqual(store.etag(.host(listing: .problems)), store.etag(.host(listing: .all)), "the query is part of the tag")
        XCTAssertNotEqual(store.etag(.domains(query: "")), store.etag(.domains(query: "sort=-score")))
    }

    func testETagChangesWhenResultsChangeAndNotOtherwise() throws {
        let store = ResultStore()
        XCTAssertNil(store.etag(.summary), "no tag before a result exists")
        store.publish(Sample.report(scanId: "scan-1"))
        let t1 = try XCTUnwrap(store.etag(.summary))
        XCTAssertEqual(store.etag(.summary), t1)
        store.setStale(false)
        XCTAssertEqual(store.etag(.summary), t1, "setting the flag it already has changes nothing")
        store.upsert(ScanRecord(id: "x", state: .running, trigger: .request, requestedAt: "t"))
        store.setHistoryState(pending: 1, problem: "disk full")
        XCTAssertEqual(store.etag(.summary), t1, "records and history state are not in result bodies")
        store.setStale(true)
        let t2 = try XCTUnwrap(store.etag(.summary))
        XCTAssertNotEqual(t2, t1)
        XCTAssertEqual(store.summary()?.json?["stale"], .bool(true), "the stale flag is served at once")
        store.publish(Sample.report(scanId: "scan-2"))
        let t3 = try XCTUnwrap(store.etag(.summary))
        XCTAssertNotEqual(t3, t2)
        XCTAssertNotEqual(t3, t1)
        XCTAssertEqual(store.summary()?.json?["lastScan"]?["id"], "scan-2")
        XCTAssertNotEqual(ResultStore().etag(.summary), t3)
        let other = ResultStore()
        other.publish(Sample.report(scanId: "scan-1"))
        XCTAssertNotEqual(other.etag(.summary), t1, "another process (store) never reuses a tag")
    }

    func testCacheEvictsLeastRecentlyUsedBeyondItsByteLimit() {
        let cache = BodyCache(limitBytes: 100)
        _ = cache.body("a", generation: 1, etag: "\"a\"") { Array(repeating: 1, count: 40) }
        _ = cache.body("b", generation: 1, etag: "\"b\"") { Array(repeating: 2, count: 40) }
        _ = cache.body("a", generation: 1, etag: "\"a\"") { XCTFail("a is held"); return [] }
        _ = cache.body("c", generation: 1, etag: "\"c\"") { Array(repeating: 3, count: 40) }
        XCTAssertTrue(cache.contains("a"))
        XCTAssertFalse(cache.contains("b"), "the least recently used entry goes first")
        XCTAssertTrue(cache.contains("c"))
        XCTAssertLessThanOrEqual(cache.stats.bytes, 100)
        let big = cache.body("d", generation: 1, etag: "\"d\"") { Array(repeating: 4, count: 101) }
        XCTAssertEqual(big.bytes.count, 101, "a body over the limit is served")
        XCTAssertTrue(cache.contains("d"), "and kept while it is the newest, so it is encoded once")
        XCTAssertEqual(cache.stats.entries, 1, "everything older goes to make room")
        _ = cache.body("d", generation: 1, etag: "\"d\"") { XCTFail("d is held"); return [] }
        _ = cache.body("e", generation: 1, etag: "\"e\"") { Array(repeating: 5, count: 10) }
        XCTAssertFalse(cache.contains("d"), "the next body pushes the oversized one out")
        XCTAssertEqual(cache.stats.bytes, 10)
    }

    func testConcurrentRequestsForOneBodyEncodeItOnce() {
        let cache = BodyCache(limitBytes: 10)
        let calls = Mutex(0)
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let group = DispatchGroup()
        let lengths = Mutex<[Int]>([])
        DispatchQueue.global().async(group: group) {
            let b = cache.body("r", generation: 1, etag: "\"r\"") {
                calls.withLock { $0 += 1 }
                started.signal()
                release.wait()
                return Array(repeating: 7, count: 1000)
            }
            lengths.withLock { $0.append(b.bytes.count) }
        }
        started.wait()
        for _ in 0..<8 {
            DispatchQueue.global().async(group: group) {
                let b = cache.body("r", generation: 1, etag: "\"r\"") {
                    calls.withLock { $0 += 1 }
                    return Array(repeating: 7, count: 1000)
                }
                lengths.withLock { $0.append(b.bytes.count) }
            }
        }
        Thread.sleep(forTimeInterval: 0.2)
        XCTAssertEqual(lengths.withLock { $0.count }, 0, "the others wait for the encoding under way")
        release.signal()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(calls.withLock { $0 }, 1, "nine requests, one encoding (the body is over the limit)")
        XCTAssertEqual(lengths.withLock { $0 }, Array(repeating: 1000, count: 9))
    }

    func testAnotherGenerationDoesNotWaitForAnOlderEncoding() {
        let cache = BodyCache(limitBytes: 1 << 20)
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = cache.body("r", generation: 1, etag: "\"1\"") { started.signal(); release.wait(); return [1] }
            done.signal()
        }
        started.wait()
        cache.reset(generation: 2)
        let fresh = cache.body("r", generation: 2, etag: "\"2\"") { [2] }
        XCTAssertEqual(fresh.bytes, [2])
        release.signal()
        done.wait()
        XCTAssertEqual(cache.body("r", generation: 2, etag: "\"2\"") { [9] }.bytes, [2],
                       "the late encoding of generation 1 does not replace generation 2's body")
    }

    func testCacheDropsEntriesOfEarlierGenerations() {
        let cache = BodyCache(limitBytes: 1 << 20)
        _ = cache.body("a", generation: 1, etag: "\"1\"") { [1] }
        cache.reset(generation: 2)
        XCTAssertFalse(cache.contains("a"))
        let calls = Mutex(0)
        _ = cache.body("a", generation: 2, etag: "\"2\"") { calls.withLock { $0 += 1 }; return [2] }
        // A request that read the previous generation before the change does not put it back.
        _ = cache.body("b", generation: 1, etag: "\"1\"") { [1] }
        XCTAssertFalse(cache.contains("b"))
        cache.reset(generation: 1)
        XCTAssertTrue(cache.contains("a"), "an older reset does not undo a newer generation")
        XCTAssertEqual(calls.withLock { $0 }, 1)
    }

    func testReportBodyServesTheDocumentWrittenToHistory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("va-store-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let history = try HistoryStore(directory: dir)
        let store = ResultStore()
        let report = Sample.report(scanId: "scan-h")
        let facts = EncodedFacts(of: report)
        let document = ResultsJSON.report(report, listing: .problems, facts: facts)
        XCTAssertEqual(document, ResultsJSON.report(report, listing: .problems), "facts copied as encoded = facts encoded")
        store.offerReportDocument(scanId: report.scanId, bytes: document, facts: facts)
        XCTAssertTrue(history.persist(report, document: document).persisted)
        store.publish(report)
        XCTAssertTrue(store.bodies.contains(ResultStore.Route.report(listing: .problems).key), "the written bytes are adopted")
        XCTAssertEqual(store.snapshot?.facts.domains, facts.domains, "and the facts they were written from")
        XCTAssertEqual(router(store).handle(.get("/api/v1/report?findings=all")).body,
                       ResultsJSON.report(report, listing: .all), "another listing: facts copied from the store's bytes")
        let first = try XCTUnwrap(report.domains.first)
        XCTAssertEqual(router(store).handle(.get("/api/v1/domains/\(first.uuid)")).body,
                       ResultsJSON.domain(first, rules: report.rules))
        XCTAssertEqual(router(store).handle(.get("/api/v1/host?findings=all")).body,
                       ResultsJSON.host(report.host, rules: report.rules, listing: .all))
        let logs = LogCapture()
        let router = APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: logs.logger)
        let served = router.handle(.get("/api/v1/report"))
        XCTAssertEqual(served.status, 200)
        let row = try XCTUnwrap(try history.report(id: "scan-h"))
        XCTAssertEqual(served.body, Array(row), "history row and API body are the same bytes")
        // Encoded afresh (no offer), the body is byte for byte what history holds.
        let fresh = ResultStore()
        fresh.publish(report)
        let again = APIRouter(store: fresh, trigger: nil, tokens: TokenStore(), logger: logs.logger).handle(.get("/api/v1/report"))
        XCTAssertEqual(again.body, Array(row))
    }

    private func router(_ store: ResultStore) -> APIRouter {
        APIRouter(store: store, trigger: nil, tokens: TokenStore(), logger: LogCapture().logger)
    }

    func testAnOfferForAnotherScanIsNotServed() throws {
        let store = ResultStore()
        store.offerReportDocument(scanId: "other", bytes: Array("{}".utf8), facts: EncodedFacts(host: [], domains: []))
        store.publish(Sample.report(scanId: "scan-1"))
        XCTAssertFalse(store.bodies.contains(ResultStore.Route.report(listing: .problems).key))
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
        XCTAssertEqual(held.summaryReport.scanId, "scan-1")
        XCTAssertEqual(store.snapshot?.summaryReport.scanId, "scan-2")
    }

    func testConcurrentReadersAlwaysSeeACompleteSnapshot() {
        let store = ResultStore()
        store.publish(Sample.report(scanId: "scan-0"))
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            if i % 10 == 0 {
                store.publish(Sample.report(scanId: "scan-\(i)"))
            } else {
                let snapshot = store.snapshot
                XCTAssertEqual(snapshot?.facts.domains.count, 3)
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


extension EncodedBody {
    var json: JSONValue? { try? JSONValue(parsing: Data(bytes)) }
}
