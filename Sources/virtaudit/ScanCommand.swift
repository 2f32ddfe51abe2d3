import ArgumentParser
import Audit
import Core
import Foundation

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan every domain once and print the scored results.",
        discussion: """
            Lists every domain libvirt knows (running or not), finds the qemu process of each \
            running one, reads how it is confined, evaluates the policies and prints a table \
            (default) or one JSON document (--format json).
            """
    )

    @OptionGroup var audit: AuditOptions

    @Option(name: .shortAndLong, help: "Output format: table or json.")
    var format: OutputFormat = .table

    @Flag(help: "Pretty-print JSON output.")
    var pretty = false

    @Option(name: .customLong("fail-under"), help: ArgumentHelp("Exit 1 when any VM scores below N.", valueName: "N"))
    var failUnder: Int?

    @Option(help: ArgumentHelp("Show every rule's verdict for one VM (name or uuid), with observed vs expected.",
                               valueName: "vm"))
    var explain: String?

    func validate() throws {
        if let n = failUnder, !(0...101).contains(n) {
            throw ValidationError("--fail-under must be between 0 and 101")
        }
    }

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
            case .json: print(JSONWriter.string((try? JSONValue(encoding: report)) ?? .null, pretty: pretty))
            case .table: print(TableRenderer.render(report), terminator: "")
            }
        }
        if let n = failUnder, report.domains.contains(where: { $0.score < n }) {
            throw ExitCode(1)
        }
    }
}
