import Core
import Foundation

/// Turns findings into a 0-100 score, a grade and per-layer sub-scores, and sets each finding's
/// `pointsLost`. See Docs/scoring.md for the method and worked examples.
///
/// - Each layer's sub-score is the weight of its passing findings over the weight of its
///   applicable (pass, fail, unknown) findings. `unknown` costs exactly what `fail` costs;
///   `waived` and `not-applicable` count as neither.
/// - Each layer counts with an importance equal to the highest weight among its applicable
///   findings (10 for a layer with a critical rule), so a fully failed layer loses its whole
///   share no matter how many rules it has: layers matter independently.
/// - score = 100 × Σ importance·subscore / Σ importance. Each failing or unknown `critical`
///   finding multiplies that by 0.69, so the grade is at most D, two missing critical controls
///   weigh more than one, and a VM that is worse in other layers still scores lower. The points
///   this removes are charged to those critical findings, so the points lost always add up to
///   100 − score.
public enum Scoring {
    /// The highest score a VM with a failing critical finding can get (grade D).
    public static let criticalCap = 69
    /// The factor each failing or unknown critical finding applies.
    public static let criticalFactor = 0.69

    private static let layerIndex: [Layer: Int] =
        Dictionary(uniqueKeysWithValues: Layer.allCases.enumerated().map { ($1, $0) })

    public static func grade(_ score: Int) -> String {
        switch score {
        case 90...: return "A"
        case 80..<90: return "B"
        case 70..<80: return "C"
        case 60..<70: return "D"
        default: return "F"
        }
    }

    /// Scores `findings` (whose `weights` are given in the same order) and fills in `pointsLost`.
    public static func score(_ findings: inout [Finding], weights: [Double]) -> Score {
        precondition(findings.count == weights.count)
        struct Acc { var applicable = 0.0, passed = 0.0, importance = 0.0, counts = LayerScore(score: 100) }
        let layerIndex: [Layer: Int] = Scoring.layerIndex
        var acc = [Acc?](repeating: nil, count: Layer.allCases.count)
        for (f, w) in zip(findings, weights) {
            let li = layerIndex[f.layer]!
            var a = acc[li] ?? Acc()
            switch f.status {
            case .pass:
                a.counts.pass += 1; a.applicable += w; a.passed += w; a.importance = max(a.importance, w)
            case .fail:
                a.counts.fail += 1; a.applicable += w; a.importance = max(a.importance, w)
            case .unknown:
                a.counts.unknown += 1; a.applicable += w; a.importance = max(a.importance, w)
            case .waived:
                a.counts.waived += 1
            case .notApplicable:
                break
            }
            acc[li] = a
        }
        let totalImportance = acc.reduce(0) { $0 + (($1?.applicable ?? 0) > 0 ? $1!.importance : 0) }

        var raw = 100.0
        for i in findings.indices {
            findings[i].pointsLost = 0
            guard findings[i].status == .fail || findings[i].status == .unknown, totalImportance > 0,
                  let a = acc[layerIndex[findings[i].layer]!], a.applicable > 0 else { continue }
            let lost = 100 * (a.importance / totalImportance) * (weights[i] / a.applicable)
            findings[i].pointsLost = lost
            raw -= lost
        }
        raw = max(0, min(100, raw))

        var score = Int(raw.rounded())
        let criticals = findings.indices.filter {
            findings[$0].severity == .critical && (findings[$0].status == .fail || findings[$0].status == .unknown)
        }
        if !criticals.isEmpty {
            // Scale (not clamp) so the order between VMs survives; charge the removed points to
            // the critical findings, in proportion to their weight (equally when they weigh nothing).
            let capped = raw * pow(criticalFactor, Double(criticals.count))
            let extra = raw - capped
            let total = criticals.reduce(0.0) { $0 + weights[$1] }
            for i in criticals {
                findings[i].pointsLost += total > 0 ? extra * weights[i] / total : extra / Double(criticals.count)
            }
            score = min(criticalCap, Int(capped.rounded()))
        }
        for i in findings.indices {
            findings[i].pointsLost = (findings[i].pointsLost * 100).rounded() / 100
        }

        var layers: [String: LayerScore] = [:]
        for (layer, slot) in zip(Layer.allCases, acc) {
            guard let a = slot else { continue }
            var ls = a.counts
            if a.applicable > 0 {
                ls.score = Int((100 * a.passed / a.applicable).rounded())
            } else if ls.pass + ls.fail + ls.unknown > 0 {
                // Only weightless (info) rules: show the share that passed, it costs nothing.
                ls.score = Int((100 * Double(ls.pass) / Double(ls.pass + ls.fail + ls.unknown)).rounded())
            }
            layers[layer.rawValue] = ls
        }
        return Score(score: score, grade: grade(score), layers: layers)
    }
}
