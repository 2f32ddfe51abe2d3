import Core
@testable import HostProbes
import XCTest

final class KernelTaintTests: XCTestCase {
    func testBitsDecodeToDocumentedLetters() throws {
        let cases: [(String, [String], [Int])] = [
            ("0\n", [], []),
            ("1", ["P"], []),
            ("4097\n", ["P", "O"], []),
            ("12288", ["O", "E"], []),
            ("512", ["W"], []),
            ("262144", ["N"], []),
            ("524288", ["J"], []),
            ("33554432", [], [25]),
            ("1048575", ["P", "F", "S", "R", "M", "B", "U", "D", "A", "W", "C", "I", "O", "E", "L", "K", "X", "T", "N", "J"], []),
        ]
        for (text, letters, extra) in cases {
            let t = try KernelTaint.parse(text)
            XCTAssertEqual(t.set.map(\.letter), letters, text)
            XCTAssertEqual(t.undocumentedBits, extra, text)
            XCTAssertEqual(t.tainted, text.trimmingWhitespace() != "0", text)
        }
    }

    func testNamesFollowTheKernelDocumentation() throws {
        let t = try KernelTaint.parse("4097")
        XCTAssertEqual(t.set.map(\.name), ["proprietary module loaded", "externally-built (out-of-tree) module loaded"])
        XCTAssertEqual(KernelTaint.flags.map(\.bit), Array(0...19))
        XCTAssertEqual(Set(KernelTaint.flags.map(\.letter)).count, KernelTaint.flags.count)
    }

    func testGarbageIsAParseError() {
        for garbage in ["", "-1", "0x1000", "12 34", "4097abc", "\u{7F}ELF", "99999999999999999999999"] {
            XCTAssertThrowsError(try KernelTaint.parse(garbage, path: "t"), garbage.debugDescription) { error in
                XCTAssertEqual(error as? ProbeError, .parse(path: "t", reason: "expected an unsigned decimal integer"))
            }
        }
    }

    func testFixtures() throws {
        var b = FactBuilder()
        try KernelTaint.read(root: HostFixture.root("host-weak")).record(into: &b)
        XCTAssertEqual(b.tree[path: "host.kernel.taint.value"], 4097)
        XCTAssertEqual(b.tree[path: "host.kernel.taint.flags"], ["P", "O"])
        XCTAssertEqual(b.tree[path: "host.kernel.taint.tainted"], true)
        XCTAssertThrowsError(try KernelTaint.read(root: HostFixture.root("host-garbage")))
    }
}
