import ArgumentParser
import Audit
import Core
import Foundation
import Policy

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check and explain the policies.",
        subcommands: [Lint.self, ExplainRule.self, ListRules.self]
    )

    struct Lint: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lint",
            abstract: "Validate policy, profile and waiver files; print each error as file:line.",
            discussion: "Exit status 0 when every file is valid, 1 when any has errors, 2 on usage errors.")

        @Argument(help: "Files or directories (default: the shipped policies directory).")
        var paths: [String] = []

        func run() throws {
            let targets = paths.isEmpty ? [PolicyLocation.defaultDirectory()] : paths
            for p in targets where !FileManager.default.fileExists(atPath: p) { fail("\(p): no such file or directory") }
            let diagnostics = Policy.Lint.run(paths: targets, schema: Auditor.schema)
            for d in diagnostics { print(d) }
            if diagnostics.isEmpty {
                print("ok: \(targets.joined(separator: ", "))")
            } else {
                FileHandle.standardError.write(Data("\(diagnostics.count) error(s)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct ExplainRule: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "explain", abstract: "Print what a rule checks and why.")

        @Argument(help: "Rule id (e.g. dac.non-root-user).")
        var rule: String

        @Option(help: ArgumentHelp("Policies directory.", valueName: "dir"))
        var policies: String?

        func run() throws {
            let set: PolicySet
            do { set = try PolicySet.load(directory: policies ?? PolicyLocation.defaultDirectory(), schema: Auditor.schema) } catch {
                fail("policies are invalid:\n\(error)")
            }
            guard let r = set.rule(rule) else {
                let close = set.rules.map(\.id).filter { $0.contains(rule) || rule.contains($0) }
                fail("no rule '\(rule)'" + (close.isEmpty ? " (see `virtaudit policy list`)" : "; did you mean \(close.prefix(3).joined(separator: ", "))?"))
            }
            print(Explain.rule(r), terminator: "")
        }
    }

    struct ListRules: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every rule with its layer and severity.")

        @Option(help: ArgumentHelp("Policies directory.", valueName: "dir"))
        var policies: String?

        func run() throws {
            let set: PolicySet
            do { set = try PolicySet.load(directory: policies ?? PolicyLocation.defaultDirectory(), schema: Auditor.schema) } catch {
                fail("policies are invalid:\n\(error)")
            }
            for r in set.rules.sorted(by: { ($0.layer.rawValue, $0.id) < ($1.layer.rawValue, $1.id) }) {
                print("\(r.layer.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0)) \(r.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(r.id): \(r.title)")
            }
            print("\(set.rules.count) rules, profiles: \(set.profiles.map(\.name).joined(separator: ", "))")
        }
    }
}
