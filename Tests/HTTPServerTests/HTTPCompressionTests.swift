import CZlib
@testable import HTTPServer
import XCTest

final class HTTPCompressionTests: XCTestCase {
    func testGzipOutputHasTheGzipHeaderAndInflatesBack() throws {
        let text = Array(String(repeating: "virtaudit domain report ", count: 500).utf8)
        let gz = try XCTUnwrap(HTTPCompression.gzip(text))
        XCTAssertEqual(Array(gz.prefix(3)), [0x1F, 0x8B, 0x08])
        XCTAssertLessThan(gz.count, text.count / 10)
        XCTAssertEqual(HTTPCompression.gunzip(gz), text)
    }

    func testEmptyAndIncompressibleInputsRoundTrip() throws {
        XCTAssertEqual(HTTPCompression.gunzip(try XCTUnwrap(HTTPCompression.gzip([]))), [])
        var state: UInt32 = 1
        let noise = (0..<10_000).map { _ -> UInt8 in state = state &* 1_664_525 &+ 1_013_904_223; return UInt8(truncatingIfNeeded: state >> 24) }
        XCTAssertEqual(HTTPCompression.gunzip(try XCTUnwrap(HTTPCompression.gzip(noise))), noise)
    }

    func testGunzipRejectsGarbageAndOversizedOutput() throws {
        XCTAssertNil(HTTPCompression.gunzip([1, 2, 3, 4]))
        let zeros = try XCTUnwrap(HTTPCompression.gzip([UInt8](repeating: 0, count: 100_000)))
        XCTAssertNil(HTTPCompression.gunzip(zeros, limit: 1000))
    }
}
