import Core
import XCTest
@testable import Policy

final class ExplainTests: XCTestCase {
    func testRuleExplanationShowsCheckWhyAndFix() throws {
        let set = try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema)
        let text = Explain.rule(try XCTUnwrap(set.rule("dac.non-root-user")))
        XCTAssertTrue(text.hasPrefix("dac.non-root-user: qemu runs as an unprivileged user\n"))
        XCTAssertTrue(text.contains("severity: critical, weight: 10, scope: domain"))
        XCTAssertTrue(text.contains("  applies when:\n    domain.running\n"))
        XCTAssertTrue(text.contains("  checks:\n       process.uid != 0\n    and process.gid != 0\n"), text)
        XCTAssertTrue(text.contains("why: A guest that escapes into a root qemu owns the host."))
        XCTAssertTrue(text.contains("remediation: Remove the per-domain"))
        XCTAssertTrue(text.contains("    - https://libvirt.org/drvqemu.html#posix-users-groups\n"))
        XCTAssertTrue(text.contains("defined at: \(fixture("policy-valid"))/rules/dac.yaml:2"))
    }

    func testVerdictsListEveryRuleWithObservedAndExpected() throws {
        let set = try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema)
        let e = Evaluator(policies: set, waivers: .none)
        let facts: JSONValue = ["domain": ["running": true], "process": ["uid": 0, "gid": 0, "capabilities": ["effective": []]],
                                "devices": ["hostdevs": []]]
        let v = e.evaluateDomain(name: "va-rootdac", uuid: "u2", facts: facts, host: [:])
        let text = Explain.verdicts(v, rules: set.ruleTexts)
        XCTAssertTrue(text.hasPrefix("va-rootdac (u2): score \(v.score.score)/100, grade \(v.score.grade), layers standing \(v.score.layersStanding) of \(v.score.layersTotal), profile baseline\n"), text)
        XCTAssertTrue(text.contains("\nFAIL dac.non-root-user [dac, critical, -"))
        XCTAssertTrue(text.contains("] qemu runs as an unprivileged user\n"), "the title comes from the rule texts")
        XCTAssertTrue(text.contains("  remediation: Remove the per-domain"), text)
        XCTAssertTrue(text.contains("  observed: domain.running = true, process.gid = 0, process.uid = 0\n"), text)
        XCTAssertTrue(text.contains("  expected: effective uid and gid are not 0\n"))
        XCTAssertTrue(text.contains("\nPASS dac.no-capabilities"))
        XCTAssertTrue(text.contains("\nNOT-APPLICABLE device-isolation.vfio-only"))
        XCTAssertTrue(text.contains("  layer dac: "))
        // Failures come before passes.
        let fail = try XCTUnwrap(text.range(of: "FAIL dac.non-root-user"))
        let pass = try XCTUnwrap(text.range(of: "PASS dac.no-capabilities"))
        XCTAssertLessThan(fail.lowerBound, pass.lowerBound)
    }
}
