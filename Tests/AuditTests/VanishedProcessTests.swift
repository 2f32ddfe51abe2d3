import Audit
import Core
import Foundation
import XCTest

/// Unknown is never pass: a running domain whose qemu vanished gets unknown verdicts on every
/// process rule and scores below a guest whose rules all pass.
final class VanishedProcessTests: XCTestCase {
    static let processLayers: Set<Layer> = [.qemuSandbox, .dac, .namespaces, .mac, .seccomp]

    func testVanishedProcessGivesUnknownNotPass() throws {
        let report = try FixtureHosts.scan("vanished")
        let flicker = try report.domain("flicker")
        XCTAssertEqual(flicker.state, "running")
        XCTAssertEqual(flicker.facts[path: "process.located"], false)
        // Rules that read the process (rules of these layers that judge only the XML, such as
        // mac.labelling-enabled, keep their verdict; so do the configuration rules that stand in
        // for the process while none is seen, such as dac.configured-user-not-root, which read
        // the process only to learn that it is missing).
        let process = flicker.findings.filter { f in
            let keys = (f.observed.objectValue ?? [:]).keys
            let readsProcessValue = keys.contains { ($0.hasPrefix("process.") || $0.hasPrefix("sandbox.")) && $0 != "process.uid" }
                || (keys.contains("process.uid") && !keys.contains { $0.hasPrefix("labels.") || $0.hasPrefix("host.") })
            return Self.processLayers.contains(f.layer) && readsProcessValue
        }
        XCTAssertGreaterThanOrEqual(process.count, 20)
        for f in process {
            XCTAssertEqual(f.status, .unknown, "\(f.rule) is \(f.status.rawValue) without a process")
            XCTAssertNotNil(f.reason, "\(f.rule): an unknown verdict says why")
        }
    }

    func testVanishedProcessScoresBelowAFullyPassingGuest() throws {
        let report = try FixtureHosts.scan("vanished")
        let steady = try report.domain("steady"), flicker = try report.domain("flicker")
        XCTAssertEqual(steady.findings.filter { $0.status == .unknown }.map(\.rule), [])
        XCTAssertEqual(steady.findings.filter { $0.status == .fail && $0.severity != .info }.map(\.rule), [])
        XCTAssertLessThan(flicker.score, steady.score)
        for layer in Self.processLayers {
            XCTAssertLessThan(try flicker.layerScore(layer), try steady.layerScore(layer), layer.rawValue)
            XCTAssertGreaterThan(flicker.layers[layer.rawValue]?.unknown ?? 0, 0, layer.rawValue)
        }
        XCTAssertNotEqual(flicker.grade, "A")
    }
}
