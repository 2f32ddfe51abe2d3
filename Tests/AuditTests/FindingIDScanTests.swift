import Audit
import Core
import Foundation
import XCTest

/// Finding ids assembled into a scan of a fixture host: stable across scans (new scan id, new
/// times, a new Auditor as after a restart), one per finding, and derived from the host id.
final class FindingIDScanTests: XCTestCase {
    func testIdsAreTheSameAcrossScansAndRestartsAndUniquePerTarget() throws {
        let a = try FixtureHosts.scan("weak")
        let b = try FixtureHosts.scan("weak")
        XCTAssertNotEqual(a.scanId, b.scanId)
        func ids(_ r: ScanReport) -> [String] { (r.host.findings + r.domains.flatMap(\.findings)).compactMap(\.id) }
        XCTAssertEqual(ids(a).count, a.host.findings.count + a.domains.reduce(0) { $0 + $1.findings.count }, "every finding has an id")
        XCTAssertEqual(ids(a), ids(b))
        XCTAssertEqual(Set(ids(a)).count, ids(a).count, "no two findings share an id")
        let root = try XCTUnwrap(a.domains.first { $0.name == "lab-root" })
        let f = try XCTUnwrap(root.findings.first { $0.rule == "dac.non-root-user" })
        XCTAssertEqual(f.id, FindingID.make(host: try XCTUnwrap(a.hostId), target: root.uuid, rule: "dac.non-root-user"))
    }

    func testTheHostIdIsTheFixtureRootsMachineIdElseTheHostname() throws {
        // No fixture root carries /etc/machine-id: the host id falls back to the hostname.
        let r = try FixtureHosts.scan("hardened")
        XCTAssertEqual(r.hostId, "hostname:" + r.host.hostname)
        XCTAssertEqual(FindingID.hostID(root: HostRoot(FixtureHosts.root("hardened")), hostname: r.host.hostname), r.hostId)
    }
}
