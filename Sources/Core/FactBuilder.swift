/// Builds a fact tree and records, for each fact that could not be read, why.
///
/// A fact that cannot be read is stored as JSON `null` and its reason is recorded under the
/// tree's top-level `unknown` object, keyed by the dotted path (`"process.uid": "…: permission
/// denied"`). A reason recorded for a prefix (`process`) covers every path below it. The policy
/// engine turns such facts into `unknown` verdicts with that reason; unknown is never a pass.
public struct FactBuilder: Sendable {
    public private(set) var tree: JSONValue
    public private(set) var unknown: [String: String] = [:]
    /// Paths that do not apply to this target at all, with the reason: a rule that depends only on
    /// them is `not-applicable`, not `unknown` (a qemu that no libvirt manages has no domain
    /// definition to judge). Kept under the tree's top-level `notApplicable` object.
    public private(set) var notApplicable: [String: String] = [:]

    public init(_ tree: JSONValue = .object([:])) {
        self.tree = tree
        if case .object(let reasons)? = tree["unknown"] {
            for (k, v) in reasons { if let s = v.stringValue { unknown[k] = s } }
        }
        if case .object(let reasons)? = tree["notApplicable"] {
            for (k, v) in reasons { if let s = v.stringValue { notApplicable[k] = s } }
        }
    }

    /// Stores null at `path` and records why it does not apply.
    public mutating func setNotApplicable(_ path: String, reason: String) {
        tree.set(path, to: .null)
        notApplicable[path] = reason
    }

    public mutating func set(_ path: String, _ value: JSONValue) {
        tree.set(path, to: value)
    }

    /// Stores null at `path` and records the reason.
    public mutating func setUnknown(_ path: String, reason: String) {
        tree.set(path, to: .null)
        unknown[path] = reason
    }

    /// Records a reason without touching the value (for a whole subtree that stays partial).
    public mutating func markUnknown(_ path: String, reason: String) {
        unknown[path] = reason
    }

    /// Sets `path` from a throwing probe: the value on success, null plus the reason on failure.
    public mutating func set<E: Error>(_ path: String, _ body: () throws(E) -> JSONValue) {
        do { set(path, try body()) } catch { setUnknown(path, reason: "\(error)") }
    }

    /// Merges another builder's tree and reasons under `prefix`.
    public mutating func merge(_ other: FactBuilder, at prefix: String) {
        tree.set(prefix, to: other.tree)
        for (k, v) in other.unknown { unknown[prefix + "." + k] = v }
    }

    /// The tree with its `unknown` reasons attached.
    public var facts: JSONValue {
        var t = tree
        if !unknown.isEmpty {
            t.set("unknown", to: .object(unknown.mapValues { .string($0) }))
        }
        if !notApplicable.isEmpty {
            t.set("notApplicable", to: .object(notApplicable.mapValues { .string($0) }))
        }
        return t
    }

    /// The recorded not-applicable reason covering `path` (longest recorded prefix), if any.
    public static func notApplicableReason(for path: String, in facts: JSONValue) -> String? {
        guard case .object(let reasons)? = facts["notApplicable"] else { return nil }
        var candidate = path
        while true {
            if let r = reasons[candidate]?.stringValue { return r }
            guard let dot = candidate.lastIndex(of: ".") else { return nil }
            candidate = String(candidate[..<dot])
        }
    }

    /// The recorded reason covering `path`: the reason for the longest recorded prefix.
    public static func reason(for path: String, in facts: JSONValue) -> String? {
        guard case .object(let reasons)? = facts["unknown"] else { return nil }
        var candidate = path
        while true {
            if let r = reasons[candidate]?.stringValue { return r }
            guard let dot = candidate.lastIndex(of: ".") else { return nil }
            candidate = String(candidate[..<dot])
        }
    }
}

extension FactBuilder {
    /// Merges another builder whose paths are absolute in the same tree (`process.uid` into a
    /// domain's tree): objects are merged deeply, other values from `other` win, and the unknown
    /// reasons are united.
    public mutating func absorb(_ other: FactBuilder) {
        tree.merge(other.tree)
        for (k, v) in other.unknown { unknown[k] = v }
    }
}

extension FactBuilder {
    /// Replaces the subtree at `prefix`, its value and every unknown reason at or below it, with
    /// `other`'s (a VM managed by a daemon in a container judged against that daemon's
    /// `host.qemuConf`, not the host's).
    public mutating func replace(_ prefix: String, from other: FactBuilder) {
        tree.set(prefix, to: other.tree[path: prefix] ?? .null)
        func under(_ k: String) -> Bool { k == prefix || k.hasPrefix(prefix + ".") }
        unknown = unknown.filter { !under($0.key) }
        for (k, v) in other.unknown where under(k) { unknown[k] = v }
    }
}

extension JSONValue {
    /// Deep merge: objects merge key by key; for any other pair the right side wins.
    public func merging(_ other: JSONValue) -> JSONValue {
        var copy = self
        copy.merge(other)
        return copy
    }
}
