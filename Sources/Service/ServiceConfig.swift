import Audit
import Core
import Foundation
import HTTPServer
import Logging
import Reporting
import Yams

/// The service's settings. Every option has a built-in default, so no configuration file is needed;
/// a file (YAML, see Docs/configuration.md) overrides the options it names.
public struct ServiceConfig: Sendable, Equatable {
    /// Address to bind: an IPv4 or IPv6 literal. Anything other than loopback needs tokens.
    public var listen: String = "127.0.0.1"
    public var port: Int = 8470
    /// libvirt connection URI.
    public var connect: String = "qemu:///system"
    /// The root under which /proc, /sys and /etc are read.
    public var root: String = "/"
    public var policiesDir: String = "/usr/share/virtaudit/policies"
    public var waiversFile: String? = nil
    /// Seconds between periodic scans; 0 disables them (after the start-up scan, scans run only on request).
    public var scanIntervalSeconds: Int = 300
    public var tokenFile: String? = nil
    public var webDir: String = "/usr/share/virtaudit/web"
    public var dataDir: String = "/var/lib/virtaudit"
    public var logLevel: LogLevel = .info
    public var limits: Limits = Limits()
    /// Scan history kept in `<data_dir>/history.sqlite3`.
    public var history: History = History()
    /// Periodic audit reports.
    public var reports: Reports = Reports()
    /// When to alert and where to.
    public var alerts: Alerts = Alerts()
    /// Subscribe to libvirt domain events and rescan the affected domain at once.
    public var events: Bool = true
    /// OCSF findings file for log shippers.
    public var ocsf: OCSFOutput = OCSFOutput()
    /// Admission control through libvirt's qemu hook (`virtaudit admit`, Docs/admission.md).
    public var admission: AdmissionOptions = AdmissionOptions()
    /// Host names (besides the loopback ones) clients may use in `Host` in open mode (no tokens).
    public var allowedHosts: [String] = []

    public struct History: Sendable, Equatable {
        public var maxAgeDays: Int = 90
        public var maxScans: Int = 5000
        /// Complete report documents kept for the newest scans.
        public var fullReports: Int = 20
        public init() {}
    }

    public struct Reports: Sendable, Equatable {
        /// Directory for report files; nil means `<data_dir>/reports`.
        public var directory: String? = nil
        /// Seconds between reports; 0 writes none (`virtaudit report` still works).
        public var intervalSeconds: Int = 86_400
        public var formats: [ReportWriter.Format] = [.json, .html, .markdown]
        /// Reports kept (older ones are deleted).
        public var keep: Int = 30
        public init() {}
    }

    public struct Alerts: Sendable, Equatable {
        public var newFindingSeverities: [Severity] = [.critical, .high]
        /// A VM whose grade falls below this letter; nil turns the alert off.
        public var gradeBelow: String? = "C"
        public var hostScoreDrop: Int? = 10
        public var libvirtUnreachableSeconds: Int? = 300
        public var webhookURL: String? = nil
        /// File holding the HMAC-SHA256 secret for the webhook signature.
        public var webhookSecretFile: String? = nil
        public var webhookTimeoutSeconds: Int = 10
        /// Command run with the alert JSON on standard input.
        public var command: [String]? = nil
        public var commandTimeoutSeconds: Int = 30
        public var retryBaseSeconds: Int = 5
        public var retryMaxSeconds: Int = 600
        /// Undelivered alerts are retried this long, then marked expired.
        public var expireHours: Int = 24
        /// Alertmanager sink (see ServiceConfig+Integrations.swift); nil: none.
        public var alertmanager: Alertmanager? = nil
        public init() {}
    }

    public struct AdmissionOptions: Sendable, Equatable {
        /// enforce (deny), warn (admit, record, alert) or dryrun (admit, record); `--mode` wins.
        public var mode: AdmissionMode = .warn
        /// Severities whose failing rules deny.
        public var denySeverities: [Severity] = [.critical]
        /// What a bad policy file, a crash or a timeout does: fail-open admits, fail-closed denies.
        public var failurePolicy: AdmissionFailurePolicy = .failOpen
        /// The hook's hard time budget in milliseconds; past it the failure policy applies.
        public var timeoutMs: Int = 800
        public init() {}
    }

    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical

        /// The swift-log level of the same name.
        public var loggerLevel: Logger.Level {
            switch self {
            case .trace: return .trace
            case .debug: return .debug
            case .info: return .info
            case .notice: return .notice
            case .warning: return .warning
            case .error: return .error
            case .critical: return .critical
            }
        }
    }

    public struct Limits: Sendable, Equatable {
        /// Connections served at once; further clients wait in the listen backlog.
        public var maxConnections: Int = 2048
        /// Time allowed to receive a complete request (headers and body).
        public var readTimeoutSeconds: Int = 10
        /// Time allowed to send a response.
        public var writeTimeoutSeconds: Int = 30
        /// Time a keep-alive connection may stay idle between requests.
        public var idleTimeoutSeconds: Int = 60
        /// Largest request body accepted (POST); larger bodies get 413.
        public var maxBodyBytes: Int = 65_536
        /// Largest request head (request line and header fields) accepted; larger gets 431.
        public var maxHeaderBytes: Int = 16_384
        /// Connections of one peer address at once (0: no limit); past it, 503 (but `/healthz`
        /// is still answered).
        public var maxConnectionsPerPeer: Int = 256
        /// Floor rate of the total send deadline: a response must be sent within
        /// `max(write_timeout_seconds, bytes / this)` seconds (0: inactivity limit only).
        public var writeMinBytesPerSecond: Int = 512 * 1024
        public init() {}
    }

    public init() {}

    /// The built-in defaults.
    public static let `default` = ServiceConfig()

    /// Reads a configuration file. Unknown keys and invalid values are errors naming the key and
    /// line. Does not check the combination of options: call `validate()` before serving.
    public static func load(path: String) throws -> ServiceConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServiceConfigError.unreadable(file: path, reason: Self.describe(error))
        }
        return try parse(text, file: path)
    }

    /// Parses configuration text; `file` names it in error messages.
    public static func parse(_ text: String, file: String = "<config>") throws -> ServiceConfig {
        let root: Node?
        do {
            root = try YAMLTree.compose(text)
        } catch {
            throw ServiceConfigError.syntax(file: file, message: "\(error)")
        }
        var config = ServiceConfig()
        guard let root else { return config }
        if case .scalar = root, YAMLTree.tagName(root) == .null { return config }
        guard case .mapping(let mapping) = root else {
            throw ServiceConfigError.notAMapping(file: file, key: nil, line: YAMLTree.line(root))
        }
        var reader = OptionReader(file: file)
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? "\(keyNode.any)"
            let line = YAMLTree.line(keyNode)
            switch key {
            case "log_level":
                let name = try reader.string(key, value)
                guard let level = LogLevel(rawValue: name) else {
                    throw ServiceConfigError.invalidValue(file: file, key: key, line: YAMLTree.line(value),
                        message: "must be one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
                }
                config.logLevel = level
            case "limits", "history", "admission":
                // Sections whose options are all in the table.
                try section(key, value, reader: reader) { sub, node in
                    try Self.applyTable("\(key).\(sub)", node, reader: reader, to: &config)
                }
            case "reports":
                try section(key, value, reader: reader) { sub, node in
                    let k = "reports.\(sub)"
                    switch sub {
                    case "formats":
                        config.reports.formats = try reader.stringList(k, node).map { f in
                            guard let format = ReportWriter.Format(rawValue: f) else {
                                throw ServiceConfigError.invalidValue(file: file, key: k, line: YAMLTree.line(node),
                                    message: "formats are json, html, markdown, sarif, junit and ocsf, got '\(f)'")
                            }
                            return format
                        }
                    default: return try Self.applyTable(k, node, reader: reader, to: &config)
                    }
                    return true
                }
            case "alerts":
                try section(key, value, reader: reader) { sub, node in
                    let k = "alerts.\(sub)"
                    switch sub {
                    case "grade_below":
                        let g = try reader.optionalString(k, node)
                        if let g, !["A", "B", "C", "D", "E", "F"].contains(g) {
                            throw ServiceConfigError.invalidValue(file: file, key: k, line: YAMLTree.line(node),
                                message: "must be a grade letter A-F, got '\(g)'")
                        }
                        config.alerts.gradeBelow = g
                    case "webhook_url":
                        let u = try reader.optionalString(k, node)
                        if let u, !(u.hasPrefix("http://") || u.hasPrefix("https://")) || URL(string: u ?? "") == nil {
                            throw ServiceConfigError.invalidValue(file: file, key: k, line: YAMLTree.line(node),
                                message: "must be an http:// or https:// URL, got '\(u ?? "")'")
                        }
                        config.alerts.webhookURL = u
                    case "command":
                        let list = try reader.stringList(k, node)
                        guard let first = list.first, first.hasPrefix("/") else {
                            throw ServiceConfigError.invalidValue(file: file, key: k, line: YAMLTree.line(node),
                                message: "must be a list whose first element is an absolute program path")
                        }
                        config.alerts.command = list
                    case "alertmanager": config.alerts.alertmanager = try parseAlertmanager(node, key: k, reader: reader)
                    default: return try Self.applyTable(k, node, reader: reader, to: &config)
                    }
                    return true
                }
            case "ocsf": config.ocsf = try parseOCSF(value, key: key, reader: reader)
            case "allowed_hosts":
                let names = try reader.stringList(key, value)
                for name in names where name.isEmpty || name.contains("/") || name.contains(" ") || name.contains("*") {
                    throw ServiceConfigError.invalidValue(file: file, key: key, line: YAMLTree.line(value),
                        message: "must be host names or IP literals without port or wildcard, got '\(name)'")
                }
                config.allowedHosts = names
            default:
                guard try applyTable(key, value, reader: reader, to: &config) else {
                    throw ServiceConfigError.unknownKey(file: file, key: key, line: line)
                }
            }
            try reader.markSeen(key, line: line)
        }
        if !IPAddress.isNumeric(config.listen) {
            throw ServiceConfigError.invalidValue(file: file, key: "listen", line: reader.lines["listen"] ?? 0,
                message: "must be an IPv4 or IPv6 address such as 127.0.0.1 or ::1, got '\(config.listen)'")
        }
        return config
    }

    /// An option with a plain type: where its value goes and what it accepts.
    enum Option {
        case int(WritableKeyPath<ServiceConfig, Int>, ClosedRange<Int>)
        case optionalInt(WritableKeyPath<ServiceConfig, Int?>, ClosedRange<Int>)
        case string(WritableKeyPath<ServiceConfig, String>)
        case optionalString(WritableKeyPath<ServiceConfig, String?>)
        case bool(WritableKeyPath<ServiceConfig, Bool>)
        /// 0 (off) or a number of seconds in `minimum...maximum`; `off` names what 0 turns off.
        case secondsOrOff(WritableKeyPath<ServiceConfig, Int>, minimum: Int, maximum: Int, off: String)
        case severities(WritableKeyPath<ServiceConfig, [Severity]>)
        /// One of `allowed`; `set` stores it as the option's type, `get` reads it back as text.
        case oneOf([String], get: (ServiceConfig) -> String, set: (inout ServiceConfig, String) -> Void)

        /// One of an enumeration's values, stored as that value.
        static func choice<E: RawRepresentable & CaseIterable>(_ path: WritableKeyPath<ServiceConfig, E>) -> Option
        where E.RawValue == String {
            .oneOf(E.allCases.map(\.rawValue), get: { $0[keyPath: path].rawValue }, set: { config, raw in
                if let value = E(rawValue: raw) { config[keyPath: path] = value }
            })
        }
    }

    /// The options by dotted key (`section.key`): type, accepted values and destination. The few
    /// with rules of their own (log level, grade, URLs, formats, command, allowed hosts, the
    /// Alertmanager and OCSF sections) are read in `parse` and its section readers.
    static var options: [String: Option] {
        [
            "listen": .string(\.listen),
            "port": .int(\.port, 1...65535),
            "connect": .string(\.connect),
            "root": .string(\.root),
            "policies": .string(\.policiesDir),
            "waivers": .optionalString(\.waiversFile),
            "token_file": .optionalString(\.tokenFile),
            "web_dir": .string(\.webDir),
            "data_dir": .string(\.dataDir),
            "limits.max_connections": .int(\.limits.maxConnections, 1...100_000),
            "limits.read_timeout_seconds": .int(\.limits.readTimeoutSeconds, 1...3600),
            "limits.write_timeout_seconds": .int(\.limits.writeTimeoutSeconds, 1...3600),
            "limits.idle_timeout_seconds": .int(\.limits.idleTimeoutSeconds, 1...3600),
            "limits.max_body_bytes": .int(\.limits.maxBodyBytes, 0...(64 << 20)),
            "limits.max_header_bytes": .int(\.limits.maxHeaderBytes, 1024...(1 << 20)),
            "limits.max_connections_per_peer": .int(\.limits.maxConnectionsPerPeer, 0...100_000),
            "limits.write_min_bytes_per_second": .int(\.limits.writeMinBytesPerSecond, 0...(1 << 30)),
            "history.max_age_days": .int(\.history.maxAgeDays, 1...36_500),
            "history.max_scans": .int(\.history.maxScans, 1...10_000_000),
            "history.full_reports": .int(\.history.fullReports, 0...100_000),
            "reports.directory": .optionalString(\.reports.directory),
            "reports.keep": .int(\.reports.keep, 1...100_000),
            "alerts.host_score_drop": .optionalInt(\.alerts.hostScoreDrop, 1...100),
            "alerts.libvirt_unreachable_seconds": .optionalInt(\.alerts.libvirtUnreachableSeconds, 1...(86_400 * 30)),
            "alerts.webhook_secret_file": .optionalString(\.alerts.webhookSecretFile),
            "alerts.webhook_timeout_seconds": .int(\.alerts.webhookTimeoutSeconds, 1...300),
            "alerts.command_timeout_seconds": .int(\.alerts.commandTimeoutSeconds, 1...3600),
            "alerts.retry_base_seconds": .int(\.alerts.retryBaseSeconds, 1...3600),
            "alerts.retry_max_seconds": .int(\.alerts.retryMaxSeconds, 1...86_400),
            "alerts.expire_hours": .int(\.alerts.expireHours, 1...(24 * 30)),
            "admission.timeout_ms": .int(\.admission.timeoutMs, 10...60_000),
            "events": .bool(\.events),
            "scan_interval_seconds": .secondsOrOff(\.scanIntervalSeconds, minimum: 10, maximum: 86_400 * 7, off: "periodic scans"),
            "reports.interval_seconds": .secondsOrOff(\.reports.intervalSeconds, minimum: 60, maximum: 86_400 * 366,
                                                      off: "periodic reports"),
            "alerts.new_finding_severities": .severities(\.alerts.newFindingSeverities),
            "admission.deny_severities": .severities(\.admission.denySeverities),
            "admission.mode": .choice(\.admission.mode),
            "admission.failure_policy": .choice(\.admission.failurePolicy),
        ]
    }

    /// Sets the option `key` from `node` when the table has it; false for a key it does not have.
    static func applyTable(_ key: String, _ node: Node, reader: OptionReader, to config: inout ServiceConfig) throws -> Bool {
        guard let option = options[key] else { return false }
        switch option {
        case .int(let path, let range): config[keyPath: path] = try reader.int(key, node, in: range)
        case .optionalInt(let path, let range): config[keyPath: path] = try reader.optionalInt(key, node, in: range)
        case .string(let path): config[keyPath: path] = try reader.string(key, node)
        case .optionalString(let path): config[keyPath: path] = try reader.optionalString(key, node)
        case .bool(let path):
            guard case .scalar(let sc) = node, let b = Bool(sc.string.lowercased()) else {
                throw ServiceConfigError.invalidValue(file: reader.file, key: key, line: YAMLTree.line(node), message: "must be true or false")
            }
            config[keyPath: path] = b
        case .secondsOrOff(let path, let minimum, let maximum, let off):
            let v = try reader.int(key, node, in: 0...maximum)
            if v != 0 && v < minimum {
                throw ServiceConfigError.invalidValue(file: reader.file, key: key, line: YAMLTree.line(node),
                    message: "must be 0 (no \(off)) or at least \(minimum) seconds, got \(v)")
            }
            config[keyPath: path] = v
        case .severities(let path): config[keyPath: path] = try reader.severities(key, node)
        case .oneOf(let allowed, _, let set):
            let v = try reader.string(key, node)
            guard allowed.contains(v) else {
                throw ServiceConfigError.invalidValue(file: reader.file, key: key, line: YAMLTree.line(node),
                    message: "must be one of \(allowed.joined(separator: ", ")), got '\(v)'")
            }
            set(&config, v)
        }
        return true
    }

    /// Reads a mapping section; `body` returns false for a key it does not know (an error).
    private static func section(_ key: String, _ node: Node, reader: OptionReader,
                                _ body: (String, Node) throws -> Bool) throws {
        guard case .mapping(let mapping) = node else {
            throw ServiceConfigError.notAMapping(file: reader.file, key: key, line: YAMLTree.line(node))
        }
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            let sub = keyNode.string ?? "\(keyNode.any)"
            guard try body(sub, value) else {
                throw ServiceConfigError.unknownKey(file: reader.file, key: "\(key).\(sub)", line: YAMLTree.line(keyNode))
            }
            guard seen.insert(sub).inserted else {
                throw ServiceConfigError.duplicateKey(file: reader.file, key: "\(key).\(sub)", line: YAMLTree.line(keyNode))
            }
        }
    }

    /// Checks the combination of options before serving. Binding anything other than a loopback
    /// address is refused unless a token file is configured and holds at least one token.
    /// Returns the loaded tokens (an empty store when no token file is configured).
    @discardableResult
    public func validate() throws -> TokenStore {
        let tokens = try loadTokens()
        if !IPAddress.isLoopback(listen) && tokens.isEmpty {
            throw ServiceConfigError.remoteWithoutTokens(address: listen, tokenFile: tokenFile)
        }
        return tokens
    }

    /// The configured token store, or an empty one when `token_file` is not set.
    public func loadTokens() throws -> TokenStore {
        guard let tokenFile else { return TokenStore() }
        return try TokenStore.load(path: tokenFile)
    }

    static func describe(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return ns.localizedDescription
    }
}

/// Reads typed option values, with errors naming key and line.
struct OptionReader {
    let file: String
    var lines: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func markSeen(_ key: String, line: Int) throws {
        if lines[key] != nil { throw ServiceConfigError.duplicateKey(file: file, key: key, line: line) }
        lines[key] = line
    }

    func string(_ key: String, _ node: Node) throws -> String {
        guard case .scalar(let scalar) = node, YAMLTree.tagName(node) != .null else {
            throw invalid(key, node, "must be a string")
        }
        guard !scalar.string.isEmpty else { throw invalid(key, node, "must not be empty") }
        return scalar.string
    }

    func optionalString(_ key: String, _ node: Node) throws -> String? {
        if case .scalar = node, YAMLTree.tagName(node) == .null { return nil }
        return try string(key, node)
    }

    func optionalInt(_ key: String, _ node: Node, in range: ClosedRange<Int>) throws -> Int? {
        if case .scalar = node, YAMLTree.tagName(node) == .null { return nil }
        return try int(key, node, in: range)
    }

    func stringList(_ key: String, _ node: Node) throws -> [String] {
        guard case .sequence(let seq) = node else { throw invalid(key, node, "must be a list") }
        return try seq.map { try string(key, $0) }
    }

    /// A list of severity names.
    func severities(_ key: String, _ node: Node) throws -> [Severity] {
        try stringList(key, node).map { sev in
            guard let severity = Severity(rawValue: sev) else {
                throw invalid(key, node, "severities are critical, high, medium, low and info, got '\(sev)'")
            }
            return severity
        }
    }

    func int(_ key: String, _ node: Node, in range: ClosedRange<Int>) throws -> Int {
        guard case .scalar(let scalar) = node, YAMLTree.tagName(node) == .int, let value = node.int else {
            let shown: String
            if case .scalar(let s) = node { shown = "'\(s.string)'" } else { shown = "a \(kind(node))" }
            throw invalid(key, node, "must be an integer, got \(shown)")
        }
        _ = scalar
        guard range.contains(value) else {
            throw invalid(key, node, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    private func kind(_ node: Node) -> String {
        switch node {
        case .scalar: return "scalar"
        case .mapping: return "mapping"
        case .sequence: return "list"
        }
    }

    private func invalid(_ key: String, _ node: Node, _ message: String) -> ServiceConfigError {
        .invalidValue(file: file, key: key, line: YAMLTree.line(node), message: message)
    }
}

public enum ServiceConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case syntax(file: String, message: String)
    case notAMapping(file: String, key: String?, line: Int)
    case unknownKey(file: String, key: String, line: Int)
    case duplicateKey(file: String, key: String, line: Int)
    case invalidValue(file: String, key: String, line: Int, message: String)
    case remoteWithoutTokens(address: String, tokenFile: String?)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot read the configuration: \(reason)"
        case .syntax(let file, let message):
            return "\(file): not valid YAML: \(message)"
        case .notAMapping(let file, let key, let line):
            if let key { return "\(file):\(line): '\(key)' must be a mapping of options" }
            return "\(file):\(line): the configuration must be a mapping of options (key: value)"
        case .unknownKey(let file, let key, let line):
            return "\(file):\(line): unknown option '\(key)' (see Docs/configuration.md for the options)"
        case .duplicateKey(let file, let key, let line):
            return "\(file):\(line): option '\(key)' is set twice"
        case .invalidValue(let file, let key, let line, let message):
            return "\(file):\(line): invalid value for '\(key)': \(message)"
        case .remoteWithoutTokens(let address, let tokenFile):
            let where_ = tokenFile.map { "the token file \($0) holds no token" } ?? "no token_file is configured"
            return "refusing to listen on \(address) without authentication: \(where_). "
                + "Either listen on a loopback address (listen: 127.0.0.1), or create a token with "
                + "'virtaudit token new --role read', add the printed line to a token file and set token_file to it."
        }
    }
}
