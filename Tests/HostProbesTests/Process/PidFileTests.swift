import Core
import Foundation
import XCTest
@testable import HostProbes

final class PidFileTests: XCTestCase {
    func testPidTextParses() throws {
        for (text, pid) in [("3595", 3595), ("3595\n", 3595), (" 12 ", 12), ("\t7\r\n", 7), ("0042", 42),
                            ("4194304", PidFile.maxPid)] {
            XCTAssertEqual(try PidFile.parse(text), pid, text.debugDescription)
        }
    }

    func testGarbageNegativeHugeAndEmptyAreParseErrorsQuotingTheText() {
        let cases: [(String, String)] = [
            ("", "va.pid: empty, no pid"),
            ("\n", "va.pid: empty, no pid"),
            ("not-a-pid\n", "va.pid: 'not-a-pid' is not a pid"),
            ("12 13", "va.pid: '12 13' is not a pid"),
            ("3595\ngarbage", "va.pid: '3595\ngarbage' is not a pid"),
            ("0x1f", "va.pid: '0x1f' is not a pid"),
            ("-5", "va.pid: '-5' is not a pid"),
            ("+5", "va.pid: '+5' is not a pid"),
            ("0", "va.pid: '0' is not a pid (1...4194304)"),
            ("4194305", "va.pid: '4194305' is not a pid (1...4194304)"),
            ("99999999999999999999999", "va.pid: '99999999999999999999999' is not a pid (1...4194304)"),
            (String(repeating: "7", count: 100), "va.pid: '\(String(repeating: "7", count: 40))...' is not a pid (1...4194304)"),
            ("\u{0663}", "va.pid: '\u{0663}' is not a pid"),  // an Arabic-Indic digit is no ASCII digit
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try PidFile.parse(text, path: "va.pid"), text.debugDescription) { error in
                guard case ProbeError.parse = error else { return XCTFail("\(error)") }
                XCTAssertEqual("\(error)", message)
            }
        }
    }

    func testFixtureAndMissingPidFiles() throws {
        XCTAssertEqual(try PidFile.read(domain: "va-confined", root: ProcFixture.root("proc-libvirt-default")), 3595)
        XCTAssertEqual(try PidFile.read(ProcFixture.root("proc-libvirt-default").run("libvirtd.pid")), 3534)
        XCTAssertThrowsError(try PidFile.read(domain: "nope", root: ProcFixture.root("proc-libvirt-default"))) { error in
            guard case ProbeError.notFound = error else { return XCTFail("\(error)") }
        }
    }

    func testOversizedPidFileIsRefusedBeforeParsing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("virtaudit-pidfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("big.pid").path
        try (String(repeating: " ", count: 4096) + "3595").write(toFile: path, atomically: false, encoding: .utf8)
        XCTAssertThrowsError(try PidFile.read(path)) { error in
            XCTAssertEqual(error as? ProbeError, .tooLarge(path: path, limit: PidFile.limit))
        }
    }
}
