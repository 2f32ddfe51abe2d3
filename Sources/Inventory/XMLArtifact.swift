import Core

/// A saved XML file given to `virtaudit check`, read by what its elements are (never by its
/// file name): libvirt domain XML (`virsh dumpxml`, live or `--inactive`, one or several
/// domains in one file), libvirt's status XML (`/run/libvirt/qemu/<name>.xml`, root
/// `<domstatus>`), or node device XML (`virsh nodedev-dumpxml`, root `<device>`).
///
/// Several top-level elements in one file (concatenated `virsh dumpxml` outputs) are read as
/// one list; a wrapper element holding them (`<domains>`) is accepted too. Every element keeps
/// the line its start tag is on, so a finding can point at it.
public enum XMLArtifact {
    /// One domain found in the file.
    public struct Domain: Sendable {
        public var definition: Result<DomainDefinition, DomainXMLError>
        /// Line of the `<domain>` start tag.
        public var line: Int
        /// `<domstatus state=...>` when the domain came from a status file.
        public var statusState: String?
        /// `<domstatus pid=...>`.
        public var statusPid: Int?
        /// First line of each element by its path below `<domain>` (`devices/graphics`, `seclabel`).
        public var elementLines: [String: Int]
    }

    /// One `virsh nodedev-dumpxml` device with a PCI capability.
    public struct NodeDevice: Sendable, Hashable {
        public var name: String
        /// Canonical `dddd:bb:ss.f`.
        public var address: String
        public var driver: String?
        public var classCode: Int?
        public var vendor: Int?
        public var product: Int?
        public var productName: String?
        public var iommuGroup: Int?
        /// The group's members as the XML lists them (canonical addresses).
        public var groupMembers: [String]
        public var line: Int
    }

    public enum Content: Sendable {
        case domains([Domain])
        case nodeDevices([NodeDevice])
    }

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not well-formed; `line` is where the parser stopped.
        case malformed(line: Int, reason: String)
        /// Well-formed, but holds nothing this reader knows; `line` is the first unknown element.
        case unrecognised(line: Int, element: String)

        public var description: String {
            switch self {
            case .malformed(let l, let r): return "line \(l): not well-formed XML: \(r)"
            case .unrecognised(let l, let e): return "line \(l): <\(e)> is neither a libvirt domain, domain status nor node device element"
            }
        }
    }

    /// Name of the element wrapped around the text so that several top-level elements parse.
    static let wrapper = "virtaudit-check-artifact"

    public static func parse(_ text: String) -> Result<Content, Failure> {
        // Blank out XML declarations (they may only open a document) keeping line numbers.
        var body = text
        while let start = body.range(of: "<?xml"), let end = body.range(of: "?>", range: start.upperBound..<body.endIndex) {
            body.replaceSubrange(start.lowerBound..<end.upperBound,
                                 with: String(body[start.lowerBound..<end.upperBound].map { $0 == "\n" ? "\n" : " " }))
        }
        let root: XMLTree
        do {
            root = try XMLTree.parse("<\(wrapper)>" + body + "</\(wrapper)>")
        } catch {
            return .failure(.malformed(line: error.line, reason: error.reason))
        }
        var elements = root.children
        // A single wrapper element of the user's (`<domains>`) around domains or devices.
        let known: Set<String> = ["domain", "domstatus", "device"]
        if elements.count == 1, let only = elements.first, !known.contains(only.name),
           only.children.contains(where: { known.contains($0.name) }) {
            elements = only.children
        }
        guard let first = elements.first else { return .failure(.unrecognised(line: 1, element: "(none)")) }
        if first.name == "device" {
            var out: [NodeDevice] = []
            for e in elements {
                guard e.name == "device" else { return .failure(.unrecognised(line: e.line, element: e.qualifiedName)) }
                guard let d = nodeDevice(e) else { return .failure(.unrecognised(line: e.line, element: "device without a PCI capability")) }
                out.append(d)
            }
            return .success(.nodeDevices(out))
        }
        var out: [Domain] = []
        for e in elements {
            switch e.name {
            case "domain" where e.namespace == nil:
                out.append(domain(e, status: nil))
            case "domstatus" where e.namespace == nil:
                guard let d = e.child("domain") else { return .failure(.unrecognised(line: e.line, element: "domstatus without <domain>")) }
                out.append(domain(d, status: e))
            default:
                return .failure(.unrecognised(line: e.line, element: e.qualifiedName))
            }
        }
        return .success(.domains(out))
    }

    static func domain(_ e: XMLTree, status: XMLTree?) -> Domain {
        let def: Result<DomainDefinition, DomainXMLError>
        do { def = .success(try DomainXML.parse(tree: e)) } catch { def = .failure(error) }
        var lines: [String: Int] = [:]
        func walk(_ t: XMLTree, _ prefix: String) {
            for c in t.children where c.namespace == nil || c.name == "commandline" {
                let p = prefix.isEmpty ? c.name : prefix + "/" + c.name
                if lines[p] == nil { lines[p] = c.line }
                if prefix.count < 40 { walk(c, p) }
            }
        }
        walk(e, "")
        return Domain(definition: def, line: e.line, statusState: status?.attr("state"),
                      statusPid: status?.attr("pid").flatMap { Int($0) }, elementLines: lines)
    }

    static func nodeDevice(_ e: XMLTree) -> NodeDevice? {
        guard let cap = e.children(named: "capability").first(where: { $0.attr("type") == "pci" }) else { return nil }
        func num(_ s: String?) -> Int? {
            guard var t = s?.trimmingWhitespace().lowercased(), !t.isEmpty else { return nil }
            if t.hasPrefix("0x") { t.removeFirst(2); return Int(t, radix: 16) }
            return Int(t)
        }
        guard let dom = num(cap.child("domain")?.value), let bus = num(cap.child("bus")?.value),
              let slot = num(cap.child("slot")?.value), let fn = num(cap.child("function")?.value),
              (0...0xffff).contains(dom), (0...0xff).contains(bus), (0...0x1f).contains(slot), (0...7).contains(fn) else { return nil }
        func addr(_ d: Int, _ b: Int, _ s: Int, _ f: Int) -> String {
            hex(d, 4) + ":" + hex(b, 2) + ":" + hex(s, 2) + "." + String(f)
        }
        var members: [String] = []
        let group = cap.children(named: "iommuGroup").first
        for a in group?.children(named: "address") ?? [] {
            if let d = num(a.attr("domain")), let b = num(a.attr("bus")), let s = num(a.attr("slot")), let f = num(a.attr("function")) {
                members.append(addr(d, b, s, f))
            }
        }
        let driver = e.child("driver")?.child("name")?.value
        return NodeDevice(name: e.child("name")?.value ?? "", address: addr(dom, bus, slot, fn),
                          driver: (driver?.isEmpty ?? true) ? nil : driver, classCode: num(cap.child("class")?.value),
                          vendor: num(cap.child("vendor")?.attr("id")), product: num(cap.child("product")?.attr("id")),
                          productName: cap.child("product").map(\.value).flatMap { $0.isEmpty ? nil : $0 },
                          iommuGroup: group?.attr("number").flatMap { Int($0) }, groupMembers: members, line: e.line)
    }

    /// `v` in lower-case hex, zero-padded to `width` digits.
    public static func hex(_ v: Int, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
