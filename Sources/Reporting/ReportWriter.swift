import Core
import Foundation
import History

/// Writes audit reports to a directory: `virtaudit-<UTC time>.json`, `.html` (self-contained, no
/// external resources) and `.md`, each written to a temporary name and renamed, so a reader never
/// sees a partial file. Keeps the newest `keep` reports.
public struct ReportWriter: Sendable {
    public enum Format: String, Sendable, CaseIterable, Codable {
        case json, html, markdown, sarif, junit, ocsf
        var fileExtension: String {
            switch self {
            case .markdown: return "md"
            case .junit: return "junit.xml"
            case .ocsf: return "ocsf.jsonl"
            default: return rawValue
            }
        }
    }

    public let directory: String
    public let formats: [Format]
    public let keep: Int
    /// Rule texts for the SARIF and JUnit files (help, references).
    public let rules: [RuleText]
    /// Which findings the JSON report lists (results format 2).
    public let listing: FindingsListing

    /// The default formats: json, html and markdown (sarif and junit on request).
    public static let defaultFormats: [Format] = [.json, .html, .markdown]

    public init(directory: String, formats: [Format] = ReportWriter.defaultFormats, keep: Int = 30, rules: [RuleText] = [],
                listing: FindingsListing = .problems) {
        self.listing = listing
        self.directory = directory
        self.formats = formats
        self.keep = max(1, keep)
        self.rules = rules
    }

    public struct Written: Sendable, Hashable {
        public var base: String
        public var files: [String]
    }

    /// Writes one report; `previous` (the last report written, if any) gives "what changed".
    @discardableResult
    public func write(_ report: ScanReport, previous: ScanReport? = nil, now: Date = Date()) throws -> Written {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o750])
        let diff = previous.map {
            ScanDiff.between(from: $0.scanId, at: $0.finishedAt, TargetSnapshot.of($0),
                             to: report.scanId, at: report.finishedAt, TargetSnapshot.of(report))
        }
        let base = "virtaudit-" + Self.fileStamp(now)
        var files: [String] = []
        for format in formats {
            let bytes: Data
            switch format {
            case .json: bytes = Data(ReportRenderer.json(report, diff: diff, listing: listing).utf8)
            case .html: bytes = Data(ReportRenderer.html(report, diff: diff).utf8)
            case .markdown: bytes = Data(ReportRenderer.markdown(report, diff: diff).utf8)
            case .sarif: bytes = Data(SARIFRenderer.render(report: report, rules: rules).utf8)
            case .junit: bytes = Data(JUnitRenderer.render(report: report, rules: rules).utf8)
            case .ocsf: bytes = Data(OCSFRenderer.render(report: report, rules: rules).utf8)
            }
            let path = "\(directory)/\(base).\(format.fileExtension)"
            try Self.atomicWrite(bytes, to: path)
            files.append(path)
        }
        try prune()
        return Written(base: base, files: files)
    }

    /// The newest JSON report in the directory, for "what changed since the previous report".
    public func latestReport() -> ScanReport? {
        guard let name = reportBases().last,
              let data = FileManager.default.contents(atPath: "\(directory)/\(name).json"),
              let value = try? JSONValue(parsing: data), let doc = value["report"] else { return nil }
        return try? ResultsJSON.decodeReport(doc)
    }

    func reportBases() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Set(names.filter { $0.hasPrefix("virtaudit-") && !$0.hasPrefix(".") }
            .map { String($0[..<($0.firstIndex(of: ".") ?? $0.endIndex)]) }).sorted()
    }

    func prune() throws {
        let bases = reportBases()
        guard bases.count > keep else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for old in bases.prefix(bases.count - keep) {
            for n in names where n.hasPrefix(old + ".") { try? FileManager.default.removeItem(atPath: "\(directory)/\(n)") }
        }
    }

    static func fileStamp(_ date: Date) -> String {
        // 2026-11-23T02:51:00.123Z -> 20261123T025100123Z: sortable, no colons.
        Timestamp.format(date).filter { $0 != "-" && $0 != ":" && $0 != "." }
    }

    /// Writes to `.<name>.tmp-<pid>` in the same directory, fsyncs, then renames over `path`.
    public static func atomicWrite(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw ReportError.write(path: tmp, reason: String(cString: strerror(errno))) }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(tmp)
            throw ReportError.write(path: path, reason: reason)
        }
    }
}

public enum ReportError: Error, CustomStringConvertible, Sendable {
    case write(path: String, reason: String)
    public var description: String {
        switch self {
        case .write(let p, let r): return "cannot write report \(p): \(r)"
        }
    }
}
