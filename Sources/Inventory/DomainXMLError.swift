/// Why a domain's XML could not be turned into a `DomainDefinition`.
public enum DomainXMLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not well-formed XML; the XML parser's own message.
    case malformed(String)
    /// The root element is not `<domain>`.
    case notADomain(root: String)
    /// A required element or attribute is absent (`<name>`, `<domain type>`).
    case missing(String)
    /// An element or attribute holds a value that cannot be read (`<memory>` `abc`).
    case invalid(what: String, value: String)
    /// libvirt returned no XML for the domain (its message).
    case unavailable(String)

    public var description: String {
        switch self {
        case .malformed(let m): return "domain XML is not well-formed: \(m)"
        case .notADomain(let root): return "domain XML has root <\(root)>, expected <domain>"
        case .missing(let what): return "domain XML lacks \(what)"
        case .invalid(let what, let value): return "domain XML has an unreadable \(what): '\(value)'"
        case .unavailable(let m): return "libvirt gave no domain XML: \(m)"
        }
    }
}
