import Core
import XCTest
@testable import Policy

final class LintTests: XCTestCase {
    func testValidPolicyDirectoryHasNoDiagnostics() {
        XCTAssertEqual(Lint.run(paths: [fixture("policy-valid")], schema: testSchema), [])
    }

    func testLintReportsTheSameProblemsAsLoading() {
        let dir = fixture("policy-errors")
        let lint = Lint.run(paths: [dir], schema: testSchema)
        XCTAssertThrowsError(try PolicySet.load(directory: dir, schema: testSchema)) { error in
            XCTAssertEqual(lint, (error as! PolicyError).diagnostics)
        }
        XCTAssertEqual(lint.count, 11)
    }

    func testFilesAreRecognisedByTopKeyAndWaiversAreChecked() {
        let valid = fixture("policy-valid")
        let waivers = fixture("policy-waivers")
        let d = Lint.run(paths: [valid + "/rules/dac.yaml", valid + "/profiles/baseline.yaml", waivers + "/waivers.yaml"],
                         schema: testSchema)
        // Only dac rules are given: the sandbox and host waivers match no rule.
        XCTAssertEqual(d.map(\.description), [
            "\(waivers)/waivers.yaml:2: rule qemu-sandbox.*: waiver matches no rule",
            "\(waivers)/waivers.yaml:14: rule host.selinux-enforcing: waiver matches no rule",
        ])
    }

    func testProfileAloneIsNotCheckedForRuleIds() {
        let d = Lint.check([PolicySource(path: "p.yaml", text: "profile:\n  name: p\n  include: [dac.x]\n")], schema: testSchema)
        XCTAssertEqual(d, [])
    }

    func testUnrecognisedFileAndMissingPath() {
        let d = Lint.check([PolicySource(path: "o.yaml", text: "other: 1\n")], schema: testSchema)
        XCTAssertEqual(d.map(\.description), ["o.yaml:1: not a policy file: expected a top key 'rules:', 'profile:' or 'waivers:'"])
        let m = Lint.run(paths: [fixture("nope.yaml")], schema: testSchema)
        XCTAssertEqual(m.map(\.message), ["no such file or directory"])
    }
}
