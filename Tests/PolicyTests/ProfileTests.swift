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
        XCTAssertEqual(files, ["baseline.yaml", "hardened.yaml", "kubevirt.yaml", "passthrough.yaml"])
        let diagnostics = Lint.run(paths: files.map { dir + "/" + $0 }, schema: testSchema)
        XCTAssertEqual(diagnostics, [])
        let sources = try files.map { PolicySource(path: $0, text: try String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) }
        let set = try PolicySet.load(sources: sources, schema: testSchema)
        XCTAssertEqual(set.defaultProfile.name, "baseline")
    }

    func testRaiseMakesEverySeverityStricterButKeepsInfo() throws {
        let rules = """
        rules:
          - {id: a.low, layer: dac, severity: low, title: t, check: process.uid != 0, remediation: r}
          - {id: a.high, layer: dac, severity: high, title: t, check: process.uid != 0, remediation: r}
          - {id: a.crit, layer: dac, severity: critical, title: t, check: process.uid != 0, remediation: r}
          - {id: a.info, layer: dac, severity: info, title: t, check: process.uid != 0, remediation: r}
          - {id: a.fixed, layer: dac, severity: medium, weight: 2, title: t, check: process.uid != 0, remediation: r}
        """
        let profile = "profile:\n  name: strictest\n  default: true\n  raise: 2\n  severity:\n    a.low: low\n"
        let set = try PolicySet.load(sources: [PolicySource(path: "r.yaml", text: rules), PolicySource(path: "p.yaml", text: profile)],
                                     schema: testSchema)
        let v = Evaluator(policies: set, waivers: .none).evaluateDomain(name: "vm", uuid: "u", facts: ["process": ["uid": 0]], host: [:])
        XCTAssertEqual(v.findings.map(\.severity), [.low, .critical, .critical, .info, .critical])
        // A raised default weight follows the severity; an explicit weight stays.
        let p = try XCTUnwrap(set.profile(named: "strictest"))
        XCTAssertEqual(set.rules.map { $0.weight(at: p.severity(for: $0)) }, [1, 10, 10, 0, 2])
    }

    func testBadRaiseIsAnError() {
        let profile = "profile:\n  name: p\n  raise: lots\n"
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "p.yaml", text: profile)], schema: testSchema)) { error in
            XCTAssertEqual((error as! PolicyError).description,
                           "p.yaml:3: profile p: 'raise' must be a number of severity levels from 0 to 3, found 'lots'")
        }
    }

    func testShippedHardenedProfileIncludesHardenedRulesOneLevelUp() throws {
        let root = URL(fileURLWithPath: fixture("x")).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies/profiles").path
        var sources = try ["baseline.yaml", "hardened.yaml", "passthrough.yaml"].map {
            PolicySource(path: $0, text: try String(contentsOfFile: root + "/" + $0, encoding: .utf8))
        }
        for f in ["dac.yaml", "sandbox.yaml"] {
            let path = fixture("policy-valid") + "/rules/" + f
            sources.append(PolicySource(path: path, text: try String(contentsOfFile: path, encoding: .utf8)))
        }
        let e = Evaluator(policies: try PolicySet.load(sources: sources, schema: testSchema), waivers: .none)
        let facts: JSONValue = ["domain": ["running": true, "metadata": ["profile": "hardened"]],
                                "process": ["uid": 5, "gid": 5, "capabilities": ["effective": []]],
                                "sandbox": ["spawn": "deny"], "devices": ["hostdevs": [["driver": "vfio-pci"]]]]
        let hardened = e.evaluateDomain(name: "vm", uuid: "u", facts: facts, host: [:])
        XCTAssertEqual(hardened.profile, "hardened")
        XCTAssertEqual(hardened.findings.map(\.rule), ["dac.non-root-user", "dac.no-capabilities", "qemu-sandbox.spawn-deny", "device-isolation.vfio-only"])
        XCTAssertEqual(hardened.findings.map(\.severity), [.critical, .critical, .high, .critical])
        var meta = facts
        meta.set("domain.metadata.profile", to: "vfio")
        let pt = e.evaluateDomain(name: "vm", uuid: "u", facts: meta, host: [:])
        XCTAssertEqual(pt.profile, "passthrough")
        XCTAssertEqual(pt.findings.map(\.rule), ["dac.non-root-user", "dac.no-capabilities", "device-isolation.vfio-only"])
        XCTAssertEqual(pt.findings.last?.severity, .critical)
        meta.set("domain.metadata", to: [:])
        XCTAssertEqual(e.evaluateDomain(name: "vm", uuid: "u", facts: meta, host: [:]).profile, "baseline")
    }
}
