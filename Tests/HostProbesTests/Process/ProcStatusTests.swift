import Core
import XCTest
@testable import HostProbes

final class ProcStatusTests: XCTestCase {
    /// A complete status file of a confined qemu (the lab's va-confined), every line as the kernel prints it.
    static let confined = """
    Name:\tqemu-system-x86
    Umask:\t0002
    State:\tS (sleeping)
    Tgid:\t3595
    Ngid:\t0
    Pid:\t3595
    PPid:\t1
    TracerPid:\t0
    Uid:\t64055\t64055\t64055\t64055
    Gid:\t64055\t64055\t64055\t64055
    FDSize:\t64
    Groups:\t107 64055 
    NStgid:\t3595
    NSpid:\t3595
    NSpgid:\t3594
    NSsid:\t3594
    Kthread:\t0
    VmPeak:\t 1483484 kB
    VmSize:\t 1483484 kB
    Threads:\t5
    SigQ:\t0/96365
    CapInh:\t0000000000000000
    CapPrm:\t0000000000000000
    CapEff:\t0000000000000000
    CapBnd:\t000001fffeffffff
    CapAmb:\t0000000000000000
    NoNewPrivs:\t1
    Seccomp:\t2
    Seccomp_filters:\t1
    Speculation_Store_Bypass:\tvulnerable
    Cpus_allowed_list:\t0-1
    voluntary_ctxt_switches:\t6202

    """

    func testConfinedQemuStatusParses() throws {
        let s = try ProcStatus.parse(Self.confined)
        XCTAssertEqual(s.name, "qemu-system-x86")
        XCTAssertEqual(s.state, "S")
        XCTAssertEqual(s.stateName, "sleeping")
        XCTAssertEqual(s.ppid, 1)
        XCTAssertEqual(s.uid, [64055, 64055, 64055, 64055])
        XCTAssertEqual(s.effectiveGID, 64055)
        XCTAssertEqual(s.groups, [107, 64055])
        XCTAssertEqual(s.nspid, [3595])
        XCTAssertEqual(s.capEff.names, [])
        XCTAssertEqual(s.capBnd.count, 40)
        XCTAssertEqual(s.capAmb?.names, [])
        XCTAssertEqual(s.noNewPrivs, true)
        XCTAssertEqual(s.seccomp, 2)
        XCTAssertEqual(s.seccompFilters, 1)
        XCTAssertFalse(s.hasExited)
    }

    func testDistinctRealAndEffectiveIdsKeepTheirOrder() throws {
        let text = Self.confined
            .replacingOccurrences(of: "Uid:\t64055\t64055\t64055\t64055", with: "Uid:\t0\t107\t0\t107")
        let s = try ProcStatus.parse(text)
        XCTAssertEqual(s.uid, [0, 107, 0, 107])
        XCTAssertEqual(s.effectiveUID, 107)
    }

    func testOldKernelLinesAreOptional() throws {
        let old = Self.confined.split(separator: "\n")
            .filter { !$0.hasPrefix("Seccomp_filters") && !$0.hasPrefix("CapAmb") && !$0.hasPrefix("NoNewPrivs") && !$0.hasPrefix("NSpid") }
            .joined(separator: "\n")
        let s = try ProcStatus.parse(old)
        XCTAssertNil(s.seccompFilters)
        XCTAssertNil(s.capAmb)
        XCTAssertNil(s.noNewPrivs)
        XCTAssertEqual(s.nspid, [])
        XCTAssertEqual(s.seccomp, 2)
    }

    func testMalformedStatusThrowsParseErrorNamingTheField() {
        let cases: [(String, String, String)] = [
            ("Uid:\t64055\t64055\t64055\t64055", "Uid:\t64055\t64055", "Uid"),
            ("Uid:\t64055\t64055\t64055\t64055", "Uid:\tsixty four", "Uid"),
            ("CapEff:\t0000000000000000", "CapEff:\tnot-hex", "CapEff"),
            ("CapPrm:\t0000000000000000\n", "", "CapPrm"),
            ("Seccomp:\t2", "Seccomp:\t7", "Seccomp"),
            ("NoNewPrivs:\t1", "NoNewPrivs:\tyes", "NoNewPrivs"),
            ("State:\tS (sleeping)", "State:\t", "State"),
        ]
        for (from, to, field) in cases {
            let text = Self.confined.replacingOccurrences(of: from, with: to)
            XCTAssertThrowsError(try ProcStatus.parse(text, path: "/proc/1/status"), field) { error in
                guard case ProbeError.parse(let path, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(path, "/proc/1/status")
                XCTAssertTrue(reason.contains(field), "\(field): \(reason)")
            }
        }
    }

    func testZombieAndDeadTasksCountAsExited() throws {
        for (state, exited) in [("Z (zombie)", true), ("X (dead)", true), ("R (running)", false), ("D (disk sleep)", false)] {
            let s = try ProcStatus.parse(Self.confined.replacingOccurrences(of: "S (sleeping)", with: state))
            XCTAssertEqual(s.hasExited, exited, state)
        }
    }

    func testSeccompModeNames() {
        XCTAssertEqual((0...3).map(ProcStatus.seccompModeName), ["disabled", "strict", "filter", "unknown"])
    }

    func testReadGoesThroughTheRoot() throws {
        let s = try ProcStatus.read(pid: 3620, root: ProcFixture.root("proc-root-qemu"))
        XCTAssertEqual(s.effectiveUID, 0)
        XCTAssertTrue(s.capEff.contains("CAP_SYS_ADMIN"))
    }
}
