import CYaml
import Core
import Yams

/// A YAML file composed into nodes (which keep their line numbers), with helpers that turn
/// shape problems into diagnostics instead of exceptions.
struct YAMLDocument {
    let file: String
    let root: Node?

    /// Composes `text`; a syntax error becomes a diagnostic at its line.
    static func compose(file: String, text: String, into diagnostics: inout [PolicyDiagnostic]) -> YAMLDocument? {
        if let violation = YAMLLimits.check(text) {
            diagnostics.append(PolicyDiagnostic(file: file, line: violation.line, message: violation.message))
            return nil
        }
        do {
            return YAMLDocument(file: file, root: try Yams.compose(yaml: text))
        } catch let error as YamlError {
            diagnostics.append(diagnostic(file: file, error))
            return nil
        } catch {
            diagnostics.append(PolicyDiagnostic(file: file, line: 1, message: "invalid YAML: \(error)"))
            return nil
        }
    }

    static func diagnostic(file: String, _ error: YamlError) -> PolicyDiagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let ctx = context.map { "\($0.text) (line \($0.mark.line)): " } ?? ""
            var hint = ""
            if problem.contains("mapping values are not allowed") {
                hint = " (an expression containing ': ', such as a quantifier, must be quoted: "
                    + "check: \"all d in devices.hostdevs: d.driver == 'vfio-pci'\")"
            }
            return PolicyDiagnostic(file: file, line: mark.line, column: mark.column, message: "invalid YAML: \(ctx)\(problem)\(hint)")
        case .reader(let problem, _, _, _):
            return PolicyDiagnostic(file: file, line: 1, message: "invalid YAML: \(problem)")
        default:
            return PolicyDiagnostic(file: file, line: 1, message: "invalid YAML: \(error)")
        }
    }
}

/// Nesting and size limits for YAML read by virtaudit (service configuration, rule files,
/// profiles, waivers). The YAML library composes documents recursively, one stack frame per
/// level, so a small file nested thousands deep would overflow the stack; the check walks the
/// document's events first (libyaml's parser is iterative) and refuses it before composing.
/// Aliases count as what they expand to: an alias adds the depth and the size of its anchor.
public enum YAMLLimits {
    /// Deepest nesting of mappings and sequences; real files stay below 10.
    public static let maxDepth = 64
    /// Most nodes a document may expand to, aliases expanded (a guard against alias bombs).
    public static let maxNodes = 1_000_000

    public struct Violation: Error, Sendable, Hashable, CustomStringConvertible {
        /// 1-based line of the node that passed the limit.
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The first limit `text` passes, or nil. Syntax errors are left to the composer, which
    /// reports them with context.
    public static func check(_ text: String, maxDepth: Int = maxDepth, maxNodes: Int = maxNodes) -> Violation? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer -> Violation? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // One frame per open collection: the anchor it defines, the depth and node count below it.
            struct Frame { var anchor: String?; var depth = 0; var nodes = 1 }
            var frames: [Frame] = []
            var anchors: [String: (depth: Int, nodes: Int)] = [:]
            var total = 0
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                var leaf: (anchor: String?, depth: Int, nodes: Int)?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_DOCUMENT_START_EVENT:
                    anchors = [:]
                    total = 0
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT
                        ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                    frames.append(Frame(anchor: anchor.map { String(cString: $0) }))
                    if frames.count > maxDepth {
                        return Violation(line: line, message: "YAML nested deeper than \(maxDepth) levels (the limit)")
                    }
                    total += 1
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let done = frames.popLast() else { return nil }
                    leaf = (done.anchor, done.depth + 1, done.nodes)
                case YAML_SCALAR_EVENT:
                    leaf = (event.data.scalar.anchor.map { String(cString: $0) }, 0, 1)
                    total += 1
                case YAML_ALIAS_EVENT:
                    let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
                    guard let target = anchors[name] else { return nil }
                    if frames.count + target.depth > maxDepth {
                        return Violation(line: line, message: "YAML nested deeper than \(maxDepth) levels (the limit) through alias *\(name)")
                    }
                    total += target.nodes
                    leaf = (nil, target.depth, target.nodes)
                default:
                    break
                }
                if let leaf {
                    if let a = leaf.anchor { anchors[a] = (leaf.depth, leaf.nodes) }
                    if !frames.isEmpty {
                        frames[frames.count - 1].depth = max(frames[frames.count - 1].depth, leaf.depth)
                        frames[frames.count - 1].nodes += leaf.nodes
                    }
                }
                if total > maxNodes {
                    return Violation(line: line, message: "YAML document expands to more than \(maxNodes) nodes (the limit)")
                }
            }
        }
    }
}

extension Node {
    var line: Int { mark?.line ?? 1 }

    /// The text of a scalar, nil for a mapping or sequence.
    var text: String? { if case .scalar(let s) = self { return s.string } else { return nil } }

    /// Pairs of a mapping with string keys; nil for a scalar or sequence.
    var pairs: [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let m) = self else { return nil }
        return m.map { ($0.key.text ?? "\($0.key)", $0.key, $0.value) }
    }

    var items: [Node]? { if case .sequence(let s) = self { return Array(s) } else { return nil } }

    var kindName: String {
        switch self {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        @unknown default: return "an unsupported node"
        }
    }
}

/// Reads the fields of one YAML mapping, reporting unknown keys, missing keys and wrong shapes
/// against one file, line and rule id.
struct FieldReader {
    let file: String
    let node: Node
    let allowed: [String]
    var rule: String?
    private(set) var values: [String: Node] = [:]
    private(set) var keyLines: [String: Int] = [:]

    init(file: String, node: Node, allowed: [String], rule: String? = nil, what: String,
         diagnostics: inout [PolicyDiagnostic]) {
        self.file = file
        self.node = node
        self.allowed = allowed
        self.rule = rule
        guard let pairs = node.pairs else {
            diagnostics.append(PolicyDiagnostic(file: file, line: node.line, rule: rule,
                                                message: "\(what) must be a mapping, found \(node.kindName)"))
            return
        }
        // The id first, so that every later message can name the rule.
        if rule == nil, allowed.contains("id"), let id = pairs.first(where: { $0.key == "id" })?.value.text {
            self.rule = id
        }
        for (key, keyNode, value) in pairs {
            if !allowed.contains(key) {
                diagnostics.append(PolicyDiagnostic(file: file, line: keyNode.line, rule: self.rule,
                    message: "unknown key '\(key)' in \(what) (expected one of: \(allowed.joined(separator: ", ")))"))
                continue
            }
            if let first = keyLines[key] {
                diagnostics.append(PolicyDiagnostic(file: file, line: keyNode.line, rule: self.rule,
                    message: "key '\(key)' appears twice (first at line \(first))"))
                continue
            }
            values[key] = value
            keyLines[key] = keyNode.line
        }
    }

    var isMapping: Bool { node.pairs != nil }

    func has(_ key: String) -> Bool { values[key] != nil }

    func line(_ key: String) -> Int { values[key]?.line ?? node.line }

    func diag(_ key: String?, _ message: String, column: Int? = nil) -> PolicyDiagnostic {
        PolicyDiagnostic(file: file, line: key.map(line) ?? node.line, column: column, rule: rule, message: message)
    }

    func requireKeys(_ keys: [String], what: String, into diagnostics: inout [PolicyDiagnostic]) {
        guard isMapping else { return }
        let missing = keys.filter { values[$0] == nil }
        if !missing.isEmpty {
            let list = missing.map { "'\($0)'" }.joined(separator: ", ")
            diagnostics.append(diag(nil, "\(what) is missing required key\(missing.count > 1 ? "s" : "") \(list)"))
        }
    }

    /// A non-empty scalar string.
    func string(_ key: String, into diagnostics: inout [PolicyDiagnostic]) -> String? {
        guard let v = values[key] else { return nil }
        guard let s = v.text else {
            diagnostics.append(diag(key, "'\(key)' must be a string, found \(v.kindName)"))
            return nil
        }
        let trimmed = s.trimmingWhitespace()
        if trimmed.isEmpty {
            diagnostics.append(diag(key, "'\(key)' is empty"))
            return nil
        }
        return trimmed
    }

    /// A list of strings; a single scalar counts as a list of one.
    func strings(_ key: String, into diagnostics: inout [PolicyDiagnostic]) -> [String]? {
        guard let v = values[key] else { return nil }
        if let s = v.text { return [s] }
        guard let items = v.items else {
            diagnostics.append(diag(key, "'\(key)' must be a list of strings, found \(v.kindName)"))
            return nil
        }
        var out: [String] = []
        for item in items {
            if let s = item.text { out.append(s) } else {
                diagnostics.append(PolicyDiagnostic(file: file, line: item.line, rule: rule,
                                                    message: "'\(key)' entries must be strings, found \(item.kindName)"))
            }
        }
        return out
    }

    func bool(_ key: String, into diagnostics: inout [PolicyDiagnostic]) -> Bool? {
        guard let v = values[key] else { return nil }
        switch v.text?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            diagnostics.append(diag(key, "'\(key)' must be true or false, found '\(v.text ?? v.kindName)'"))
            return nil
        }
    }
}
