import Foundation
import XCTest
@testable import Core

final class JSONTreeEncoderTests: XCTestCase {
    /// What the tree encoder replaces: JSONEncoder's text decoded back as a JSONValue.
    private func viaText<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    private struct Mixed: Codable {
        var float: Float = 0.1
        var integral: Double = 5.0
        var huge: Double = 1e20
        var fraction: Double = 2.5
        var negativeZero: Double = -0.0
        var widest: UInt64 = .max
        var small: Int8 = -3
        var absent: Int? = nil
        var present: String? = "x"
        var data = Data([1, 2, 3])
        var url = URL(string: "https://libvirt.org/formatdomain.html#security-label")!
        var byInt: [Int: String] = [1: "a", 2: "b"]
        var nested: [[Int]] = [[1], [2, 3], []]
        var empty: [String: Int] = [:]
        var text = "a\u{2028}<>&\u{1}\t\"\\é😀"
        var tree: JSONValue = ["uid": 107, "caps": ["CAP_A"], "none": .null, "ratio": 0.5]
    }

    /// Nested records with optionals, JSON trees and an array long enough to be encoded on
    /// several threads.
    private struct Record: Codable {
        var name: String
        var id: Int?
        var layers: [String: LayerScore]
        var facts: JSONValue
        var stats: ScanStats?
    }

    private func sampleRecords() -> [Record] {
        (0..<(ParallelEncoding.minimumElements + 6)).map { i in
            Record(name: "vm\(i)", id: i % 2 == 0 ? i : nil,
                   layers: ["dac": LayerScore(score: 50, pass: 1, fail: 1), "mac": LayerScore(score: nil)],
                   facts: ["process": ["uid": .int(i)], "ratio": 0.25],
                   stats: i % 3 == 0 ? ScanStats(stagesMs: ["policy": 1.5], filesRead: i, domains: 1, runningDomains: 0) : nil)
        }
    }

    func testNestedRecordsTreeEqualsTheJSONEncoderRoundTrip() throws {
        let records = sampleRecords()
        XCTAssertEqual(try JSONTreeEncoder.encode(records), try viaText(records))
    }

    func testSpecialValuesMatchTheJSONEncoderRoundTrip() throws {
        let value = Mixed()
        let tree = try JSONTreeEncoder.encode(value)
        XCTAssertEqual(tree, try viaText(value))
        XCTAssertEqual(tree["integral"], .int(5))
        XCTAssertEqual(tree["data"], .string("AQID"))
        XCTAssertNil(tree["absent"])
    }

    func testNonFiniteNumberIsAnErrorLikeJSONEncoder() {
        XCTAssertThrowsError(try JSONTreeEncoder.encode(["x": Double.nan]))
        XCTAssertThrowsError(try JSONEncoder().encode(["x": Double.nan]))
    }

    func testWriterTextOfEncodedTreeParsesBackToTheSameTree() throws {
        let tree = try JSONTreeEncoder.encode(Mixed())
        XCTAssertEqual(try JSONValue(parsing: JSONWriter.data(tree)), tree)
        XCTAssertEqual(try JSONValue(parsing: JSONWriter.data(tree, pretty: true)), tree)
    }
}
