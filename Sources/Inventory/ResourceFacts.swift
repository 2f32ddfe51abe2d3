import Core

/// `resources.*` facts from the XML: the limits libvirt puts on the VM's machine cgroup when it
/// starts it (`<memtune>`, `<cputune>`, `<blkiotune>`, per-disk `<iotune>`). The live cgroup
/// limits (`resources.cgroup.*`) are added by the audit pipeline (`CgroupLimitFacts`).
/// See Docs/facts/resources.md.
public enum ResourceFacts {
    public static func build(_ def: DomainDefinition, into f: inout FactBuilder) {
        let t = def.tuning
        f.set("resources.memoryHardLimitKiB", .from(t.memoryHardLimitKiB))
        f.set("resources.memorySoftLimitKiB", .from(t.memorySoftLimitKiB))
        f.set("resources.swapHardLimitKiB", .from(t.swapHardLimitKiB))
        f.set("resources.cpuShares", .from(t.cpuShares))
        f.set("resources.cpuLimits", .object(t.cpuLimits.mapValues { .int($0) }))
        f.set("resources.cpuQuotaSet", .bool(t.cpuQuotaSet))
        f.set("resources.blkioWeight", .from(t.blkioWeight))
        f.set("resources.blkioDeviceLimits", .int(t.blkioDeviceLimits))
        f.set("resources.disks", .int(t.diskIOTune.count))
        f.set("resources.disksWithoutIOTune", .int(t.diskIOTune.filter { !$0 }.count))
        f.set("resources.ioLimited", .bool(t.blkioDeviceLimits > 0 || !t.diskIOTune.contains(false)))
    }

    public static let schema: [FactField] = [
        FactField("resources", .object, source: "<memtune>, <cputune>, <blkiotune>, <iotune>, /sys/fs/cgroup", "Resource limits of the VM."),
        FactField("resources.memoryHardLimitKiB", .int, source: "<memtune><hard_limit>", "Memory hard limit of the VM's cgroup in KiB; null when unset."),
        FactField("resources.memorySoftLimitKiB", .int, source: "<memtune><soft_limit>", "Memory soft limit in KiB; null when unset."),
        FactField("resources.swapHardLimitKiB", .int, source: "<memtune><swap_hard_limit>", "Memory plus swap limit in KiB; null when unset."),
        FactField("resources.cpuShares", .int, source: "<cputune><shares>", "Relative CPU weight; null when unset (libvirt's default weight)."),
        FactField("resources.cpuLimits", .object, source: "<cputune>", "Every set period/quota element by name (period, quota, global_period, global_quota, emulator_quota, iothread_quota...), in microseconds; -1 is unlimited."),
        FactField("resources.cpuQuotaSet", .bool, source: "<cputune><*quota>", "True when any CPU quota caps the VM's CPU time (a positive quota)."),
        FactField("resources.blkioWeight", .int, source: "<blkiotune><weight>", "Relative I/O weight; null when unset."),
        FactField("resources.blkioDeviceLimits", .int, source: "<blkiotune><device>", "Number of <blkiotune><device> entries with a bytes or iops cap."),
        FactField("resources.disks", .int, source: "<disk>", "Number of disks."),
        FactField("resources.disksWithoutIOTune", .int, source: "<disk><iotune>", "Disks whose <iotune> caps neither bytes nor iops."),
        FactField("resources.ioLimited", .bool, source: "<blkiotune>, <iotune>", "True when block I/O is capped: a <blkiotune><device> limit, or every disk has an <iotune> cap (true for a VM without disks)."),

    ]
}
