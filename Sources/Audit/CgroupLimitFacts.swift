import Core
import HostProbes
import Inventory

/// `resources.cgroup.*`: the limits the kernel enforces on a running domain's qemu, read from
/// its machine cgroup (see `CgroupLimits`). Not running: not applicable (the facts stay unset
/// and rules reading them carry `when: domain.running`); unreadable: unknown with the reason.
enum CgroupLimitFacts {
    static func collect(_ d: InventoryDomain, root: HostRoot, reader: ProcReader = .live, into f: inout FactBuilder) {
        guard d.record.isActive else { return }
        guard f.tree[path: "process.located"]?.boolValue == true, let pid = f.tree[path: "process.pid"]?.intValue else {
            f.setUnknown("resources.cgroup", reason: f.unknown["process"] ?? "the domain's qemu process was not found")
            return
        }
        do {
            let limits = try CgroupLimits.read(try ProcCgroup.read(pid: pid, root: root, reader: reader), root: root, reader: reader)
            f.set("resources.cgroup.version", .int(limits.version))
            f.set("resources.cgroup.memoryMax", .from(limits.memory.value))
            f.set("resources.cgroup.memoryLimited", .bool(limits.memory.limited))
            f.set("resources.cgroup.pidsMax", .from(limits.pids.value))
            f.set("resources.cgroup.pidsLimited", .bool(limits.pids.limited))
            f.set("resources.cgroup.cpuQuotaUs", .from(limits.cpu.value))
            f.set("resources.cgroup.cpuPeriodUs", .from(limits.cpu.period))
            f.set("resources.cgroup.cpuLimited", .bool(limits.cpu.limited))
            f.set("resources.cgroup.files", .from([limits.memory.file, limits.pids.file, limits.cpu.file].compactMap { $0.map(root.hostView) }))
        } catch {
            f.setUnknown("resources.cgroup", reason: "\(error)")
        }
    }

    static let cgroupSource = "/sys/fs/cgroup/<machine group>/{memory.max,pids.max,cpu.max} (v2); memory.limit_in_bytes, pids.max, cpu.cfs_quota_us (v1)"

    static let schema: [FactField] = [
        FactField("resources.cgroup", .object, source: cgroupSource, "Live limits of the qemu's machine cgroup (running VMs)."),
        FactField("resources.cgroup.version", .int, source: "/proc/<pid>/cgroup", "2 (unified) or 1 (v1 or hybrid)."),
        FactField("resources.cgroup.memoryMax", .int, source: cgroupSource, "Tightest memory limit in bytes from the qemu's group up to the root; null when unlimited."),
        FactField("resources.cgroup.memoryLimited", .bool, source: cgroupSource, "True when a memory limit applies."),
        FactField("resources.cgroup.pidsMax", .int, source: cgroupSource, "Tightest task limit; null when unlimited."),
        FactField("resources.cgroup.pidsLimited", .bool, source: cgroupSource, "True when a task (pids) limit applies."),
        FactField("resources.cgroup.cpuQuotaUs", .int, source: cgroupSource, "Tightest CPU quota in microseconds per period; null when unlimited."),
        FactField("resources.cgroup.cpuPeriodUs", .int, source: cgroupSource, "The period of that quota."),
        FactField("resources.cgroup.cpuLimited", .bool, source: cgroupSource, "True when a CPU quota applies."),
        FactField("resources.cgroup.files", .list, element: .string, source: cgroupSource, "The files the limits were read from (host view)."),
    ]
}
