import Core
import XCTest
@testable import Policy

final class InterpreterTests: XCTestCase {
    let facts: JSONValue = [
        "process": [
            "uid": 107, "gid": 0, "noNewPrivs": true, "ratio": 2.5,
            "capabilities": ["effective": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]],
            "cmdline": ["/usr/bin/qemu-system-x86_64", "-sandbox", "on,spawn=deny"],
            "selinux": ["label": "system_u:system_r:svirt_t:s0:c12,c34"],
            "seccomp": ["mode": nil],
        ],
        "devices": ["hostdevs": [
            ["driver": "vfio-pci", "group": 3, "functions": [["driver": "vfio-pci"], ["driver": "vfio-pci"]]],
            ["driver": "vfio-pci", "group": 4, "functions": []],
        ]],
        "empty": [],
        "unknown": ["process.seccomp": "/proc/42/status: permission denied"],
    ]
    let host: JSONValue = ["host": ["selinux": ["enforcing": false, "enabled": nil]],
                           "unknown": ["host.selinux.enabled": "/sys/fs/selinux: no such file"]]

    private func t(_ s: String) throws -> Truth { try eval(s, facts, host: host) }

    func testComparisonsAcrossNumberKindsAndStrings() throws {
        let table: [(String, Truth)] = [
            ("process.uid == 107", .true), ("process.uid == 107.0", .true), ("process.uid != 0", .true),
            ("process.ratio > 2", .true), ("process.ratio <= 2.5", .true), ("process.uid < 100", .false),
            ("'abc' < 'abd'", .true), ("'b' >= 'abc'", .true), ("'10' == 10", .false), ("'10' != 10", .true),
            ("process.noNewPrivs == 1", .false), ("[1, 2] == [1.0, 2]", .true), ("null == null", .true),
        ]
        for (source, want) in table { XCTAssertEqual(try t(source), want, source) }
    }

    func testOrderingAcrossTypesIsUnknownNotAnError() throws {
        XCTAssertTrue(try t("process.uid < 'x'").isUnknown)
        XCTAssertTrue(try t("true > false").isUnknown)
    }

    func testMembershipInListsAndSubstrings() throws {
        let table: [(String, Truth)] = [
            ("'CAP_SYS_ADMIN' in process.capabilities.effective", .true),
            ("'CAP_CHOWN' not in process.capabilities.effective", .true),
            ("process.capabilities.effective contains 'CAP_NET_ADMIN'", .true),
            ("'svirt_t' in process.selinux.label", .true),
            ("process.selinux.label contains 's0:c12'", .true),
            ("process.uid in [0, 107]", .true),
            ("107.0 in [0, 107]", .true),
            ("'spawn=deny' in process.cmdline", .false),
        ]
        for (source, want) in table { XCTAssertEqual(try t(source), want, source) }
        XCTAssertTrue(try t("1 in process.selinux.label").isUnknown)
        XCTAssertTrue(try t("1 in process.uid").isUnknown)
    }

    func testRegexMatchesStringsAndListElements() throws {
        XCTAssertEqual(try t("process.selinux.label matches ':c[0-9]+,c[0-9]+$'"), .true)
        XCTAssertEqual(try t("process.selinux.label matches '^unconfined'"), .false)
        XCTAssertEqual(try t("process.cmdline matches 'spawn=deny'"), .true)
        XCTAssertTrue(try t("process.uid matches '1'").isUnknown)
    }

    func testMissingAndNullFactsGiveUnknownWithRecordedReason() throws {
        XCTAssertEqual(try t("process.seccomp.mode == 2"), .unknown("/proc/42/status: permission denied"))
        XCTAssertEqual(try t("host.selinux.enabled"), .unknown("/sys/fs/selinux: no such file"))
        XCTAssertEqual(try t("process.pid == 1"), .unknown("fact process.pid is not present"))
        XCTAssertEqual(try t("process.uid == 107 and process.nothing"), .unknown("fact process.nothing is not present"))
        XCTAssertEqual(try eval("a.b", ["a": ["b": nil]]), .unknown("fact a.b is null"))
    }

    func testUnknownIsAbsorbedOnlyByTheDominatingValue() throws {
        XCTAssertEqual(try t("process.gid == 0 or process.seccomp.mode == 2"), .true)
        XCTAssertEqual(try t("process.gid != 0 and process.seccomp.mode == 2"), .false)
        XCTAssertEqual(try t("process.seccomp.mode == 2 and process.gid != 0"), .false)
        XCTAssertTrue(try t("not (process.seccomp.mode == 2)").isUnknown)
        XCTAssertTrue(try t("process.seccomp.mode == 2 or process.gid != 0").isUnknown)
    }

    func testHostPathsReadTheHostTree() throws {
        XCTAssertEqual(try t("host.selinux.enforcing == false"), .true)
        XCTAssertEqual(try t("not host.selinux.enforcing"), .true)
    }

    func testExistsIsTwoValued() throws {
        XCTAssertEqual(try t("exists(process.uid)"), .true)
        XCTAssertEqual(try t("exists(process.seccomp.mode)"), .false)
        XCTAssertEqual(try t("exists(process.pid)"), .false)
        XCTAssertEqual(try t("any d in devices.hostdevs: exists(d.functions.0)"), .true)
        XCTAssertEqual(try t("all d in devices.hostdevs: exists(d.functions.0)"), .false)
    }

    func testCountAndEmpty() throws {
        XCTAssertEqual(try t("count(devices.hostdevs) == 2"), .true)
        XCTAssertEqual(try t("empty(empty)"), .true)
        XCTAssertEqual(try t("empty(process.capabilities.effective)"), .false)
        XCTAssertEqual(try t("count(process.pid) > 0"), .unknown("fact process.pid is not present"))
        XCTAssertTrue(try t("count(process.uid) > 0").isUnknown)
    }

    func testQuantifiers() throws {
        let table: [(String, Truth)] = [
            ("all d in devices.hostdevs: d.driver == 'vfio-pci'", .true),
            ("any d in devices.hostdevs: d.group == 4", .true),
            ("none d in devices.hostdevs: d.group == 4", .false),
            ("none c in process.capabilities.effective: c == 'CAP_SYS_RAWIO'", .true),
            ("all x in empty: x == 1", .true),
            ("any x in empty: x == 1", .false),
            ("none x in empty: x == 1", .true),
            ("all d in devices.hostdevs: all f in d.functions: f.driver == d.driver", .true),
            ("any d in devices.hostdevs: count(d.functions) == 2 and d.group == 3", .true),
        ]
        for (source, want) in table { XCTAssertEqual(try t(source), want, source) }
    }

    func testQuantifierOverUnknownListIsUnknown() throws {
        XCTAssertEqual(try t("all x in process.missing: x == 1"), .unknown("fact process.missing is not present"))
        XCTAssertEqual(try t("any x in process.seccomp.mode: x == 1"), .unknown("/proc/42/status: permission denied"))
        XCTAssertTrue(try t("all x in process.uid: x == 1").isUnknown)
    }

    func testUnknownElementMakesAllUnknownUnlessSomethingDecides() throws {
        let f: JSONValue = [
            "devices": ["hostdevs": [["driver": "vfio-pci"], ["driver": nil], ["group": 1]]],
            "unknown": ["devices.hostdevs.1.driver": "/sys/bus/pci/devices/0000:01:00.1/driver: permission denied"],
        ]
        XCTAssertEqual(try eval("all d in devices.hostdevs: d.driver == 'vfio-pci'", f),
                       .unknown("/sys/bus/pci/devices/0000:01:00.1/driver: permission denied"))
        XCTAssertEqual(try eval("any d in devices.hostdevs: d.driver == 'vfio-pci'", f), .true)
        XCTAssertEqual(try eval("all d in devices.hostdevs: d.driver == 'pci-stub'", f), .false)
        let g: JSONValue = ["devices": ["hostdevs": [["group": 1]]]]
        XCTAssertEqual(try eval("all d in devices.hostdevs: d.driver == 'x'", g),
                       .unknown("fact devices.hostdevs[0].driver is not present"))
    }

    func testNonBoolInConditionIsUnknown() throws {
        XCTAssertEqual(try t("process.uid"), .unknown("process.uid is an int, not a bool"))
        XCTAssertTrue(try t("process.uid == 107 and 'x'").isUnknown)
    }
}
