import Foundation
import HTTPServer

/// The one reader of query parameters. Each accessor returns nil (or the default) when the
/// parameter is absent, its typed value when accepted, and throws a 400 `APIError` whose
/// `parameter` names it otherwise. Parameters a route does not take are refused before its
/// handler runs (`Route.query`).
struct QueryParser: Sendable {
    let values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    /// Free text, as sent (possibly empty).
    func text(_ name: String) -> String? { values[name] }

    /// Text that must not be empty.
    func nonEmpty(_ name: String) throws(APIError) -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw .badParameter(name, "'\(name)' must not be empty") }
        return value
    }

    /// An integer within `range`.
    func int(_ name: String, default fallback: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let raw = values[name] else { return fallback }
        guard let n = Int(raw), range.contains(n) else {
            throw .badParameter(name, "'\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
        }
        return n
    }

    /// A value matching the regular expression `pattern` (anchor it).
    func matching(_ name: String, _ pattern: String, message: String? = nil) throws(APIError) -> String? {
        guard let value = values[name] else { return nil }
        guard Self.matches(value, pattern) else {
            throw .badParameter(name, message ?? "'\(name)' has invalid value '\(value)'")
        }
        return value
    }

    /// One of `allowed`.
    func oneOf(_ name: String, _ allowed: [String], message: String? = nil) throws(APIError) -> String? {
        guard let value = values[name] else { return nil }
        guard allowed.contains(value) else { throw .badParameter(name, message ?? Self.unknown(name, value, allowed)) }
        return value
    }

    /// A comma-separated list (items trimmed); an empty item is an error.
    func list(_ name: String) throws(APIError) -> [String]? {
        guard let raw = values[name] else { return nil }
        let items = raw.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if items.contains(where: \.isEmpty) {
            throw .badParameter(name, "'\(name)' must be a comma-separated list without empty items")
        }
        return items
    }

    /// A comma list whose items are among `allowed`.
    func list(_ name: String, allowed: [String]) throws(APIError) -> Set<String>? {
        guard let items = try list(name) else { return nil }
        for item in items where !allowed.contains(item) {
            throw .badParameter(name, Self.unknown(name, item, allowed))
        }
        return Set(items)
    }

    /// A comma list whose items match `pattern`; `message` explains a refused item.
    func list(_ name: String, matching pattern: String, message: (String) -> String) throws(APIError) -> Set<String>? {
        guard let items = try list(name) else { return nil }
        for item in items where !Self.matches(item, pattern) {
            throw .badParameter(name, message(item))
        }
        return Set(items)
    }

    private static func matches(_ value: String, _ pattern: String) -> Bool {
        value.range(of: pattern, options: .regularExpression) != nil
    }

    private static func unknown(_ name: String, _ value: String, _ allowed: [String]) -> String {
        "'\(name)' has unknown value '\(value)'; allowed: \(allowed.joined(separator: ", "))"
    }
}
