import Core

/// The text admins paste when asking for help with device assignment, parsed and merged:
///
/// - the "IOMMU Group N" shell loops, in both common shapes:
///   `IOMMU Group 1 00:01.0 PCI bridge [0604]: Intel Corporation ... [8086:1901] (rev 07)` and
///   an `IOMMU Group 1:` header followed by indented `lspci -nns` lines (with or without `-k`);
/// - `find /sys/kernel/iommu_groups/ -type l` (`/sys/kernel/iommu_groups/1/devices/0000:01:00.0`);
/// - `lspci -nnk` (or `-k`, `-D`) blocks with `Subsystem:`, `Kernel driver in use:` and
///   `Kernel modules:` lines, and numeric `lspci -n` lines (`01:00.0 0300: 10de:1b81`);
/// - `Group: N  ADDR ...  Driver: X` lines of IOMMU viewer scripts;
/// - `find /sys/kernel/iommu_groups/ -type l`, also with the newlines lost in a paste;
/// - `ls -la /sys/kernel/iommu_groups/N/devices/` (the symlink targets give the bridge path);
/// - kernel log lines (`pci 0000:01:00.0: Adding to iommu group 1`, `iommu: Adding device
///   0000:01:00.0 to group 1`, `pci 0000:01:00.0: [10de:1b81] type 00 class 0x030000`);
/// - `virsh nodedev-dumpxml` of PCI devices (`NodedevXML`).
///
/// Lines wrapped by a mail client or forum are joined back; shell prompts and unrelated kernel
/// messages are chatter; any other line is ignored and reported (`Result.ignored`). Driver
/// knowledge is per device: a device whose block shows `lspci -k` detail lines but no
/// `Kernel driver in use` has no driver; a device shown without them has an unknown driver.
/// Several files of one host are merged by normalized PCI address.
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
        /// The bridges above the device, root port first (from `ls -la` symlink targets or a
        /// nodedev `<path>`), when the listing shows them.
        public var upstream: [String]?
        /// True when another device of the listing sits below this one (it is a bridge).
        public var bridgeByPath: Bool?

        public init(address: String, group: Int? = nil, source: String = "") {
            self.address = address
            self.group = group
            self.source = source
        }

        var bridge: Bool? {
            if let c = classCode { return PCIClass.isBridge(c) }
            if let n = className?.lowercased() { return n == "pci bridge" || n == "cardbus bridge" }
            return bridgeByPath
        }
    }

    /// Merged entries by address.
    public var entries: [String: Entry] = [:]
    /// Disagreements between files (address -> explanation).
    public var conflicts: [String: [String]] = [:]
    public var sources: [String] = []
    /// Formats recognised in any file.
    public var kinds: Set<Kind> = []
    /// Lines no format could place, by file (at most `ignoredLimit` per file).
    public var ignored: [Line] = []

    public init() {}

    /// Parses one file's text and merges it in.
    public mutating func add(_ text: String, source: String = "listing") {
        add(Self.parse(text, file: source))
    }

    /// The devices of one text (see `parse(_:file:)` for the formats and the ignored lines).
    public static func parse(_ text: String, source: String = "listing") -> [Entry] {
        parse(text, file: source).entries
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
        cur.upstream = cur.upstream ?? e.upstream
        if cur.bridgeByPath == nil { cur.bridgeByPath = e.bridgeByPath }
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
    /// A group with a member whose multi-function siblings the listing does not account for is
    /// undecidable (`incomplete`); a chipset member makes it non-viable (`IOMMUGroupReport`).
    public var groups: [IOMMUGroupReport] {
        var byGroup: [Int: [Entry]] = [:]
        let upstream = Set(entries.values.flatMap { $0.upstream ?? [] })
        for var e in entries.values {
            if upstream.contains(e.address) { e.bridgeByPath = true }
            if let g = e.group { byGroup[g, default: []].append(e) }
        }
        let missing = incomplete
        return byGroup.keys.sorted().map { g in
            let members = byGroup[g]!
            var extra: [String] = []
            for m in members { extra += conflicts[m.address] ?? [] }
            var r = IOMMUGroupReport(group: g, devices: members.map(member),
                                     extraReasons: members.flatMap { missing[$0.address] ?? [] }, conflicts: extra)
            for m in members where m.driver == .unknown && m.bridge != true {
                if let i = r.reasons.firstIndex(where: { $0.hasPrefix(m.address + ":") }) {
                    r.reasons[i] = "\(m.address): no driver information in the listing (add `lspci -nnk` output)"
                }
            }
            return r
        }
    }

    /// Multi-function cards the listing shows only in part, by the address of a shown function:
    /// function 0 missing (every multi-function device has a function 0, so the listing left
    /// it out), or a sibling shown without a group while this function has one (the group's
    /// membership is not all in the listing). Gaps between functions are not flagged: chipsets
    /// hide functions (Intel's P2SB at 1f.1) and root ports come and go with the slots in use.
    public var incomplete: [String: [String]] {
        var slots: [String: [Entry]] = [:]
        for e in entries.values { slots[String(e.address.dropLast(2)), default: []].append(e) }
        var out: [String: [String]] = [:]
        for (slot, fns) in slots {
            let numbers = Set(fns.compactMap { Int(String($0.address.last!)) })
            guard let top = numbers.max(), top > 0 else { continue }
            let ungrouped = fns.filter { $0.group == nil }.map(\.address).sorted()
            for e in fns where e.group != nil {
                var why: [String] = []
                if !numbers.contains(0) {
                    why.append("\(e.address) is a function of a multi-function card whose function 0 (\(slot).0) is missing from the listing: the group's members are incomplete")
                }
                if !ungrouped.isEmpty {
                    why.append("\(e.address) has sibling function(s) \(ungrouped.joined(separator: ", ")) that the listing shows without an IOMMU group: the group's members are incomplete")
                }
                if !why.isEmpty { out[e.address] = why }
            }
        }
        return out
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
            "recognised": .from(kinds.sorted().map(\.rawValue)),
            "ignored": .array(ignored.map(\.json)),
        ])
    }
}

