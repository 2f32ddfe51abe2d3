/// Three-valued truth: a rule whose facts cannot be read is `unknown`, never true or false.
/// `unknown` carries the reason (the unreadable fact's recorded reason).
public enum Truth: Sendable, Hashable, CustomStringConvertible {
    case `true`
    case `false`
    case unknown(String)

    public init(_ b: Bool) { self = b ? .true : .false }

    public var isTrue: Bool { if case .true = self { return true } else { return false } }
    public var isFalse: Bool { if case .false = self { return true } else { return false } }
    public var isUnknown: Bool { if case .unknown = self { return true } else { return false } }
    public var reason: String? { if case .unknown(let r) = self { return r } else { return nil } }

    /// Kleene negation: unknown stays unknown.
    public var negated: Truth {
        switch self {
        case .true: return .false
        case .false: return .true
        case .unknown: return self
        }
    }

    /// false if either side is false, else unknown if either is unknown, else true.
    public static func and(_ a: Truth, _ b: Truth) -> Truth {
        if a.isFalse || b.isFalse { return .false }
        if a.isUnknown { return a }
        if b.isUnknown { return b }
        return .true
    }

    /// true if either side is true, else unknown if either is unknown, else false.
    public static func or(_ a: Truth, _ b: Truth) -> Truth {
        if a.isTrue || b.isTrue { return .true }
        if a.isUnknown { return a }
        if b.isUnknown { return b }
        return .false
    }

    public var description: String {
        switch self {
        case .true: return "true"
        case .false: return "false"
        case .unknown(let r): return "unknown (\(r))"
        }
    }
}
