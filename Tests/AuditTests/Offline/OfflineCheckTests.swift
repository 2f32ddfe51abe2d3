@testable import Audit
import Core
import Foundation
import XCTest

/// Saved artifacts are judged by the live policies: what the input decides gets the same verdict
/// a scan gives, what it cannot hold is not-applicable-offline (never pass), and findings point
/// at the file and line of their evidence.
final class OfflineCheckTests: XCTestCase {
    /// Rules that read only the running process (or the host) and so can never pass from XML.
    static let processRules = ["dac.non-root-user", "dac.no-effective-capabilities", "qemu-sandbox.enabled",
                               "seccomp.filter-mode", "namespaces.private-mount", "mac.confined"]

    func testDomainTemplateFailsWhereTheXMLIsWeakAndPointsAtTheElement() throws {
        let r = try CheckFixtures.check(["template-gpu.xml"])
        XCTAssertEqual(r.targets.map(\.name), ["tpl-gpu", "tpl-web"])
        let gpu = try r.target("tpl-gpu")
        XCTAssertEqual(gpu.state, "shutoff")
        let expected: [(rule: String, line: Int, element: String)] = [
            ("mac.labelling-enabled", 24, "seclabel"),
            ("device-surface.graphics-loopback", 18, "devices/graphics"),
            ("device-surface.no-qemu-commandline", 25, "commandline"),
            ("device-surface.no-networked-chardev", 19, "devices/serial"),
        ]
        for e in expected {
            let f = try XCTUnwrap(gpu.finding(e.rule), e.rule)
            XCTAssertEqual(f.status, "fail", e.rule)
            XCTAssertEqual(f.location, CheckReport.Location(file: "template-gpu.xml", line: e.line, element: e.element), e.rule)
        }
        let web = try r.target("tpl-web")
        XCTAssertEqual(web.findings.filter { $0.status == "fail" }.map(\.finding.rule), [])
        XCTAssertEqual(web.status("device-surface.graphics-loopback"), "pass")
    }

    func testProcessRulesAreNotApplicableOfflineNeverPass() throws {
        for file in ["live-va-confined.xml", "live-va-rootdac.xml", "status-va-confined.xml"] {
            let t = try XCTUnwrap(try CheckFixtures.check([file]).targets.first)
            XCTAssertEqual(t.state, "running", file)
            for rule in Self.processRules {
                XCTAssertEqual(t.status(rule), "not-applicable-offline", "\(file) \(rule)")
                XCTAssertTrue(t.finding(rule)?.finding.reason?.contains(OfflineCheck.marker) ?? false, "\(file) \(rule)")
                XCTAssertEqual(t.finding(rule)?.finding.pointsLost, 0)
            }
            XCTAssertEqual(t.counts["unknown"] ?? 0, 0, "\(file): \(t.findings.filter { $0.status == "unknown" }.map(\.finding.rule))")
        }
    }

    func testHostdevsAreCrossCheckedAgainstTheListingGivenInTheSameCall() throws {
        // Without a listing the device rules cannot be decided.
        let alone = try CheckFixtures.check(["template-gpu.xml"]).target("tpl-gpu")
        XCTAssertEqual(alone.status("device-isolation.group-viable"), "not-applicable-offline")
        XCTAssertTrue(alone.finding("device-isolation.group-viable")?.finding.reason?.contains("IOMMU listing") ?? false)
        // With them: group 12 also holds the audio and USB functions, bound to host drivers.
        let r = try CheckFixtures.check(["template-gpu.xml", "iommu-groups-gpu.txt", "lspci-k-gpu.txt"])
        let gpu = try r.target("tpl-gpu")
        XCTAssertEqual(gpu.status("device-isolation.group-viable"), "fail")
        XCTAssertEqual(gpu.finding("device-isolation.group-viable")?.location?.line, 13)
        XCTAssertEqual(gpu.status("device-isolation.vfio-driver"), "pass", "06:00.0 is bound to vfio-pci in lspci -k")
        XCTAssertEqual(gpu.status("device-isolation.iommu-present"), "pass")
        // What a listing cannot say stays offline, never a pass.
        XCTAssertEqual(gpu.status("device-isolation.no-unsafe-interrupts"), "not-applicable-offline")
        XCTAssertEqual(gpu.status("device-isolation.interrupt-remapping"), "not-applicable-offline")
        XCTAssertNotNil(r.iommu)
    }

    func testCommandLineJudgedWithListing() throws {
        let r = try CheckFixtures.check(["vfio-guest.args", "iommu-groups-gpu.txt", "lspci-k-gpu.txt"])
        let t = try r.target("vfio-guest")
        XCTAssertEqual(t.uuid, "3e0b7f7a-1c55-4d4c-9a0e-8b1c1d2e3f40")
        XCTAssertEqual(t.status("qemu-sandbox.enabled"), "pass")
        XCTAssertEqual(t.status("qemu-sandbox.spawn-deny"), "pass")
        XCTAssertEqual(t.status("device-surface.graphics-loopback"), "fail")
        XCTAssertEqual(t.finding("device-surface.graphics-loopback")?.location?.line, 15)
        XCTAssertEqual(t.status("device-isolation.vfio-driver"), "fail", "06:00.1 is on snd_hda_intel")
        XCTAssertEqual(t.finding("device-isolation.vfio-driver")?.location?.line, 13)
        XCTAssertEqual(t.status("dac.non-root-user"), "not-applicable-offline")
        XCTAssertEqual(t.status("device-surface.no-qemu-commandline"), "not-applicable-offline", "only the XML says")
    }

    func testHeaderlessPsLineIsACommandLineWithItsPid() throws {
        let r = try CheckFixtures.check(["ps-aux-line.txt", "status-va-confined.xml"])
        XCTAssertEqual(r.targets.map(\.name), ["va-confined"], "joined by name and uuid")
        let t = try r.target("va-confined")
        XCTAssertEqual(t.status("qemu-sandbox.enabled"), "pass")
        XCTAssertEqual(Set(t.sources.map(\.file)), ["ps-aux-line.txt", "status-va-confined.xml"])
    }

    func testSamplesOfOneVMAreJoinedByNameUUIDAndPid() throws {
        let r = try CheckFixtures.check(["ps-ef-line.txt", "ps-eZ-selinux.txt", "dominfo-selinux.txt"])
        let web = try r.target("web01")
        XCTAssertEqual(web.uuid, "9f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b")
        XCTAssertEqual(Set(web.sources.map(\.file)), ["ps-ef-line.txt", "ps-eZ-selinux.txt", "dominfo-selinux.txt"])
        XCTAssertEqual(web.status("mac.confined"), "pass")
        XCTAssertEqual(web.status("mac.selinux-categories"), "pass")
        XCTAssertEqual(web.status("qemu-sandbox.enabled"), "pass")
        XCTAssertEqual(web.status("dac.non-root-user"), "not-applicable-offline")
        XCTAssertEqual(r.inputs.map(\.targets), [["web01"], ["web01", "pid 4377"], ["web01"]])
        // In any order: a pid-only ps -eZ line read first joins once the ps -ef line names its pid.
        let reversed = try CheckFixtures.check(["dominfo-selinux.txt", "ps-eZ-selinux.txt", "ps-ef-line.txt"])
        XCTAssertEqual(reversed.targets.map(\.name), ["web01", "pid 4377"])
        XCTAssertEqual(try reversed.target("web01").status("mac.confined"), "pass")
        XCTAssertEqual(reversed.inputs.map(\.targets), [["web01"], ["web01", "pid 4377"], ["web01"]])
    }

    func testAppArmorLabelsWithTheirModes() throws {
        let r = try CheckFixtures.check(["ps-auxZ-apparmor.txt", "dominfo-apparmor.txt"])
        XCTAssertEqual(r.targets.map(\.name), ["db01", "test02"])
        let db = try r.target("db01")
        XCTAssertEqual(db.status("mac.confined"), "pass")
        XCTAssertEqual(db.status("mac.apparmor-domain-profile"), "pass")
        XCTAssertEqual(db.status("qemu-sandbox.enabled"), "pass")
        XCTAssertEqual(try r.target("test02").status("mac.confined"), "fail", "a complain-mode profile does not confine")
        // dominfo's "(enforcing)" is AppArmor's enforce mode.
        let info = try CheckFixtures.check(["dominfo-apparmor.txt"]).target("db01")
        XCTAssertEqual(info.status("mac.confined"), "pass")
    }

    func testUnreadableLabelIsUnknownNotUnconfined() throws {
        let text = "Name:           x1\nUUID:           6f2a8b51-7c3d-4e9f-a0b1-c2d3e4f5a6b7\nSecurity model: selinux\nSecurity label: not-a-context\n"
        guard case .success(let r) = OfflineCheck.run([CheckArtifact(name: "d", bytes: Array(text.utf8))], auditor: CheckFixtures.auditor) else {
            return XCTFail()
        }
        let t = try XCTUnwrap(r.targets.first)
        XCTAssertEqual(t.status("mac.confined"), "unknown", t.finding("mac.confined")?.finding.reason ?? "")
    }

    func testDisplayPasswordsOnlyFromLibvirtsSecureCopy() throws {
        // A dumpxml (or template) cannot tell a display without a password from one whose
        // passwd libvirt left out: offline, never "no password".
        let dump = try CheckFixtures.check(["template-gpu.xml"]).target("tpl-gpu")
        XCTAssertEqual(dump.status("consoles.graphics-password"), "not-applicable-offline")
        // The status file is the secure copy: no passwd there means none.
        let status = """
            <domstatus state='running' reason='booted' pid='4711'>
              <domain type='kvm' id='9'>
                <name>vnc-guest</name>
                <uuid>7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d</uuid>
                <devices>
                  <graphics type='vnc' port='5900' autoport='yes' listen='0.0.0.0'/>
                </devices>
              </domain>
            </domstatus>
            """
        guard case .success(let r) = OfflineCheck.run([CheckArtifact(name: "s.xml", bytes: Array(status.utf8))], auditor: CheckFixtures.auditor) else {
            return XCTFail()
        }
        let t = try XCTUnwrap(r.targets.first)
        XCTAssertEqual(t.facts[path: "surface.graphics"]?.arrayValue?.first?["password"], .bool(false))
        // (The rule's exists(host.qemuConf...) clause reads an absent host fact as false offline.)
        XCTAssertEqual(t.status("consoles.graphics-password"), "fail")
        XCTAssertEqual(t.finding("consoles.graphics-password")?.location?.line, 6)
    }

    func testNoLabelInPsMeansNoMACConfinement() throws {
        let r = try CheckFixtures.check(["ps-eZ.txt"])
        XCTAssertEqual(r.targets.count, 2)
        for t in r.targets { XCTAssertEqual(t.status("mac.confined"), "fail", t.name) }
        let info = try CheckFixtures.check(["dominfo-va-confined.txt"]).target("va-confined")
        XCTAssertEqual(info.status("mac.confined"), "fail", "Security model: none")
    }

    func testPartialStatusLeavesOnlyTheMissingFieldsUnknown() throws {
        let t = try XCTUnwrap(try CheckFixtures.check(["status-partial-root.txt"]).targets.first)
        XCTAssertEqual(t.status("dac.non-root-user"), "fail")
        XCTAssertEqual(t.status("dac.no-effective-capabilities"), "fail")
        XCTAssertEqual(t.status("dac.no-root-saved-ids"), "fail")
        let nnp = try XCTUnwrap(t.finding("dac.no-new-privs"))
        XCTAssertEqual(nnp.status, "not-applicable-offline")
        XCTAssertTrue(nnp.finding.reason?.contains("the NoNewPrivs field was absent from the input") ?? false, nnp.finding.reason ?? "")
        XCTAssertFalse(nnp.finding.reason?.contains("kernel") ?? true, "the reason blames the input, not the kernel")
        let prm = try XCTUnwrap(t.finding("dac.no-dangerous-permitted-capabilities"))
        XCTAssertTrue(prm.finding.reason?.contains("CapPrm") ?? false)
    }

    func testStatusXMLJoinsItsProcessSamplesByPid() throws {
        let r = try CheckFixtures.check(["status-va-confined.xml", "status-excerpt-va-confined.txt", "qemu-va-confined.log"])
        XCTAssertEqual(r.targets.map(\.name), ["va-confined"])
        let t = try r.target("va-confined")
        // The lab's confined guest: uid 64055, no capabilities, NoNewPrivs, seccomp filter, -sandbox on.
        for rule in ["dac.non-root-user", "dac.no-effective-capabilities", "dac.no-new-privs", "seccomp.filter-mode",
                     "qemu-sandbox.enabled", "dac.label-matches-process"] {
            XCTAssertEqual(t.status(rule), "pass", rule)
        }
        XCTAssertEqual(t.status("namespaces.private-mount"), "not-applicable-offline")
    }

    func testNodeDeviceXMLDescribesTheHostNotAVM() throws {
        let r = try CheckFixtures.check(["nodedev-pci.xml"])
        XCTAssertEqual(r.targets.count, 0)
        let groups = r.iommu?["groups"]?.arrayValue ?? []
        XCTAssertEqual(groups.count, 0, "the captured device has no IOMMU group on this machine")
        XCTAssertEqual(r.inputs.first?.kind, .nodeDeviceXML)
    }

    func testScanReportForSharedRenderersKeepsOfflineOutOfResults() throws {
        let r = try CheckFixtures.check(["live-va-rootdac.xml"])
        let scan = r.scanReport()
        let d = try XCTUnwrap(scan.domains.first)
        let t = try r.target("va-rootdac")
        XCTAssertEqual(d.findings.count, t.findings.count)
        for (f, c) in zip(d.findings, t.findings) {
            if c.status == "not-applicable-offline" {
                XCTAssertEqual(f.status, .notApplicable, f.rule)
                XCTAssertTrue(f.reason?.contains(OfflineCheck.marker) ?? false, f.rule)
            } else {
                XCTAssertEqual(f.status.rawValue, c.status, f.rule)
            }
            XCTAssertNotNil(f.id)
        }
        XCTAssertEqual(scan.hostId, OfflineCheck.hostId)
        // Ids depend on the VM and rule only: the same template checks to the same ids.
        let again = try CheckFixtures.check(["live-va-rootdac.xml"]).targets[0].findings.map(\.finding.id)
        XCTAssertEqual(again, t.findings.map(\.finding.id))
        XCTAssertEqual(r.location(vm: t.uuid, rule: "device-surface.no-legacy-devices")?.line, 23)
    }

    /// Table output of each input kind, compared with `Tests/Fixtures/check/golden/`
    /// (VIRTAUDIT_UPDATE_GOLDEN=1 rewrites them).
    func testGoldenTables() throws {
        let cases: [(String, [String])] = [
            ("template", ["template-gpu.xml"]),
            ("template-listing", ["template-gpu.xml", "iommu-groups-gpu.txt", "lspci-k-gpu.txt"]),
            ("live-rootdac", ["live-va-rootdac.xml"]),
            ("inactive-confined", ["inactive-va-confined.xml"]),
            ("status-confined", ["status-va-confined.xml", "status-excerpt-va-confined.txt", "qemu-va-confined.log"]),
            ("cmdline-rootdac", ["qemu-va-rootdac.cmdline"]),
            ("args-listing", ["vfio-guest.args", "iommu-groups-gpu.txt", "lspci-k-gpu.txt"]),
            ("ps-eZ", ["ps-eZ.txt"]),
            ("samples-selinux", ["ps-ef-line.txt", "ps-eZ-selinux.txt", "dominfo-selinux.txt"]),
            ("status-partial", ["status-partial-root.txt"]),
            ("nodedev", ["nodedev-pci.xml"]),
            ("nodedev-gpu", ["template-gpu.xml", "nodedev-gpu.xml"]),
            ("apparmor", ["ps-auxZ-apparmor.txt", "dominfo-apparmor.txt"]),
        ]
        let update = ProcessInfo.processInfo.environment["VIRTAUDIT_UPDATE_GOLDEN"] == "1"
        for (name, files) in cases {
            let text = CheckRenderer.table(try CheckFixtures.check(files))
            let path = CheckFixtures.golden + "/\(name).txt"
            if update {
                try FileManager.default.createDirectory(atPath: CheckFixtures.golden, withIntermediateDirectories: true)
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                continue
            }
            let want = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertEqual(text, want, "golden \(name) differs (VIRTAUDIT_UPDATE_GOLDEN=1 to rewrite)")
        }
    }

    func testJSONCarriesIgnoredLinesAndLocations() throws {
        let a = CheckArtifact(name: "paste.txt", bytes: Array("Uid:\t0\t0\t0\t0\nthanks, see above\n".utf8))
        guard case .success(let r) = OfflineCheck.run([a], auditor: CheckFixtures.auditor) else { return XCTFail() }
        let json = try JSONValue(parsing: Data(r.json()))
        XCTAssertEqual(json["inputs"]?.arrayValue?.first?["ignoredLines"],
                       .array([.object(["line": .int(2), "text": .string("thanks, see above")])]))
        XCTAssertEqual(json["version"], 2)
        // Findings are compact; their rules' texts are in `rules`, once each.
        let listed = json["targets"]?.arrayValue?.first?["findings"]?.arrayValue ?? []
        XCTAssertFalse(listed.isEmpty)
        XCTAssertNil(listed[0]["finding"]?["title"])
        XCTAssertEqual(listed[0]["finding"]?["reason"] == nil, false, "reason is present (null when absent)")
        let rule = try XCTUnwrap(listed[0]["finding"]?["rule"]?.stringValue)
        XCTAssertEqual(json["rules"]?[rule]?["title"]?.stringValue, r.rules[rule]?.title)
        XCTAssertEqual(json["rules"]?.objectValue?.count, Set(listed.compactMap { $0["finding"]?["rule"]?.stringValue }).count)
        XCTAssertEqual(r.warnings.count, 1)
        XCTAssertTrue(r.warnings[0].contains("1 line(s) ignored"))
    }
}
