import Core
import Foundation
import XCTest
@testable import Reporting

final class AlertmanagerAlertsTests: XCTestCase {
    func report(_ findings: [Finding], id: String = "s1", domains: [String] = ["web"]) -> ScanReport {
        var r = Sample.report(id, domains.map { Sample.domain($0, score: 40, grade: "F", findings) })
        FindingID.assign(&r, hostId: "0123456789abcdef0123456789abcdef")
        return r
    }

    func testFailingFindingsOfAlertingSeveritiesFireWithEveryLabel() throws {
        let state = AlertmanagerState(policy: .init(severities: [.critical, .high], dashboardURL: "https://hv1:8470"))
        let r = report([Sample.finding("dac.root", .fail, .critical), Sample.finding("mac.none", .fail, .medium, layer: .mac),
                        Sample.finding("ns.user", .unknown, .high), Sample.finding("seccomp.on", .pass, .high)])
        let alerts = state.alerts(for: r)
        XCTAssertEqual(alerts.count, 1, "only the failing critical one: medium is below, unknown and pass do not fire")
        let a = try XCTUnwrap(alerts.first)
        XCTAssertEqual(a.labels, ["alertname": "VirtauditFinding", "severity": "critical", "host": "hv1", "vm": "web",
                                  "vm_uuid": "uuid-web", "rule": "dac.root", "layer": "dac",
                                  "finding_id": r.domains[0].findings[0].id!])
        XCTAssertEqual(a.annotations["remediation"], "fix dac.root")
        XCTAssertEqual(a.annotations["observed"], #"{"process.uid":0}"#)
        XCTAssertEqual(a.annotations["dashboard"], "https://hv1:8470/#/vm/uuid-web")
        XCTAssertEqual(a.generatorURL, "https://hv1:8470/#/vm/uuid-web")
        XCTAssertTrue(a.annotations["summary"]?.contains("web") ?? false)
        XCTAssertEqual(a.startsAt, r.startedAt)
        XCTAssertNil(a.endsAt)
    }

    func testHostFindingsCarryNoVMLabels() {
        let state = AlertmanagerState(policy: .init(severities: [.medium]))
        let alerts = state.alerts(for: report([], domains: []))
        XCTAssertEqual(alerts.map { $0.labels["rule"] }, ["host.selinux"])
        XCTAssertNil(alerts[0].labels["vm"])
        XCTAssertNil(alerts[0].labels["vm_uuid"])
        XCTAssertNil(alerts[0].annotations["dashboard"])
    }

    func testAFixedFindingEndsItsAlertOnceAndAStillFailingOneKeepsItsStart() {
        var state = AlertmanagerState(policy: .init())
        let first = report([Sample.finding("dac.root", .fail), Sample.finding("dac.caps", .fail)])
        state.update(report: first, firstSeen: { _ in "2026-12-01T00:00:00Z" })
        XCTAssertEqual(state.takeBatch().count, 2)
        let later = Date(timeIntervalSince1970: 1_800_000_000)
        state.update(report: report([Sample.finding("dac.root", .pass), Sample.finding("dac.caps", .fail)], id: "s2"), now: later)
        let batch = state.takeBatch()
        let ended = batch.filter { $0.endsAt != nil }
        XCTAssertEqual(ended.map { $0.labels["rule"] }, ["dac.root"])
        XCTAssertEqual(ended.first?.endsAt, Timestamp.format(later))
        let firing = batch.filter { $0.endsAt == nil }
        XCTAssertEqual(firing.map { $0.labels["rule"] }, ["dac.caps"])
        XCTAssertEqual(firing.first?.startsAt, "2026-12-01T00:00:00Z", "the start of the first scan it failed in")
        // The resolution is sent once; the firing set every time.
        XCTAssertEqual(state.takeBatch().map { $0.labels["rule"] }, ["dac.caps"])
    }

    func testAVMThatIsGoneEndsItsAlerts() {
        var state = AlertmanagerState(policy: .init())
        state.update(report: report([Sample.finding("dac.root", .fail)], domains: ["a", "b"]))
        _ = state.takeBatch()
        state.update(report: report([Sample.finding("dac.root", .fail)], domains: ["a"]))
        let batch = state.takeBatch()
        XCTAssertEqual(batch.filter { $0.endsAt != nil }.map { $0.labels["vm"] }, ["b"])
        XCTAssertEqual(batch.filter { $0.endsAt == nil }.map { $0.labels["vm"] }, ["a"])
    }

    func testLibvirtUnreachableFiresThenResolvesAndSurvivesFindingUpdates() {
        var state = AlertmanagerState(policy: .init())
        let since = Date(timeIntervalSince1970: 1_700_000_000)
        state.libvirt(unreachableSince: since, host: "hv1", uri: "qemu:///system")
        state.update(report: report([]))
        var batch = state.takeBatch()
        XCTAssertEqual(batch.filter { $0.labels["alertname"] == AlertmanagerState.libvirtAlertName }.map(\.startsAt),
                       [Timestamp.format(since)])
        state.libvirt(unreachableSince: nil, host: "hv1", uri: "qemu:///system")
        batch = state.takeBatch()
        XCTAssertEqual(batch.filter { $0.labels["alertname"] == AlertmanagerState.libvirtAlertName && $0.endsAt != nil }.count, 1)
        XCTAssertTrue(state.takeBatch().allSatisfy { $0.labels["alertname"] != AlertmanagerState.libvirtAlertName })
    }

    func testMergingQueuedBatchesKeepsTheNewestStateAndUndeliveredResolutions() throws {
        func alert(_ rule: String, ends: String? = nil) -> JSONValue {
            AlertmanagerAlert(labels: ["alertname": "VirtauditFinding", "rule": rule], annotations: [:],
                              startsAt: "2026-12-01T00:00:00Z", endsAt: ends).json
        }
        let merged = AlertmanagerState.merge([
            .array([alert("a"), alert("b")]),
            .array([alert("a", ends: "2026-12-02T00:00:00Z"), alert("b")]),
            .array([alert("b"), alert("c")]),
        ])
        let alerts = try XCTUnwrap(merged.arrayValue).compactMap(AlertmanagerAlert.init(json:))
        XCTAssertEqual(alerts.map { $0.labels["rule"]! }, ["a", "b", "c"])
        XCTAssertEqual(alerts[0].endsAt, "2026-12-02T00:00:00Z", "a resolution only an older batch carries is kept")
        XCTAssertNil(alerts[1].endsAt)
    }

    func testSinkPostsToTheV2APIUnderAnyPathPrefix() {
        let table: [(String, String)] = [
            ("http://am1:9093", "http://am1:9093/api/v2/alerts"),
            ("http://am1:9093/", "http://am1:9093/api/v2/alerts"),
            ("https://proxy/alertmanager/", "https://proxy/alertmanager/api/v2/alerts"),
        ]
        for (base, endpoint) in table {
            XCTAssertEqual(AlertmanagerSink(name: "am", url: URL(string: base)!).endpoint.absoluteString, endpoint)
        }
    }
}
