import ArgumentParser
import Audit
import Core
import Foundation
import Reporting
import Service

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Scan now and write an audit report (JSON, HTML, Markdown) to a directory.",
        discussion: """
            Files are named by time (virtaudit-20261123T025100000Z.json/.html/.md), written under a \
            temporary name and renamed, and say what changed since the newest report already in \
            the directory. The oldest are removed beyond --keep. --format sarif writes SARIF 2.1.0 \
            (.sarif), --format junit JUnit XML (.junit.xml), for CI pipelines; --format ocsf OCSF Compliance Finding events as JSON lines (.ocsf.jsonl).

            Exit status: 0; 1 when a gate fails (--fail-under, --fail-on); 2 usage, connection or \
            write error.
            """
    )

    @OptionGroup var audit: AuditOptions

    @Option(name: [.short, .long], help: ArgumentHelp("Report directory.", valueName: "dir"))
    var output: String = "reports"

    @Option(help: "Formats to write (json, html, markdown, sarif, junit, ocsf); repeatable.")
    var format: [String] = ["json", "html", "markdown"]

    @Option(help: "Reports to keep in the directory.")
    var keep: Int = 30

    @Flag(name: .shortAndLong, help: "JSON report: list every finding, passes and not-applicable ones included (default: failing, unknown and waived).")
    var verbose = false

    @OptionGroup var gates: GateOptions

    func validate() throws {
        for f in format where ReportWriter.Format(rawValue: f) == nil {
            throw ValidationError("--format \(f): use json, html, markdown, sarif, junit or ocsf")
        }
        if keep < 1 { throw ValidationError("--keep must be at least 1") }
    }

    func run() throws {
        let report: ScanReport
        let auditor: Auditor
        do {
            auditor = try Auditor(settings: audit.settings())
            report = try auditor.scan()
        } catch { fail("\(error)") }
        let writer = ReportWriter(directory: output, formats: format.compactMap(ReportWriter.Format.init(rawValue:)), keep: keep,
                                  rules: RuleText.all(auditor.policies), listing: verbose ? .all : .problems)
        do {
            let written = try writer.write(report, previous: writer.latestReport())
            for f in written.files { print(f) }
        } catch {
            fail("\(error)")
        }
        try gates.enforce(report)
    }
}
