import Core
import Foundation
import HTTPServer

/// Filters and order of `GET /api/v1/domains`, parsed from the query string.
struct DomainQuery: Equatable {
    struct Sort: Equatable {
        enum Key: String, CaseIterable { case name, score, grade, state }
        var key: Key
        var descending: Bool
    }

    var grades: Set<String>?
    var states: Set<String>?
    var layer: Layer?
    var nameContains: String?
    var sort = Sort(key: .name, descending: false)

    /// Grades are a capital letter with an optional + or -.
    static let gradePattern = "^[A-Z][+-]?$"
    /// libvirt state names are lowercase words (running, paused, shutoff, ...).
    static let statePattern = "^[a-z][a-z-]*$"

    var isDefault: Bool { self == DomainQuery() }

    init() {}

    init(query: [String: String]) throws(APIError) {
        let q = QueryParser(query)
        grades = try q.list("grade", matching: Self.gradePattern) {
            "'grade' has invalid value '\($0)'; grades are letters such as A or F"
        }
        states = try q.list("state", matching: Self.statePattern) {
            "'state' has invalid value '\($0)'; states are libvirt state names such as running or shutoff"
        }
        layer = try q.oneOf("layer", Layer.allCases.map(\.rawValue)).flatMap(Layer.init(rawValue:))
        nameContains = q.text("q")
        let keys = Sort.Key.allCases.map(\.rawValue)
        let sortHelp = "'sort' has unknown value '\(q.values["sort"] ?? "")'; allowed: name, score, grade, state, "
            + "each optionally prefixed with '-' for descending order"
        if let raw = try q.oneOf("sort", keys + keys.map { "-" + $0 }, message: sortHelp) {
            let descending = raw.hasPrefix("-")
            sort = Sort(key: Sort.Key(rawValue: descending ? String(raw.dropFirst()) : raw)!, descending: descending)
        }
    }

    /// Applies the filters to domain summaries (see `ResultsJSON.domainEntry`), then sorts.
    func apply(_ summaries: [JSONValue]) -> [JSONValue] {
        let kept = summaries.filter { d in
            if let grades, !grades.contains(d["grade"]?.stringValue ?? "") { return false }
            if let states, !states.contains(d["state"]?.stringValue ?? "") { return false }
            if let layer {
                guard let failing = d["layers"]?[layer.rawValue]?["fail"]?.intValue, failing > 0 else { return false }
            }
            if let nameContains, !nameContains.isEmpty,
               d["name"]?.stringValue?.range(of: nameContains, options: .caseInsensitive) == nil {
                return false
            }
            return true
        }
        return Self.sorted(kept, by: sort)
    }

    static func sorted(_ items: [JSONValue], by sort: Sort) -> [JSONValue] {
        func name(_ v: JSONValue) -> String { v["name"]?.stringValue ?? "" }
        func text(_ v: JSONValue, _ key: String) -> String { v[key]?.stringValue ?? "" }
        func byName(_ a: JSONValue, _ b: JSONValue) -> Bool {
            let (x, y) = (name(a), name(b))
            if x.lowercased() != y.lowercased() { return x.lowercased() < y.lowercased() }
            if x != y { return x < y }
            return text(a, "uuid") < text(b, "uuid")
        }
        func ascending(_ a: JSONValue, _ b: JSONValue) -> Bool {
            switch sort.key {
            case .name: return byName(a, b)
            case .score:
                let (x, y) = (a["score"]?.intValue ?? 0, b["score"]?.intValue ?? 0)
                return x != y ? x < y : byName(a, b)
            case .grade, .state:
                let field = sort.key.rawValue
                let (x, y) = (text(a, field), text(b, field))
                return x != y ? x < y : byName(a, b)
            }
        }
        return items.sorted { a, b in sort.descending ? ascending(b, a) : ascending(a, b) }
    }
}
