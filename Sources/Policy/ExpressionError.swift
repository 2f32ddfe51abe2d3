/// A syntax error in a rule expression: the 1-based column and what was expected there.
public struct ExpressionError: Error, Sendable, Hashable, CustomStringConvertible {
    public let column: Int
    public let message: String

    public init(column: Int, message: String) {
        self.column = column
        self.message = message
    }

    public var description: String { "column \(column): \(message)" }
}
