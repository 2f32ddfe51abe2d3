import Core
import Foundation
import HTTPServer
import Logging
@testable import Service

/// Captures log records in memory (LoggingSystem is never bootstrapped).
final class LogCapture: @unchecked Sendable {
    struct Record {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var stored: [Record] = []

    var records: [Record] { lock.withLock { stored } }

    /// Everything logged, as one text (messages and metadata values).
    var text: String {
        records.map { r in
            r.message + " " + r.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    var logger: Logger {
        Logger(label: "virtaudit.test") { _ in Handler(capture: self) }
    }

    fileprivate func append(_ record: Record) { lock.withLock { stored.append(record) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(Record(level: event.level, message: event.message.description,
                                  metadata: metadata.merging(event.metadata ?? [:]) { _, new in new }))
        }
    }
}

/// A fixed clock that tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) { current = start }
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
    var function: @Sendable () -> Date { { [self] in now } }
}

enum Sample {
    static let web = "6f1b6a52-1c1e-4a77-9a51-0d0c1a1e0001"
    static let db = "6f1b6a52-1c1e-4a77-9a51-0d0c1a1e0002"
    static let build = "6f1b6a52-1c1e-4a77-9a51-0d0c1a1e0003"

    static func finding(_ rule: String, _ layer: Layer, _ severity: Severity, _ status: FindingStatus,
                        reason: String? = nil) -> Finding {
        Finding(rule: rule, layer: layer, severity: severity, status: status,
                observed: ["process.uid": 0],
                reason: reason, pointsLost: status == .fail ? 10 : 0)
    }

    static func layers(_ pairs: [(Layer, Int, Int)]) -> [String: LayerScore] {
        Dictionary(uniqueKeysWithValues: pairs.map { ($0.0.rawValue, LayerScore(score: $0.1, pass: 1, fail: $0.2)) })
    }

    /// Three domains and a host:
    /// - web01: running, A (92), fails one high MAC rule.
    /// - db02: running, F (40), fails critical DAC and high seccomp rules, MAC unknown.
    /// - Build-03: shut off, C (75), fails a medium qemu-sandbox rule.
    /// - host hv1: B (85), fails one high host rule.
    static func report(scanId: String = "scan-1", stale: Bool = false) -> ScanReport {
        let web = DomainReport(
            name: "web01", uuid: web, state: "running", id: 1, profile: "default",
            facts: ["domain": ["name": "web01", "running": true], "process": ["uid": 107, "seccomp": ["mode": 2]]],
            findings: [
                finding("dac.non-root-user", .dac, .critical, .pass),
                finding("mac.svirt-unique-category", .mac, .high, .fail),
            ],
            score: Score(score: 92, grade: "A", layers: layers([(.dac, 100, 0), (.mac, 60, 1)])))
        let db = DomainReport(
            name: "db02", uuid: db, state: "running", id: 2, profile: "default",
            facts: ["domain": ["name": "db02", "running": true], "process": ["uid": 0]],
            findings: [
                finding("dac.non-root-user", .dac, .critical, .fail),
                finding("seccomp.filter-enabled", .seccomp, .high, .fail),
                finding("mac.svirt-unique-category", .mac, .high, .unknown, reason: "/proc/2/attr/current unreadable"),
            ],
            score: Score(score: 40, grade: "F", layers: layers([(.dac, 0, 1), (.seccomp, 0, 1), (.mac, 50, 0)])))
        let build = DomainReport(
            name: "Build-03", uuid: build, state: "shutoff", id: nil, profile: "strict",
            facts: ["domain": ["name": "Build-03", "running": false]],
            findings: [
                finding("qemu-sandbox.enabled", .qemuSandbox, .medium, .fail),
                finding("device-isolation.iommu-group-viable", .deviceIsolation, .high, .notApplicable),
            ],
            score: Score(score: 75, grade: "C", layers: layers([(.qemuSandbox, 50, 1)])))
        let host = HostReport(
            hostname: "hv1", facts: ["host": ["selinux": ["enforcing": false]]],
            findings: [
                finding("host.selinux-enforcing", .host, .high, .fail),
                finding("host.kvm-device-mode", .host, .medium, .pass),
            ],
            score: Score(score: 85, grade: "B", layers: layers([(.host, 85, 1)])))
        return ScanReport(scanId: scanId, startedAt: "2026-11-23T02:00:00.000Z", finishedAt: "2026-11-23T02:00:01.500Z",
                          durationMs: 1500, connection: "qemu:///system", root: "/", stale: stale,
                          host: host, domains: [web, db, build])
    }
}

/// Records scan requests; the test decides what they return.
final class RecordingTrigger: ScanTrigger, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    let store: ResultStore
    init(store: ResultStore) { self.store = store }
    var requests: Int { lock.withLock { count } }
    func requestScan() -> ScanRecord {
        lock.withLock { count += 1 }
        let record = ScanRecord(id: "scan-\(requests)", state: .queued, trigger: .request,
                                requestedAt: "2026-11-23T02:00:00.000Z")
        store.upsert(record)
        return record
    }
}

extension HTTPRequest {
    /// What the dashboard adds to its POSTs: without tokens a state-changing request must not
    /// be a "simple" one a foreign page could send.
    static let dashboardPost: [(String, String)] = [("X-Requested-With", "virtaudit")]

    /// A request as the server would hand it over: path and query split and decoded.
    static func get(_ target: String, headers: [(String, String)] = [], remote: String = "127.0.0.1",
                    method: String = "GET", body: [UInt8] = []) -> HTTPRequest {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let value = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
                query[key] = value
            }
        }
        let path = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        return HTTPRequest(method: method, target: target, path: path, query: query,
                           headers: HTTPHeaders(headers), body: body, remoteAddress: remote)
    }
}

extension HTTPResponse {
    var json: JSONValue? { try? JSONValue(parsing: Data(body)) }
    var text: String { String(decoding: body, as: UTF8.self) }
}
