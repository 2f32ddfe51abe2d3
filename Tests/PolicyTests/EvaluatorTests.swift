import Core
import XCTest
@testable import Policy

final class EvaluatorTests: XCTestCase {
    private func evaluator() throws -> Evaluator {
        Evaluator(policies: try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema), waivers: .none)
    }

    private let confined: JSONValue = [
        "domain": ["running": true],
        "process": ["uid": 107, "gid": 107, "capabilities": ["effective": []]],
        "devices": ["hostdevs": []],
    ]

    func testConfinedVMPassesAndScores100() throws {
        let v = try evaluator().evaluateDomain(name: "va-confined", uuid: "u1", facts: confined, host: [:])
        XCTAssertEqual(v.profile, "baseline")
        XCTAssertEqual(v.findings.map(\.rule), ["dac.non-root-user", "dac.no-capabilities", "device-isolation.vfio-only"])
        XCTAssertEqual(v.findings.map(\.status), [.pass, .pass, .notApplicable])
        XCTAssertEqual(v.score.score, 100)
        XCTAssertEqual(v.score.grade, "A")
        XCTAssertEqual(v.name, "va-confined")
        XCTAssertEqual(v.uuid, "u1")
    }

    func testRootQemuFailsWithObservedValuesAndRemediation() throws {
        var facts = confined
        facts.set("process.uid", to: 0)
        facts.set("process.gid", to: 0)
        let v = try evaluator().evaluateDomain(name: "va-rootdac", uuid: "u2", facts: facts, host: [:])
        let f = try XCTUnwrap(v.findings.first)
        XCTAssertEqual(f.status, .fail)
        XCTAssertEqual(f.severity, .critical)
        XCTAssertEqual(f.observed, ["domain.running": true, "process.uid": 0, "process.gid": 0])
        let texts = try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema).ruleTexts
        XCTAssertEqual(texts[f.rule]?.expected, "effective uid and gid are not 0")
        XCTAssertEqual(texts[f.rule]?.remediation, "Remove the per-domain <seclabel model='dac'> that sets +0:+0.")
        XCTAssertNil(f.reason)
        XCTAssertEqual(f.pointsLost, 100 - Double(v.score.score), accuracy: 0.5)
        XCTAssertEqual(v.score.grade, "F")
        XCTAssertEqual(v.score.layers["dac"]?.fail, 1)
    }

    func testUnreadableFactGivesUnknownWithItsReasonInTheFinding() throws {
        var facts = confined
        facts.set("process.uid", to: nil)
        facts.set("unknown", to: ["process.uid": "/proc/4242/status: permission denied"])
        let v = try evaluator().evaluateDomain(name: "vm", uuid: "u", facts: facts, host: [:])
        let f = try XCTUnwrap(v.findings.first { $0.rule == "dac.non-root-user" })
        XCTAssertEqual(f.status, .unknown)
        XCTAssertEqual(f.reason, "/proc/4242/status: permission denied")
        XCTAssertEqual(f.observed["process.uid"], .null)
        XCTAssertGreaterThan(f.pointsLost, 0)
    }

    func testFalseWhenIsNotApplicableAndUnknownWhenIsUnknown() throws {
        var stopped = confined
        stopped.set("domain.running", to: false)
        let v = try evaluator().evaluateDomain(name: "vm", uuid: "u", facts: stopped, host: [:])
        XCTAssertEqual(v.findings.map(\.status), [.notApplicable, .notApplicable, .notApplicable])
        XCTAssertEqual(v.score.score, 100)
        XCTAssertEqual(v.findings.first?.observed, ["domain.running": false])

        let noDevices: JSONValue = ["domain": ["running": true], "process": ["uid": 1, "gid": 1, "capabilities": ["effective": []]]]
        let w = try evaluator().evaluateDomain(name: "vm", uuid: "u", facts: noDevices, host: [:])
        let f = try XCTUnwrap(w.findings.first { $0.rule == "device-isolation.vfio-only" })
        XCTAssertEqual(f.status, .unknown)
        XCTAssertEqual(f.reason, "cannot tell whether the rule applies: fact devices.hostdevs is not present")
    }

    func testFactsMarkedNotApplicableMakeTheirRulesNotApplicableButUnknownStaysUnknown() throws {
        // A qemu without a domain definition: device facts do not apply, process facts do.
        var b = FactBuilder(["domain": ["running": true], "process": ["uid": 107, "gid": 107]])
        b.setNotApplicable("devices", reason: "qemu 42 is not managed by a visible libvirt daemon")
        b.setUnknown("process.capabilities", reason: "/proc/42/status: permission denied")
        let v = try evaluator().evaluateDomain(name: "rogue", uuid: "pid-42", facts: b.facts, host: [:])
        let byRule = Dictionary(uniqueKeysWithValues: v.findings.map { ($0.rule, $0) })
        XCTAssertEqual(byRule["dac.non-root-user"]?.status, .pass)
        XCTAssertEqual(byRule["dac.no-capabilities"]?.status, .unknown, "an unreadable fact is never not-applicable")
        XCTAssertEqual(byRule["device-isolation.vfio-only"]?.status, .notApplicable)
        XCTAssertEqual(byRule["device-isolation.vfio-only"]?.reason, "qemu 42 is not managed by a visible libvirt daemon")
        XCTAssertNil(v.score.layers["device-isolation"]?.score, "a layer with nothing decided has no sub-score")
    }

    func testDeviceRuleFailsForPciStub() throws {
        var facts = confined
        facts.set("devices.hostdevs", to: [["driver": "vfio-pci"], ["driver": "pci-stub"]])
        let v = try evaluator().evaluateDomain(name: "vm", uuid: "u", facts: facts, host: [:])
        let f = try XCTUnwrap(v.findings.first { $0.rule == "device-isolation.vfio-only" })
        XCTAssertEqual(f.status, .fail)
        XCTAssertEqual(f.observed["devices.hostdevs"], [["driver": "vfio-pci"], ["driver": "pci-stub"]])
    }

    func testDomainRulesSeeHostFactsUnderHost() throws {
        let rules = """
        rules:
          - id: mac.host-enforcing
            layer: mac
            severity: high
            title: t
            check: host.selinux.enforcing and process.uid != 0
            remediation: r
        """
        let set = try PolicySet.load(sources: [PolicySource(path: "r.yaml", text: rules)], schema: testSchema)
        let e = Evaluator(policies: set, waivers: .none)
        let host: JSONValue = ["host": ["selinux": ["enforcing": true]]]
        let v = e.evaluateDomain(name: "vm", uuid: "u", facts: ["process": ["uid": 5]], host: host)
        XCTAssertEqual(v.findings.first?.status, .pass)
        XCTAssertEqual(v.findings.first?.observed, ["host.selinux.enforcing": true, "process.uid": 5])
        XCTAssertEqual(v.profile, "default", "no profile files: every rule")
        let off = e.evaluateDomain(name: "vm", uuid: "u", facts: ["process": ["uid": 5]],
                                   host: ["host": ["selinux": ["enforcing": nil]], "unknown": ["host.selinux": "no selinuxfs"]])
        XCTAssertEqual(off.findings.first?.reason, "no selinuxfs")
    }

    func testHostEvaluationRunsOnlyHostRules() throws {
        let h = try evaluator().evaluateHost(facts: ["host": ["selinux": ["enforcing": false]]])
        XCTAssertEqual(h.findings.map(\.rule), ["host.selinux-enforcing"])
        XCTAssertEqual(h.findings.first?.status, .fail)
        XCTAssertEqual(h.score.score, 0)
        XCTAssertEqual(h.score.layers["host"]?.fail, 1)
        XCTAssertEqual(h.profile, "baseline")
    }

    func testTwoDeadLayersThroughTheEvaluator() throws {
        var yaml = "rules:\n"
        for layer in ["dac", "mac", "seccomp", "namespaces"] {
            for n in 1...3 {
                yaml += "  - {id: \(layer).r\(n), layer: \(layer), severity: high, title: t, check: sandbox.\(layer)\(n), remediation: r}\n"
            }
        }
        let schema = FactSchema([testSchema.sortedFields, [FactField("sandbox", .any, "free-form test facts")]])
        let e = Evaluator(policies: try PolicySet.load(sources: [PolicySource(path: "r.yaml", text: yaml)], schema: schema), waivers: .none)
        func facts(failing: [String]) -> JSONValue {
            var f: JSONValue = [:]
            for layer in ["dac", "mac", "seccomp", "namespaces"] {
                for n in 1...3 { f.set("sandbox.\(layer)\(n)", to: .bool(!failing.contains("\(layer)\(n)"))) }
            }
            return f
        }
        let dead = e.evaluateDomain(name: "a", uuid: "", facts: facts(failing: ["dac1", "dac2", "dac3", "mac1", "mac2", "mac3"]), host: [:])
        let two = e.evaluateDomain(name: "b", uuid: "", facts: facts(failing: ["dac1", "dac2"]), host: [:])
        XCTAssertLessThan(dead.score.score + 20, two.score.score)
        for v in [dead, two] {
            XCTAssertEqual(v.findings.reduce(0) { $0 + $1.pointsLost }, 100 - Double(v.score.score), accuracy: 0.5)
        }
    }

    func testEvaluationIsDeterministicAcrossCalls() throws {
        let e = try evaluator()
        let a = e.evaluateDomain(name: "x", uuid: "u", facts: confined, host: [:])
        let b = e.evaluateDomain(name: "x", uuid: "u", facts: confined, host: [:])
        XCTAssertEqual(a.findings, b.findings)
        XCTAssertEqual(a.score, b.score)
    }

    func testOneEvaluatorKeepsNoStateBetweenVMs() throws {
        let e = try evaluator()
        var root = confined
        root.set("process.uid", to: 0)
        let a = e.evaluateDomain(name: "a", uuid: "", facts: root, host: [:])
        let b = e.evaluateDomain(name: "b", uuid: "", facts: confined, host: [:])
        let c = e.evaluateDomain(name: "c", uuid: "", facts: root, host: [:])
        XCTAssertEqual(a.findings.first?.status, .fail)
        XCTAssertEqual(b.findings.first?.status, .pass)
        XCTAssertEqual(c.findings, a.findings)
    }

    /// The worked examples of Docs/scoring.md.
    func testScoringDocumentExamples() throws {
        let rules = """
        rules:
          - {id: dac.non-root-user, layer: dac, severity: critical, title: t, check: sandbox.a, remediation: r}
          - {id: dac.no-capabilities, layer: dac, severity: high, title: t, check: sandbox.b, remediation: r}
          - {id: mac.svirt-label, layer: mac, severity: high, title: t, check: sandbox.c, remediation: r}
          - {id: mac.unique-mcs, layer: mac, severity: medium, title: t, check: sandbox.d, remediation: r}
          - {id: seccomp.filter, layer: seccomp, severity: high, title: t, check: sandbox.e, remediation: r}
          - {id: namespaces.private-mount, layer: namespaces, severity: medium, title: t, check: sandbox.f, remediation: r}
        """
        let schema = FactSchema([testSchema.sortedFields, [FactField("sandbox", .any, "test facts")]])
        let e = Evaluator(policies: try PolicySet.load(sources: [PolicySource(path: "r.yaml", text: rules)], schema: schema), waivers: .none)
        func run(_ values: [String: JSONValue]) -> DomainVerdict {
            var f: JSONValue = [:]
            for k in ["a", "b", "c", "d", "e", "f"] { f.set("sandbox." + k, to: values[k] ?? true) }
            return e.evaluateDomain(name: "vm", uuid: "", facts: f, host: [:])
        }
        let one = run(["d": false])
        XCTAssertEqual(one.score.score, 92)
        XCTAssertEqual(one.score.grade, "A")
        XCTAssertEqual(one.findings[3].pointsLost, 8)
        let root = run(["a": false])
        // Raw 75 × 0.69 = 51.75.
        XCTAssertEqual([root.score.score], [52])
        XCTAssertEqual(root.score.grade, "F")
        XCTAssertEqual(root.findings[0].pointsLost, 48.25, accuracy: 0.01)
        let unknown = run(["e": nil])
        // The seccomp layer's only rule is not passed: the layer is down, 76 × 0.79 = 60.04.
        XCTAssertEqual(unknown.score.score, 60)
        XCTAssertEqual(unknown.findings[4].status, .unknown)
        XCTAssertEqual(unknown.findings[4].pointsLost, 39.96, accuracy: 0.01)
        XCTAssertEqual([unknown.score.layersStanding, unknown.score.layersTotal], [3, 4])
        XCTAssertEqual(run(["e": false]).score.score, 60)

        // Example 6: example 1 with mac.unique-mcs marked breaks_layer: the mac layer is down.
        let breaking = rules.replacingOccurrences(of: "check: sandbox.d,", with: "breaks_layer: true, check: sandbox.d,")
        let e6 = Evaluator(policies: try PolicySet.load(sources: [PolicySource(path: "r.yaml", text: breaking)], schema: schema), waivers: .none)
        var f6: JSONValue = [:]
        for k in ["a", "b", "c", "e", "f"] { f6.set("sandbox." + k, to: true) }
        f6.set("sandbox.d", to: false)
        let six = e6.evaluateDomain(name: "vm", uuid: "", facts: f6, host: [:])
        // 100 × (10 + 0 + 6 + 3)/25 = 76, times 0.79 = 60.04.
        XCTAssertEqual(six.score.score, 60)
        XCTAssertEqual(six.score.grade, "D")
        XCTAssertEqual(six.score.layers["mac"]?.score, 0)
        XCTAssertEqual([six.score.layersStanding, six.score.layersTotal], [3, 4])
        XCTAssertEqual(six.findings[3].pointsLost, 39.96, accuracy: 0.01)
    }
}
