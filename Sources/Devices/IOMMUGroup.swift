import Core

/// One IOMMU group: `/sys/kernel/iommu_groups/<n>/` with `devices/*` (links to the member
/// devices), `type` (the default domain type, since Linux 5.11) and `reserved_regions`.
public struct IOMMUGroup: Sendable, Hashable {
    public struct ReservedRegion: Sendable, Hashable {
        public var start: UInt64
        public var end: UInt64
        /// `direct` (RMRR/unity map), `direct-relaxable`, `reserved`, `msi`.
        public var type: String
    }

    public var number: Int
    /// Member device names (PCI addresses for PCI devices).
    public var devices: [String]
    /// `DMA`, `DMA-FQ`, `identity`, `blocked`, `unmanaged`...; nil when absent (older kernels).
    public var type: String?
    public var reservedRegions: [ReservedRegion]?
    public var problems: [String: String]

    public init(number: Int, devices: [String], type: String? = nil, reservedRegions: [ReservedRegion]? = nil,
                problems: [String: String] = [:]) {
        self.number = number
        self.devices = devices
        self.type = type
        self.reservedRegions = reservedRegions
        self.problems = problems
    }

    /// Group numbers present under `/sys/kernel/iommu_groups`, sorted numerically. Empty when
    /// the directory is empty or absent (no IOMMU); entries that are not numbers are skipped.
    public static func list(root: HostRoot) -> [Int] {
        ((try? FileReader.list(root.sys("kernel/iommu_groups"))) ?? []).compactMap { Int($0) }.sorted()
    }

    public static func read(_ number: Int, root: HostRoot) throws(ProbeError) -> IOMMUGroup {
        let dir = root.sys("kernel/iommu_groups/\(number)")
        guard FileReader.isDirectory(dir) else { throw ProbeError.notFound(path: dir) }
        var g = IOMMUGroup(number: number, devices: [])
        do { g.devices = try FileReader.list(dir + "/devices").map { PCIAddress.normalize($0) ?? $0 } }
        catch { g.problems["devices"] = error.description }
        do {
            if let t = try FileReader.readOptional(dir + "/type") {
                if let v = parseType(t) { g.type = v } else { g.problems["type"] = "\(dir)/type: unexpected value \(t.prefix(40).debugDescription)" }
            } else {
                g.problems["type"] = "\(dir)/type: absent (kernel older than 5.11)"
            }
        } catch { g.problems["type"] = error.description }
        if let text = try? FileReader.readOptional(dir + "/reserved_regions") {
            g.reservedRegions = parseReservedRegions(text)
        }
        return g
    }

    /// The kernel prints one of a fixed set of words.
    public static func parseType(_ text: String) -> String? {
        let t = text.trimmingWhitespace()
        return knownTypes.contains(t) ? t : nil
    }

    static func hex64(_ s: Substring) -> UInt64? {
        var t = s.lowercased()
        if t.hasPrefix("0x") { t.removeFirst(2) }
        return t.isEmpty || t.count > 16 ? nil : UInt64(t, radix: 16)
    }

    public static let knownTypes: Set<String> = ["DMA", "DMA-FQ", "identity", "blocked", "unmanaged", "auto", "unknown"]

    /// `0x00000000fee00000 0x00000000feefffff msi` per line; malformed lines are skipped.
    public static func parseReservedRegions(_ text: String) -> [ReservedRegion] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ")
            guard f.count == 3, let s = hex64(f[0]), let e = hex64(f[1]), s <= e else { return nil }
            return ReservedRegion(start: s, end: e, type: String(f[2]))
        }
    }
}

