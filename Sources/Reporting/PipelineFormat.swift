import Core

/// Where a finding points in an input file (`virtaudit check`): the file as a URI or relative
/// path and, when known, the 1-based line of the offending element.
public struct SourceLocation: Sendable, Hashable {
    public var uri: String
    public var line: Int?
    public init(uri: String, line: Int? = nil) {
        self.uri = uri
        self.line = line
    }
}

/// Maps a finding (with its VM, nil for host findings) to a place in a file, or nil for a live
/// scan (then the location is the logical `host/vm`).
public typealias FindingLocator = (DomainReport?, Finding) -> SourceLocation?

/// Exit-code gates shared by `scan`, `report` and `check`.
public enum SeverityGate {
    /// Failed or unknown findings (not waived, not passing) at or above `severity`, host first.
    public static func findings(in report: ScanReport, atOrAbove severity: Severity) -> [(DomainReport?, Finding)] {
        var out: [(DomainReport?, Finding)] = []
        for f in report.host.findings where gates(f, severity) { out.append((nil, f)) }
        for d in report.domains {
            for f in d.findings where gates(f, severity) { out.append((d, f)) }
        }
        return out
    }

    static func gates(_ f: Finding, _ severity: Severity) -> Bool {
        (f.status == .fail || f.status == .unknown) && f.severity >= severity
    }

    /// The finding's stable id: the one assembled into the report, else derived from the report.
    public static func id(_ f: Finding, domain: DomainReport?, report: ScanReport) -> String {
        if let id = f.id { return id }
        return FindingID.make(host: report.hostId ?? "hostname:" + report.host.hostname,
                              target: domain?.uuid ?? "host", rule: f.rule, subject: FindingID.subject(of: f))
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        out.reserveCapacity(count)
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
