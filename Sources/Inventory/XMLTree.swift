import Foundation
import FoundationXML

/// A small read-only element tree built with FoundationXML's `XMLParser`.
///
/// `XMLParser` stops at the first well-formedness error and reports where, never loads external
/// entities and prints nothing; the Linux `XMLDocument` instead recovers silently from broken
/// input (and can crash on it), so the parsers here walk this tree.
struct XMLTree: Sendable, Hashable {
    /// Local name (`profile` for `<virtaudit:profile>`).
    var name: String
    /// Name as written (`virtaudit:profile`).
    var qualifiedName: String
    /// Namespace URI; nil when the element has none.
    var namespace: String?
    var attributes: [String: String]
    var children: [XMLTree]
    /// All text inside the element, descendants included, untrimmed.
    var text: String
    /// The line of the element's start tag (1-based), as the parser reported it.
    var line: Int = 0

    struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        var line: Int
        var column: Int
        var reason: String
        var description: String { "line \(line), column \(column): \(reason)" }
    }

    /// Deepest element nesting accepted (a domain is a few levels deep, a long disk backing chain
    /// a few hundred); deeper input is refused instead of building a tree whose recursive
    /// teardown would exhaust the stack.
    static let maxDepth = 1024

    /// Parses a document and returns its root element.
    static func parse(_ document: String) throws(ParseError) -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: Data(document.utf8))
        parser.shouldProcessNamespaces = true
        parser.shouldReportNamespacePrefixes = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        let ok = parser.parse()
        if let f = builder.failure {
            throw ParseError(line: max(1, f.line), column: max(1, f.column), reason: f.message)
        }
        if !ok {
            let code = (parser.parserError as NSError?)?.code ?? -1
            throw ParseError(line: max(1, parser.lineNumber), column: max(1, parser.columnNumber), reason: Self.describe(code))
        }
        guard let root = builder.root else {
            throw ParseError(line: max(1, parser.lineNumber), column: max(1, parser.columnNumber), reason: "no root element")
        }
        return root
    }

    func attr(_ name: String) -> String? { attributes[name] }

    /// Children without a namespace whose local name is `name`.
    func children(named name: String) -> [XMLTree] { children.filter { $0.name == name && $0.namespace == nil } }

    func child(_ name: String) -> XMLTree? { children.first { $0.name == name && $0.namespace == nil } }

    /// Trimmed text content.
    var value: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// libxml2's error numbers (`xmlParserErrors`) for the common cases.
    private static func describe(_ code: Int) -> String {
        switch code {
        case 3: return "document does not start with an element"
        case 4: return "document is empty"
        case 5: return "document ends before every element is closed"
        case 9: return "invalid character"
        case 26: return "undeclared entity"
        case 39: return "attribute value without quotes"
        case 41: return "attribute without a value"
        case 68: return "element or attribute name expected"
        case 73: return "expected '>'"
        case 76: return "opening and ending tag mismatch"
        case 77: return "element not closed"
        case 86: return "content after the root element"
        default: return "not well-formed (parser error \(code))"
        }
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?
        var failure: (line: Int, column: Int, message: String)?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            if root != nil && stack.isEmpty {
                failure = (parser.lineNumber, parser.columnNumber, "content after the root element")
                parser.abortParsing()
                return
            }
            if stack.count >= XMLTree.maxDepth {
                failure = (parser.lineNumber, parser.columnNumber, "elements nested deeper than \(XMLTree.maxDepth) levels")
                parser.abortParsing()
                return
            }
            let uri = (namespaceURI?.isEmpty ?? true) ? nil : namespaceURI
            var attrs: [String: String] = [:]
            for (k, v) in attributeDict {
                // Keep attributes by local name; namespace declarations are not attributes here.
                if k == "xmlns" || k.hasPrefix("xmlns:") { continue }
                attrs[k.split(separator: ":").last.map(String.init) ?? k] = v
            }
            let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
            stack.append(XMLTree(name: local, qualifiedName: qName ?? elementName, namespace: uri,
                                 attributes: attrs, children: [], text: "", line: parser.lineNumber))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { appendText(string) }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) { appendText(String(decoding: CDATABlock, as: UTF8.self)) }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            if failure == nil { failure = (parser.lineNumber, parser.columnNumber, Self.message(parseError)) }
        }

        private func appendText(_ s: String) {
            for i in stack.indices { stack[i].text += s }
        }

        private static func message(_ error: any Error) -> String {
            let ns = error as NSError
            if let d = ns.userInfo[NSLocalizedDescriptionKey] as? String, !d.isEmpty { return d }
            return XMLTree.describe(ns.code)
        }
    }
}
