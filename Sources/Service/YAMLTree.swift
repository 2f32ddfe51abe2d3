import Core
import Foundation
import Policy
import Yams

/// Conversions from Yams' node tree, which keeps line numbers, to plain values.
enum YAMLTree {
    /// Parses YAML text into its node tree (nil for an empty document). A document nested deeper
    /// or expanding further than `YAMLLimits` allows is refused before it is composed (the
    /// composer and `json(_:)` recurse once per level): the error names the line and the limit.
    static func compose(_ text: String) throws -> Node? {
        if let violation = YAMLLimits.check(text) { throw violation }
        return try Yams.compose(yaml: text)
    }

    /// The resolved tag of a node (`tag:yaml.org,2002:int`...).
    static func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.description) }

    /// The line (1-based) a node starts on, or 0 when unknown.
    static func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    /// Converts a node to JSON: mapping keys become strings (`200:` stays `"200"`), scalars get the
    /// type YAML's core schema resolves for them (quoted scalars stay strings).
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch YAMLTree.tagName(node) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int: return node.int.map(JSONValue.int) ?? .string(scalar.string)
            case .float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(sequence.map(json))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                object[key.string ?? "\(key.any)"] = json(value)
            }
            return .object(object)
        }
    }

    /// Parses a whole YAML document into JSON.
    static func json(parsing text: String) throws -> JSONValue {
        guard let node = try compose(text) else { return .null }
        return json(node)
    }
}
