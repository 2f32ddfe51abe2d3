import ArgumentParser
import Audit
import Core
import Foundation

extension Severity: ExpressibleByArgument {}

/// `virtaudit check FILE...`: audits saved artifacts (domain XML, node device XML, qemu command
/// lines, process samples, IOMMU listings) with the policies of a live scan, without a host.
struct CheckCommand: ParsableCommand {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

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
            not-applicable-offline, never as pass. Exit 0: no failing finding at or above --fail-on \
            (default low); 1: failing findings (or a score below --fail-under); 2: a file that is not \
            usable (unrecognised, malformed, empty).
            """)

    @Argument(help: ArgumentHelp("Files to audit; - reads standard input.", valueName: "file"))
    var files: [String]

    @Option(name: .shortAndLong, help: "Output format: table or json.")
    var format: Format = .table

    @Flag(help: "Pretty-print JSON output.")
    var pretty = false

    @Option(name: .customLong("fail-on"), help: ArgumentHelp("Exit 1 when a rule of this severity or above fails (critical, high, medium, low).", valueName: "severity"))
    var failOn: Severity?

    @Option(name: .customLong("fail-under"), help: ArgumentHelp("Exit 1 when any VM scores below N.", valueName: "N"))
    var failUnder: Int?

    @Option(help: ArgumentHelp("Policies directory (rules/ and profiles/).", valueName: "dir"))
    var policies: String?

    @Option(help: ArgumentHelp("Waivers file (accepted risks with owner and expiry).", valueName: "file"))
    var waivers: String?

    func validate() throws {
        if let n = failUnder, !(0...101).contains(n) { throw ValidationError("--fail-under must be between 0 and 101") }
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
        let report: CheckReport
        switch OfflineCheck.run(artifacts, auditor: auditor) {
        case .success(let r): report = r
        case .failure(let e): fail(e.description)
        }
        switch format {
        case .json: print(JSONWriter.string((try? JSONValue(encoding: report)) ?? .null, pretty: pretty))
        case .table:
            print(CheckRenderer.table(report), terminator: "")
        }
        for w in report.warnings { FileHandle.standardError.write(Data("virtaudit: warning: \(w)\n".utf8)) }
        if report.failing(failOn: failOn, failUnder: failUnder) { throw ExitCode(1) }
    }
}
