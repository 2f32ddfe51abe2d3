import Foundation
import XCTest

/// `virtaudit admit` as libvirt runs it: argv `NAME OPERATION SUBOP EXTRA`, the domain XML on
/// standard input, the exit status and stdout read by libvirt.
final class AdmitCommandTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "admit-cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: LiveLab.repository + "/Tests/Fixtures/check/" + name))
    }

    func config(_ extra: String = "", policies: String = LiveLab.repository + "/policies") throws -> String {
        let path = dir + "/config.yaml"
        try "policies: \(policies)\ndata_dir: \(dir)/data\nalerts:\n  command: [\"/bin/true\"]\n\(extra)"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func admit(_ args: [String], stdin: Data) throws -> (status: Int32, out: String, err: String) {
        try ServiceLive.run(CLI.executable, ["admit"] + args, stdin: stdin)
    }

    func decisions() throws -> [String] {
        try ServiceLive.run("/usr/bin/sqlite3", [dir + "/data/history.sqlite3", "SELECT operation || ' ' || mode || ' ' || decision FROM admissions ORDER BY id"])
            .out.split(separator: "\n").map(String.init)
    }

    func testEnforceDeniesAtPrepareBeginWithOneLinePerRuleAndRecordsIt() throws {
        let r = try admit(["--mode", "enforce", "--config", config(), "va-rootdac", "prepare", "begin", "-"], stdin: fixture("live-va-rootdac.xml"))
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertEqual(r.out, "")
        let lines = r.err.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, r.err)
        XCTAssertTrue(lines[1].contains("dac.label-not-root (critical, dac) fail: observed"), r.err)
        XCTAssertEqual(try decisions(), ["prepare begin enforce deny"])
    }

    func testCommandLineModeWinsOverTheConfiguration() throws {
        let cfg = try config("admission:\n  mode: enforce\n")
        let r = try admit(["--mode", "dryrun", "--config", cfg, "va-rootdac", "prepare", "begin", "-"], stdin: fixture("live-va-rootdac.xml"))
        XCTAssertEqual(r.status, 0, r.err)
        let plain = try admit(["--config", cfg, "va-rootdac", "prepare", "begin", "-"], stdin: fixture("live-va-rootdac.xml"))
        XCTAssertEqual(plain.status, 1, plain.err)
        XCTAssertEqual(try decisions(), ["prepare begin dryrun would-deny", "prepare begin enforce deny"])
    }

    func testMigrateAndRestoreBeginFilterTheXMLBackUnchangedWhenAdmitted() throws {
        let xml = try fixture("live-va-confined.xml")
        for op in ["migrate", "restore"] {
            let r = try admit(["--mode", "enforce", "--config", config(), "va-confined", op, "begin", "-"], stdin: xml)
            XCTAssertEqual(r.status, 0, r.err)
            XCTAssertEqual(Data(r.out.utf8), xml, op)
            let denied = try admit(["--mode", "enforce", "--config", config(), "va-rootdac", op, "begin", "-"], stdin: fixture("live-va-rootdac.xml"))
            XCTAssertEqual(denied.status, 1, op)
            XCTAssertEqual(denied.out, "", op)
        }
    }

    func testReconnectAndOtherOperationsAlwaysExitZeroEvenWithABrokenConfiguration() throws {
        let broken = dir + "/broken.yaml"
        try "admission:\n  mode: [nonsense\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let xml = try fixture("live-va-rootdac.xml")
        for (op, sub) in [("reconnect", "begin"), ("start", "begin"), ("started", "begin"), ("stopped", "end"), ("release", "end"), ("attach", "begin")] {
            let r = try admit(["--mode", "enforce", "--config", broken, "va-rootdac", op, sub, "-"], stdin: xml)
            XCTAssertEqual(r.status, 0, "\(op) \(sub): \(r.err)")
        }
        // Even a usage error (an unknown mode) must not kill a running guest.
        let usage = try admit(["--mode", "bogus", "va-rootdac", "reconnect", "begin", "-"], stdin: xml)
        XCTAssertEqual(usage.status, 0, usage.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/data/history.sqlite3"))
    }

    func testBrokenPolicyFollowsTheFailurePolicy() throws {
        let policies = dir + "/policies"
        try FileManager.default.copyItem(atPath: LiveLab.repository + "/policies", toPath: policies)
        try "rules:\n  - id: broken.rule\n    when: [unclosed\n".write(toFile: policies + "/rules/zz-broken.yaml", atomically: true, encoding: .utf8)
        let xml = try fixture("live-va-confined.xml")
        let open = try admit(["--mode", "enforce", "--config", config(policies: policies), "va-confined", "prepare", "begin", "-"], stdin: xml)
        XCTAssertEqual(open.status, 0, open.err)
        XCTAssertTrue(open.err.contains("fail-open") && open.err.contains("zz-broken.yaml"), open.err)
        let closed = try admit(["--mode", "enforce", "--config", config("admission:\n  failure_policy: fail-closed\n", policies: policies),
                                "va-confined", "prepare", "begin", "-"], stdin: xml)
        XCTAssertEqual(closed.status, 1, closed.err)
        XCTAssertEqual(try decisions(), ["prepare begin enforce failed-open", "prepare begin enforce failed-closed"])
        let alerts = try ServiceLive.run("/usr/bin/sqlite3", [dir + "/data/history.sqlite3", "SELECT COUNT(*) FROM outbox WHERE payload LIKE '%admission-failure%'"])
        XCTAssertEqual(alerts.out.trimmingCharacters(in: .whitespacesAndNewlines), "2")
    }

    func testTimeBudgetExceededFollowsTheFailurePolicy() throws {
        // 10 ms is less than loading the policies takes.
        let cfg = try config("admission:\n  timeout_ms: 10\n  failure_policy: fail-closed\n")
        let r = try admit(["--mode", "enforce", "--config", cfg, "va-confined", "prepare", "begin", "-"], stdin: fixture("live-va-confined.xml"))
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("no decision within the 10 ms budget"), r.err)
    }
}
