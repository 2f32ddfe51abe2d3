import Core
import Foundation

/// The service's OCSF findings file for log shippers (Fluent Bit, Vector, Filebeat...):
/// `<directory>/findings.ocsf.jsonl`, each scan's events appended as whole lines. Before a scan
/// would take the file past `maxBytes` it is rotated the way logrotate names files
/// (`findings.ocsf.jsonl.1` is the newest old file), keeping `keep` old files.
public struct OCSFLog: Sendable {
    public static let fileName = "findings.ocsf.jsonl"
    public let directory: String
    public let maxBytes: Int
    public let keep: Int

    public init(directory: String, maxBytes: Int, keep: Int) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.keep = keep
    }

    public var path: String { directory + "/" + Self.fileName }

    /// Appends the scan's events; returns how many were written.
    @discardableResult
    public func append(_ report: ScanReport, rules: [RuleText], seen: OCSFRenderer.SeenTimes = { _ in nil }) throws -> Int {
        let events = OCSFRenderer.events(report: report, rules: rules, seen: seen)
        let bytes = Data(events.map { JSONWriter.string($0) + "\n" }.joined().utf8)
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let size = ((try? fm.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        if size > 0 && size + bytes.count > maxBytes { try rotate() }
        guard !bytes.isEmpty else { return 0 }
        if !fm.fileExists(atPath: path) {
            guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: bytes)
        return events.count
    }

    /// `findings.ocsf.jsonl` -> `.1` -> `.2` ...; the oldest past `keep` is deleted.
    func rotate() throws {
        let fm = FileManager.default
        if keep == 0 {
            try fm.removeItem(atPath: path)
            return
        }
        try? fm.removeItem(atPath: "\(path).\(keep)")
        for n in stride(from: keep - 1, through: 1, by: -1) where fm.fileExists(atPath: "\(path).\(n)") {
            try fm.moveItem(atPath: "\(path).\(n)", toPath: "\(path).\(n + 1)")
        }
        try fm.moveItem(atPath: path, toPath: path + ".1")
    }
}
