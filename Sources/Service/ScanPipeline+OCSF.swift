import Core
import Foundation
import Reporting

extension ScanPipeline {
    /// Appends the scan's OCSF events (with first/last-seen times from history) to the OCSF file.
    func writeOCSF(_ report: ScanReport) {
        guard let log = ocsfLog else { return }
        var ids: [String] = []
        for (_, f) in SeverityGate.findings(in: report, atOrAbove: .info) { if let id = f.id { ids.append(id) } }
        let times = (try? history.findingTimes(ids: ids)) ?? [:]
        do {
            try log.append(report, rules: RuleText.all(auditor.policies), seen: { id in times[id].map { ($0.firstSeen, $0.lastSeen) } })
        } catch {
            logger.error("OCSF file write failed", metadata: ["error": .string("\(error)"), "file": .string(log.path)])
        }
    }
}
