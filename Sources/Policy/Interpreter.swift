import Foundation
import Core
/// Evaluates an `Expr` over a fact tree. Pure: the same facts always give the same verdict.
///
/// Domain expressions see the domain's facts; paths starting with `host.` are looked up in the
/// host's tree (whose top key is `host`). Unknown reasons come from the trees' top-level
/// `unknown` maps (`FactBuilder.reason(for:in:)`).
public struct Interpreter {
    /// A value, or why it could not be had.
    enum Value {
        case value(JSONValue)
        case unknown(String)
    }

    /// One element bound by a quantifier.
    struct Binding {
        let value: JSONValue
        /// The concrete path of the list (`devices.hostdevs`), for reasons.
        let listPath: String
        let index: Int
    }

    /// A looked-up fact path, cached by the path's slot.
    enum Cached {
        case unloaded
        case absent
        case present(JSONValue)
    }

    let domain: JSONValue
    let host: JSONValue
    private var env: [Binding] = []
    private var cache: [Cached]

    /// `slots`: the number of interned paths (see `Expr.interned`), 0 for no caching.
    public init(domain: JSONValue, host: JSONValue, slots: Int = 0) {
        self.domain = domain
        self.host = host
        self.cache = Array(repeating: .unloaded, count: slots)
    }

    /// Evaluates an expression as a condition.
    public static func truth(_ e: Expr, domain: JSONValue, host: JSONValue) -> Truth {
        var i = Interpreter(domain: domain, host: host)
        return i.truth(e)
    }

    /// The value at a fact path as the facts hold it (nil when absent), for `observed`.
    public mutating func lookup(_ path: FactPath) -> JSONValue? {
        let slot = path.slot
        if slot >= 0 && slot < cache.count {
            switch cache[slot] {
            case .present(let v): return v
            case .absent: return nil
            case .unloaded: break
            }
        }
        var found: JSONValue? = nil
        if path.isHost { found = Interpreter.walk(host, path.components[...]) }
        if found == nil { found = Interpreter.walk(domain, path.components[...]) }
        if slot >= 0 && slot < cache.count { cache[slot] = found.map { .present($0) } ?? .absent }
        return found
    }

    static func walk(_ root: JSONValue, _ components: ArraySlice<String>) -> JSONValue? {
        var current = root
        for c in components {
            switch current {
            case .object(let dict):
                guard let next = dict[c] else { return nil }
                current = next
            case .array(let items):
                guard let i = Int(c), items.indices.contains(i) else { return nil }
                current = items[i]
            default:
                return nil
            }
        }
        return current
    }

    func reason(for path: String, isHost: Bool, present: Bool) -> String {
        if isHost, let r = FactBuilder.reason(for: path, in: host) { return r }
        if let r = FactBuilder.reason(for: path, in: domain) { return r }
        return present ? "fact \(path) is null" : "fact \(path) is not present"
    }

    mutating func truth(_ e: Expr) -> Truth {
        switch e {
        case .and(let a, let b):
            let l = truth(a)
            if l.isFalse { return .false }
            return Truth.and(l, truth(b))
        case .or(let a, let b):
            let l = truth(a)
            if l.isTrue { return .true }
            return Truth.or(l, truth(b))
        case .not(let a):
            return truth(a).negated
        case .compare(let op, let a, let b):
            return compare(op, value(a), value(b))
        case .matches(let a, let pattern):
            switch value(a) {
            case .unknown(let r): return .unknown(r)
            case .value(.string(let s)): return Truth(pattern.matches(s))
            case .value(.array(let items)):
                var sawOther = false
                for item in items {
                    if case .string(let s) = item { if pattern.matches(s) { return .true } } else { sawOther = true }
                }
                return sawOther ? .unknown("\(a) holds a value that is not a string, cannot match '\(pattern.source)'") : .false
            case .value(let v):
                return .unknown("\(a) is \(Interpreter.a(v)), not a string, cannot match '\(pattern.source)'")
            }
        case .call(.exists, let arg):
            switch arg {
            case .path(let p):
                if let v = lookup(p), !v.isNull { return .true }
                return .false
            case .variable(_, let slot, let rest):
                if let v = Interpreter.walk(env[slot].value, rest[...]), !v.isNull { return .true }
                return .false
            default:
                return .false
            }
        case .quantifier(let q, _, let slot, let source, let body):
            let items: [JSONValue]
            switch value(source) {
            case .unknown(let r): return .unknown(r)
            case .value(.array(let a)): items = a
            case .value(let v): return .unknown("\(source) is \(Interpreter.a(v)), not a list")
            }
            let listPath = concretePath(source)
            var firstUnknown: Truth? = nil
            for (n, item) in items.enumerated() {
                if env.count > slot { env.removeSubrange(slot...) }
                env.append(Binding(value: item, listPath: listPath, index: n))
                let t = truth(body)
                env.removeLast()
                switch (q, t) {
                case (.all, .false): return .false
                case (.any, .true): return .true
                case (.none, .true): return .false
                case (_, .unknown): if firstUnknown == nil { firstUnknown = t }
                default: break
                }
            }
            if let u = firstUnknown { return u }
            return q == .any ? .false : .true
        default:
            switch value(e) {
            case .unknown(let r): return .unknown(r)
            case .value(.bool(let b)): return Truth(b)
            case .value(let v): return .unknown("\(e) is \(Interpreter.a(v)), not a bool")
            }
        }
    }

    /// The concrete path of a quantifier's list, for messages (`devices.hostdevs`, `devices.hostdevs.0.functions`).
    private func concretePath(_ source: Expr) -> String {
        switch source {
        case .path(let p): return p.text
        case .variable(_, let slot, let rest):
            let b = env[slot]
            return ([b.listPath, String(b.index)] + rest).joined(separator: ".")
        default: return source.description
        }
    }

    mutating func value(_ e: Expr) -> Value {
        switch e {
        case .literal(let v): return .value(v)
        case .path(let p):
            guard let v = lookup(p) else {
                return .unknown(reason(for: p.text, isHost: p.isHost, present: false))
            }
            if v.isNull { return .unknown(reason(for: p.text, isHost: p.isHost, present: true)) }
            return .value(v)
        case .variable(let name, let slot, let rest):
            let b = env[slot]
            guard let v = Interpreter.walk(b.value, rest[...]), !v.isNull else {
                let concrete = ([b.listPath, String(b.index)] + rest).joined(separator: ".")
                let display = ([b.listPath + "[\(b.index)]"] + rest).joined(separator: ".")
                let isHost = b.listPath.hasPrefix("host.")
                if isHost, let r = FactBuilder.reason(for: concrete, in: host) { return .unknown(r) }
                if let r = FactBuilder.reason(for: concrete, in: domain) { return .unknown(r) }
                let schema = ([b.listPath + "[]"] + rest).joined(separator: ".")
                if isHost, let r = FactBuilder.reason(for: schema, in: host) { return .unknown(r) }
                if let r = FactBuilder.reason(for: schema, in: domain) { return .unknown(r) }
                _ = name
                let present = Interpreter.walk(b.value, rest[...]) != nil
                return .unknown("fact \(display) is \(present ? "null" : "not present")")
            }
            return .value(v)
        case .list(let items):
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for item in items {
                switch value(item) {
                case .unknown(let r): return .unknown(r)
                case .value(let v): out.append(v)
                }
            }
            return .value(.array(out))
        case .call(.count, let arg), .call(.empty, let arg):
            let n: Int
            switch value(arg) {
            case .unknown(let r): return .unknown(r)
            case .value(.array(let a)): n = a.count
            case .value(.object(let o)): n = o.count
            case .value(.string(let s)): n = s.count
            case .value(let v): return .unknown("\(arg) is \(Interpreter.a(v)), not a list")
            }
            if case .call(.count, _) = e { return .value(.int(n)) }
            return .value(.bool(n == 0))
        default:
            switch truth(e) {
            case .true: return .value(.bool(true))
            case .false: return .value(.bool(false))
            case .unknown(let r): return .unknown(r)
            }
        }
    }

    /// "an int", "a string": the JSON type with its article, for messages.
    static func a(_ v: JSONValue) -> String {
        let t = v.typeName
        return (t.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + t
    }

    func compare(_ op: CompareOp, _ a: Value, _ b: Value) -> Truth {
        let l: JSONValue, r: JSONValue
        switch (a, b) {
        case (.unknown(let reason), _), (_, .unknown(let reason)): return .unknown(reason)
        case (.value(let x), .value(let y)): l = x; r = y
        }
        switch op {
        case .eq: return Truth(Interpreter.equal(l, r))
        case .ne: return Truth(!Interpreter.equal(l, r))
        case .lt, .le, .gt, .ge:
            guard let c = Interpreter.order(l, r) else {
                return .unknown("cannot order \(Interpreter.a(l)) against \(Interpreter.a(r))")
            }
            switch op {
            case .lt: return Truth(c < 0)
            case .le: return Truth(c <= 0)
            case .gt: return Truth(c > 0)
            default: return Truth(c >= 0)
            }
        case .in: return Interpreter.membership(l, in: r)
        case .notIn: return Interpreter.membership(l, in: r).negated
        case .contains: return Interpreter.membership(r, in: l)
        }
    }

    /// `needle in haystack`: list membership, or substring of a string.
    static func membership(_ needle: JSONValue, in haystack: JSONValue) -> Truth {
        switch haystack {
        case .array(let items):
            return Truth(items.contains { equal(needle, $0) })
        case .string(let s):
            guard case .string(let n) = needle else {
                return .unknown("cannot look for \(Interpreter.a(needle)) inside a string")
            }
            return Truth(n.isEmpty || s.contains(n))
        case .object(let o):
            guard case .string(let n) = needle else {
                return .unknown("cannot look for \(Interpreter.a(needle)) among an object's keys")
            }
            return Truth(o[n] != nil)
        default:
            return .unknown("cannot look inside \(Interpreter.a(haystack)) (expected a list or a string)")
        }
    }

    /// Equality: numbers numerically (int against double), lists and objects structurally,
    /// different types are simply unequal.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.int, .double), (.double, .int), (.double, .double): return a.doubleValue! == b.doubleValue!
        case (.string(let x), .string(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        default: return false
        }
    }

    /// -1, 0, 1 for two numbers or two strings (byte-wise lexical); nil for anything else.
    static func order(_ a: JSONValue, _ b: JSONValue) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int, .double), (.double, .int), (.double, .double):
            let x = a.doubleValue!, y = b.doubleValue!
            if x.isNaN || y.isNaN { return nil }
            return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)):
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : (x == y ? 0 : 1)
        default: return nil
        }
    }
}
