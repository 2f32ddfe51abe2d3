import Foundation

/// A query parameter with a value the endpoint does not accept (400).
struct QueryError: Error, Equatable {
    let parameter: String
    let message: String
}

enum QueryParameters {
    /// Splits a comma list; empty items are an error.
    static func list(_ query: [String: String], _ name: String) throws -> [String]? {
        guard let raw = query[name] else { return nil }
        let items = raw.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if items.contains(where: \.isEmpty) {
            throw QueryError(parameter: name, message: "'\(name)' must be a comma-separated list without empty items")
        }
        return items
    }

    /// A comma list whose items must be among `allowed`.
    static func enumList(_ query: [String: String], _ name: String, allowed: [String]) throws -> Set<String>? {
        guard let items = try list(query, name) else { return nil }
        for item in items where !allowed.contains(item) {
            throw QueryError(parameter: name,
                message: "'\(name)' has unknown value '\(item)'; allowed: \(allowed.joined(separator: ", "))")
        }
        return Set(items)
    }
}
