// The text of Docs/openapi.yaml, compiled in so the binary serves its own description.
// ServiceTests checks that both are identical; regenerate after editing Docs/openapi.yaml:
//   { printf 'enum OpenAPISpec {\n    static let yaml = #"""\n'; cat Docs/openapi.yaml; printf '"""#\n}\n'; } > Sources/Service/OpenAPISpec.swift
enum OpenAPISpec {
    static let yaml = #"""
openapi: 3.0.3
info: {title: virtaudit, version: "1"}
paths: {}
"""#
}
