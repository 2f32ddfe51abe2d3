import Core
import Foundation
import Yams

/// Configuration of the fleet integrations: the Alertmanager sink (`alerts.alertmanager`) and
/// the OCSF findings file (`ocsf`).
extension ServiceConfig {
    /// `alerts.alertmanager`: every firing finding of `severities` is an alert in each
    /// Alertmanager of `urls`, re-sent every `resend_seconds`, ended when the finding resolves.
    public struct Alertmanager: Sendable, Equatable {
        /// Base URLs (`http://am1:9093`); each gets every alert (an HA pair is two).
        public var urls: [String] = []
        /// File holding a bearer token sent as `Authorization: Bearer <token>`.
        public var bearerTokenFile: String? = nil
        public var severities: [Severity] = [.critical, .high]
        /// Seconds between re-sends of the firing set; keep it below Alertmanager's `resolve_timeout` (5m).
        public var resendSeconds: Int = 60
        public var timeoutSeconds: Int = 10
        /// Base URL of this service's dashboard as operators reach it, for the `dashboard` annotation.
        public var dashboardURL: String? = nil
        public init() {}
    }

    /// `ocsf`: each scan's failing and unknown findings appended, as OCSF Compliance Finding
    /// events (JSON lines), to `<directory>/findings.ocsf.jsonl`, rotated at `max_bytes`.
    public struct OCSFOutput: Sendable, Equatable {
        public var enabled: Bool = false
        /// nil means `<data_dir>/ocsf`.
        public var directory: String? = nil
        public var maxBytes: Int = 50 << 20
        /// Rotated files kept (`findings.ocsf.jsonl.1` ... `.<keep>`).
        public var keep: Int = 5
        public init() {}
    }

    /// Calls `body(subkey, "key.subkey", value)` for each entry of a mapping section; duplicate
    /// keys and `body` returning false (an unknown key) are errors naming key and line.
    static func eachEntry(_ node: Node, key: String, reader: OptionReader,
                          _ body: (String, String, Node) throws -> Bool) throws {
        guard case .mapping(let mapping) = node else {
            throw ServiceConfigError.notAMapping(file: reader.file, key: key, line: YAMLTree.line(node))
        }
        var seen: Set<String> = []
        for (keyNode, value) in mapping {
            let sub = keyNode.string ?? "\(keyNode.any)"
            let k = "\(key).\(sub)"
            guard seen.insert(sub).inserted else {
                throw ServiceConfigError.duplicateKey(file: reader.file, key: k, line: YAMLTree.line(keyNode))
            }
            guard try body(sub, k, value) else {
                throw ServiceConfigError.unknownKey(file: reader.file, key: k, line: YAMLTree.line(keyNode))
            }
        }
    }

    static func parseAlertmanager(_ node: Node, key: String, reader: OptionReader) throws -> Alertmanager {
        var am = Alertmanager()
        try eachEntry(node, key: key, reader: reader) { sub, k, value in
            switch sub {
            case "urls":
                let list = try reader.stringList(k, value)
                if list.isEmpty {
                    throw ServiceConfigError.invalidValue(file: reader.file, key: k, line: YAMLTree.line(value),
                                                          message: "must list at least one Alertmanager URL")
                }
                for u in list where !(u.hasPrefix("http://") || u.hasPrefix("https://")) || URL(string: u)?.host == nil {
                    throw ServiceConfigError.invalidValue(file: reader.file, key: k, line: YAMLTree.line(value),
                                                          message: "must be http:// or https:// URLs, got '\(u)'")
                }
                am.urls = list
            case "bearer_token_file": am.bearerTokenFile = try reader.optionalString(k, value)
            case "severities": am.severities = try reader.severities(k, value)
            case "resend_seconds": am.resendSeconds = try reader.int(k, value, in: 5...3600)
            case "timeout_seconds": am.timeoutSeconds = try reader.int(k, value, in: 1...300)
            case "dashboard_url":
                let u = try reader.optionalString(k, value)
                if let u, !(u.hasPrefix("http://") || u.hasPrefix("https://")) || URL(string: u) == nil {
                    throw ServiceConfigError.invalidValue(file: reader.file, key: k, line: YAMLTree.line(value),
                                                          message: "must be an http:// or https:// URL, got '\(u)'")
                }
                am.dashboardURL = u
            default: return false
            }
            return true
        }
        if am.urls.isEmpty {
            throw ServiceConfigError.invalidValue(file: reader.file, key: key + ".urls", line: YAMLTree.line(node),
                                                  message: "is required: the Alertmanager URLs to post to")
        }
        return am
    }

    static func parseOCSF(_ node: Node, key: String, reader: OptionReader) throws -> OCSFOutput {
        var out = OCSFOutput()
        out.enabled = true
        try eachEntry(node, key: key, reader: reader) { sub, k, value in
            switch sub {
            case "enabled":
                guard case .scalar(let sc) = value, let b = Bool(sc.string.lowercased()) else {
                    throw ServiceConfigError.invalidValue(file: reader.file, key: k, line: YAMLTree.line(value), message: "must be true or false")
                }
                out.enabled = b
            case "directory": out.directory = try reader.optionalString(k, value)
            case "max_bytes": out.maxBytes = try reader.int(k, value, in: 4096...(1 << 40))
            case "keep": out.keep = try reader.int(k, value, in: 0...1000)
            default: return false
            }
            return true
        }
        return out
    }
}
