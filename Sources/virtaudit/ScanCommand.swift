import ArgumentParser
import Audit
import Core
import Foundation
import Reporting
import Service

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, sarif, junit, ocsf
}

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan every domain once and print the scored results.",
        discussion: """
            Lists every domain libvirt knows (running or not), finds the qemu process of each \
            running one, reads how it is confined, evaluates the policies and prints a table \
            (default), one JSON document (--format json), SARIF 2.1.0 (--format sarif) or JUnit \
            XML (--format junit) or OCSF Compliance Finding events as JSON lines (--format ocsf).

            Exit status: 0; 1 when a gate fails (--fail-under: a VM scores below N; --fail-on: a \
            failed or unknown finding at or above that severity); 2 usage or connection error.
            """
    )

    @OptionGroup var audit: AuditOptions

    @Option(name: .shortAndLong, help: "Output format: table, json, sarif, junit or ocsf.")
    var format: OutputFormat = .table

    @Flag(help: "Pretty-print JSON output.")
    var pretty = false

    @Flag(name: .shortAndLong, help: "JSON: list every finding, passes and not-applicable ones included (default: failing, unknown and waived findings; the others are counted per layer).")
    var verbose = false

    @OptionGroup var gates: GateOptions

    @Option(help: ArgumentHelp("Show every rule's verdict for one VM (name or uuid), with observed vs expected.",
                               valueName: "vm"))
    var explain: String?

    func run() throws {
        let auditor: Auditor
        do {
            auditor = try Auditor(settings: audit.settings())
        } catch {
            fail("\(error)")
        }
        let report: ScanReport
        do {
            report = try auditor.scan()
        } catch {
            fail("\(error)")
        }
        if let vm = explain {
            guard let text = auditor.explain(vm, in: report) else {
                fail("--explain \(vm): no such domain (known: \(report.domains.map(\.name).joined(separator: ", ")))")
            }
            print(text, terminator: "")
        } else {
            switch format {
            case .json: print(String(decoding: ResultsJSON.report(report, listing: verbose ? .all : .problems, pretty: pretty), as: UTF8.self))
            case .table: print(TableRenderer.render(report), terminator: "")
            case .sarif: print(SARIFRenderer.render(report: report, rules: RuleText.all(auditor.policies)), terminator: "")
            case .junit: print(JUnitRenderer.render(report: report, rules: RuleText.all(auditor.policies)), terminator: "")
            case .ocsf: print(OCSFRenderer.render(report: report, rules: RuleText.all(auditor.policies)), terminator: "")
            }
        }
        try gates.enforce(report)
    }
}
