import Core
import Foundation
import FoundationXML

/// `/run/libvirt/qemu/<domain>.xml`: libvirt's status file of a running domain,
/// `<domstatus state='running' reason='booted' pid='3620'>` around the live `<domain>`
/// (`virDomainObjFormat` in src/conf/domain_conf.c). Only the root element's `pid` is read;
/// the whole document must be well-formed, so a file cut short while libvirt rewrote it is
/// refused instead of trusted.
public enum DomainStatusFile {
    /// Status files hold the live domain XML; larger files are refused.
    public static let limit = 4 << 20

    public static func path(domain: String, root: HostRoot) -> String { root.run("libvirt/qemu/\(domain).xml") }

    /// The qemu pid recorded in the status file at `path` (a path under the root).
    public static func readPid(_ path: String) throws(ProbeError) -> Int {
        try parsePid(try FileReader.read(path, limit: limit), path: path)
    }

    /// The `pid` attribute of the `<domstatus>` root element.
    public static func parsePid(_ bytes: [UInt8], path: String = "status file") throws(ProbeError) -> Int {
        let root = RootElement()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldResolveExternalEntities = false
        parser.delegate = root
        let ok = parser.parse()
        let at = "line \(max(1, parser.lineNumber)), column \(max(1, parser.columnNumber))"
        if let problem = root.problem {
            throw .parse(path: path, reason: "not well-formed XML (\(at): \(problem))")
        }
        if !ok {
            let code = (parser.parserError as NSError?)?.code ?? -1
            throw .parse(path: path, reason: "not well-formed XML (\(at): parser error \(code))")
        }
        guard let name = root.name else { throw .parse(path: path, reason: "not well-formed XML (no root element)") }
        // XMLParser reports success at the end of input even inside an open element: a file cut
        // short is caught here.
        guard root.closed else {
            throw .parse(path: path, reason: "not well-formed XML (\(at): the document ends inside <\(name)>)")
        }
        guard name == "domstatus" else { throw .parse(path: path, reason: "root element is <\(name)>, not <domstatus>") }
        guard let raw = root.attributes["pid"] else { throw .parse(path: path, reason: "<domstatus> has no pid attribute") }
        do {
            return try PidFile.parse(raw, path: path)
        } catch {
            throw .parse(path: path, reason: "<domstatus pid='\(raw.prefix(40))'> is not a pid")
        }
    }

    /// Keeps the root element's name and attributes and follows the nesting to the end.
    private final class RootElement: NSObject, XMLParserDelegate {
        var name: String?
        var attributes: [String: String] = [:]
        var depth = 0
        var closed = false
        var problem: String?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            if closed {
                problem = problem ?? "content after the root element"
                parser.abortParsing()
                return
            }
            if name == nil {
                name = elementName
                attributes = attributeDict
            }
            depth += 1
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            depth -= 1
            if depth == 0 { closed = true }
        }

        func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
            problem = problem ?? "parser error \((parseError as NSError).code)"
        }
    }
}
