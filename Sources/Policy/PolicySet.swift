import Core

/// The loaded policy: rules (parsed once) and profiles.
public struct PolicySet: Sendable {
    public let rules: [Rule]
    public let profiles: [Profile]
    private let index: [String: Int]

    public init(rules: [Rule], profiles: [Profile]) {
        self.rules = rules
        self.profiles = profiles
        var index: [String: Int] = [:]
        for (n, r) in rules.enumerated() where index[r.id] == nil { index[r.id] = n }
        self.index = index
    }

    public func rule(_ id: String) -> Rule? { index[id].map { rules[$0] } }

    public func profile(named name: String) -> Profile? { profiles.first { $0.name == name } }

    /// The fallback profile: the one marked `default: true`, or every rule when there are no profiles.
    public var defaultProfile: Profile { profiles.first(where: \.isDefault) ?? profiles.first ?? .all }

    /// Loads `<directory>/rules/*.yaml` and `<directory>/profiles/*.yaml`, in sorted order. Every
    /// problem of every file is reported together.
    public static func load(directory: String, schema: FactSchema) throws(PolicyError) -> PolicySet {
        var diagnostics: [PolicyDiagnostic] = []
        var sources: [(PolicySource, PolicyLoader.FileKind)] = []
        guard FileReader.isDirectory(directory) else {
            throw PolicyError([PolicyDiagnostic(file: directory, line: 1, message: "not a directory")])
        }
        for (sub, kind) in [("rules", PolicyLoader.FileKind.rules), ("profiles", .profile)] {
            let dir = directory + "/" + sub
            if !FileReader.isDirectory(dir) {
                if kind == .rules {
                    diagnostics.append(PolicyDiagnostic(file: dir, line: 1, message: "missing rules directory"))
                }
                continue
            }
            do {
                for path in try PolicyLoader.yamlFiles(in: dir) {
                    if let s = PolicyLoader.read(path, into: &diagnostics) { sources.append((s, kind)) }
                }
            } catch {
                diagnostics.append(PolicyDiagnostic(file: dir, line: 1, message: "cannot list: \(error)"))
            }
        }
        var loader = PolicyLoader(schema: schema)
        loader.diagnostics = diagnostics
        loader.sawRulesFile = true
        for (source, kind) in sources {
            if kind == .rules { loader.loadRules(source) } else { loader.loadProfile(source) }
        }
        return try finish(loader)
    }

    /// Loads rule and profile texts given in memory (files are told apart by their top key).
    public static func load(sources: [PolicySource], schema: FactSchema?) throws(PolicyError) -> PolicySet {
        var loader = PolicyLoader(schema: schema)
        loader.sawRulesFile = true
        for source in sources {
            guard let doc = YAMLDocument.compose(file: source.path, text: source.text, into: &loader.diagnostics) else { continue }
            switch PolicyLoader.kind(of: doc.root) {
            case .profile: loader.loadProfile(doc)
            default: loader.loadRules(doc)
            }
        }
        return try finish(loader)
    }

    private static func finish(_ l: PolicyLoader) throws(PolicyError) -> PolicySet {
        var loader = l
        loader.finish()
        if !loader.diagnostics.isEmpty { throw PolicyError(loader.diagnostics) }
        return PolicySet(rules: loader.rules, profiles: loader.profiles)
    }
}
