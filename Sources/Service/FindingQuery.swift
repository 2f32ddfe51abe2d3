import Core
import HTTPServer

/// Filters of `GET /api/v1/findings`, parsed from the query string.
struct FindingQuery: Equatable {
    var severities: Set<String>?
    var layers: Set<String>?
    var statuses: Set<String>?
    var rule: String?
    var domain: String?
    var targets: Set<String>?

    init(query: [String: String]) throws(APIError) {
        let q = QueryParser(query)
        severities = try q.list("severity", allowed: Severity.allCases.map(\.rawValue))
        layers = try q.list("layer", allowed: Layer.allCases.map(\.rawValue))
        statuses = try q.list("status", allowed: FindingStatus.allCases.map(\.rawValue))
        targets = try q.list("target", allowed: ["domain", "host"])
        rule = try q.nonEmpty("rule")
        domain = try q.nonEmpty("domain")
    }

    var isDefault: Bool {
        severities == nil && layers == nil && statuses == nil && rule == nil && domain == nil && targets == nil
    }

    func apply(_ snapshot: ResultSnapshot) -> [(Finding, FindingTarget)] {
        // A domain filter names one domain (UUID or name); findings of the host are then left out.
        var domainIndex: Int?? = nil
        if let domain { domainIndex = .some(snapshot.domainIndex(domain)) }
        return snapshot.findings.compactMap { entry in
            let f = entry.finding
            if let severities, !severities.contains(f.severity.rawValue) { return nil }
            if let layers, !layers.contains(f.layer.rawValue) { return nil }
            if let statuses, !statuses.contains(f.status.rawValue) { return nil }
            if let targets, !targets.contains(entry.domain == nil ? "host" : "domain") { return nil }
            if let rule, !Glob.matches(rule, f.rule) { return nil }
            if let domainIndex {
                guard let wanted = domainIndex, entry.domain == wanted else { return nil }
            }
            return (f, entry.target)
        }
    }
}

/// Shell-style patterns: `*` matches any run of characters, `?` one character.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var (pi, ti) = (0, 0)
        var star: Int? = nil
        var mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if let s = star {
                pi = s + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
