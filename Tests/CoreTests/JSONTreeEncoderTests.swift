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

    private func sampleReport() -> ScanReport {
        let finding = Finding(rule: "dac.non-root-user", layer: .dac, severity: .critical, status: .fail,
                              title: "qemu runs as an unprivileged user", observed: ["process.uid": 0],
                              expected: "effective uid and gid are not 0", remediation: "set user in qemu.conf",
                              reason: nil, pointsLost: 10, waiver: nil)
        let waived = Finding(rule: "mac.unique-mcs", layer: .mac, severity: .high, status: .waived, title: "t",
                             observed: .null, expected: "e", remediation: "r", reason: "accepted",
                             pointsLost: 0.5, waiver: ["owner": "ops", "expires": "2027-01-01"])
        let score = Score(score: 71, grade: "C", layers: ["dac": LayerScore(score: 50, pass: 1, fail: 1)])
        let domain = DomainReport(name: "vm1", uuid: "u", state: "running", id: nil, profile: "default",
                                  facts: ["process": ["uid": 0]], findings: [finding, waived], score: score)
        let host = HostReport(hostname: "h", facts: [:], findings: [], score: score)
        return ScanReport(scanId: "s", startedAt: "a", finishedAt: "b", durationMs: 12.75, connection: "test:///default",
                          root: "/", errors: ["one"], host: host, domains: [domain, domain])
    }

    func testReportTreeEqualsTheJSONEncoderRoundTrip() throws {
        let report = sampleReport()
        XCTAssertEqual(try JSONTreeEncoder.encode(report), try viaText(report))
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
