@testable import HostProbes
import XCTest

final class HostReasonTextTests: XCTestCase {
    func testControlAndRepairedBytesBecomeQuestionMarksAndLongTextIsCut() {
        let cases: [(String, Int, String)] = [
            ("Mitigation: PTI", 64, "Mitigation: PTI"),
            ("\u{7F}ELF\u{2}\u{1}\u{0}", 64, "?ELF???"),
            (String(decoding: [0xFF, 0xFE, 0x41] as [UInt8], as: UTF8.self), 64, "??A"),
            ("tab\there\nnewline", 64, "tab?here?newline"),
            ("abcdef", 3, "abc…"),
            ("", 64, ""),
        ]
        for (input, limit, expected) in cases {
            XCTAssertEqual(HostReasonText.quote(input, limit: limit), expected, input.debugDescription)
        }
    }
}
