import Core
@testable import HostProbes
import XCTest

final class VirConfTests: XCTestCase {
    func testValidSyntaxParsesToLibvirtValues() throws {
        let cases: [(String, [String: JSONValue])] = [
            ("", [:]),
            ("# only a comment", [:]),
            ("a = 1", ["a": 1]),
            ("a=-1", ["a": -1]),
            ("a = +0", ["a": 0]),
            ("user = \"qemu\"", ["user": "qemu"]),
            ("user = 'qemu'", ["user": "qemu"]),
            ("user = \"+0\"  # root by uid", ["user": "+0"]),
            ("s = \"\"\"two\nlines\"\"\"", ["s": "two\nlines"]),
            ("s = \"\"", ["s": ""]),
            ("l = [ ]", ["l": []]),
            ("l = []", ["l": []]),
            ("l = [ \"mount\" ]", ["l": ["mount"]]),
            ("l = [\n  \"a\", \"b\",\n  \"c\",\n]", ["l": ["a", "b", "c"]]),
            ("l = [ 1, \"x\", [ 2 ] ]", ["l": [1, "x", [2]]]),
            ("a = 1; b = 2", ["a": 1, "b": 2]),
            ("a = 1\r\nb = 'x'\r\n", ["a": 1, "b": "x"]),
            ("\n\n  \tvnc_tls = 1\n\n", ["vnc_tls": 1]),
            ("a_1 = 1\nB2 = 2", ["a_1": 1, "B2": 2]),
            ("a = 1\na = 2", ["a": 1]),
        ]
        for (text, expected) in cases {
            let conf = try VirConf.parse(text, path: "t.conf")
            XCTAssertEqual(conf.settings, expected, "input: \(text.debugDescription)")
        }
    }

    func testSyntaxErrorsNameTheLineAsLibvirtdDoes() {
        let cases: [(String, Int, String)] = [
            ("user = qemu", 1, "expecting a value"),
            ("user \"qemu\"", 1, "expecting an assignment"),
            ("a = \"open", 1, "unterminated string"),
            ("a = 'no\nclose'", 1, "unterminated string"),
            ("a = \"\"\"never closed\n\n", 1, "unterminated string"),
            ("a = \"\"\"x\ny\nzzzz", 3, "unterminated string"),
            ("a = [ \"x\" \"y\" ]", 1, "expecting a separator in list"),
            ("a = [ 1, 2", 1, "list is not closed with ]"),
            ("a = 1 b = 2", 1, "expecting a separator"),
            ("1abc = 2", 1, "expecting a name"),
            ("a = -", 1, "unterminated number"),
            ("a = 12abc", 1, "expecting a separator"),
            ("a = 99999999999999999999", 1, "number out of range"),
            ("a = 1\n\n# comment\nb = =", 4, "expecting a value"),
            ("l = [\n  \"a\",\n  # a comment in a list\n  \"b\"\n]", 3, "expecting a value"),
            ("l = [\n  \"a\"\n  # a comment in a list\n]", 3, "expecting a separator in list"),
            ("s = \"\"\"one\ntwo\nthree\"\"\"\nbad line", 4, "expecting an assignment"),
            ("ok = 1\n\u{7F}ELF\u{02}", 2, "expecting a name"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try VirConf.parse(text, path: "/etc/libvirt/qemu.conf"), text.debugDescription) { error in
                XCTAssertEqual(error as? ProbeError,
                               .parse(path: "/etc/libvirt/qemu.conf", reason: "line \(line): \(message)"), text.debugDescription)
            }
        }
    }

    func testBinaryGarbageIsASyntaxErrorNotACrash() {
        let bytes: [UInt8] = [0x00, 0xFF, 0xFE, 0x3D, 0x0A, 0x22, 0x5B, 0x00]
        XCTAssertThrowsError(try VirConf.parse(bytes: bytes, path: "q")) { error in
            XCTAssertEqual(error as? ProbeError, .parse(path: "q", reason: "line 1: expecting a name"))
        }
    }

    func testRepeatedSettingKeepsFirstValueAndIsReported() throws {
        let conf = try VirConf.parse("user = \"root\"\ngroup = \"kvm\"\nuser = \"qemu\"\n", path: "q")
        XCTAssertEqual(conf.value("user"), .string("root"))
        XCTAssertEqual(conf.duplicateNames, ["user"])
        XCTAssertEqual(conf.entries.map(\.line), [1, 2, 3])
    }

    func testEntryLineCountsMultiLineValues() throws {
        let conf = try VirConf.parse("a = [\n 1,\n 2\n]\nb = \"\"\"x\ny\"\"\"\nc = 3", path: "q")
        XCTAssertEqual(conf.entries.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(conf.entries.map(\.line), [1, 5, 7])
    }

    func testDistributionDefaultFileHasNoActiveSetting() throws {
        let text = try HostFixture.text("host-apparmor", "/etc/libvirt/qemu.conf")
        XCTAssertGreaterThan(text.count, 10_000, "the fixture is the full commented file")
        let conf = try VirConf.parse(text, path: "q")
        XCTAssertEqual(conf.entries, [])
    }

    func testHardenedFileKeepsEveryUncommentedSetting() throws {
        let conf = try VirConf.parse(try HostFixture.text("host-selinux", "/etc/libvirt/qemu.conf"), path: "q")
        XCTAssertEqual(conf.value("cgroup_device_acl"),
                       .list(["/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm"]
                                .map { .string($0) }))
        XCTAssertEqual(conf.value("remember_owner"), .int(1))
        XCTAssertEqual(conf.value("user"), .string("qemu"))
        XCTAssertEqual(Set(conf.entries.map(\.name)).count, conf.entries.count)
    }
}
