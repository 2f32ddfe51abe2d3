import Core

/// The resource limits on a qemu's machine cgroup, read from the cgroup filesystem:
/// `/sys/fs/cgroup/<path>/{memory.max,pids.max,cpu.max}` on cgroup v2, and on v1 (or hybrid)
/// `/sys/fs/cgroup/memory/<path>/memory.limit_in_bytes`, `/sys/fs/cgroup/pids/<path>/pids.max`,
/// `/sys/fs/cgroup/cpu/<path>/cpu.cfs_quota_us` + `cpu.cfs_period_us`.
///
/// libvirt writes `<memtune>`/`<cputune>` limits on the machine group (the scope, not its
/// `emulator`/`vcpuN` children), and any ancestor (`machine.slice`) can cap it too, so each
/// limit is the tightest one from the process's own group up to the root. A group without the
/// file (the controller is not enabled there, or the hierarchy root) sets no limit; a group
/// directory that is missing means the process moved or exited: an error, not "unlimited".
public struct CgroupLimits: Sendable, Hashable {
    /// One limit: the tightest value found and the file it came from; nil value = unlimited.
    public struct Limit: Sendable, Hashable {
        public var value: Int?
        public var file: String?
        /// cpu only: the period in microseconds belonging to `value` (the quota).
        public var period: Int?
        public var limited: Bool { value != nil }
    }

    public var version: Int
    public var memory: Limit
    public var pids: Limit
    public var cpu: Limit

    /// v1's "no limit" for memory.limit_in_bytes is PAGE_COUNTER_MAX pages (9223372036854771712
    /// with 4 KiB pages); anything at or above 2^62 is treated as unlimited.
    static let v1MemoryUnlimited = 1 << 62

    public static func read(_ cgroup: ProcCgroup, root: HostRoot, reader: ProcReader = .live) throws(ProbeError) -> CgroupLimits {
        if cgroup.version == 2 {
            let p = cgroup.path
            let base = root.sys("fs/cgroup")
            return CgroupLimits(
                version: 2,
                memory: try tightest(base: base, path: p, file: "memory.max", reader: reader) { s, path throws(ProbeError) in try parseMax(s, path) },
                pids: try tightest(base: base, path: p, file: "pids.max", reader: reader) { s, path throws(ProbeError) in try parseMax(s, path) },
                cpu: try tightestCPU2(base: base, path: p, reader: reader))
        }
        func v1(_ controller: String) -> (base: String, path: String)? {
            guard let e = cgroup.entries.first(where: { $0.controllers.contains(controller) }) else { return nil }
            let joined = root.sys("fs/cgroup/" + e.controllers.joined(separator: ","))
            let single = root.sys("fs/cgroup/" + controller)
            return (reader.exists(joined) ? joined : single, e.path)
        }
        let none = Limit(value: nil, file: nil)
        var memory = none, pids = none, cpu = none
        if let m = v1("memory") {
            memory = try tightest(base: m.base, path: m.path, file: "memory.limit_in_bytes", reader: reader) { s, path throws(ProbeError) in
                let v = try parseMax(s, path)
                return v.flatMap { $0 >= v1MemoryUnlimited ? nil : $0 }
            }
        }
        if let p = v1("pids") {
            pids = try tightest(base: p.base, path: p.path, file: "pids.max", reader: reader) { s, path throws(ProbeError) in try parseMax(s, path) }
        }
        if let c = v1("cpu") {
            cpu = try tightest(base: c.base, path: c.path, file: "cpu.cfs_quota_us", reader: reader) { s, path throws(ProbeError) in
                guard let v = Int(s.trimmingWhitespace()) else { throw .parse(path: path, reason: "'\(s)' is not a quota") }
                return v < 0 ? nil : v
            }
            if let f = cpu.file {
                let periodFile = String(f.dropLast("cpu.cfs_quota_us".count)) + "cpu.cfs_period_us"
                cpu.period = (try? reader.readString(periodFile)).flatMap { Int($0.trimmingWhitespace()) }
            }
        }
        return CgroupLimits(version: 1, memory: memory, pids: pids, cpu: cpu)
    }

    /// `max` or a number (memory.max, pids.max, memory.limit_in_bytes); nil for `max`.
    public static func parseMax(_ text: String, _ path: String = "limit") throws(ProbeError) -> Int? {
        let s = text.trimmingWhitespace()
        if s == "max" { return nil }
        guard let v = Int(s), v >= 0 else { throw .parse(path: path, reason: "'\(s)' is neither max nor a number") }
        return v
    }

    /// cgroup v2 `cpu.max`: `$MAX $PERIOD`, `max 100000` when unlimited.
    public static func parseCPUMax(_ text: String, _ path: String = "cpu.max") throws(ProbeError) -> (quota: Int?, period: Int) {
        let parts = text.trimmingWhitespace().split(separator: " ")
        guard parts.count == 2, let period = Int(parts[1]), period > 0 else { throw .parse(path: path, reason: "'\(text.trimmingWhitespace())' is not '$MAX $PERIOD'") }
        if parts[0] == "max" { return (nil, period) }
        guard let q = Int(parts[0]), q > 0 else { throw .parse(path: path, reason: "'\(parts[0])' is not a quota") }
        return (q, period)
    }

    /// The group directories from `path` up to (and including) the hierarchy root.
    static func groups(_ path: String) -> [String] {
        var out: [String] = []
        var components = path.split(separator: "/").map(String.init)
        while true {
            out.append("/" + components.joined(separator: "/"))
            if components.isEmpty { break }
            components.removeLast()
        }
        return out
    }

    private static func tightest(base: String, path: String, file: String, reader: ProcReader,
                                 _ parse: (String, String) throws(ProbeError) -> Int?) throws(ProbeError) -> Limit {
        var best = Limit(value: nil, file: nil)
        for g in groups(path) {
            let dir = base + (g == "/" ? "" : g)
            guard reader.exists(dir) else { throw .notFound(path: dir) }
            let f = dir + "/" + file
            guard reader.exists(f) else { continue }
            if let v = try parse(try reader.readString(f), f), best.value.map({ v < $0 }) ?? true {
                best = Limit(value: v, file: f)
            }
        }
        return best
    }

    /// The tightest v2 cpu.max by share of one CPU (quota / period).
    private static func tightestCPU2(base: String, path: String, reader: ProcReader) throws(ProbeError) -> Limit {
        var best = Limit(value: nil, file: nil)
        for g in groups(path) {
            let dir = base + (g == "/" ? "" : g)
            guard reader.exists(dir) else { throw .notFound(path: dir) }
            let f = dir + "/cpu.max"
            guard reader.exists(f) else { continue }
            let (q, period) = try parseCPUMax(try reader.readString(f), f)
            guard let q else { continue }
            if let bq = best.value, let bp = best.period, Double(bq) / Double(bp) <= Double(q) / Double(period) { continue }
            best = Limit(value: q, file: f, period: period)
        }
        return best
    }
}
