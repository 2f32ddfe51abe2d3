/// The documented fact paths. Every module that produces facts publishes its fields here; the
/// policy loader rejects a rule naming a path that is not in the schema, and `Docs/facts.md`
/// is generated from it.
///
/// Paths are dotted, relative to a domain's fact tree (`process.uid`) or, for host facts,
/// starting with `host.` (`host.selinux.enforcing`). Elements of a list of objects are written
/// with `[]`: `devices.hostdevs[].driver`.
public struct FactField: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case bool, int, number, string, list, object, any
    }
    public let path: String
    public let kind: Kind
    /// For lists: the kind of the elements.
    public let element: Kind?
    public let doc: String
    /// Where the value comes from (`/proc/<pid>/status: Uid`), for the fact reference.
    public let source: String

    public init(_ path: String, _ kind: Kind, element: Kind? = nil, source: String = "", _ doc: String) {
        self.path = path
        self.kind = kind
        self.element = element
        self.doc = doc
        self.source = source
    }
}

public struct FactSchema: Sendable {
    public private(set) var fields: [String: FactField] = [:]

    public init(_ groups: [[FactField]] = []) {
        for g in groups { add(g) }
    }

    public mutating func add(_ list: [FactField]) {
        for f in list { fields[f.path] = f }
    }

    public func field(_ path: String) -> FactField? { fields[path] }

    /// True when `path` is a documented fact or lies inside a documented `object`/`any` field
    /// (free-form maps such as `host.qemuConf.settings.<name>`).
    public func knows(_ path: String) -> Bool {
        if fields[path] != nil { return true }
        var candidate = path
        while let dot = candidate.lastIndex(of: ".") {
            candidate = String(candidate[..<dot])
            if let f = fields[candidate], f.kind == .any || (f.kind == .object && !hasChildren(candidate)) {
                return true
            }
        }
        return false
    }

    private func hasChildren(_ path: String) -> Bool {
        fields.keys.contains { $0.hasPrefix(path + ".") || $0.hasPrefix(path + "[].") }
    }

    public var sortedFields: [FactField] { fields.values.sorted { $0.path < $1.path } }
}
