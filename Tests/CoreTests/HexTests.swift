import XCTest
@testable import Core

final class HexTests: XCTestCase {
    func testEncodesEveryByteAsTwoLowercaseDigits() {
        XCTAssertEqual(Hex.encode([]), "")
        XCTAssertEqual(Hex.encode([0x00, 0x01, 0x0f, 0x10, 0xab, 0xff]), "00010f10abff")
        XCTAssertEqual(Hex.encode(0...255).count, 512)
    }

    func testDecodeIsTheInverseAndAcceptsBothCases() {
        let all = Array(UInt8(0)...UInt8(255))
        XCTAssertEqual(Hex.decode(Hex.encode(all)), all)
        XCTAssertEqual(Hex.decode(Hex.encode(all).uppercased()), all)
        XCTAssertEqual(Hex.decode("aBcD"), [0xab, 0xcd])
        XCTAssertEqual(Hex.decode(""), [])
    }

    func testDecodeRefusesOddLengthsAndNonDigits() {
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("0g"))
        XCTAssertNil(Hex.decode("0x12"))
        XCTAssertNil(Hex.decode(" 12"))
        XCTAssertNil(Hex.decode("é1"))
    }
}
