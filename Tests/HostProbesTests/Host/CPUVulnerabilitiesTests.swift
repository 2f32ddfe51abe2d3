import Core
@testable import HostProbes
import XCTest

final class CPUVulnerabilitiesTests: XCTestCase {
    func testKernelVerdictsClassifyByLeadingWord() {
        typealias S = CPUVulnerabilities.State
        let cases: [(String, S, Bool)] = [
            ("Not affected", .notAffected, false),
            ("Not affected\n", .notAffected, false),
            ("Mitigation: PTI", .mitigated, false),
            ("Mitigation: Clear CPU buffers; SMT vulnerable", .mitigated, true),
            ("Mitigation: Clear CPU buffers; SMT disabled", .mitigated, false),
            ("Mitigation: Clear CPU buffers; SMT Host state unknown", .mitigated, false),
            ("Mitigation: PTE Inversion; VMX: conditional cache flushes, SMT vulnerable", .mitigated, true),
            ("Mitigation: Retpolines; STIBP: disabled; RSB filling; PBRSB-eIBRS: Not affected; BHI: Not affected", .mitigated, false),
            ("KVM: Mitigation: Split huge pages", .mitigated, false),
            ("KVM: Mitigation: VMX disabled", .mitigated, false),
            ("Vulnerable", .vulnerable, false),
            ("Vulnerable: Safe RET, no microcode", .vulnerable, false),
            ("Vulnerable; SMT vulnerable", .vulnerable, true),
            ("Vulnerable: Clear CPU buffers attempted, no microcode; SMT vulnerable", .vulnerable, true),
            ("Vulnerable; IBPB: disabled; STIBP: disabled; PBRSB-eIBRS: Not affected; BHI: Vulnerable", .vulnerable, false),
            ("KVM: Vulnerable", .vulnerable, false),
            ("Processor vulnerable", .vulnerable, false),
            ("Unknown: Dependent on hypervisor status", .unknown, false),
            ("", .unknown, false),
            ("\u{7F}ELF\u{2}\u{1}", .unknown, false),
            ("Not affected yet", .unknown, false),
            ("Mitigation:", .unknown, false),
        ]
        for (text, state, smt) in cases {
            let c = CPUVulnerabilities.classify(text)
            XCTAssertEqual(c.state, state, text.debugDescription)
            XCTAssertEqual(c.smtVulnerable, smt, text.debugDescription)
        }
    }

    func testWeakHostListsVulnerableAndSMTVulnerableNames() throws {
        let v = try CPUVulnerabilities.read(root: HostFixture.root("host-weak"))
        XCTAssertEqual(v.entries.count, 14)
        XCTAssertEqual(v.vulnerable, ["gather_data_sampling", "itlb_multihit", "l1tf", "mds", "meltdown", "mmio_stale_data",
                                      "retbleed", "spec_store_bypass", "spectre_v1", "spectre_v2", "srbds", "tsx_async_abort"])
        XCTAssertEqual(v.smtVulnerable, ["mds", "tsx_async_abort"])
        var b = FactBuilder()
        v.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerabilities.mds.text"], "Vulnerable; SMT vulnerable")
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerabilities.mds.state"], "vulnerable")
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerabilities.srbds.smtVulnerable"], false)
    }

    func testMitigatedHostHasNothingVulnerable() throws {
        let v = try CPUVulnerabilities.read(root: HostFixture.root("host-selinux"))
        XCTAssertEqual(v.vulnerable, [])
        XCTAssertEqual(v.smtVulnerable, [])
        XCTAssertEqual(v.entries.first { $0.name == "itlb_multihit" }?.state, .mitigated)
    }

    func testGarbageAndUnreadableEntriesAreUnknownNotSafe() throws {
        let v = try CPUVulnerabilities.read(root: HostFixture.root("host-garbage"))
        XCTAssertEqual(v.entries.map(\.name), ["l1tf", "mds", "meltdown"])
        XCTAssertEqual(v.entries.map(\.state), [.unknown, .unknown, .mitigated])
        XCTAssertNil(v.entries[0].text)
        XCTAssertNotNil(v.entries[0].error)
        var b = FactBuilder()
        v.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerabilities.l1tf.text"], .null)
        XCTAssertNotNil(b.unknown["host.cpu.vulnerabilities.l1tf.text"])
        // Nothing is known vulnerable, but two verdicts are unclear: the lists are unknown, not empty.
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerable"], .null)
        XCTAssertEqual(b.tree[path: "host.cpu.smtVulnerable"], .null)
        let reason = try XCTUnwrap(b.unknown["host.cpu.vulnerable"])
        XCTAssertTrue(reason.hasPrefix("l1tf: "), reason)
        XCTAssertTrue(reason.contains("; mds: unrecognised verdict"), reason)
    }

    func testKnownVulnerableListStaysWhenOtherVerdictsAreUnclear() {
        let v = CPUVulnerabilities(entries: [
            CPUVulnerabilities.entry(name: "mds", text: "Vulnerable; SMT vulnerable"),
            CPUVulnerabilities.entry(name: "gather_data_sampling", text: "Unknown: Dependent on hypervisor status"),
        ])
        var b = FactBuilder()
        v.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerable"], ["mds"])
        XCTAssertEqual(b.tree[path: "host.cpu.smtVulnerable"], ["mds"])
        XCTAssertEqual(b.unknown, [:])
    }

    func testAllClearVerdictsGiveEmptyKnownLists() {
        let v = CPUVulnerabilities(entries: [
            CPUVulnerabilities.entry(name: "meltdown", text: "Not affected"),
            CPUVulnerabilities.entry(name: "mds", text: "Mitigation: Clear CPU buffers; SMT disabled"),
        ])
        var b = FactBuilder()
        v.record(into: &b)
        XCTAssertEqual(b.tree[path: "host.cpu.vulnerable"], [])
        XCTAssertEqual(b.tree[path: "host.cpu.smtVulnerable"], [])
        XCTAssertEqual(b.unknown, [:])
    }

    func testMissingDirectoryIsAnError() throws {
        let dir = try HostFixture.tempRoot()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try CPUVulnerabilities.read(root: HostRoot(dir.path))) { error in
            guard case .notFound? = error as? ProbeError else { return XCTFail("\(error)") }
        }
    }
}
