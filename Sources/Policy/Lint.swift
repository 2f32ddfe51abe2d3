import Core

/// `virtaudit policy lint [FILES]`: checks rule, profile and waiver files (or directories of
/// them) and returns every problem. Files are told apart by their top key (`rules:`,
/// `profile:`, `waivers:`). A directory with `rules/` or `profiles/` is read like a policy
/// directory; any other directory contributes its `*.yaml` files.
public enum Lint {
    public static func run(paths: [String], schema: FactSchema) -> [PolicyDiagnostic] {
        var diagnostics: [PolicyDiagnostic] = []
        var files: [String] = []
        for path in paths {
            if FileReader.isDirectory(path) {
                let subs = ["rules", "profiles"].map { path + "/" + $0 }.filter(FileReader.isDirectory)
                for dir in subs.isEmpty ? [path] : subs {
                    do { files += try PolicyLoader.yamlFiles(in: dir) } catch {
                        diagnostics.append(PolicyDiagnostic(file: dir, line: 1, message: "cannot list: \(error)"))
                    }
                }
            } else if FileReader.exists(path) {
                files.append(path)
            } else {
                diagnostics.append(PolicyDiagnostic(file: path, line: 1, message: "no such file or directory"))
            }
        }
        var sources: [PolicySource] = []
        for f in files {
            if let s = PolicyLoader.read(f, into: &diagnostics) { sources.append(s) }
        }
        return diagnostics + check(sources, schema: schema)
    }

    /// Lints in-memory texts (what `run` does after reading the files).
    public static func check(_ sources: [PolicySource], schema: FactSchema) -> [PolicyDiagnostic] {
        var loader = PolicyLoader(schema: schema)
        var waivers: [Waiver] = []
        for source in sources {
            guard let doc = YAMLDocument.compose(file: source.path, text: source.text, into: &loader.diagnostics) else {
                continue
            }
            switch PolicyLoader.kind(of: doc.root) {
            case .rules: loader.sawRulesFile = true; loader.loadRules(doc)
            case .profile: loader.loadProfile(doc)
            case .waivers: waivers += Waivers.parse(doc, into: &loader.diagnostics)
            case .unknown:
                loader.diagnostics.append(PolicyDiagnostic(file: source.path, line: doc.root?.line ?? 1,
                    message: "not a policy file: expected a top key 'rules:', 'profile:' or 'waivers:'"))
            }
        }
        loader.finish()
        if loader.sawRulesFile {
            let ids = Set(loader.rules.map(\.id))
            for w in waivers where !ids.contains(where: { w.rule.matches($0) }) {
                loader.diagnostics.append(PolicyDiagnostic(file: w.file, line: w.line, rule: w.rule.pattern,
                                                           message: "waiver matches no rule"))
            }
        }
        return loader.diagnostics
    }
}
