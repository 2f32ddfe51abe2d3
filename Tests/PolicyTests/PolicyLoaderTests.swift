import Core
import XCTest
@testable import Policy

final class PolicyLoaderTests: XCTestCase {
    func testValidFixtureLoadsRulesAndProfilesInSortedOrder() throws {
        let set = try PolicySet.load(directory: fixture("policy-valid"), schema: testSchema)
        XCTAssertEqual(set.rules.map(\.id), ["dac.non-root-user", "dac.no-capabilities", "qemu-sandbox.spawn-deny",
                                             "device-isolation.vfio-only", "host.selinux-enforcing"])
        XCTAssertEqual(set.profiles.map(\.name), ["baseline", "passthrough", "strict"])
        let r = try XCTUnwrap(set.rule("dac.non-root-user"))
        XCTAssertEqual(r.layer, .dac)
        XCTAssertEqual(r.scope, .domain)
        XCTAssertEqual(r.weight, 10)
        XCTAssertEqual(r.line, 2)
        XCTAssertTrue(r.file.hasSuffix("policy-valid/rules/dac.yaml"))
        XCTAssertEqual(r.references, ["https://libvirt.org/drvqemu.html#posix-users-groups"])
        XCTAssertEqual(r.when?.source, "domain.running")
        XCTAssertEqual(set.rule("host.selinux-enforcing")?.scope, .host)
        XCTAssertEqual(set.rule("qemu-sandbox.spawn-deny")?.tags, ["hardened"])
        XCTAssertEqual(set.rule("dac.no-capabilities")?.expected, "empty(process.capabilities.effective)")
        XCTAssertNil(set.rule("nope.nope"))
        XCTAssertEqual(set.defaultProfile.name, "baseline")
    }

    func testEveryErrorOfEveryFileIsReportedWithFileAndLine() {
        let dir = fixture("policy-errors")
        let a = dir + "/rules/a-unknown-key.yaml", b = dir + "/rules/b-duplicate.yaml", p = dir + "/profiles/bad.yaml"
        XCTAssertThrowsError(try PolicySet.load(directory: dir, schema: testSchema)) { error in
            let got = (error as! PolicyError).diagnostics.map(\.description)
            let want = [
                "\(a):6: rule dac.uid: unknown key 'chek' in a rule (expected one of: id, layer, scope, severity, weight, title, when, check, expected, rationale, remediation, references, tags, breaks_layer)",
                "\(a):14: rule mac.label: check, column 1: unknown fact path 'process.selinux.labl' (did you mean 'process.selinux.label'?)",
                "\(b):10: rule dac.uid: layer 'dacc' is not one of qemu-sandbox, dac, namespaces, mac, seccomp, device-isolation, device-surface, resources, confidential, host",
                "\(b):11: rule dac.uid: severity 'urgent' is not one of critical, high, medium, low, info",
                "\(b):9: rule dac.uid: duplicate rule id 'dac.uid': also defined at \(a):2",
                "\(b):20: rule seccomp.syntax: check, column 50: expected ')' to close the '(' at column 31, found end of expression in: process.seccomp.mode == 2 and (process.noNewPrivs",
                "\(b):23: rule seccomp.missing: rule is missing required keys 'severity', 'remediation'",
                "\(b):26: rule seccomp.missing: check, column 28: unknown fact path 'devices.hostdevs[].drivr' (did you mean 'devices.hostdevs[].driver'?)",
                "\(p):5: unknown key 'colour' in a profile (expected one of: name, description, default, include, exclude, raise, severity, match)",
                "\(p):4: profile bad: layer 'nope' is not one of qemu-sandbox, dac, namespaces, mac, seccomp, device-isolation, device-surface, resources, confidential, host",
                "\(p):4: profile bad: no rule has the id 'dac.does-not-exist'",
            ]
            XCTAssertEqual(got, want)
            let syntax = (error as! PolicyError).diagnostics.first { $0.rule == "seccomp.syntax" }
            XCTAssertEqual(syntax?.column, 50)
        }
    }

    func testBadYAMLNamesFileAndLine() {
        let dir = fixture("policy-badyaml")
        XCTAssertThrowsError(try PolicySet.load(directory: dir, schema: testSchema)) { error in
            let d = (error as! PolicyError).diagnostics
            XCTAssertEqual(d.count, 1)
            XCTAssertEqual(d.first?.file, dir + "/rules/broken.yaml")
            XCTAssertEqual(d.first?.line, 6)
            XCTAssertTrue(d.first?.message.hasPrefix("invalid YAML: ") ?? false, "\(d)")
        }
    }

    func testUnquotedQuantifierGivesAQuotingHint() {
        let text = "rules:\n  - id: a.b\n    check: all d in devices.hostdevs: d.driver == 'x'\n"
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "q.yaml", text: text)], schema: testSchema)) { error in
            let d = (error as! PolicyError).diagnostics
            XCTAssertEqual(d.first?.line, 3)
            XCTAssertTrue(d.first?.message.contains("must be quoted") ?? false, "\(d)")
        }
    }

    func testHostRuleMayNotUseDomainFacts() {
        let text = """
        rules:
          - id: host.bad
            layer: host
            scope: host
            severity: low
            title: t
            check: process.uid == 0 or host.selinux.enforcing
            remediation: r
        """
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "h.yaml", text: text)], schema: testSchema)) { error in
            XCTAssertEqual((error as! PolicyError).description,
                           "h.yaml:7: rule host.bad: check, column 1: a host rule can only use host facts (host.*), not 'process.uid'")
        }
    }

    func testWhenIsCheckedLikeCheckAndFreeFormObjectsAreKnown() throws {
        let good = """
        rules:
          - id: host.qemu-conf
            layer: host
            scope: host
            severity: medium
            weight: 4.5
            title: t
            when: exists(host.qemuConf.settings.security_driver)
            check: host.qemuConf.settings.security_driver != 'none'
            remediation: r
        """
        let set = try PolicySet.load(sources: [PolicySource(path: "g.yaml", text: good)], schema: testSchema)
        XCTAssertEqual(set.rules.first?.weight, 4.5)
        let bad = good.replacingOccurrences(of: "when: exists(host.qemuConf.settings.security_driver)", with: "when: host.qemu.x")
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "g.yaml", text: bad)], schema: testSchema)) { error in
            XCTAssertEqual((error as! PolicyError).diagnostics.map(\.description),
                           ["g.yaml:8: rule host.qemu-conf: when, column 1: unknown fact path 'host.qemu.x'"])
        }
    }

    func testBadIdWeightScopeAndShapes() {
        let text = """
        rules:
          - id: NoDots
            layer: dac
            scope: guest
            severity: low
            weight: lots
            title: [a, b]
            check: process.uid == 0
            remediation: r
          - just a string
        extra: 1
        """
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "x.yaml", text: text)], schema: testSchema)) { error in
            XCTAssertEqual((error as! PolicyError).diagnostics.map(\.description), [
                "x.yaml:11: unknown top-level key 'extra' (a rules file has only 'rules:')",
                "x.yaml:2: rule NoDots: id 'NoDots' must be lowercase dotted words (letters, digits, '-', '_'), like 'dac.non-root-user'",
                "x.yaml:4: rule NoDots: scope 'guest' is not one of domain, host",
                "x.yaml:6: rule NoDots: weight 'lots' must be a number from 0 to 1000",
                "x.yaml:7: rule NoDots: 'title' must be a string, found a list",
                "x.yaml:10: a rule must be a mapping, found a scalar",
            ])
        }
    }

    func testBreaksLayerIsABooleanFlagDefaultingToFalse() throws {
        let text = """
        rules:
          - {id: mac.shared, layer: mac, severity: high, breaks_layer: true, title: t, check: process.uid != 0, remediation: r}
          - {id: mac.other, layer: mac, severity: high, breaks_layer: no, title: t, check: process.uid != 0, remediation: r}
          - {id: mac.plain, layer: mac, severity: high, title: t, check: process.uid != 0, remediation: r}
        """
        let set = try PolicySet.load(sources: [PolicySource(path: "b.yaml", text: text)], schema: testSchema)
        XCTAssertEqual(set.rules.map(\.id), ["mac.shared", "mac.other", "mac.plain"])
        XCTAssertEqual(set.rules.map(\.breaksLayer), [true, false, false])
        XCTAssertTrue(Explain.rule(set.rules[0]).contains("breaks layer: a failure or unknown takes the whole mac layer down"))
        let bad = text.replacingOccurrences(of: "breaks_layer: true", with: "breaks_layer: sometimes")
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "b.yaml", text: bad)], schema: testSchema)) { error in
            XCTAssertEqual((error as! PolicyError).diagnostics.map(\.description),
                           ["b.yaml:2: rule mac.shared: 'breaks_layer' must be true or false, found 'sometimes'"])
        }
    }

    func testTwoDefaultProfilesAndDuplicateNamesAreErrors() {
        let rules = "rules:\n  - {id: a.b, layer: dac, severity: low, title: t, check: process.uid == 0, remediation: r}\n"
        let p1 = "profile:\n  name: one\n  default: true\n"
        let p2 = "profile:\n  name: one\n  default: true\n"
        XCTAssertThrowsError(try PolicySet.load(sources: [
            PolicySource(path: "r.yaml", text: rules), PolicySource(path: "p1.yaml", text: p1), PolicySource(path: "p2.yaml", text: p2),
        ], schema: testSchema)) { error in
            XCTAssertEqual((error as! PolicyError).diagnostics.map(\.description), [
                "p2.yaml:2: duplicate profile name 'one': also defined at p1.yaml:2",
                "p2.yaml:2: profile 'one' is marked default, but so is 'one' (p1.yaml:2)",
            ])
        }
    }

    func testMissingDirectoryIsAnError() {
        XCTAssertThrowsError(try PolicySet.load(directory: fixture("no-such-policy"), schema: testSchema)) { error in
            XCTAssertTrue((error as! PolicyError).description.contains("not a directory"))
        }
    }

    func testIndexIntoADocumentedListIsAKnownPath() throws {
        let text = "rules:\n  - {id: a.b, layer: dac, severity: low, title: t, check: process.cmdline.0 matches 'qemu', remediation: r}\n"
        let set = try PolicySet.load(sources: [PolicySource(path: "i.yaml", text: text)], schema: testSchema)
        XCTAssertEqual(set.rules.count, 1)
        let bad = text.replacingOccurrences(of: "process.cmdline.0", with: "process.cmdlin.0")
        XCTAssertThrowsError(try PolicySet.load(sources: [PolicySource(path: "i.yaml", text: bad)], schema: testSchema))
    }
}
