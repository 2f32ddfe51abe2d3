import Core

/// The OpenAPI description of the API, served as YAML (its source form) and as JSON.
public struct OpenAPIDocument: Sendable {
    public let yaml: [UInt8]
    public let json: [UInt8]
    public let value: JSONValue

    /// Parses the YAML text and derives the JSON form. Throws when it is not YAML or not an
    /// OpenAPI 3 document.
    public init(yaml: [UInt8]) throws {
        let text = String(decoding: yaml, as: UTF8.self)
        let value = try YAMLTree.json(parsing: text)
        guard let version = value["openapi"]?.stringValue, version.hasPrefix("3.") else {
            throw OpenAPIDocumentError.notOpenAPI3
        }
        self.yaml = yaml
        self.value = value
        self.json = Array(JSONWriter.string(value).utf8)
    }

    /// The document compiled into the program: `OpenAPISpec.swift` holds the text of
    /// Docs/openapi.yaml (ServiceTests checks they are identical). After editing the YAML, run
    ///
    ///     { printf 'enum OpenAPISpec {\n    static let yaml = #"""\n'; cat Docs/openapi.yaml;
    ///       printf '"""#\n}\n'; } > Sources/Service/OpenAPISpec.swift
    public static let bundled: OpenAPIDocument = {
        do {
            return try OpenAPIDocument(yaml: Array(OpenAPISpec.yaml.utf8))
        } catch {
            preconditionFailure("the bundled OpenAPI document does not parse: \(error)")
        }
    }()
}

public enum OpenAPIDocumentError: Error, Equatable, CustomStringConvertible {
    case notOpenAPI3
    public var description: String { "not an OpenAPI 3 document (no 'openapi: 3.x' field)" }
}
