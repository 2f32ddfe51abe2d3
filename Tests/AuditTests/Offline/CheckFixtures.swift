@testable import Audit
import Core
import Foundation
import XCTest

/// The saved artifacts of `Tests/Fixtures/check/` (real output captured from the lab, and files
/// written from the formats' documentation) and a helper that checks them.
enum CheckFixtures {
    static let directory = FixtureHosts.repository + "/Tests/Fixtures/check"
    static let golden = directory + "/golden"

    static func artifact(_ name: String) throws -> CheckArtifact {
        let path = directory + "/" + name
        guard let data = FileManager.default.contents(atPath: path) else { throw CocoaError(.fileNoSuchFile) }
        return CheckArtifact(name: name, bytes: Array(data))
    }

    static let auditor: Auditor = try! FixtureHosts.auditor()

    /// Checks the named fixture files together.
    static func check(_ names: [String], file: StaticString = #filePath, line: UInt = #line) throws -> CheckReport {
        let artifacts = try names.map(artifact)
        switch OfflineCheck.run(artifacts, auditor: auditor, now: Date(timeIntervalSince1970: 1_796_500_000)) {
        case .success(let r): return r
        case .failure(let e):
            XCTFail("\(names): \(e)", file: file, line: line)
            throw e
        }
    }
}

extension CheckReport {
    func target(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Target {
        guard let t = targets.first(where: { $0.name == name }) else {
            XCTFail("no target \(name) (have \(targets.map(\.name)))", file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return t
    }
}

extension CheckReport.Target {
    func status(_ rule: String) -> String? { findings.first { $0.finding.rule == rule }?.status }
    func finding(_ rule: String) -> CheckReport.CheckFinding? { findings.first { $0.finding.rule == rule } }
}
