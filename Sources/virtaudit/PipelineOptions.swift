import ArgumentParser
import Core
import Foundation
import Reporting

/// `--fail-on SEVERITY`: exit 1 when any failed or unknown (not waived) finding is at or above it.
enum FailOn: String, ExpressibleByArgument, CaseIterable {
    case critical, high, medium, low

    var severity: Severity {
        switch self {
        case .critical: return .critical
        case .high: return .high
        case .medium: return .medium
        case .low: return .low
        }
    }
}

/// The exit-code gates shared by `scan`, `report` and `check`: `--fail-on` and `--fail-under`.
struct GateOptions: ParsableArguments {
    @Option(name: .customLong("fail-under"), help: ArgumentHelp("Exit 1 when any VM scores below N.", valueName: "N"))
    var failUnder: Int?

    @Option(name: .customLong("fail-on"),
            help: ArgumentHelp("Exit 1 when any failed or unknown finding (not waived) is at or above this severity: critical, high, medium or low.",
                               valueName: "severity"))
    var failOn: FailOn?

    func validate() throws {
        if let n = failUnder, !(0...101).contains(n) {
            throw ValidationError("--fail-under must be between 0 and 101")
        }
    }

    /// Why the run fails its gates (empty: exit 0).
    func failures(_ report: ScanReport) -> [String] {
        var out: [String] = []
        if let n = failUnder {
            for d in report.domains where d.score < n { out.append("VM \(d.name) scores \(d.score), below --fail-under \(n)") }
        }
        if let s = failOn?.severity {
            for (d, f) in SeverityGate.findings(in: report, atOrAbove: s) {
                out.append("\(d.map { "VM \($0.name)" } ?? "host"): \(f.rule) (\(f.severity.rawValue)) is \(f.status.rawValue)")
            }
        }
        return out
    }

    /// Says on stderr why the gates failed (the first five reasons) and exits 1; returns when they pass.
    func enforce(_ report: ScanReport) throws {
        let failed = failures(report)
        guard !failed.isEmpty else { return }
        FileHandle.standardError.write(Data(("virtaudit: " + failed.prefix(5).joined(separator: "; ")
            + (failed.count > 5 ? "; and \(failed.count - 5) more" : "") + "\n").utf8))
        throw ExitCode(1)
    }
}
