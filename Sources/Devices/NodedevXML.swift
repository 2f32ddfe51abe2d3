import Core

/// `virtaudit nodedev-dumpxml pci_0000_01_00_0` output (one or several `<device>` documents in
/// a file): the device's address, class, vendor and product ids, its bound driver (no
/// `<driver>` element: no driver bound) and its `<iommuGroup number='N'>` with every member's
/// `<address>`. Members other than the dumped device get the group, with their driver unknown.
/// `<path>` gives the bridges above the device. See https://libvirt.org/formatnode.html.
///
/// libvirt writes this XML itself (one element per line, attributes in single quotes); the
/// reader takes elements by pattern within each `<device>...</device>` and ignores anything
/// else, so it needs no XML library in this module.
enum NodedevXML {
    struct Extracted {
        var entries: [IOMMUListing.Entry] = []
        /// Line numbers (1-based) inside `<device>` documents.
        var lines: Set<Int> = []
        var ignored: [IOMMUListing.Line] = []
    }

    nonisolated(unsafe) static let name = try! Regex(#"<name>\s*pci_([0-9a-fA-F]{4})_([0-9a-fA-F]{2})_([0-9a-fA-F]{2})_([0-7])\s*</name>"#)
    nonisolated(unsafe) static let path = try! Regex(#"<path>\s*([^<]*?)\s*</path>"#)
    nonisolated(unsafe) static let driver = try! Regex(#"<driver>\s*<name>\s*([^<\s]+)\s*</name>"#)
    nonisolated(unsafe) static let pciCapability = try! Regex(#"<capability\s+type\s*=\s*['"]pci['"]\s*>"#)
    nonisolated(unsafe) static let field = try! Regex(#"<(domain|bus|slot|function|class)>\s*(0x[0-9a-fA-F]+|\d+)\s*</(?:domain|bus|slot|function|class)>"#)
    nonisolated(unsafe) static let product = try! Regex(#"<product\s+id\s*=\s*['"]0x([0-9a-fA-F]{1,4})['"]\s*/?>([^<]*)"#)
    nonisolated(unsafe) static let vendor = try! Regex(#"<vendor\s+id\s*=\s*['"]0x([0-9a-fA-F]{1,4})['"]\s*/?>([^<]*)"#)
    nonisolated(unsafe) static let group = try! Regex(#"<iommuGroup\s+number\s*=\s*['"](\d+)['"]\s*(/>|>)"#)
    nonisolated(unsafe) static let member = try! Regex(#"<address\s+domain\s*=\s*['"]0x([0-9a-fA-F]+)['"]\s+bus\s*=\s*['"]0x([0-9a-fA-F]+)['"]\s+slot\s*=\s*['"]0x([0-9a-fA-F]+)['"]\s+function\s*=\s*['"]0x([0-7])['"]\s*/>"#)

    static func extract(_ text: String, file: String) -> Extracted {
        var x = Extracted()
        guard text.contains("<device") else { return x }
        var chunk = ""
        var start = 0
        var inside = false
        var n = 0
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            n += 1
            let s = String(raw).trimmingWhitespace()
            if !inside, s.hasPrefix("<device>") || s.hasPrefix("<device ") {
                inside = true; chunk = ""; start = n
            }
            guard inside else { continue }
            x.lines.insert(n)
            chunk += s + "\n"
            if s.hasSuffix("</device>") {
                inside = false
                if let e = device(chunk, file: file) { x.entries += e }
                else { x.ignored.append(.init(file: file, number: start, text: String(text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(start - 1).first ?? ""))) }
            }
            if chunk.utf8.count > 1 << 20 { inside = false }   // not a nodedev document
        }
        if inside {
            // Cut off before </device>: what was read still counts (a truncated paste).
            if let e = device(chunk, file: file) { x.entries += e }
        }
        return x
    }

    /// One `<device>` document: the device and the other members of its group; nil when it is
    /// not a PCI device with a readable address.
    static func device(_ xml: String, file: String) -> [IOMMUListing.Entry]? {
        guard (try? pciCapability.firstMatch(in: xml)) != nil else { return nil }
        var f: [String: Int] = [:]
        for m in xml.matches(of: field) {
            let key = String(m.output[1].substring ?? "")
            let v = String(m.output[2].substring ?? "")
            let value = v.hasPrefix("0x") ? Int(v.dropFirst(2), radix: 16) : Int(v)
            if f[key] == nil, let value { f[key] = value }
        }
        var address: String?
        if let d = f["domain"], let b = f["bus"], let s = f["slot"], let fn = f["function"], s <= 0x1f, fn <= 7 {
            address = hexPad(d, 4) + ":" + hexPad(b, 2) + ":" + hexPad(s, 2) + "." + String(fn)
        } else if let m = try? name.firstMatch(in: xml) {
            address = PCIAddress.normalize("\(m.output[1].substring ?? ""):\(m.output[2].substring ?? ""):\(m.output[3].substring ?? "").\(m.output[4].substring ?? "")")
        }
        guard let a = address.flatMap(PCIAddress.normalize) else { return nil }
        var e = IOMMUListing.Entry(address: a, source: file)
        e.classCode = f["class"]
        if let c = e.classCode { e.className = PCIClass.name(c) }
        if let m = try? product.firstMatch(in: xml) {
            e.device = Int(String(m.output[1].substring ?? ""), radix: 16)
            let n = String(m.output[2].substring ?? "").trimmingWhitespace()
            if !n.isEmpty { e.name = n }
        }
        if let m = try? vendor.firstMatch(in: xml) {
            e.vendor = Int(String(m.output[1].substring ?? ""), radix: 16)
            let v = String(m.output[2].substring ?? "").trimmingWhitespace()
            if !v.isEmpty { e.name = [v, e.name].compactMap { $0 }.joined(separator: " ") }
        }
        // libvirt writes <driver> only when a driver is bound.
        if let m = try? driver.firstMatch(in: xml) { e.driver = .bound(String(m.output[1].substring ?? "")) }
        else { e.driver = .none }
        if let m = try? path.firstMatch(in: xml) {
            let parts = String(m.output[1].substring ?? "").split(separator: "/").compactMap { PCIAddress.normalize(String($0)) }
            if parts.last == a { e.upstream = Array(parts.dropLast()) }
        }
        var out: [IOMMUListing.Entry] = []
        if let g = try? group.firstMatch(in: xml), let n = Int(String(g.output[1].substring ?? "")) {
            e.group = n
            if g.output[2].substring == ">", let close = xml.range(of: "</iommuGroup>"), g.range.upperBound <= close.lowerBound {
                for m in xml[g.range.upperBound..<close.lowerBound].matches(of: member) {
                    let parts = (1...4).map { Int(String(m.output[$0].substring ?? ""), radix: 16) ?? -1 }
                    guard parts.allSatisfy({ $0 >= 0 }), parts[2] <= 0x1f else { continue }
                    let ma = hexPad(parts[0], 4) + ":" + hexPad(parts[1], 2) + ":" + hexPad(parts[2], 2) + "." + String(parts[3])
                    if ma != a { out.append(IOMMUListing.Entry(address: ma, group: n, source: file)) }
                }
            }
        }
        return [e] + out
    }

    static func hexPad(_ v: Int, _ n: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, n - s.count)) + s
    }
}
