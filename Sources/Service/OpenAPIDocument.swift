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

    /// The document compiled into the program: Docs/openapi.yaml, embedded byte for byte by SwiftPM
    /// (`resources: [.embedInCode("openapi.yaml")]` on the Service target, whose `openapi.yaml` is a
    /// symbolic link to the file in Docs).
    public static let bundled: OpenAPIDocument = {
        do {
            return try OpenAPIDocument(yaml: PackageResources.openapi_yaml)
        } catch {
            preconditionFailure("the bundled OpenAPI document does not parse: \(error)")
        }
    }()
}

public enum OpenAPIDocumentError: Error, Equatable, CustomStringConvertible {
    case notOpenAPI3
    public var description: String { "not an OpenAPI 3 document (no 'openapi: 3.x' field)" }
}
