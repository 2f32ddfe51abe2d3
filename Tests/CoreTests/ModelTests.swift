import Core
import Foundation
import XCTest

final class ModelTests: XCTestCase {
    /// A layer with no decided rule has a null score in the JSON (present, not omitted), and
    /// the layers-standing counts travel with the report.
    func testUndecidedLayerEncodesNullAndStandingCountsAreKept() throws {
        let score = Score(score: 61, grade: "D", layers: [
            "mac": LayerScore(score: 0, pass: 3, fail: 1, down: true),
            "seccomp": LayerScore(score: nil),
            "dac": LayerScore(score: 100, pass: 2),
        ])
        XCTAssertEqual([score.layersStanding, score.layersTotal], [1, 2])
        let d = DomainReport(name: "vm", uuid: "u", state: "shutoff", id: nil, profile: "baseline", facts: [:],
                             findings: [], score: score)
        let tree = try JSONValue(parsing: Data(ResultsJSON.domain(d, rules: [:])))
        XCTAssertEqual(tree["layers"]?["seccomp"]?["score"], .null)
        XCTAssertNotNil(tree["layers"]?["seccomp"]?.objectValue?["score"], "the key is present with null")
        XCTAssertEqual(tree["layers"]?["mac"]?["down"], true)
        XCTAssertEqual(tree["layersStanding"], 1)
        XCTAssertEqual(tree["layersTotal"], 2)
        XCTAssertEqual(try tree.decode(DomainReport.self), d)
    }

    /// Reports stored before layers could be down or undecided still load.
    func testReportsWithoutDownOrStandingStillDecode() throws {
        let old: JSONValue = [
            "name": "vm", "uuid": "u", "state": "running", "profile": "baseline", "facts": [:], "findings": [],
            "score": 97, "grade": "A",
            "layers": ["mac": ["score": 0, "pass": 0, "fail": 2, "unknown": 0, "waived": 0],
                       "dac": ["score": 100, "pass": 2, "fail": 0, "unknown": 0, "waived": 0]],
        ]
        let d = try old.decode(DomainReport.self)
        XCTAssertNil(d.layersStanding)
        XCTAssertNil(d.layersTotal)
        XCTAssertEqual(d.layers["mac"]?.down, true, "a stored sub-score of 0 was a dead layer")
        XCTAssertEqual(d.layers["dac"]?.down, false)
        XCTAssertEqual(d.layers["dac"]?.score, 100)
    }
}
