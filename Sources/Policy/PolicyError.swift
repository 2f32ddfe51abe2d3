/// One problem in a policy, profile or waiver file, with where it is.
public struct PolicyDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int
    /// For expression errors: the 1-based column inside the `check`/`when` expression.
    public let column: Int?
    public let rule: String?
    public let message: String

    public init(file: String, line: Int, column: Int? = nil, rule: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.rule = rule
        self.message = message
    }

    /// `file:line: rule <id>: message` (without the rule part when the entry has no usable id).
    public var description: String {
        if let rule { return "\(file):\(line): rule \(rule): \(message)" }
        return "\(file):\(line): \(message)"
    }
}

/// Everything wrong with a set of policy files: loading reports all problems at once.
public struct PolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    public let diagnostics: [PolicyDiagnostic]

    public init(_ diagnostics: [PolicyDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
