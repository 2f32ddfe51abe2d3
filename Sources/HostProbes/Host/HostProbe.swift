import Core

/// Collects the host-wide hygiene facts (`host.*`): MAC state, libvirt's qemu.conf, /dev/kvm, CPU
/// vulnerabilities and SMT, kernel taint, lockdown, command line and release. Every source is read
/// independently through `root`; one that fails leaves its facts null with the reason recorded, and
/// the others are still collected. Paths are published in `HostProbe.schema`.
public enum HostProbe {
    public static func collect(root: HostRoot) -> FactBuilder {
        var facts = FactBuilder()
        probe("host.selinux", &facts) { try SELinuxState.read(root: root).record(into: &$0) }
        probe("host.apparmor", &facts) { try AppArmorState.read(root: root).record(into: &$0) }
        do {
            try QemuConf.read(root: root).record(into: &facts)
        } catch {
            // The file exists but libvirtd would refuse it: nothing in it can be trusted.
            facts.setUnknown("host.qemuConf", reason: "\(error)")
            facts.set("host.qemuConf.present", .bool(!isNotFound(error)))
            facts.set("host.qemuConf.path", .string(QemuConf.path))
        }
        probe("host.kvm", &facts) { try KVMDevice.read(root: root).record(into: &$0) }
        probe("host.cpu.vulnerabilities", also: ["host.cpu.vulnerable", "host.cpu.smtVulnerable"], &facts) {
            try CPUVulnerabilities.read(root: root).record(into: &$0)
        }
        probe("host.cpu.smt", &facts) { try SMTControl.read(root: root).record(into: &$0) }
        probe("host.kernel.release", &facts) { try KernelRelease.read(root: root).record(into: &$0) }
        probe("host.kernel.taint", &facts) { try KernelTaint.read(root: root).record(into: &$0) }
        probe("host.kernel.lockdown", &facts) { try KernelLockdown.read(root: root).record(into: &$0) }
        probe("host.kernel.cmdline", &facts) { try KernelCmdline.read(root: root).record(into: &$0) }
        collectManagement(root: root, into: &facts)
        return facts
    }

    /// Runs one source; on failure its subtree (and `also` paths) becomes null with the reason.
    static func probe(_ prefix: String, also: [String] = [], _ facts: inout FactBuilder,
                              _ body: (inout FactBuilder) throws -> Void) {
        do {
            try body(&facts)
        } catch {
            facts.setUnknown(prefix, reason: "\(error)")
            for p in also { facts.setUnknown(p, reason: "\(error)") }
        }
    }

    private static func isNotFound(_ e: ProbeError) -> Bool {
        if case .notFound = e { return true }
        return false
    }
}
