import Core
import XCTest
@testable import Policy

final class ProfileTests: XCTestCase {
    private func evaluator() throws -> Evaluator {
        Evaluator(policies: try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema), waivers: .none)
    }

    func testMetadataProfileWinsOverNameGlob() throws {
        let e = try evaluator()
        let facts: JSONValue = ["domain": ["metadata": ["profile": "passthrough"]]]
        XCTAssertEqual(e.selectProfile(name: "web-1", facts: facts).profile.name, "passthrough")
        let alias: JSONValue = ["domain": ["metadata": ["profile": "device-assignment"]]]
        XCTAssertEqual(e.selectProfile(name: "web-1", facts: alias).profile.name, "passthrough")
    }

    func testFirstNameGlobMatchSelectsProfile() throws {
        let e = try evaluator()
        XCTAssertEqual(e.selectProfile(name: "gpu-7", facts: [:]).profile.name, "passthrough")
        XCTAssertEqual(e.selectProfile(name: "nic-01", facts: [:]).profile.name, "passthrough")
        XCTAssertEqual(e.selectProfile(name: "nic-001", facts: [:]).profile.name, "baseline")
        XCTAssertEqual(e.selectProfile(name: "web-frontend", facts: [:]).profile.name, "strict")
        XCTAssertEqual(e.selectProfile(name: "gpu-secure", facts: [:]).profile.name, "passthrough")
    }

    func testDefaultProfileWhenNothingMatches() throws {
        let (p, notes) = try evaluator().selectProfile(name: "db-1", facts: [:])
        XCTAssertEqual(p.name, "baseline")
        XCTAssertEqual(notes, [])
    }

    func testUnknownMetadataProfileFallsBackToDefaultAndSaysSo() throws {
        let facts: JSONValue = ["domain": ["metadata": ["profile": "paranoid"]]]
        let v = try evaluator().evaluateDomain(name: "gpu-1", uuid: "u", facts: facts, host: [:])
        XCTAssertEqual(v.profile, "baseline")
        XCTAssertEqual(v.notes, ["domain metadata names profile 'paranoid', which does not exist; using the default profile 'baseline'"])
    }

    func testBaselineExcludesHardenedTaggedRules() throws {
        let v = try evaluator().evaluateDomain(name: "db-1", uuid: "u", facts: [:], host: [:])
        XCTAssertFalse(v.findings.contains { $0.rule == "qemu-sandbox.spawn-deny" })
        XCTAssertTrue(v.findings.contains { $0.rule == "dac.non-root-user" })
        XCTAssertFalse(v.findings.contains { $0.rule == "host.selinux-enforcing" }, "host rules are not domain findings")
    }

    func testSeverityOverridesApplyInOrderAndChangeWeight() throws {
        let e = try evaluator()
        let facts: JSONValue = ["domain": ["running": true], "process": ["uid": 0, "gid": 0, "capabilities": ["effective": ["CAP_SYS_ADMIN"]]],
                                "devices": ["hostdevs": [["driver": "pci-stub"]]]]
        let strict = e.evaluateDomain(name: "web-1", uuid: "u", facts: facts, host: [:])
        XCTAssertEqual(strict.profile, "strict")
        XCTAssertEqual(strict.findings.first { $0.rule == "dac.no-capabilities" }?.severity, .low)
        XCTAssertEqual(strict.findings.first { $0.rule == "qemu-sandbox.spawn-deny" }?.severity, .critical)
        let pt = e.evaluateDomain(name: "gpu-1", uuid: "u", facts: facts, host: [:])
        XCTAssertEqual(pt.findings.first { $0.rule == "device-isolation.vfio-only" }?.severity, .critical)
        XCTAssertEqual(pt.findings.first { $0.rule == "dac.no-capabilities" }?.severity, .high)
    }

    func testSelectorsMatchLayerTagAndGlob() throws {
        let set = try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema)
        let r = try XCTUnwrap(set.rule("qemu-sandbox.spawn-deny"))
        XCTAssertTrue(RuleSelector.layer(.qemuSandbox).matches(r))
        XCTAssertTrue(RuleSelector.tag("hardened").matches(r))
        XCTAssertTrue(RuleSelector.id(Glob("qemu-*.spawn-*")).matches(r))
        XCTAssertFalse(RuleSelector.id(Glob("dac.*")).matches(r))
        let include = Profile(name: "p", include: [.layer(.dac)], exclude: [.id(Glob("dac.no-*"))])
        XCTAssertEqual(set.rules.filter(include.selects).map(\.id), ["dac.non-root-user"])
    }

    func testShippedProfilesLoadAgainstTheirOwnRules() throws {
        // policies/profiles must be valid on their own; rule ids they name are checked with rules.
        let dir = URL(fileURLWithPath: fixture("x")).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies/profiles").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files, ["baseline.yaml", "hardened.yaml", "passthrough.yaml"])
        let diagnostics = Lint.run(paths: files.map { dir + "/" + $0 }, schema: testSchema)
        XCTAssertEqual(diagnostics, [])
        let sources = try files.map { PolicySource(path: $0, text: try String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) }
        let set = try PolicySet.load(sources: sources, schema: testSchema)
        XCTAssertEqual(set.defaultProfile.name, "baseline")
    }
}
