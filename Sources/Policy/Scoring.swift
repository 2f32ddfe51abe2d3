import Core
import Foundation

/// Turns findings into a 0-100 score, a grade and per-layer sub-scores, and sets each finding's
/// `pointsLost`. See Docs/scoring.md for the method and worked examples.
///
/// - Each layer's sub-score is the weight of its passing findings over the weight of its
///   applicable (pass, fail, unknown) findings. `unknown` costs exactly what `fail` costs;
///   `waived` and `not-applicable` count as neither. A layer with no decided rule has no
///   sub-score (nil: "-" and JSON null), never 100.
/// - A layer is down when a `breaks_layer` rule of it fails or is unknown (its sub-score is then
///   0 whatever else passed), or when none of its weighted rules passed.
/// - Each layer counts with an importance equal to the highest weight among its applicable
///   findings (10 for a layer with a critical rule), so a fully failed layer loses its whole
///   share no matter how many rules it has: layers matter independently.
/// - score = 100 × Σ importance·subscore / Σ importance. Each failing or unknown `critical`
///   finding multiplies that by 0.69 (grade at most D), and each layer down by 0.79 (grade at
///   most C): two missing controls weigh more than one, and a VM that is worse in other layers
///   still scores lower. The points these factors remove are charged to the findings that
///   caused them, so the points lost always add up to 100 − score.
public enum Scoring {
    /// The highest score a VM with a failing critical finding can get (grade D).
    public static let criticalCap = 69
    /// The factor each failing or unknown critical finding applies.
    public static let criticalFactor = 0.69
    /// The factor each layer that is down applies: one layer down gives at most 79 (grade C).
    public static let downFactor = 0.79

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

    /// Scores `findings` (whose `weights`, and `breaks_layer` flags when given, are in the same
    /// order) and fills in `pointsLost`.
    public static func score(_ findings: inout [Finding], weights: [Double], breaksLayer: [Bool] = []) -> Score {
        precondition(findings.count == weights.count)
        precondition(breaksLayer.isEmpty || breaksLayer.count == findings.count)
        func breaks(_ i: Int) -> Bool {
            !breaksLayer.isEmpty && breaksLayer[i] && (findings[i].status == .fail || findings[i].status == .unknown)
        }
        struct Acc {
            var applicable = 0.0, passed = 0.0, importance = 0.0, breakingWeight = 0.0, breakers = 0
            var counts = LayerScore(score: nil)
            /// A breaking rule failed, or nothing weighted passed.
            var down: Bool { breakers > 0 || (applicable > 0 && passed == 0) }
        }
        let layerIndex: [Layer: Int] = Scoring.layerIndex
        var acc = [Acc?](repeating: nil, count: Layer.allCases.count)
        for (i, (f, w)) in zip(findings, weights).enumerated() {
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
            if breaks(i) { a.breakers += 1; a.breakingWeight += w }
            acc[li] = a
        }
        let totalImportance = acc.reduce(0) { $0 + (($1?.applicable ?? 0) > 0 ? $1!.importance : 0) }

        var raw = 100.0
        for i in findings.indices {
            findings[i].pointsLost = 0
            guard findings[i].status == .fail || findings[i].status == .unknown, totalImportance > 0,
                  let a = acc[layerIndex[findings[i].layer]!], a.applicable > 0 else { continue }
            let share = 100 * a.importance / totalImportance
            var lost = share * (weights[i] / a.applicable)
            if a.breakers > 0, breaks(i) {
                // The share the layer's passing rules would have kept is lost too: charged to the
                // breaking findings by weight (equally when they weigh nothing).
                let kept = share * a.passed / a.applicable
                lost += a.breakingWeight > 0 ? kept * weights[i] / a.breakingWeight : kept / Double(a.breakers)
            }
            findings[i].pointsLost = lost
            raw -= lost
        }
        raw = max(0, min(100, raw))

        // Factors: 0.69 per failing critical finding, 0.79 per scored layer down. The points they
        // remove are charged to their causes: the critical findings, and for each down layer its
        // breaking findings (or all its failing ones when it is down because nothing passed).
        var causes: [(findings: [Int], factor: Double)] = []
        let criticals = findings.indices.filter {
            findings[$0].severity == .critical && (findings[$0].status == .fail || findings[$0].status == .unknown)
        }
        for i in criticals { causes.append(([i], criticalFactor)) }
        for (li, slot) in acc.enumerated() {
            guard let a = slot, a.applicable > 0, a.importance > 0, a.down else { continue }
            let layer = Layer.allCases[li]
            let inLayer = findings.indices.filter { findings[$0].layer == layer }
            let blamed = a.breakers > 0 ? inLayer.filter(breaks)
                : inLayer.filter { findings[$0].status == .fail || findings[$0].status == .unknown }
            causes.append((blamed, downFactor))
        }
        var score = Int(raw.rounded())
        if !causes.isEmpty {
            let factor = causes.reduce(1.0) { $0 * $1.factor }
            let capped = raw * factor
            let extra = raw - capped
            // Each cause's part of the removed points is proportional to -log(factor).
            let totalLog = causes.reduce(0.0) { $0 - log($1.factor) }
            for cause in causes where !cause.findings.isEmpty {
                let part = extra * -log(cause.factor) / totalLog
                let total = cause.findings.reduce(0.0) { $0 + weights[$1] }
                for i in cause.findings {
                    findings[i].pointsLost += total > 0 ? part * weights[i] / total : part / Double(cause.findings.count)
                }
            }
            score = Int(capped.rounded())
            if !criticals.isEmpty { score = min(criticalCap, score) }
        }
        for i in findings.indices {
            findings[i].pointsLost = (findings[i].pointsLost * 100).rounded() / 100
        }

        var layers: [String: LayerScore] = [:]
        var total = 0, standing = 0
        for (layer, slot) in zip(Layer.allCases, acc) {
            guard let a = slot else { continue }
            var ls = a.counts
            if a.applicable > 0 {
                ls.score = a.breakers > 0 ? 0 : Int((100 * a.passed / a.applicable).rounded())
                ls.down = a.down
                total += 1
                if !a.down { standing += 1 }
            } else if ls.pass + ls.fail + ls.unknown > 0 {
                // Only weightless (info) rules: show the share that passed, it costs nothing.
                ls.score = Int((100 * Double(ls.pass) / Double(ls.pass + ls.fail + ls.unknown)).rounded())
            }
            layers[layer.rawValue] = ls
        }
        return Score(score: score, grade: grade(score), layers: layers, layersStanding: standing, layersTotal: total)
    }
}
