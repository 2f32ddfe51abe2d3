import Core

/// The text admins paste when asking for help with device assignment, parsed and merged:
///
/// - the "IOMMU Group N" shell loops, in both common shapes:
///   `IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel Corporation ... [8086:1901] (rev 07)` and
///   an `IOMMU Group 1:` header followed by indented `lspci -nns` lines (with or without `-k`);
/// - `find /sys/kernel/iommu_groups/ -type l` (`/sys/kernel/iommu_groups/1/devices/0000:01:00.0`);
/// - `lspci -nnk` (or `-k`, `-D`) blocks with `Subsystem:`, `Kernel driver in use:` and
///   `Kernel modules:` lines.
///
/// Lines wrapped by a mail client or forum are joined back; shell prompts and other chatter are
/// skipped. Several files of one host are merged by normalized PCI address.
public struct IOMMUListing: Sendable {
    public enum DriverState: Sendable, Hashable {
        case unknown
        case none
        case bound(String)
    }

    public struct Entry: Sendable, Hashable {
        public var address: String
        public var group: Int?
        public var classCode: Int?
        public var className: String?
        public var name: String?
        public var vendor: Int?
        public var device: Int?
        public var driver: DriverState = .unknown
        public var modules: [String] = []
        public var source: String = ""

        var bridge: Bool? {
            if let c = classCode { return PCIClass.isBridge(c) }
            if let n = className?.lowercased() { return n == "pci bridge" || n == "cardbus bridge" }
            return nil
        }
    }

    /// Merged entries by address.
    public var entries: [String: Entry] = [:]
    /// Disagreements between files (address -> explanation).
    public var conflicts: [String: [String]] = [:]
    public var sources: [String] = []

    public init() {}

    /// Parses one file's text and merges it in.
    public mutating func add(_ text: String, source: String = "listing") {
        sources.append(source)
        for e in Self.parse(text, source: source) { merge(e) }
    }

    public static func parse(_ text: String, source: String = "listing") -> [Entry] {
        var p = Parser(source: source)
        return p.run(text)
    }

    mutating func merge(_ e: Entry) {
        guard var cur = entries[e.address] else { entries[e.address] = e; return }
        if cur.group == nil { cur.group = e.group }
        else if let g = e.group, g != cur.group {
            conflicts[e.address, default: []].append("\(e.address) is in group \(cur.group!) in \(cur.source) but in group \(g) in \(e.source)")
        }
        if let v1 = cur.vendor, let d1 = cur.device, let v2 = e.vendor, let d2 = e.device, (v1, d1) != (v2, d2) {
            conflicts[e.address, default: []].append(
                "\(e.address) is \(PCIClass.hex4(v1)):\(PCIClass.hex4(d1)) in \(cur.source) but \(PCIClass.hex4(v2)):\(PCIClass.hex4(d2)) in \(e.source): the listings are not from the same host")
        }
        cur.classCode = cur.classCode ?? e.classCode
        cur.className = cur.className ?? e.className
        cur.name = cur.name ?? e.name
        cur.vendor = cur.vendor ?? e.vendor
        cur.device = cur.device ?? e.device
        if cur.modules.isEmpty { cur.modules = e.modules }
        switch (cur.driver, e.driver) {
        case (_, .unknown): break
        case (.unknown, _): cur.driver = e.driver
        case let (a, b) where a != b:
            conflicts[e.address, default: []].append(
                "\(e.address): the listings disagree on its driver (\(Self.describe(a)) vs \(Self.describe(b)) in \(e.source))")
        default: break
        }
        entries[e.address] = cur
    }

    static func describe(_ d: DriverState) -> String {
        switch d {
        case .unknown: return "unknown"
        case .none: return "no driver"
        case .bound(let x): return x
        }
    }

    // MARK: Judgement

    public func member(_ e: Entry) -> IOMMUGroupReport.Member {
        let (driver, known): (String?, Bool) = switch e.driver {
        case .unknown: (nil, false)
        case .none: (nil, true)
        case .bound(let x): (x, true)
        }
        let name = [e.className, e.name].compactMap { $0 }.joined(separator: ": ")
        return IOMMUGroupReport.Member(address: e.address, vendor: e.vendor, device: e.device, classCode: e.classCode,
                                       name: name.isEmpty ? nil : name, driver: driver, driverKnown: known, bridge: e.bridge)
    }

    /// Every group with its viability and the reasons naming the devices that decide it.
    public var groups: [IOMMUGroupReport] {
        var byGroup: [Int: [Entry]] = [:]
        for e in entries.values { if let g = e.group { byGroup[g, default: []].append(e) } }
        return byGroup.keys.sorted().map { g in
            let members = byGroup[g]!
            var extra: [String] = []
            for m in members { extra += conflicts[m.address] ?? [] }
            var r = IOMMUGroupReport(group: g, devices: members.map(member), conflicts: extra)
            for m in members where m.driver == .unknown && m.bridge != true {
                if let i = r.reasons.firstIndex(where: { $0.hasPrefix(m.address + ":") }) {
                    r.reasons[i] = "\(m.address): no driver information in the listing (add `lspci -nnk` output)"
                }
            }
            return r
        }
    }

    /// Devices the listings show without a group number.
    public var ungrouped: [IOMMUGroupReport.Member] {
        entries.values.filter { $0.group == nil }.sorted { $0.address < $1.address }.map(member)
    }

    public var json: JSONValue {
        .object([
            "groups": .array(groups.map(\.json)),
            "ungrouped": .array(ungrouped.map { m in
                .object(["address": .string(m.address), "driver": .from(m.driver), "driverKnown": .bool(m.driverKnown),
                         "name": .from(m.name)])
            }),
            "sources": .from(sources),
        ])
    }
}

// MARK: - Line parser

private struct Parser {
    let source: String
    var out: [IOMMUListing.Entry] = []
    var index: [String: Int] = [:]
    /// The group opened by an `IOMMU Group N:` header, and whether its members are indented.
    var headerGroup: Int?
    var headerIndented: Bool?
    /// Index of the device the following indented lines belong to.
    var current: Int?
    /// What a continuation line extends.
    enum Pending { case none, description, driver, modules }
    var pending: Pending = .none
    var sawKernelLines = false
    var kBlock: Set<Int> = []

    init(source: String) { self.source = source }

    static let addr = #"((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])"#
    nonisolated(unsafe) static let groupHeader = try! Regex(#"^(?:IOMMU\s+)?group\s+(\d+)\s*:?\s*$"#).ignoresCase()
    nonisolated(unsafe) static let groupDevice = try! Regex(#"^(?:IOMMU\s+)?group\s+(\d+)\s*:?\s+"# + addr + #"(?:\s+(.*))?$"#).ignoresCase()
    nonisolated(unsafe) static let sysfsLink = try! Regex(#"iommu_groups/(\d+)/devices/"# + addr)
    nonisolated(unsafe) static let device = try! Regex(#"^"# + addr + #"\s+(.+)$"#)
    nonisolated(unsafe) static let ids = try! Regex(#"\[([0-9a-fA-F]{4}):\s*([0-9a-fA-F]{4})\]"#)
    nonisolated(unsafe) static let classCode = try! Regex(#"^(.*?)\s*\[([0-9a-fA-F]{4})\]\s*:\s*(.*)$"#)

    mutating func run(_ text: String) -> [IOMMUListing.Entry] {
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            line(String(raw))
        }
        // An lspci -k listing prints "Kernel driver in use" for every bound device: a device in
        // such a listing without that line has no driver.
        if sawKernelLines {
            for i in out.indices where out[i].driver == .unknown && kBlock.contains(i) { out[i].driver = .none }
        }
        return out
    }

    mutating func line(_ raw: String) {
        var s = raw.replacingTabs()
        // Quote markers from mail and forum replies.
        while s.hasPrefix(">") { s.removeFirst(); if s.hasPrefix(" ") { s.removeFirst() } }
        let indented = s.first == " "
        s = s.trimmingWhitespace()
        if s.isEmpty { pending = .none; return }

        if let m = try? Self.groupHeader.wholeMatch(in: s), let g = Int(m.output[1].substring ?? "") {
            headerGroup = g; headerIndented = nil; current = nil; pending = .none
            return
        }
        if let m = try? Self.groupDevice.wholeMatch(in: s), let g = Int(m.output[1].substring ?? ""),
           let a = m.output[2].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            headerGroup = nil
            addDevice(a, group: g, description: m.output[3].substring.map(String.init) ?? "", kCapable: true)
            return
        }
        if let m = try? Self.sysfsLink.firstMatch(in: s), let g = Int(m.output[1].substring ?? ""),
           let a = m.output[2].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            addDevice(a, group: g, description: "", kCapable: false)
            pending = .none
            return
        }
        if let m = try? Self.device.wholeMatch(in: s), let a = m.output[1].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            var group: Int? = nil
            if let hg = headerGroup {
                if headerIndented == nil { headerIndented = indented }
                if headerIndented == indented { group = hg } else { headerGroup = nil }
            }
            addDevice(a, group: group, description: String(m.output[2].substring ?? ""), kCapable: true)
            return
        }
        if let (key, value) = keyValue(s) {
            guard let i = current else { pending = .none; return }
            switch key {
            case "kernel driver in use":
                sawKernelLines = true
                if value.isEmpty { pending = .driver } else { out[i].driver = .bound(value); pending = .none }
            case "kernel modules":
                sawKernelLines = true
                out[i].modules = modules(value)
                pending = value.isEmpty || value.hasSuffix(",") ? .modules : .none
            default:
                pending = .none
            }
            return
        }
        continuation(s)
    }

    /// `Kernel driver in use: vfio-pci`, `Subsystem: ...`, `Kernel modules: a, b`.
    func keyValue(_ s: String) -> (String, String)? {
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let key = String(s[..<colon]).trimmingWhitespace().lowercased()
        let known = ["kernel driver in use", "kernel modules", "subsystem", "devicename", "physical slot",
                     "flags", "memory at", "i/o ports at", "capabilities", "control", "status", "latency",
                     "interrupt", "region 0", "region 1", "region 2", "region 3", "region 4", "region 5",
                     "expansion rom at", "iommu group", "bus", "prefetchable memory behind bridge",
                     "memory behind bridge", "i/o behind bridge", "secondary status", "bridgectl", "numa node"]
        guard known.contains(key) else { return nil }
        return (key, String(s[s.index(after: colon)...]).trimmingWhitespace())
    }

    func modules(_ v: String) -> [String] {
        v.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    mutating func continuation(_ s: String) {
        guard let i = current else { return }
        switch pending {
        case .description:
            out[i] = describe(out[i], (rawDescription[i] ?? "") + " " + s)
            if out[i].vendor != nil { pending = .none }
        case .driver:
            let name = String(s.split(separator: " ").first ?? "")
            if !name.isEmpty { out[i].driver = .bound(name) }
            pending = .none
        case .modules:
            out[i].modules += modules(s)
            if !s.hasSuffix(",") { pending = .none }
        case .none:
            break
        }
    }

    var rawDescription: [Int: String] = [:]

    mutating func addDevice(_ a: String, group: Int?, description: String, kCapable: Bool) {
        var e = IOMMUListing.Entry(address: a, group: group, source: source)
        if let i = index[a] {
            // The same device twice in one file (a group loop followed by lspci): one entry.
            if out[i].group == nil { out[i].group = group }
            current = i
        } else {
            out.append(e)
            index[a] = out.count - 1
            current = out.count - 1
        }
        let i = current!
        if kCapable { kBlock.insert(i) }
        if !description.isEmpty {
            e = describe(out[i], description)
            out[i] = e
            rawDescription[i] = description
        }
        pending = (!description.isEmpty && out[i].vendor == nil) ? .description : .none
    }

    /// `VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1070] [10de:1b81] (rev a1)`
    mutating func describe(_ entry: IOMMUListing.Entry, _ text: String) -> IOMMUListing.Entry {
        var e = entry
        let t = text.trimmingWhitespace()
        if let i = index[e.address] { rawDescription[i] = t }
        var rest = t
        if let m = try? Self.classCode.wholeMatch(in: t) {
            e.className = String(m.output[1].substring ?? "").trimmingWhitespace()
            e.classCode = Int(String(m.output[2].substring ?? ""), radix: 16).map { $0 << 8 }
            rest = String(m.output[3].substring ?? "")
        } else if let colon = t.firstIndex(of: ":") {
            e.className = String(t[..<colon]).trimmingWhitespace()
            rest = String(t[t.index(after: colon)...]).trimmingWhitespace()
        }
        let all = rest.matches(of: Self.ids)
        if let last = all.last {
            e.vendor = Int(String(last.output[1].substring ?? ""), radix: 16)
            e.device = Int(String(last.output[2].substring ?? ""), radix: 16)
            e.name = String(rest[..<last.range.lowerBound]).trimmingWhitespace()
        } else {
            e.name = rest.isEmpty ? nil : rest
        }
        return e
    }
}

extension String {
    func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}
