import Core
import Foundation

/// Checks JSON values and HTTP responses against an OpenAPI 3.0 document, for the subset of
/// schema keywords Docs/openapi.yaml uses. A keyword it does not know is reported as a problem,
/// never skipped: a constraint the validator cannot check must not pass silently.
struct OpenAPIValidator {
    let document: JSONValue

    /// Keywords that constrain nothing (annotations).
    static let annotations: Set<String> = ["description", "default", "example", "format", "title", "deprecated",
                                           "readOnly", "writeOnly", "externalDocs"]
    /// Keywords checked by `violations`.
    static let assertions: Set<String> = ["$ref", "type", "nullable", "enum", "required", "properties",
                                          "additionalProperties", "items", "minItems", "maxItems", "minLength",
                                          "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
                                          "exclusiveMaximum", "allOf", "oneOf", "anyOf"]

    // MARK: Schemas

    /// Every way `value` breaks `schema`, as "<JSON path>: <problem>"; empty when it conforms.
    func violations(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> [String] {
        guard let keywords = schema.objectValue else {
            if schema == .bool(true) { return [] }
            if schema == .bool(false) { return ["\(path): no value is allowed here"] }
            return ["\(path): schema is not an object: \(schema)"]
        }
        var problems = keywords.keys.filter { !Self.assertions.contains($0) && !Self.annotations.contains($0) }
            .sorted().map { "\(path): unsupported schema keyword '\($0)'" }

        if let ref = keywords["$ref"] {
            if let other = keywords.keys.first(where: { $0 != "$ref" && $0 != "description" }) {
                problems.append("\(path): '\(other)' beside $ref is ignored by OpenAPI 3.0")
            }
            guard let pointer = ref.stringValue, let target = resolve(pointer) else {
                return problems + ["\(path): unresolved $ref \(JSONWriter.string(ref))"]
            }
            return problems + violations(value, target, at: path)
        }

        for part in keywords["allOf"]?.arrayValue ?? [] { problems += violations(value, part, at: path) }
        if let options = keywords["anyOf"]?.arrayValue,
           !options.contains(where: { violations(value, $0, at: path).isEmpty }) {
            problems.append("\(path): matches none of anyOf")
        }
        if let options = keywords["oneOf"]?.arrayValue {
            let matching = options.filter { violations(value, $0, at: path).isEmpty }.count
            if matching != 1 { problems.append("\(path): matches \(matching) of oneOf, not exactly one") }
        }

        if value.isNull {
            // OpenAPI 3.0: null is allowed only by `nullable: true` (or a schema without `type`).
            if keywords["nullable"] == .bool(true) || (keywords["type"] == nil && keywords["enum"] == nil) {
                return problems
            }
            return problems + ["\(path): null is not allowed"]
        }
        if let allowed = keywords["enum"]?.arrayValue, !allowed.contains(where: { Self.equal($0, value) }) {
            problems.append("\(path): \(JSONWriter.string(value)) is not one of \(JSONWriter.string(.array(allowed)))")
        }

        switch keywords["type"]?.stringValue {
        case nil:
            if let type = keywords["type"] { problems.append("\(path): schema type \(type) is not a string") }
        case "object":
            guard let object = value.objectValue else { return problems + ["\(path): \(value.typeName), not an object"] }
            problems += objectViolations(object, keywords, at: path)
        case "array":
            guard let items = value.arrayValue else { return problems + ["\(path): \(value.typeName), not an array"] }
            if let min = keywords["minItems"]?.intValue, items.count < min {
                problems.append("\(path): \(items.count) items, fewer than \(min)")
            }
            if let max = keywords["maxItems"]?.intValue, items.count > max {
                problems.append("\(path): \(items.count) items, more than \(max)")
            }
            if let sub = keywords["items"] {
                for (i, item) in items.enumerated() { problems += violations(item, sub, at: "\(path)[\(i)]") }
            }
        case "string":
            guard let text = value.stringValue else { return problems + ["\(path): \(value.typeName), not a string"] }
            if let min = keywords["minLength"]?.intValue, text.count < min {
                problems.append("\(path): shorter than \(min) characters")
            }
            if let max = keywords["maxLength"]?.intValue, text.count > max {
                problems.append("\(path): longer than \(max) characters")
            }
            if let pattern = keywords["pattern"]?.stringValue {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(text.startIndex..., in: text)
                    if regex.firstMatch(in: text, range: range) == nil {
                        problems.append("\(path): \"\(text)\" does not match \(pattern)")
                    }
                } else {
                    problems.append("\(path): pattern \(pattern) does not compile")
                }
            }
        case "integer":
            guard case .int = value else { return problems + ["\(path): \(value.typeName), not an integer"] }
            problems += rangeViolations(value, keywords, at: path)
        case "number":
            guard value.doubleValue != nil else { return problems + ["\(path): \(value.typeName), not a number"] }
            problems += rangeViolations(value, keywords, at: path)
        case "boolean":
            if value.boolValue == nil { problems.append("\(path): \(value.typeName), not a boolean") }
        case let other?:
            problems.append("\(path): unknown schema type '\(other)'")
        }
        return problems
    }

    private func objectViolations(_ object: [String: JSONValue], _ keywords: [String: JSONValue],
                                  at path: String) -> [String] {
        var problems: [String] = []
        for key in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
            problems.append("\(path): missing required key '\(key)'")
        }
        let properties = keywords["properties"]?.objectValue ?? [:]
        for key in object.keys.sorted() {
            let item = object[key]!
            if let sub = properties[key] {
                problems += violations(item, sub, at: "\(path).\(key)")
            } else if let extra = keywords["additionalProperties"] {
                problems += extra == .bool(false)
                    ? ["\(path): key '\(key)' is not allowed (additionalProperties: false)"]
                    : violations(item, extra, at: "\(path).\(key)")
            }
        }
        return problems
    }

    private func rangeViolations(_ value: JSONValue, _ keywords: [String: JSONValue], at path: String) -> [String] {
        guard let number = value.doubleValue else { return [] }
        var problems: [String] = []
        if let min = keywords["minimum"]?.doubleValue {
            let exclusive = keywords["exclusiveMinimum"] == .bool(true)
            if exclusive ? number <= min : number < min { problems.append("\(path): \(number) below the minimum \(min)") }
        }
        if let max = keywords["maximum"]?.doubleValue {
            let exclusive = keywords["exclusiveMaximum"] == .bool(true)
            if exclusive ? number >= max : number > max { problems.append("\(path): \(number) above the maximum \(max)") }
        }
        return problems
    }

    /// JSON equality, with 2 and 2.0 equal.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue, a.boolValue == nil, b.boolValue == nil { return x == y }
        return a == b
    }

    /// A local JSON pointer (`#/components/schemas/Finding`).
    func resolve(_ pointer: String) -> JSONValue? {
        guard pointer.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for token in pointer.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            node = node?[key]
        }
        return node
    }

    /// Problems with `value` against `components/schemas/<name>`.
    func violations(_ value: JSONValue, schema name: String) -> [String] {
        violations(value, ["$ref": .string("#/components/schemas/\(name)")])
    }

    /// Schema keywords of the document this validator cannot check (empty when it can check all).
    func unsupportedKeywords() -> [String] {
        var found: [String] = []
        func walk(_ schema: JSONValue, _ at: String) {
            guard let keywords = schema.objectValue else { return }
            for key in keywords.keys where !Self.assertions.contains(key) && !Self.annotations.contains(key) {
                found.append("\(at): \(key)")
            }
            for key in ["items", "additionalProperties"] { if let sub = keywords[key] { walk(sub, "\(at).\(key)") } }
            for (name, sub) in keywords["properties"]?.objectValue ?? [:] { walk(sub, "\(at).properties.\(name)") }
            for key in ["allOf", "oneOf", "anyOf"] {
                for (i, sub) in (keywords[key]?.arrayValue ?? []).enumerated() { walk(sub, "\(at).\(key)[\(i)]") }
            }
        }
        for (name, schema) in document["components"]?["schemas"]?.objectValue ?? [:] {
            walk(schema, "components.schemas.\(name)")
        }
        for (path, item) in document["paths"]?.objectValue ?? [:] {
            for (method, operation) in item.objectValue ?? [:] {
                for (status, response) in operation["responses"]?.objectValue ?? [:] {
                    for (media, content) in response["content"]?.objectValue ?? [:] {
                        if let schema = content["schema"] { walk(schema, "\(method) \(path) \(status) \(media)") }
                    }
                }
            }
        }
        return found.sorted()
    }

    // MARK: Responses

    /// The documented path template that `path` (no query) falls under: exact segments first,
    /// then `{parameter}` segments.
    func template(for path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let candidates = (document["paths"]?.objectValue ?? [:]).keys.filter { template in
            let t = template.split(separator: "/", omittingEmptySubsequences: false)
            guard t.count == parts.count else { return false }
            return zip(t, parts).allSatisfy { a, b in a == b || (a.hasPrefix("{") && a.hasSuffix("}") && !b.isEmpty) }
        }
        return candidates.min { a, b in a.filter { $0 == "{" }.count < b.filter { $0 == "{" }.count }
    }

    /// What the document declares for `method path` answering `status`: the operation's own
    /// response, `MethodNotAllowed` for a 405 to a method the path does not have, `UnknownPath` for
    /// a 404 to a path under /api/ the document does not have. Nil when nothing covers it.
    func declaredResponse(method: String, path: String, status: Int) -> (name: String, response: JSONValue)? {
        let bare = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        func component(_ name: String) -> (String, JSONValue)? {
            document["components"]?["responses"]?[name].map { ("\(status) \(name)", $0) }
        }
        guard let template = template(for: bare), let item = document["paths"]?[template] else {
            return status == 404 && bare.hasPrefix("/api/") ? component("UnknownPath") : nil
        }
        guard let operation = item[method.lowercased()] else {
            return status == 405 ? component("MethodNotAllowed") : nil
        }
        guard var response = operation["responses"]?[String(status)] ?? operation["responses"]?["default"] else {
            return nil
        }
        var name = "\(method.uppercased()) \(template) \(status)"
        if let ref = response["$ref"]?.stringValue {
            guard let target = resolve(ref) else { return nil }
            response = target
            name += " (\(ref.split(separator: "/").last ?? ""))"
        }
        return (name, response)
    }

    /// Every way a response breaks the document: an undeclared status, a missing required header,
    /// a content type not declared, a body that does not match its schema, a body where none is
    /// declared. `headers` have lower-case names.
    func responseViolations(method: String, path: String, status: Int, headers: [String: String],
                            body: Data) -> [String] {
        let at = "\(method) \(path) -> \(status)"
        guard let (name, response) = declaredResponse(method: method, path: path, status: status) else {
            return ["\(at): status not declared in the document"]
        }
        var problems: [String] = []
        for (header, spec) in response["headers"]?.objectValue ?? [:]
        where spec["required"] == .bool(true) && headers[header.lowercased()] == nil {
            problems.append("\(at): required header \(header) missing (\(name))")
        }
        guard let content = response["content"]?.objectValue, !content.isEmpty else {
            if !body.isEmpty { problems.append("\(at): \(body.count) bytes of body where \(name) declares none") }
            return problems
        }
        let media = headers["content-type"]?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard let declared = content[media] else {
            return problems + ["\(at): content type '\(media)' not declared (\(name) has \(content.keys.sorted()))"]
        }
        guard let schema = declared["schema"] else { return problems }
        switch media {
        case "application/json":
            guard let value = try? JSONValue(parsing: body) else { return problems + ["\(at): body is not JSON"] }
            problems += violations(value, schema, at: "$").map { "\(at) [\(name)] \($0)" }
        default:
            guard let text = String(data: body, encoding: .utf8) else { return problems + ["\(at): body is not UTF-8"] }
            if schema["type"] == "string" || schema["type"] == "object" {
                if text.isEmpty { problems.append("\(at): empty \(media) body") }
            } else {
                problems.append("\(at): cannot check a \(media) body against \(schema)")
            }
        }
        return problems
    }
}
