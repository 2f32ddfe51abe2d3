import Core
import Foundation
import Yams

/// An accepted risk: a rule (id or glob) that may fail on some VMs (name glob or uuid), or on the
/// host, until a date.
public struct Waiver: Sendable, Hashable {
    public let rule: Glob
    /// VM name glob or uuid; nil for a host waiver (`host: true`).
    public let vm: Glob?
    public let reason: String
    public let owner: String
    /// `YYYY-MM-DD`; the waiver holds through the end of that day (UTC).
    public let expires: String
    /// The first instant at which the waiver no longer holds (midnight UTC after `expires`).
    public let end: Date
    public let file: String
    public let line: Int

    public var appliesToHost: Bool { vm == nil }

    public func matches(rule id: String) -> Bool { rule.matches(id) }

    public func matches(vmName: String, uuid: String) -> Bool {
        guard let vm else { return false }
        return vm.matches(vmName) || (!uuid.isEmpty && vm.pattern.lowercased() == uuid.lowercased())
    }

    public func isActive(at now: Date) -> Bool { now < end }

    /// How the waiver is shown in a finding's `waiver` field.
    public var json: JSONValue {
        [
            "rule": .string(rule.pattern),
            "vm": vm.map { .string($0.pattern) } ?? .null,
            "host": .bool(appliesToHost),
            "reason": .string(reason),
            "owner": .string(owner),
            "expires": .string(expires),
            "source": .string("\(file):\(line)"),
        ]
    }
}

/// The waivers file (`/etc/virtaudit/waivers.yaml`): kept apart from the policy, never loaded as rules.
public struct Waivers: Sendable {
    public let entries: [Waiver]

    public init(_ entries: [Waiver]) { self.entries = entries }

    public static let none = Waivers([])

    static let keys = ["rule", "vm", "host", "reason", "owner", "expires"]

    public static func load(path: String) throws(PolicyError) -> Waivers {
        var diagnostics: [PolicyDiagnostic] = []
        guard let source = PolicyLoader.read(path, into: &diagnostics) else { throw PolicyError(diagnostics) }
        return try parse(source)
    }

    public static func parse(_ source: PolicySource) throws(PolicyError) -> Waivers {
        var diagnostics: [PolicyDiagnostic] = []
        let entries = parse(source, into: &diagnostics)
        if !diagnostics.isEmpty { throw PolicyError(diagnostics) }
        return Waivers(entries)
    }

    static func parse(_ source: PolicySource, into diagnostics: inout [PolicyDiagnostic]) -> [Waiver] {
        guard let doc = YAMLDocument.compose(file: source.path, text: source.text, into: &diagnostics) else { return [] }
        return parse(doc, into: &diagnostics)
    }

    static func parse(_ doc: YAMLDocument, into diagnostics: inout [PolicyDiagnostic]) -> [Waiver] {
        let file = doc.file
        guard let root = doc.root else { return [] }  // an empty file waives nothing
        guard let pairs = root.pairs else {
            diagnostics.append(PolicyDiagnostic(file: file, line: root.line, message: "a waivers file must be a mapping with the top key 'waivers:'"))
            return []
        }
        var list: Node? = nil
        for (key, keyNode, value) in pairs {
            if key == "waivers" { list = value } else {
                diagnostics.append(PolicyDiagnostic(file: file, line: keyNode.line,
                                                    message: "unknown top-level key '\(key)' (a waivers file has only 'waivers:')"))
            }
        }
        guard let list else {
            diagnostics.append(PolicyDiagnostic(file: file, line: root.line, message: "missing top-level key 'waivers:'"))
            return []
        }
        guard let items = list.items else {
            if list.text?.isEmpty == true { return [] }
            diagnostics.append(PolicyDiagnostic(file: file, line: list.line, message: "'waivers' must be a list, found \(list.kindName)"))
            return []
        }
        var out: [Waiver] = []
        for item in items {
            let before = diagnostics.count
            let named = item.pairs?.first { $0.key == "rule" }?.value.text
            let f = FieldReader(file: file, node: item, allowed: keys, rule: named, what: "a waiver", diagnostics: &diagnostics)
            guard f.isMapping else { continue }
            f.requireKeys(["rule", "reason", "owner", "expires"], what: "waiver", into: &diagnostics)
            let rule = f.string("rule", into: &diagnostics)
            let vm = f.string("vm", into: &diagnostics)
            let host = f.bool("host", into: &diagnostics) ?? false
            let reason = f.string("reason", into: &diagnostics)
            let owner = f.string("owner", into: &diagnostics)
            let expires = f.string("expires", into: &diagnostics)
            if vm == nil && !host {
                diagnostics.append(f.diag(nil, "waiver needs 'vm' (a VM name glob or uuid) or 'host: true'"))
            }
            if vm != nil && host {
                diagnostics.append(f.diag("host", "waiver has both 'vm' and 'host: true'; write two waivers"))
            }
            var end: Date? = nil
            if let expires {
                end = endOfDay(expires)
                if end == nil {
                    diagnostics.append(f.diag("expires", "expires '\(expires)' is not a date YYYY-MM-DD"))
                }
            }
            guard diagnostics.count == before, let rule, let reason, let owner, let expires, let end else { continue }
            out.append(Waiver(rule: Glob(rule), vm: vm.map(Glob.init), reason: reason, owner: owner,
                              expires: expires, end: end, file: file, line: item.line))
        }
        return out
    }

    /// Midnight UTC after the given day, or nil when `text` is not a valid `YYYY-MM-DD`.
    static func endOfDay(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let comps = DateComponents(year: y, month: m, day: d)
        guard comps.isValidDate(in: cal), let start = cal.date(from: comps) else { return nil }
        return start.addingTimeInterval(86400)
    }

    /// The first waiver (in file order) covering a rule on a VM, or on the host when `vm` is nil.
    func first(rule: String, vm: (name: String, uuid: String)?) -> Int? {
        entries.firstIndex { w in
            guard w.matches(rule: rule) else { return false }
            if let vm { return w.matches(vmName: vm.name, uuid: vm.uuid) }
            return w.appliesToHost
        }
    }
}

/// The finding that reports an expired waiver.
enum ExpiredWaiver {
    static let ruleId = "waiver.expired"
    static let severity = Severity.low
}
