import Core
import Foundation
import XCTest
@testable import HostProbes

final class CgroupLimitsTests: XCTestCase {
    /// A cgroup filesystem in a temporary directory: `files` maps group-relative paths to contents
    /// (directories along each path are created).
    func tree(_ files: [String: String]) throws -> (root: HostRoot, dir: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("virtaudit-cgroup-\(UUID().uuidString)")
        for (rel, text) in files {
            let url = dir.appendingPathComponent("sys/fs/cgroup" + rel)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return (HostRoot(dir.path), dir)
    }

    let scope = "/machine.slice/machine-qemu\\x2d4\\x2dvault.scope"

    func testV2TakesTheTightestLimitFromTheGroupUpToTheRoot() throws {
        let (root, dir) = try tree([
            "/machine.slice/pids.max": "4915\n", "/machine.slice/memory.max": "max\n", "/machine.slice/cpu.max": "max 100000\n",
            scope + "/pids.max": "max\n", scope + "/memory.max": "5368709120\n", scope + "/cpu.max": "max 100000\n",
            scope + "/libvirt/cpu.max": "150000 100000\n",
            scope + "/libvirt/emulator/cpu.max": "50000 10000\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let limits = try CgroupLimits.read(try ProcCgroup.parse("0::\(scope)/libvirt/emulator\n"), root: root)
        XCTAssertEqual(limits.version, 2)
        XCTAssertEqual(limits.pids.value, 4915, "machine.slice's TasksMax caps the scope")
        XCTAssertEqual(limits.memory.value, 5_368_709_120)
        XCTAssertEqual(limits.memory.file, root.sys("fs/cgroup" + scope + "/memory.max"))
        // 150000/100000 = 1.5 CPUs is tighter than 50000/10000 = 5 CPUs.
        XCTAssertEqual(limits.cpu.value, 150_000)
        XCTAssertEqual(limits.cpu.period, 100_000)
    }

    func testV2WithoutAnyLimitIsUnlimitedNotUnknown() throws {
        let (root, dir) = try tree([scope + "/libvirt/emulator/cgroup.procs": "4104\n",
                                    scope + "/memory.max": "max\n", scope + "/pids.max": "max\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        let limits = try CgroupLimits.read(try ProcCgroup.parse("0::\(scope)/libvirt/emulator\n"), root: root)
        XCTAssertFalse(limits.memory.limited)
        XCTAssertFalse(limits.pids.limited)
        XCTAssertFalse(limits.cpu.limited)
    }

    func testAMissingGroupDirectoryIsAnErrorNotUnlimited() throws {
        let (root, dir) = try tree(["/machine.slice/pids.max": "max\n"])
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try CgroupLimits.read(try ProcCgroup.parse("0::\(scope)/libvirt/emulator\n"), root: root)) { e in
            guard case ProbeError.notFound(let p)? = e as? ProbeError else { return XCTFail("\(e)") }
            XCTAssertTrue(p.hasSuffix("/libvirt/emulator"), p)
        }
    }

    func testV1ReadsEachControllersHierarchyAndItsUnlimitedValues() throws {
        let g = "/machine/qemu-1-va.libvirt-qemu"
        let (root, dir) = try tree([
            "/memory" + g + "/memory.limit_in_bytes": "9223372036854771712\n",
            "/memory/machine/memory.limit_in_bytes": "9223372036854771712\n",
            "/memory/memory.limit_in_bytes": "9223372036854771712\n",
            "/cpu,cpuacct" + g + "/emulator/cpu.cfs_quota_us": "-1\n",
            "/cpu,cpuacct" + g + "/cpu.cfs_quota_us": "200000\n",
            "/cpu,cpuacct" + g + "/cpu.cfs_period_us": "100000\n",
            "/pids/cgroup.procs": "1\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = "8:pids:/\n4:memory:\(g)\n1:cpu,cpuacct:\(g)/emulator\n0::\(g)/emulator\n"
        let limits = try CgroupLimits.read(try ProcCgroup.parse(text), root: root)
        XCTAssertEqual(limits.version, 1)
        XCTAssertNil(limits.memory.value, "PAGE_COUNTER_MAX is no limit")
        XCTAssertNil(limits.pids.value, "qemu left in the pids root: nothing caps it")
        XCTAssertEqual(limits.cpu.value, 200_000)
        XCTAssertEqual(limits.cpu.period, 100_000)
    }

    func testMalformedLimitFilesAreParseErrors() {
        for bad in ["", "unlimited", "-5", "12 34"] {
            XCTAssertThrowsError(try CgroupLimits.parseMax(bad), bad)
        }
        XCTAssertNil(try CgroupLimits.parseMax("max\n"))
        XCTAssertEqual(try CgroupLimits.parseMax("4096"), 4096)
        for bad in ["max", "100000", "x 100000", "0 100000", "max 0"] {
            XCTAssertThrowsError(try CgroupLimits.parseCPUMax(bad), bad)
        }
        XCTAssertEqual(try CgroupLimits.parseCPUMax("max 100000").quota, nil)
        XCTAssertEqual(try CgroupLimits.parseCPUMax("25000 50000").quota, 25000)
    }

    func testGroupsWalkUpToTheRoot() {
        XCTAssertEqual(CgroupLimits.groups("/a/b/c"), ["/a/b/c", "/a/b", "/a", "/"])
        XCTAssertEqual(CgroupLimits.groups("/"), ["/"])
    }
}
