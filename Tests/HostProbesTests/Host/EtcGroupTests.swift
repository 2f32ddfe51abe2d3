@testable import HostProbes
import XCTest

final class EtcGroupTests: XCTestCase {
    func testNamesByGidFirstLineWins() {
        let cases: [(String, [Int: String])] = [
            ("root:x:0:\nkvm:x:36:qemu\nqemu:x:107:\n", [0: "root", 36: "kvm", 107: "qemu"]),
            ("kvm:x:993:\nkvm2:x:993:\n", [993: "kvm"]),
            ("# comment\n+nisgroup::::\n-x:x:5:\nbad\nnogid:x::\nneg:x:-1:\n", [:]),
            ("short:x:7", [7: "short"]),
            ("", [:]),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(EtcGroup.parse(text).names, expected, text.debugDescription)
        }
    }
}
