import Core
import XCTest
@testable import Policy

/// Deterministic pseudo-random numbers (SplitMix64) for property tests.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class ScoringTests: XCTestCase {
    private func finding(_ layer: Layer, _ severity: Severity, _ status: FindingStatus, _ id: String = "r.x") -> Finding {
        Finding(rule: id, layer: layer, severity: severity, status: status, observed: [:])
    }

    private func score(_ list: [Finding], breaking: Set<String> = []) -> (Score, [Finding]) {
        var fs = list
        let s = Scoring.score(&fs, weights: fs.map { Rule.defaultWeight($0.severity) },
                              breaksLayer: fs.map { breaking.contains($0.rule) })
        return (s, fs)
    }

    /// Four layers of three high rules each, with the given statuses per layer.
    private func vm(_ statuses: [Layer: [FindingStatus]]) -> [Finding] {
        [Layer.dac, .mac, .seccomp, .namespaces].flatMap { layer in
            (statuses[layer] ?? [.pass, .pass, .pass]).map { finding(layer, .high, $0) }
        }
    }

    func testTwoDeadLayersScoreClearlyBelowTwoFailedRulesInOneLayer() {
        let (deadLayers, _) = score(vm([.dac: [.fail, .fail, .fail], .mac: [.fail, .fail, .fail]]))
        let (twoRules, _) = score(vm([.dac: [.fail, .fail, .pass]]))
        let (twoRulesSpread, _) = score(vm([.dac: [.fail, .pass, .pass], .mac: [.fail, .pass, .pass]]))
        // Half the importance lost (50), and each dead layer is down: 50 × 0.79² = 31.2.
        XCTAssertEqual(deadLayers.score, 31)
        XCTAssertEqual(twoRules.score, 83)
        XCTAssertEqual([deadLayers.layersStanding, deadLayers.layersTotal], [2, 4])
        XCTAssertEqual([twoRules.layersStanding, twoRules.layersTotal], [4, 4])
        XCTAssertEqual(deadLayers.layers["dac"]?.down, true)
        XCTAssertEqual(twoRules.layers["dac"]?.down, false)
        XCTAssertLessThan(deadLayers.score + 20, twoRules.score)
        XCTAssertLessThan(deadLayers.score + 20, twoRulesSpread.score)
        XCTAssertEqual(deadLayers.layers["dac"]?.score, 0)
        XCTAssertEqual(deadLayers.layers["seccomp"]?.score, 100)
        XCTAssertEqual(deadLayers.layers["dac"]?.fail, 3)
    }

    func testADeadLayerCostsItsShareWhateverItsRuleCount() {
        // dac has 1 rule, mac has 5: losing either whole layer costs the same.
        var base = [finding(.dac, .high, .pass)] + (0..<5).map { _ in finding(.mac, .high, .pass) }
        base[0].status = .fail
        let (dacDead, _) = score(base)
        let macDead = [finding(.dac, .high, .pass)] + (0..<5).map { _ in finding(.mac, .high, .fail) }
        XCTAssertEqual(dacDead.score, score(macDead).0.score)
        // Half the importance lost, times 0.79 for the layer down: 39.5.
        XCTAssertEqual(dacDead.score, 40)
    }

    func testCriticalFailCapsGradeAtD() {
        var list = (0..<9).map { finding(.mac, .high, .pass, "m.\($0)") } + [finding(.dac, .high, .pass)]
        list += (0..<20).map { finding(.dac, .high, .pass, "d.\($0)") }
        list.append(finding(.dac, .critical, .fail, "dac.root"))
        let (capped, fs) = score(list)
        // Raw 95.41 × 0.69 = 65.83.
        XCTAssertEqual(capped.score, 66)
        XCTAssertEqual(capped.grade, "D")
        // The cap's points are charged to the critical finding.
        let total = fs.reduce(0) { $0 + $1.pointsLost }
        XCTAssertEqual(total, 100 - Double(capped.score), accuracy: 0.5)
        XCTAssertEqual(fs.last?.pointsLost ?? 0, 34.17, accuracy: 0.05)
        // The same rule at high severity does not cap.
        list[list.count - 1].severity = .high
        let (uncapped, _) = score(list)
        XCTAssertGreaterThan(uncapped.score, 90)
        XCTAssertEqual(uncapped.grade, "A")
    }

    func testCriticallyFailingVMsKeepTheirOrder() {
        // Two VMs run qemu as root; the second also fails one of three MAC rules. Both are capped,
        // and the second still scores lower (a clamp to 69 would make them equal).
        let good = [finding(.dac, .critical, .fail, "dac.root"), finding(.dac, .high, .pass, "d.1")]
            + (0..<3).map { finding(.mac, .high, .pass, "m.\($0)") } + [finding(.seccomp, .high, .pass)]
        var worse = good
        worse[2].status = .fail
        let (a, _) = score(good), (b, _) = score(worse)
        // good: raw 100 × (3.75 + 6 + 6)/22 = 71.6 -> 49.4; worse: raw 62.5 -> 43.1.
        XCTAssertEqual([a.score, b.score], [49, 43])
        // A second critical failure costs another factor 0.69.
        var twice = good
        twice[1].severity = .critical
        twice[1].status = .fail
        XCTAssertLessThan(score(twice).0.score, a.score)
    }

    func testUnknownCriticalCapsLikeAFail() {
        let list = (0..<30).map { finding(.mac, .high, .pass, "m.\($0)") } + [finding(.dac, .critical, .unknown)]
            + (0..<30).map { finding(.dac, .high, .pass, "d.\($0)") }
        XCTAssertEqual(score(list).0.grade, "D")
    }

    func testGrades() {
        XCTAssertEqual([100, 90, 89, 80, 79, 70, 69, 60, 59, 0].map(Scoring.grade), ["A", "A", "B", "B", "C", "C", "D", "D", "F", "F"])
    }

    func testWaivedAndNotApplicableCountAsNeither() {
        let base = vm([.dac: [.fail, .pass, .pass]])
        var withExtra = base
        withExtra.append(finding(.dac, .high, .waived))
        withExtra.append(finding(.mac, .critical, .notApplicable))
        withExtra.append(finding(.confidential, .critical, .waived))
        let (a, _) = score(base)
        let (b, fs) = score(withExtra)
        XCTAssertEqual(a.score, b.score)
        XCTAssertTrue(fs.filter { $0.status == .waived || $0.status == .notApplicable }.allSatisfy { $0.pointsLost == 0 })
        XCTAssertEqual(b.layers["dac"]?.waived, 1)
    }

    func testNothingApplicableScores100() {
        let (s, _) = score([finding(.dac, .high, .notApplicable), finding(.mac, .info, .fail)])
        XCTAssertEqual(s.score, 100)
        XCTAssertEqual(s.layers["mac"]?.score, 0)
        XCTAssertEqual([s.layersStanding, s.layersTotal], [0, 0])
    }

    func testALayerWithNoDecidedRuleHasNoSubScoreRatherThan100() {
        let (s, _) = score([finding(.dac, .high, .notApplicable), finding(.mac, .high, .waived), finding(.seccomp, .high, .pass)])
        XCTAssertNotNil(s.layers["dac"])
        XCTAssertNil(s.layers["dac"]?.score)
        XCTAssertNil(s.layers["mac"]?.score)
        XCTAssertEqual(s.layers["mac"]?.waived, 1)
        XCTAssertEqual(s.layers["seccomp"]?.score, 100)
        XCTAssertEqual([s.layersStanding, s.layersTotal], [1, 1])
    }

    /// The MCS pair case of issue 14: one failed high rule among passing ones used to cost a
    /// fraction of the mac layer (an A); marked breaks_layer it takes the whole layer down.
    func testABreakingFailureTakesItsLayerDownAndCapsTheGradeAtC() {
        let list = [finding(.dac, .critical, .pass, "dac.root"), finding(.dac, .high, .pass, "dac.caps"),
                    finding(.mac, .critical, .pass, "mac.confined"), finding(.mac, .high, .pass, "mac.categories"),
                    finding(.mac, .high, .fail, "mac.unique"), finding(.seccomp, .high, .pass, "seccomp.filter"),
                    finding(.namespaces, .high, .pass, "ns.mount")]
        let (plain, _) = score(list)
        // mac: 16/22 passed; 100 × (10 + 10·16/22 + 6 + 6)/32 = 91.5.
        XCTAssertEqual(plain.score, 91)
        XCTAssertEqual(plain.grade, "A")
        XCTAssertEqual(plain.layers["mac"]?.score, 73)
        let (broken, fs) = score(list, breaking: ["mac.unique"])
        // mac counts 0: 100 × (10 + 0 + 6 + 6)/32 = 68.75, times 0.79 for the layer down = 54.3.
        XCTAssertEqual(broken.score, 54)
        XCTAssertEqual(broken.grade, "F")
        XCTAssertEqual(broken.layers["mac"]?.score, 0)
        XCTAssertEqual(broken.layers["mac"]?.down, true)
        XCTAssertEqual([broken.layersStanding, broken.layersTotal], [3, 4])
        // The whole loss is charged to the breaking finding.
        XCTAssertEqual(fs[4].pointsLost, 46, accuracy: 0.5)
        XCTAssertEqual(fs.reduce(0) { $0 + $1.pointsLost }, 100 - Double(broken.score), accuracy: 0.5)
        // Unknown breaks the layer like a failure; a waived breaking rule breaks nothing; a
        // breaking rule that passes changes nothing.
        var unknown = list; unknown[4].status = .unknown
        XCTAssertEqual(score(unknown, breaking: ["mac.unique"]).0.score, broken.score)
        var waived = list; waived[4].status = .waived
        XCTAssertEqual(score(waived, breaking: ["mac.unique"]).0.layers["mac"]?.down, false)
        XCTAssertEqual(score(waived, breaking: ["mac.unique"]).0.score, 100)
        XCTAssertEqual(score(list, breaking: ["mac.categories"]).0.score, plain.score)
    }

    func testTwoLayersDownWeighMoreThanOne() {
        let list = [finding(.dac, .high, .fail, "dac.root"), finding(.dac, .high, .pass, "dac.caps"),
                    finding(.mac, .high, .fail, "mac.unique"), finding(.mac, .high, .pass, "mac.categories"),
                    finding(.seccomp, .high, .pass, "seccomp.filter")]
        let one = score(list, breaking: ["mac.unique"]).0
        let two = score(list, breaking: ["mac.unique", "dac.root"]).0
        XCTAssertEqual([one.layersStanding, two.layersStanding], [2, 1])
        // one: 100 × (3 + 0 + 6)/18 = 50, × 0.79 = 39.5 (39.4999... in binary: 39);
        // two: 100 × 6/18 × 0.79² = 20.8.
        XCTAssertEqual([one.score, two.score], [39, 21])
    }

    /// Random VMs: points lost add up to 100 - score; unknown never scores above fail and never
    /// above pass.
    func testScoringPropertiesOnRandomFindings() {
        var rng = SeededRandom(seed: 20261123)
        let statuses: [FindingStatus] = [.pass, .pass, .pass, .fail, .unknown, .waived, .notApplicable]
        for _ in 0..<2000 {
            let n = Int.random(in: 1...40, using: &rng)
            let list = (0..<n).map { i in
                finding(Layer.allCases.randomElement(using: &rng)!, Severity.allCases.randomElement(using: &rng)!,
                        statuses.randomElement(using: &rng)!, "r.\(i)")
            }
            let breaking = Set(list.map(\.rule).filter { _ in Bool.random(using: &rng) })
            let (s, fs) = score(list, breaking: breaking)
            let lost = fs.reduce(0) { $0 + $1.pointsLost }
            XCTAssertEqual(lost, 100 - Double(s.score), accuracy: 0.5 + 0.005 * Double(n), "\(list.map(\.status))")
            XCTAssertTrue(fs.allSatisfy { $0.pointsLost >= 0 })
            XCTAssertTrue(fs.allSatisfy { ($0.status == .fail || $0.status == .unknown) || $0.pointsLost == 0 })
            XCTAssertTrue((0...100).contains(s.score))
            XCTAssertTrue(s.layers.values.allSatisfy { $0.score != nil || $0.pass + $0.fail + $0.unknown == 0 })
            XCTAssertTrue((0...s.layersTotal).contains(s.layersStanding))

            // Turning one fail into unknown changes nothing; one pass into unknown never helps.
            if let i = list.firstIndex(where: { $0.status == .fail }) {
                var u = list; u[i].status = .unknown
                XCTAssertEqual(score(u, breaking: breaking).0.score, s.score)
            }
            if let i = list.firstIndex(where: { $0.status == .pass }) {
                var u = list; u[i].status = .unknown
                var f = list; f[i].status = .fail
                XCTAssertLessThanOrEqual(score(u, breaking: breaking).0.score, s.score)
                XCTAssertEqual(score(u, breaking: breaking).0.score, score(f, breaking: breaking).0.score)
                // Marking a rule breaks_layer never raises a score.
                XCTAssertLessThanOrEqual(score(list, breaking: breaking.union([list[i].rule])).0.score, score(list, breaking: breaking).0.score)
            }
        }
    }
}
