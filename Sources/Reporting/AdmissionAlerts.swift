import Core
import Foundation
import History

extension AlertEngine {
    /// The alert for an admission decision: a denial or a would-be denial in `warn` mode
    /// (`admission-denied`), or a hook that could not decide (`admission-failure`, any mode but
    /// dryrun). Admitted starts and dryrun decisions raise none.
    public static func admission(_ r: AdmissionRecord) -> Alert? {
        let target: JSONValue = ["kind": "domain", "name": .string(r.domain), "uuid": .from(r.uuid)]
        let details: JSONValue = ["operation": .string(r.operation), "mode": .string(r.mode), "decision": .string(r.decision),
                                  "rules": r.rules, "failure": .from(r.failure), "actor": .string(r.actor)]
        let rules = (r.rules.arrayValue ?? []).compactMap { $0["rule"]?.stringValue }
        switch r.decision {
        case "deny", "would-deny":
            guard r.mode != "dryrun" else { return nil }
            let verb = r.decision == "deny" ? "refused" : "admitted in warn mode despite"
            return Alert(kind: .admissionDenied, key: "admission:\(r.uuid ?? r.domain):\(r.decision):\(r.at)", severity: .critical,
                         summary: "\(r.domain): \(r.operation) \(verb) \(rules.joined(separator: ", "))",
                         target: target, details: details, scanId: nil, at: r.at)
        case "failed-open", "failed-closed":
            guard r.mode != "dryrun" else { return nil }
            let verb = r.decision == "failed-open" ? "admitted without a decision" : "refused without a decision"
            return Alert(kind: .admissionFailure, key: "admission-failure:\(r.uuid ?? r.domain):\(r.at)", severity: .high,
                         summary: "\(r.domain): \(r.operation) \(verb): \(r.failure ?? "unknown failure")",
                         target: target, details: details, scanId: nil, at: r.at)
        default:
            return nil
        }
    }
}
