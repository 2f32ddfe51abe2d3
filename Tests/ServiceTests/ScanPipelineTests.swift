import Audit
import Core
import Foundation
import History
import Inventory
import Reporting
import Synchronization
import XCTest
@testable import Service

/// What a scan does in the service and what follows it, on libvirt's test driver (no daemon).
final class ScanPipelineTests: XCTestCase {
    struct Refused: Error, CustomStringConvertible { var description: String { "connection refused" } }

    struct NullSink: AlertSink {
        var name = "null"
        func deliver(_ body: [UInt8]) async throws {}
    }

    var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "scan-pipeline-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    func pipeline(link: LibvirtLink, store: ResultStore = ResultStore()) throws -> (ScanPipeline, HistoryStore) {
        let repo = #filePath.components(separatedBy: "/Tests/")[0]
        let auditor = try Auditor(settings: ScanSettings(uri: link.uri, root: HostRoot(directory + "/root"),
                                                          policiesDirectory: repo + "/policies"))
        let history = try HistoryStore(directory: directory)
        let dispatcher = AlertDispatcher(store: history, sinks: [NullSink()])
        let policy = AlertPolicy(newFindingSeverities: [.critical], gradeBelow: nil, hostScoreDrop: nil, libvirtUnreachableSeconds: 300)
        return (ScanPipeline(auditor: auditor, link: link, store: store, history: history, dispatcher: dispatcher,
                             alertPolicy: policy, alertmanager: nil, ocsfLog: nil, logger: LogCapture().logger, previous: nil), history)
    }

    func testFullScanThenARefreshOfOneDomainKeepTheRestOfTheListing() throws {
        let link = LibvirtLink(uri: "test:///default")
        let (p, history) = try pipeline(link: link)
        let full = try p.run(.init(id: "s1", trigger: .startup, scope: .full))
        XCTAssertEqual(full.scanId, "s1")
        let uuid = try XCTUnwrap(full.domains.first?.uuid)
        XCTAssertFalse(full.domains.isEmpty)
        let refreshed = try p.run(.init(id: "s2", trigger: .event, scope: .domains([uuid])))
        XCTAssertEqual(refreshed.domains.map(\.uuid), full.domains.map(\.uuid), "the other domains come from the listing")
        XCTAssertNil(p.persist(refreshed), "history takes the scan")
        XCTAssertEqual(try history.scans(limit: 5).first?.id, "s2")
    }

    func testAScanWithoutLibvirtThrowsAndNothingIsListed() throws {
        let link = LibvirtLink(uri: "qemu:///nowhere", open: { _ in throw Refused() })
        let (p, _) = try pipeline(link: link)
        XCTAssertThrowsError(try p.run(.init(id: "s1", trigger: .startup, scope: .full)))
    }

    func testTheUnreachableAlertIsQueuedOncePerOutageAfterItsDelay() throws {
        let link = LibvirtLink(uri: "qemu:///nowhere", open: { _ in throw Refused() })
        let (p, history) = try pipeline(link: link)
        link.scanFailed(Refused(), now: Date().addingTimeInterval(-60))
        p.checkUnreachable(uri: link.uri)
        XCTAssertEqual(try history.dueAlerts(now: Date().addingTimeInterval(1)).count, 0, "down for a minute: below the 300 s policy")
        link.scanSucceeded()
        link.scanFailed(Refused(), now: Date().addingTimeInterval(-400))
        p.checkUnreachable(uri: link.uri)
        p.checkUnreachable(uri: link.uri)
        let due = try history.dueAlerts(now: Date().addingTimeInterval(1))
        XCTAssertEqual(due.count, 1, "one alert per outage")
        XCTAssertTrue(due.first?.dedupeKey.contains("libvirt-down:") ?? false, "\(due)")
    }
}
