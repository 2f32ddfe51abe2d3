import Core
import Foundation

/// The verdict on one VM: a finding per rule of its profile, the score, and notes (for example
/// that the metadata named a profile that does not exist).
public struct DomainVerdict: Sendable {
    public let name: String
    public let uuid: String
    public let profile: String
    public let findings: [Finding]
    public let score: Score
    public let notes: [String]
}

/// The verdict on the host: a finding per host-scope rule, scored like a VM.
public struct HostVerdict: Sendable {
    public let profile: String
    public let findings: [Finding]
    public let score: Score
    public let notes: [String]
}

/// Evaluates the policy on fact trees. Rules are parsed once when loaded; per profile the rules
/// and their effective severities and weights are resolved once here.
public struct Evaluator: Sendable {
    /// A rule as one profile applies it, with its expressions' paths interned.
    final class Planned: Sendable {
        let rule: Rule
        let id: String
        let layer: Layer
        let title: String
        let expected: String
        let remediation: String
        let severity: Severity
        let weight: Double
        let breaksLayer: Bool
        let when: Expr?
        let check: Expr
        let whenObserved: [FactPath]
        let allObserved: [FactPath]

        init(rule: Rule, severity: Severity, weight: Double, table: inout [String: Int]) {
            self.rule = rule
            id = rule.id
            layer = rule.layer
            title = rule.title
            expected = rule.expected
            remediation = rule.remediation
            self.severity = severity
            self.weight = weight
            breaksLayer = rule.breaksLayer
            when = rule.when?.expr.interned(&table)
            check = rule.check.expr.interned(&table)
            whenObserved = (rule.when?.observedPaths ?? []).map { $0.interned(&table) }
            var seen = Set(whenObserved.map(\.text))
            allObserved = whenObserved + rule.check.observedPaths.filter { seen.insert($0.text).inserted }.map { $0.interned(&table) }
        }
    }

    public let policies: PolicySet
    public let waivers: Waivers
    public let now: Date
    private let domainPlans: [String: [Planned]]
    private let hostPlan: [Planned]
    /// The host rules that judge a libvirt daemon's own configuration (`host.qemuConf.*`): for a VM
    /// of a daemon in another mount namespace they are judged again with that daemon's qemu.conf.
    private let daemonPlan: [Planned]
    /// How many distinct fact paths the rules read (the interpreter's cache size).
    private let slots: Int

    public init(policies: PolicySet, waivers: Waivers, now: Date = Date()) {
        self.policies = policies
        self.waivers = waivers
        self.now = now
        var plans: [String: [Planned]] = [:]
        var table: [String: Int] = [:]
        let profiles = policies.profiles.isEmpty ? [Profile.all] : policies.profiles
        for p in profiles {
            plans[p.name] = Evaluator.plan(policies.rules, p, scope: .domain, table: &table)
        }
        domainPlans = plans
        hostPlan = Evaluator.plan(policies.rules, policies.defaultProfile, scope: .host, table: &table)
        daemonPlan = hostPlan.filter { p in
            !p.allObserved.isEmpty && p.allObserved.allSatisfy { $0.text.hasPrefix(Evaluator.daemonFacts + ".") }
        }
        slots = table.count
    }

    private static func plan(_ rules: [Rule], _ profile: Profile, scope: RuleScope, table: inout [String: Int]) -> [Planned] {
        rules.filter { $0.scope == scope && profile.selects($0) }.map { r in
            let s = profile.severity(for: r)
            return Planned(rule: r, severity: s, weight: r.weight(at: s), table: &table)
        }
    }

    /// The profile for a VM: 1) the one its `domain.metadata.profile` names, 2) the first whose
    /// `match.names` globs match its name, 3) the first whose `match.contexts` names one of its
    /// management contexts (`Profile.contexts(of:)`), 4) the default.
    public func selectProfile(name: String, facts: JSONValue) -> (profile: Profile, notes: [String]) {
        let fallback = policies.defaultProfile
        var notes: [String] = []
        if case .string(let wanted)? = facts[path: "domain.metadata.profile"] {
            if let p = policies.profiles.first(where: { $0.isNamed(byMetadata: wanted) }) {
                return (p, notes)
            }
            notes.append("domain metadata names profile '\(wanted)', which does not exist; using the default profile '\(fallback.name)'")
            return (fallback, notes)
        }
        if let p = policies.profiles.first(where: { p in p.matchNames.contains { $0.matches(name) } }) {
            return (p, notes)
        }
        let contexts = Profile.contexts(of: facts)
        if !contexts.isEmpty, let p = policies.profiles.first(where: { p in p.matchContexts.contains { contexts.contains($0) } }) {
            return (p, notes)
        }
        return (fallback, notes)
    }

    /// The facts of a libvirt daemon's own configuration (see `daemonRules`).
    public static let daemonFacts = "host.qemuConf"

    /// `daemonRules`: also judge the host rules that read only `host.qemuConf` against `host`, for
    /// a VM whose libvirt daemon runs in another mount namespace with its own qemu.conf (the host's
    /// verdict on them says nothing about that daemon).
    public func evaluateDomain(name: String, uuid: String, facts: JSONValue, host: JSONValue,
                               daemonRules: Bool = false) -> DomainVerdict {
        let (profile, notes) = selectProfile(name: name, facts: facts)
        let plan = (domainPlans[profile.name] ?? []) + (daemonRules ? daemonPlan.filter { profile.selects($0.rule) } : [])
        var interpreter = Interpreter(domain: facts, host: host, slots: slots)
        var (findings, weights, breaks) = run(plan, &interpreter, vm: (name, uuid), facts: facts)
        let score = Scoring.score(&findings, weights: weights, breaksLayer: breaks)
        return DomainVerdict(name: name, uuid: uuid, profile: profile.name, findings: findings, score: score, notes: notes)
    }

    /// Host facts: the tree whose top key is `host` (`host.selinux.enabled`), with its `unknown` map.
    public func evaluateHost(facts: JSONValue) -> HostVerdict {
        var interpreter = Interpreter(domain: .object([:]), host: facts, slots: slots)
        var (findings, weights, breaks) = run(hostPlan, &interpreter, vm: nil, facts: facts)
        let score = Scoring.score(&findings, weights: weights, breaksLayer: breaks)
        return HostVerdict(profile: policies.defaultProfile.name, findings: findings, score: score, notes: [])
    }

    private func run(_ plan: [Planned], _ interpreter: inout Interpreter,
                     vm: (name: String, uuid: String)?, facts: JSONValue) -> ([Finding], [Double], [Bool]) {
        var findings: [Finding] = []
        var weights: [Double] = []
        var breaks: [Bool] = []
        findings.reserveCapacity(plan.count)
        weights.reserveCapacity(plan.count)
        var expired: [(waiver: Int, layer: Layer, rules: [String])] = []

        for p in plan {
            var status: FindingStatus
            var reason: String? = nil
            var paths = p.allObserved
            if let when = p.when, case let t = interpreter.truth(when), !t.isTrue {
                if let why = t.reason, let na = notApplicableReason(p.whenObserved, facts, &interpreter) {
                    status = .notApplicable
                    reason = na
                    paths = p.whenObserved
                    _ = why
                } else if let why = t.reason {
                    status = .unknown
                    reason = "cannot tell whether the rule applies: \(why)"
                } else {
                    status = .notApplicable
                    paths = p.whenObserved
                }
            } else {
                switch interpreter.truth(p.check) {
                case .true: status = .pass
                case .false: status = .fail
                case .unknown(let why):
                    if let na = notApplicableReason(p.allObserved, facts, &interpreter) {
                        status = .notApplicable; reason = na
                    } else {
                        status = .unknown; reason = why
                    }
                }
            }
            var waiverJSON: JSONValue? = nil
            if status == .fail || status == .unknown {
                let covering = waivers.entries.indices.filter { i in
                    let w = waivers.entries[i]
                    guard w.matches(rule: p.id) else { return false }
                    if let vm { return w.matches(vmName: vm.name, uuid: vm.uuid) }
                    return w.appliesToHost
                }
                if let active = covering.first(where: { waivers.entries[$0].isActive(at: now) }) {
                    let w = waivers.entries[active]
                    var j = w.json
                    j.set("status", to: .string(status.rawValue))
                    if let reason { j.set("unknownReason", to: .string(reason)) }
                    waiverJSON = j
                    status = .waived
                    reason = w.reason
                } else {
                    for i in covering {
                        if let k = expired.firstIndex(where: { $0.waiver == i }) { expired[k].rules.append(p.id) }
                        else { expired.append((i, p.layer, [p.id])) }
                    }
                }
            }
            findings.append(Finding(rule: p.id, layer: p.layer, severity: p.severity, status: status,
                                    observed: observed(paths, &interpreter), reason: reason, waiver: waiverJSON))
            weights.append(p.weight)
            breaks.append(p.breaksLayer)
        }

        for e in expired {
            let w = waivers.entries[e.waiver]
            let target = vm.map { "VM \($0.name)" } ?? "the host"
            findings.append(Finding(
                rule: ExpiredWaiver.ruleId, layer: e.layer, severity: ExpiredWaiver.severity, status: .fail,
                observed: ["waiver": w.json, "rules": .array(e.rules.map { .string($0) })],
                reason: "waiver for \(w.rule.pattern) on \(target) at \(w.file):\(w.line) (owner \(w.owner): \(w.reason)) expired on \(w.expires); \(e.rules.joined(separator: ", ")) scored again",
                waiver: w.json))
            weights.append(Rule.defaultWeight(ExpiredWaiver.severity))
            breaks.append(false)
        }
        return (findings, weights, breaks)
    }

    /// Why a rule that came out unknown does not apply at all: every path of the target's own
    /// tree it read that has no value is marked not applicable in `facts`
    /// (`FactBuilder.setNotApplicable`). nil when the target marks nothing (every ordinary VM) or
    /// one missing value is merely unknown.
    private func notApplicableReason(_ paths: [FactPath], _ facts: JSONValue, _ interpreter: inout Interpreter) -> String? {
        guard case .object(let marks)? = facts["notApplicable"], !marks.isEmpty else { return nil }
        var reason: String?
        for p in paths where !p.text.hasPrefix("host.") {  // the host's facts are the host's to decide
            let v = interpreter.lookup(p)
            guard v == nil || v == .null else { continue }
            guard let r = FactBuilder.notApplicableReason(for: p.text, in: facts) else { return nil }
            reason = reason ?? r
        }
        return reason
    }

    /// The values of the paths (already distinct) the rule read.
    private func observed(_ paths: [FactPath], _ interpreter: inout Interpreter) -> JSONValue {
        var out: [String: JSONValue] = Dictionary(minimumCapacity: paths.count)
        for p in paths { out[p.text] = interpreter.lookup(p) ?? .null }
        return .object(out)
    }
}
