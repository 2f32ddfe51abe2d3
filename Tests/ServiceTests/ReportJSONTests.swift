import Core
import XCTest
@testable import Service

final class ReportJSONTests: XCTestCase {
    func testDomainAndHostCarryLayersStandingAndNullForUndecidedLayers() {
        let score = Score(score: 42, grade: "F", layers: [
            "mac": LayerScore(score: 0, fail: 1, down: true), "dac": LayerScore(score: 100, pass: 1),
            "seccomp": LayerScore(score: nil),
        ])
        let d = DomainReport(name: "vm", uuid: "u", state: "shutoff", id: nil, profile: "baseline", facts: [:],
                             findings: [], score: score)
        for json in [ReportJSON.domain(d), ReportJSON.domainSummary(d)] {
            XCTAssertEqual(json["layersStanding"], 1)
            XCTAssertEqual(json["layersTotal"], 2)
            XCTAssertEqual(json["layers"]?["seccomp"]?["score"], .null)
            XCTAssertEqual(json["layers"]?["mac"]?["down"], true)
            XCTAssertEqual(json["layers"]?["dac"]?["down"], false)
            XCTAssertEqual(json["layers"]?["dac"]?["score"], 100)
        }
        let h = ReportJSON.host(HostReport(hostname: "h", facts: [:], findings: [], score: score))
        XCTAssertEqual(h["layersStanding"], 1)
        XCTAssertEqual(h["layersTotal"], 2)
    }

    /// A report recorded before the counts existed serves them as null, not as a made-up number.
    func testUnknownStandingIsNull() {
        var d = DomainReport(name: "vm", uuid: "u", state: "running", id: 1, profile: "baseline", facts: [:],
                             findings: [], score: Score(score: 90, grade: "A", layers: [:]))
        d.layersStanding = nil
        d.layersTotal = nil
        XCTAssertEqual(ReportJSON.domain(d)["layersStanding"], .null)
        XCTAssertEqual(ReportJSON.domain(d)["layersTotal"], .null)
    }

    func testManagementContextIsServedAndNullForOlderReports() {
        let facts: JSONValue = ["management": ["kind": "libvirt-namespaced", "daemon": ["pid": 8310, "exe": "/usr/sbin/virtqemud", "socket": ""],
                                               "container": ["runtime": "containerd", "containerId": nil, "podUid": "5f0b"], "kubevirt": true]]
        let d = DomainReport(name: "vm", uuid: "u", state: "running", id: nil, profile: "kubevirt", facts: facts,
                             findings: [], score: Score(score: 90, grade: "A", layers: [:]))
        for json in [ReportJSON.domain(d), ReportJSON.domainSummary(d)] {
            XCTAssertEqual(json["management"]?["kind"], "libvirt-namespaced")
            XCTAssertEqual(json["management"]?["daemonPid"], 8310)
            XCTAssertEqual(json["management"]?["pid"], .null)
            XCTAssertEqual(json["management"]?["container"]?["podUid"], "5f0b")
            XCTAssertEqual(json["management"]?["kubevirt"], true)
        }
        let old = DomainReport(name: "vm", uuid: "u", state: "running", id: 1, profile: "baseline", facts: [:],
                               findings: [], score: Score(score: 90, grade: "A", layers: [:]))
        XCTAssertEqual(ReportJSON.domainSummary(old)["management"], .null)
    }
}
