import XCTest
@testable import Inventory

final class LibvirtHostInfoTests: XCTestCase {
    func testPackedVersionsDecode() {
        XCTAssertEqual(LibvirtHostInfo.versionString(7_002_000), "7.2.0")
        XCTAssertEqual(LibvirtHostInfo.versionString(9_000_000), "9.0.0")
        XCTAssertEqual(LibvirtHostInfo.versionString(10_010_003), "10.10.3")
        XCTAssertEqual(LibvirtHostInfo.versionString(2), "0.0.2")
    }
}
