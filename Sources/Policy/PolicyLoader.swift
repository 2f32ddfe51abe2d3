import Core
import Foundation
import Yams

/// One policy file's text and the name used in diagnostics.
public struct PolicySource: Sendable, Hashable {
    public let path: String
    public let text: String
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// Turns rule and profile files into rules and profiles, collecting every problem of every file.
struct PolicyLoader {
    static let ruleKeys = ["id", "layer", "scope", "severity", "weight", "title", "when", "check", "expected",
                           "rationale", "remediation", "references", "tags", "breaks_layer"]
    static let requiredRuleKeys = ["id", "layer", "severity", "title", "check", "remediation"]
    static let profileKeys = ["name", "description", "default", "include", "exclude", "raise", "severity", "match"]
    static let matchKeys = ["names", "metadata", "contexts"]

    let schema: FactSchema?
    var diagnostics: [PolicyDiagnostic] = []
    var rules: [Rule] = []
    var profiles: [Profile] = []
    private var ruleSites: [String: (file: String, line: Int)] = [:]
    /// Exact rule ids named by profiles, checked once all rules are known.
    private var namedRuleIds: [(id: String, file: String, line: Int, profile: String)] = []
    var sawRulesFile = false

    init(schema: FactSchema?) { self.schema = schema }

    /// Which kind of policy file a document is, from its top key.
    enum FileKind { case rules, profile, waivers, unknown }

    static func kind(of root: Node?) -> FileKind {
        guard let pairs = root?.pairs else { return .unknown }
        let keys = Set(pairs.map(\.key))
        if keys.contains("rules") { return .rules }
        if keys.contains("profile") { return .profile }
        if keys.contains("waivers") { return .waivers }
        return .unknown
    }

    // MARK: rules files

    mutating func loadRules(_ source: PolicySource) {
        sawRulesFile = true
        guard let doc = YAMLDocument.compose(file: source.path, text: source.text, into: &diagnostics) else { return }
        loadRules(doc)
    }

    mutating func loadRules(_ doc: YAMLDocument) {
        let file = doc.file
        guard let root = doc.root, let pairs = root.pairs else {
            diagnostics.append(PolicyDiagnostic(file: file, line: doc.root?.line ?? 1,
                                                message: "a rules file must be a mapping with the top key 'rules:'"))
            return
        }
        var list: Node? = nil
        for (key, keyNode, value) in pairs {
            if key == "rules" { list = value } else {
                diagnostics.append(PolicyDiagnostic(file: file, line: keyNode.line,
                                                    message: "unknown top-level key '\(key)' (a rules file has only 'rules:')"))
            }
        }
        guard let list else {
            diagnostics.append(PolicyDiagnostic(file: file, line: root.line, message: "missing top-level key 'rules:'"))
            return
        }
        guard let entries = list.items else {
            if list.text?.isEmpty == true { return }  // `rules:` with nothing yet
            diagnostics.append(PolicyDiagnostic(file: file, line: list.line, message: "'rules' must be a list, found \(list.kindName)"))
            return
        }
        for entry in entries { loadRule(entry, file: file) }
    }

    private mutating func loadRule(_ node: Node, file: String) {
        let before = diagnostics.count
        let f = FieldReader(file: file, node: node, allowed: PolicyLoader.ruleKeys, what: "a rule", diagnostics: &diagnostics)
        guard f.isMapping else { return }
        f.requireKeys(PolicyLoader.requiredRuleKeys, what: "rule", into: &diagnostics)

        let id = f.string("id", into: &diagnostics)
        if let id, !PolicyLoader.isValidId(id) {
            diagnostics.append(f.diag("id", "id '\(id)' must be lowercase dotted words (letters, digits, '-', '_'), like 'dac.non-root-user'"))
        }
        if let id, id == ExpiredWaiver.ruleId {
            diagnostics.append(f.diag("id", "id '\(id)' is reserved for expired-waiver findings"))
        }
        var layer: Layer? = nil
        if let s = f.string("layer", into: &diagnostics) {
            layer = Layer(rawValue: s)
            if layer == nil {
                diagnostics.append(f.diag("layer", "layer '\(s)' is not one of \(Layer.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        var scope = RuleScope.domain
        if let s = f.string("scope", into: &diagnostics) {
            if let sc = RuleScope(rawValue: s) { scope = sc } else {
                diagnostics.append(f.diag("scope", "scope '\(s)' is not one of domain, host"))
            }
        }
        var severity: Severity? = nil
        if let s = f.string("severity", into: &diagnostics) {
            severity = Severity(rawValue: s)
            if severity == nil {
                diagnostics.append(f.diag("severity", "severity '\(s)' is not one of \(Severity.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        var weight: Double? = nil
        if let s = f.string("weight", into: &diagnostics) {
            if let w = Double(s), w.isFinite, w >= 0, w <= 1000 { weight = w } else {
                diagnostics.append(f.diag("weight", "weight '\(s)' must be a number from 0 to 1000"))
            }
        }
        let title = f.string("title", into: &diagnostics)
        let remediation = f.string("remediation", into: &diagnostics)
        let expected = f.string("expected", into: &diagnostics)
        let rationale = f.string("rationale", into: &diagnostics) ?? ""
        let references = f.strings("references", into: &diagnostics) ?? []
        let tags = f.strings("tags", into: &diagnostics) ?? []
        let breaksLayer = f.bool("breaks_layer", into: &diagnostics) ?? false
        let when = expression("when", f, scope: scope)
        let check = expression("check", f, scope: scope)

        if let id {
            if let first = ruleSites[id] {
                diagnostics.append(f.diag("id", "duplicate rule id '\(id)': also defined at \(first.file):\(first.line)"))
            } else {
                ruleSites[id] = (file, node.line)
            }
        }
        guard diagnostics.count == before, let id, let layer, let severity, let title, let remediation,
              let check, f.has("when") == (when != nil) else { return }
        rules.append(Rule(id: id, layer: layer, scope: scope, severity: severity, weight: weight, title: title,
                          when: when, check: check, expected: expected, rationale: rationale,
                          remediation: remediation, references: references, tags: tags,
                          breaksLayer: breaksLayer, file: file, line: node.line))
    }

    static func isValidId(_ id: String) -> Bool {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
        }
    }

    /// Parses an expression field and checks its fact paths against the schema.
    private mutating func expression(_ key: String, _ f: FieldReader, scope: RuleScope) -> Expression? {
        guard let source = f.string(key, into: &diagnostics) else { return nil }
        let e: Expression
        do {
            e = try Expression(source)
        } catch {
            diagnostics.append(f.diag(key, "\(key), column \(error.column): \(error.message) in: \(source)", column: error.column))
            return nil
        }
        var ok = true
        var reported = Set<String>()
        for ref in e.references where reported.insert(ref.schemaPath).inserted {
            let isHost = ref.schemaPath == "host" || ref.schemaPath.hasPrefix("host.") || ref.schemaPath.hasPrefix("host[")
            if scope == .host && !isHost {
                diagnostics.append(f.diag(key, "\(key), column \(ref.column): a host rule can only use host facts (host.*), not '\(ref.schemaPath)'", column: ref.column))
                ok = false
            } else if let schema, !PolicyLoader.knows(schema, ref.schemaPath) {
                diagnostics.append(f.diag(key, "\(key), column \(ref.column): unknown fact path '\(ref.schemaPath)'\(suggestion(ref.schemaPath))", column: ref.column))
                ok = false
            }
        }
        return ok ? e : nil
    }

    /// A documented path, or an element of a documented list (`process.cmdline.0` is checked
    /// as `process.cmdline[]`).
    static func knows(_ schema: FactSchema, _ path: String) -> Bool {
        if schema.knows(path) { return true }
        if path.hasSuffix("[]") { return knows(schema, String(path.dropLast(2))) }
        return false
    }

    /// The closest documented path, when one is close enough to be a likely typo.
    private func suggestion(_ path: String) -> String {
        guard let schema else { return "" }
        var best: (String, Int)? = nil
        for candidate in schema.fields.keys {
            let d = PolicyLoader.distance(path, candidate, limit: 3)
            if d <= 3, best == nil || d < best!.1 || (d == best!.1 && candidate < best!.0) { best = (candidate, d) }
        }
        return best.map { " (did you mean '\($0.0)'?)" } ?? ""
    }

    /// Levenshtein distance, giving up (returning limit + 1) once every cell exceeds `limit`.
    static func distance(_ a: String, _ b: String, limit: Int) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if abs(x.count - y.count) > limit { return limit + 1 }
        var prev = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var cur = [i] + Array(repeating: 0, count: y.count)
            var rowMin = i
            for j in stride(from: 1, through: y.count, by: 1) {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                rowMin = min(rowMin, cur[j])
            }
            if rowMin > limit { return limit + 1 }
            prev = cur
        }
        return prev[y.count]
    }

    // MARK: profile files

    mutating func loadProfile(_ source: PolicySource) {
        guard let doc = YAMLDocument.compose(file: source.path, text: source.text, into: &diagnostics) else { return }
        loadProfile(doc)
    }

    mutating func loadProfile(_ doc: YAMLDocument) {
        let file = doc.file
        guard let root = doc.root, let pairs = root.pairs else {
            diagnostics.append(PolicyDiagnostic(file: file, line: doc.root?.line ?? 1,
                                                message: "a profile file must be a mapping with the top key 'profile:'"))
            return
        }
        var body: Node? = nil
        for (key, keyNode, value) in pairs {
            if key == "profile" { body = value } else {
                diagnostics.append(PolicyDiagnostic(file: file, line: keyNode.line,
                                                    message: "unknown top-level key '\(key)' (a profile file has only 'profile:')"))
            }
        }
        guard let body else {
            diagnostics.append(PolicyDiagnostic(file: file, line: root.line, message: "missing top-level key 'profile:'"))
            return
        }
        let before = diagnostics.count
        let f = FieldReader(file: file, node: body, allowed: PolicyLoader.profileKeys, what: "a profile", diagnostics: &diagnostics)
        guard f.isMapping else { return }
        f.requireKeys(["name"], what: "profile", into: &diagnostics)
        guard let name = f.string("name", into: &diagnostics) else { return }
        let description = f.string("description", into: &diagnostics) ?? ""
        let isDefault = f.bool("default", into: &diagnostics) ?? false
        let include = f.has("include") ? selectors("include", f, profile: name) : nil
        let exclude = selectors("exclude", f, profile: name)
        var raise = 0
        if let r = f.string("raise", into: &diagnostics) {
            if let n = Int(r), (0...3).contains(n) { raise = n } else {
                diagnostics.append(f.diag("raise", "profile \(name): 'raise' must be a number of severity levels from 0 to 3, found '\(r)'"))
            }
        }

        var overrides: [(selector: RuleSelector, severity: Severity)] = []
        if let node = f.values["severity"] {
            if let entries = node.pairs {
                for (key, keyNode, value) in entries {
                    guard let sel = selector(key, file: file, line: keyNode.line, profile: name) else { continue }
                    guard let s = value.text.flatMap(Severity.init(rawValue:)) else {
                        diagnostics.append(PolicyDiagnostic(file: file, line: value.line,
                            message: "profile \(name): severity for '\(key)' must be one of \(Severity.allCases.map(\.rawValue).joined(separator: ", "))"))
                        continue
                    }
                    overrides.append((sel, s))
                }
            } else {
                diagnostics.append(f.diag("severity", "profile \(name): 'severity' must be a mapping of rule selector to severity"))
            }
        }

        var names: [Glob] = [], metadata: [String] = [], contexts: [String] = []
        if let node = f.values["match"] {
            let m = FieldReader(file: file, node: node, allowed: PolicyLoader.matchKeys, what: "a profile's 'match'", diagnostics: &diagnostics)
            names = (m.strings("names", into: &diagnostics) ?? []).map(Glob.init)
            metadata = m.strings("metadata", into: &diagnostics) ?? []
            contexts = m.strings("contexts", into: &diagnostics) ?? []
            for c in contexts where !Profile.contexts.contains(c) {
                diagnostics.append(PolicyDiagnostic(file: file, line: node.line,
                    message: "match.contexts: unknown context '\(c)' (one of \(Profile.contexts.joined(separator: ", ")))"))
            }
        }
        guard diagnostics.count == before else { return }
        profiles.append(Profile(name: name, description: description, isDefault: isDefault, include: include,
                                exclude: exclude, raise: raise, severityOverrides: overrides, matchNames: names,
                                matchMetadata: metadata, matchContexts: contexts, file: file, line: body.line))
    }

    private mutating func selectors(_ key: String, _ f: FieldReader, profile: String) -> [RuleSelector] {
        guard let node = f.values[key] else { return [] }
        let items = node.items ?? [node]
        var out: [RuleSelector] = []
        for item in items {
            guard let text = item.text else {
                diagnostics.append(PolicyDiagnostic(file: f.file, line: item.line,
                                                    message: "profile \(profile): '\(key)' entries must be strings, found \(item.kindName)"))
                continue
            }
            if let s = selector(text, file: f.file, line: item.line, profile: profile) { out.append(s) }
        }
        return out
    }

    private mutating func selector(_ text: String, file: String, line: Int, profile: String) -> RuleSelector? {
        if text.hasPrefix("layer:") {
            let name = String(text.dropFirst(6))
            guard let l = Layer(rawValue: name) else {
                diagnostics.append(PolicyDiagnostic(file: file, line: line,
                    message: "profile \(profile): layer '\(name)' is not one of \(Layer.allCases.map(\.rawValue).joined(separator: ", "))"))
                return nil
            }
            return .layer(l)
        }
        if text.hasPrefix("tag:") {
            let t = String(text.dropFirst(4))
            if t.isEmpty {
                diagnostics.append(PolicyDiagnostic(file: file, line: line, message: "profile \(profile): empty tag selector"))
                return nil
            }
            return .tag(t)
        }
        let g = Glob(text)
        if g.isLiteral { namedRuleIds.append((text, file, line, profile)) }
        return .id(g)
    }

    // MARK: cross-file checks

    /// Checks that need every file: profile names and defaults, rule ids named by profiles.
    mutating func finish() {
        var seen: [String: Profile] = [:]
        for p in profiles {
            if let first = seen[p.name] {
                diagnostics.append(PolicyDiagnostic(file: p.file, line: p.line,
                    message: "duplicate profile name '\(p.name)': also defined at \(first.file):\(first.line)"))
            } else {
                seen[p.name] = p
            }
        }
        let defaults = profiles.filter(\.isDefault)
        if defaults.count > 1 {
            for p in defaults.dropFirst() {
                diagnostics.append(PolicyDiagnostic(file: p.file, line: p.line,
                    message: "profile '\(p.name)' is marked default, but so is '\(defaults[0].name)' (\(defaults[0].file):\(defaults[0].line))"))
            }
        }
        if sawRulesFile {
            if !profiles.isEmpty && defaults.isEmpty {
                let p = profiles[0]
                diagnostics.append(PolicyDiagnostic(file: p.file, line: p.line,
                    message: "no profile is marked 'default: true' (one profile must be the fallback)"))
            }
            for n in namedRuleIds where ruleSites[n.id] == nil {
                diagnostics.append(PolicyDiagnostic(file: n.file, line: n.line,
                    message: "profile \(n.profile): no rule has the id '\(n.id)'"))
            }
        }
    }

    // MARK: files on disk

    static func yamlFiles(in directory: String) throws(ProbeError) -> [String] {
        try FileReader.list(directory)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .map { directory + "/" + $0 }
    }

    static func read(_ path: String, into diagnostics: inout [PolicyDiagnostic]) -> PolicySource? {
        do {
            return PolicySource(path: path, text: try FileReader.readString(path))
        } catch {
            diagnostics.append(PolicyDiagnostic(file: path, line: 1, message: "cannot read: \(error)"))
            return nil
        }
    }
}
