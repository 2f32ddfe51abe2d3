import ArgumentParser
import Audit
import Core
import Foundation
import Reporting

/// `virtaudit check FILE...`: audits saved artifacts (domain XML, node device XML, qemu command
/// lines, process samples, IOMMU listings) with the policies of a live scan, without a host.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Audit saved artifacts offline: domain XML, nodedev XML, qemu command lines, ps/status samples, IOMMU listings.",
        discussion: """
            Each FILE (or - for standard input) is recognised by its content: `virsh dumpxml` (live or \
            --inactive, one or several domains), libvirt status XML (<domstatus>), `virsh nodedev-dumpxml`, \
            /proc/<pid>/cmdline, libvirt .args files and qemu logs, `ps` lines, `ps -eZ`/`ps auxZ`, \
            `virsh dominfo`, (partial) /proc/<pid>/status, and IOMMU listings. Files about the same VM \
            (by uuid, name or pid) are judged together; hostdevs are checked against the listings given \
            in the same call. Rules that need a running qemu process or the host are shown as \
            not-applicable-offline, never as pass. See Docs/check.md.

            Exit status: 0 no failed or unknown finding at or above --fail-on (default low when no gate \
            is given) and no VM below --fail-under; 1 a gate fails; 2 a file is not usable (unrecognised, \
            malformed, empty: the file and line are named) or a usage error.
            """)

    @Argument(help: ArgumentHelp("Files to audit; - reads standard input.", valueName: "file"))
    var files: [String]

    @Option(name: .shortAndLong, help: "Output format: table, json, sarif, junit or ocsf.")
    var format: OutputFormat = .table

    @Flag(help: "Pretty-print JSON output.")
    var pretty = false

    @OptionGroup var gates: GateOptions

    @Option(help: ArgumentHelp("Policies directory (rules/ and profiles/).", valueName: "dir"))
    var policies: String?

    @Option(help: ArgumentHelp("Waivers file (accepted risks with owner and expiry).", valueName: "file"))
    var waivers: String?

    func validate() throws {
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("- (standard input) can be given once") }
    }

    func run() throws {
        var artifacts: [CheckArtifact] = []
        for f in files {
            if f == "-" {
                artifacts.append(CheckArtifact(name: "-", bytes: Array(FileHandle.standardInput.readDataToEndOfFile())))
                continue
            }
            guard let data = FileManager.default.contents(atPath: f) else {
                fail("\(f): cannot read (no such file, a directory, or permission denied)")
            }
            artifacts.append(CheckArtifact(name: f, bytes: Array(data)))
        }
        let auditor: Auditor
        do {
            auditor = try Auditor(settings: ScanSettings(uri: "offline", policiesDirectory: policies ?? PolicyLocation.defaultDirectory(),
                                                         waiversPath: waivers))
        } catch {
            fail("\(error)")
        }
        let check: CheckReport
        switch OfflineCheck.run(artifacts, auditor: auditor) {
        case .success(let r): check = r
        case .failure(let e): fail(e.description)
        }
        let report = check.scanReport()
        // Findings point at the file and line of their evidence.
        let locate: FindingLocator = { d, f in
            guard let d, let l = check.location(vm: d.uuid, rule: f.rule) else { return nil }
            return SourceLocation(uri: l.file, line: l.line)
        }
        switch format {
        case .json: print(String(decoding: check.json(pretty: pretty), as: UTF8.self))
        case .table: print(CheckRenderer.table(check), terminator: "")
        case .sarif: print(SARIFRenderer.render(report: report, rules: RuleText.all(auditor.policies), locate: locate), terminator: "")
        case .junit: print(JUnitRenderer.render(report: report, rules: RuleText.all(auditor.policies)), terminator: "")
        case .ocsf: print(OCSFRenderer.render(report: report, rules: RuleText.all(auditor.policies)), terminator: "")
        }
        for w in check.warnings { FileHandle.standardError.write(Data("virtaudit: warning: \(w)\n".utf8)) }
        var gate = gates
        if gate.failOn == nil && gate.failUnder == nil { gate.failOn = .low }
        try gate.enforce(report)
    }
}
