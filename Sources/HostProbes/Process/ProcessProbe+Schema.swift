import Core

extension ProcessProbe {
    private static let status = "/proc/<pid>/status"

    /// Every fact path `ProcessProbe` produces (plus `process.selinux.sharedWith` and
    /// `sandbox.qemuVersion`, which the integrator fills).
    public static let schema: [FactField] = processFields + namespaceFields + labelFields + sandboxFields

    static let processFields: [FactField] = [
        FactField("process", .object, source: "/proc/<pid>/", "Confinement of the domain's qemu process; unknown as a whole when the process exited during the scan."),
        FactField("process.pid", .int, source: "/run/libvirt/qemu/<name>.pid", "Pid of the qemu process."),
        FactField("process.name", .string, source: status + ": Name", "Command name (first 15 bytes of the binary's name), e.g. qemu-system-x86."),
        FactField("process.ppid", .int, source: status + ": PPid", "Parent pid."),
        FactField("process.state", .string, source: status + ": State", "Scheduler state letter (R, S, D, T, t, Z, X, I)."),
        FactField("process.stateName", .string, source: status + ": State", "Scheduler state word (sleeping, running...)."),
        FactField("process.uid", .int, source: status + ": Uid (2nd)", "Effective uid; 0 means qemu runs as root."),
        FactField("process.gid", .int, source: status + ": Gid (2nd)", "Effective gid."),
        FactField("process.uids", .object, source: status + ": Uid", "Real, effective, saved and filesystem uid."),
        FactField("process.uids.real", .int, source: status + ": Uid", "Real uid."),
        FactField("process.uids.effective", .int, source: status + ": Uid", "Effective uid."),
        FactField("process.uids.saved", .int, source: status + ": Uid", "Saved set-uid."),
        FactField("process.uids.filesystem", .int, source: status + ": Uid", "Filesystem uid (used for file access checks)."),
        FactField("process.gids", .object, source: status + ": Gid", "Real, effective, saved and filesystem gid."),
        FactField("process.gids.real", .int, source: status + ": Gid", "Real gid."),
        FactField("process.gids.effective", .int, source: status + ": Gid", "Effective gid."),
        FactField("process.gids.saved", .int, source: status + ": Gid", "Saved set-gid."),
        FactField("process.gids.filesystem", .int, source: status + ": Gid", "Filesystem gid."),
        FactField("process.groups", .list, element: .int, source: status + ": Groups", "Supplementary group ids."),
        FactField("process.nspid", .list, element: .int, source: status + ": NSpid", "The pid in each nested pid namespace, outermost first; more than one element means qemu is in a child pid namespace."),
        FactField("process.capabilities", .object, source: status + ": Cap*", "Capability sets."),
    ] + capabilityFields + [
        FactField("process.noNewPrivs", .bool, source: status + ": NoNewPrivs", "no_new_privs: exec can no longer grant privileges (setuid bits, file capabilities). Unknown before Linux 4.10."),
        FactField("process.seccomp", .object, source: status + ": Seccomp", "seccomp state."),
        FactField("process.seccomp.mode", .int, source: status + ": Seccomp", "Kernel seccomp mode: 0 disabled, 1 strict, 2 filter."),
        FactField("process.seccomp.modeName", .string, source: status + ": Seccomp", "disabled, strict or filter."),
        FactField("process.seccomp.filters", .int, source: status + ": Seccomp_filters", "Number of seccomp filters attached; null (unknown) before Linux 5.9."),
        FactField("process.root", .object, source: "/proc/<pid>/root", "Root directory of the process."),
        FactField("process.root.path", .string, source: "/proc/<pid>/root (readlink)", "/ or the chroot directory."),
        FactField("process.root.chrooted", .bool, source: "/proc/<pid>/root (readlink)", "True when the root is not /."),
        FactField("process.cgroup", .object, source: "/proc/<pid>/cgroup", "Control group placement."),
        FactField("process.cgroup.path", .string, source: "/proc/<pid>/cgroup", "The unified (0::) path, else the cpu controller's (v1)."),
        FactField("process.cgroup.version", .int, source: "/proc/<pid>/cgroup", "2 for a pure unified hierarchy, 1 for v1 or hybrid."),
        FactField("process.cgroup.machineScope", .bool, source: "/proc/<pid>/cgroup", "True when the process is in a libvirt machine group (machine.slice/machine-qemu...scope, or /machine/qemu-N-name.libvirt-qemu)."),
        FactField("process.cgroup.scope", .string, source: "/proc/<pid>/cgroup", "That machine group's name; null outside one."),
        FactField("process.cgroup.machine", .string, source: "/proc/<pid>/cgroup", "The libvirt machine name in that group (qemu-1-va-confined: driver, domain id, name), systemd escapes decoded; null outside one."),
        FactField("process.cmdline", .list, element: .string, source: "/proc/<pid>/cmdline", "The argument vector (NUL-separated in the file)."),
    ]

    static var capabilityFields: [FactField] {
        var out: [FactField] = []
        for (name, key) in [("effective", "CapEff"), ("permitted", "CapPrm"), ("bounding", "CapBnd"),
                            ("inheritable", "CapInh"), ("ambient", "CapAmb")] {
            out.append(FactField("process.capabilities.\(name)", .list, element: .string, source: status + ": \(key)",
                                 "Names of the \(name) capabilities (CAP_CHOWN ... CAP_CHECKPOINT_RESTORE; an unnamed bit n as CAP_<n>)."))
            out.append(FactField("process.capabilities.\(name)Hex", .string, source: status + ": \(key)", "The \(name) mask as the kernel prints it (16 hex digits)."))
            out.append(FactField("process.capabilities.\(name)Count", .int, source: status + ": \(key)", "Number of \(name) capabilities."))
        }
        return out
    }

    static var namespaceFields: [FactField] {
        var out: [FactField] = [
            FactField("process.namespaces", .object, source: "/proc/<pid>/ns/*", "Namespaces of the process compared with the host's."),
            FactField("process.namespaces.reference", .object, source: "/proc/{1,<libvirtd>,self}/ns/*", "Which process supplied the host's namespaces."),
            FactField("process.namespaces.reference.source", .string, source: "/proc/1/ns, /run/libvirtd.pid, /proc/self/ns", "pid1, libvirtd (the libvirt daemon, libvirtd or virtqemud) or self (the auditor)."),
            FactField("process.namespaces.reference.pid", .int, source: "/proc/1/ns, /run/libvirtd.pid, /proc/self/ns", "Pid of the reference process; null for a fixture's self."),
            FactField("process.namespaces.private", .list, element: .string, source: "/proc/<pid>/ns/*", "Kinds of namespace qemu does not share with the host."),
            FactField("process.namespaces.privateCount", .int, source: "/proc/<pid>/ns/*", "Number of private namespaces."),
        ]
        for kind in ProcNamespaces.kinds {
            out.append(FactField("process.namespaces.\(kind)", .object, source: "/proc/<pid>/ns/\(kind)", "The \(kind) namespace; unknown when the kernel lacks it or the link is unreadable."))
            out.append(FactField("process.namespaces.\(kind).inode", .int, source: "/proc/<pid>/ns/\(kind) (readlink \(kind):[inode])", "Inode identifying the \(kind) namespace."))
            out.append(FactField("process.namespaces.\(kind).hostInode", .int, source: "reference process's ns/\(kind)", "The host's \(kind) namespace inode."))
            out.append(FactField("process.namespaces.\(kind).sharedWithHost", .bool, source: "/proc/<pid>/ns/\(kind)", "True when qemu is in the host's \(kind) namespace."))
        }
        return out
    }

    static let labelFields: [FactField] = [
        FactField("process.lsm", .object, source: "/proc/<pid>/attr/current, attr/apparmor/current", "Which LSMs label the process."),
        FactField("process.lsm.selinux", .bool, source: "/proc/<pid>/attr/current (getpidcon)", "True when the process has an SELinux context; false when SELinux does not label it (no LSM, or another LSM's label)."),
        FactField("process.lsm.apparmor", .bool, source: "/proc/<pid>/attr/apparmor/current", "True when the process has an AppArmor label; false when AppArmor is not active."),
        FactField("process.selinux", .object, source: "/proc/<pid>/attr/current (getpidcon)", "SELinux context; null with a reason when SELinux does not label the process."),
        FactField("process.selinux.context", .string, source: "/proc/<pid>/attr/current", "Full context, e.g. system_u:system_r:svirt_t:s0:c392,c662."),
        FactField("process.selinux.user", .string, source: "/proc/<pid>/attr/current", "SELinux user (system_u)."),
        FactField("process.selinux.role", .string, source: "/proc/<pid>/attr/current", "SELinux role (system_r)."),
        FactField("process.selinux.type", .string, source: "/proc/<pid>/attr/current", "SELinux type (svirt_t)."),
        FactField("process.selinux.level", .string, source: "/proc/<pid>/attr/current", "MLS/MCS level or range (s0:c392,c662); null when MLS is disabled."),
        FactField("process.selinux.sensitivity", .string, source: "/proc/<pid>/attr/current", "Sensitivity of the (high) level, s0."),
        FactField("process.selinux.categories", .list, element: .int, source: "/proc/<pid>/attr/current", "MCS categories of the (high) level, ranges expanded, sorted (c1,c5.c7 -> [1,5,6,7])."),
        FactField("process.selinux.categoryCount", .int, source: "/proc/<pid>/attr/current", "Number of categories."),
        FactField("process.selinux.fullRange", .bool, source: "/proc/<pid>/attr/current", "True for c0.c1023 (more than 1000 categories): the process dominates every guest's label."),
        FactField("process.selinux.confinedType", .bool, source: "/proc/<pid>/attr/current", "True unless the type is a known unconfined type (SELinuxContext.unconfinedTypes: unconfined_t, virtd_t, spc_t, initrc_t, kernel_t, ...): an sVirt guest type or a custom type."),
        FactField("process.selinux.typeClass", .string, source: "/proc/<pid>/attr/current", "svirt (svirt_t, svirt_tcg_t, svirt_kvm_net_t, svirt_qemu_net_t, svirt_lxc_net_t), unconfined (a known unconfined or host-privileged type) or custom (any other type: confined, its policy needs review)."),
        FactField("process.selinux.sharedWith", .list, element: .string, source: "all domains' levels (MCSAnalysis.duplicates)", "Names of the other running domains with exactly the same sensitivity and category set; filled by the integrator."),
        FactField("process.apparmor", .object, source: "/proc/<pid>/attr/apparmor/current", "AppArmor label; null with a reason when AppArmor does not label the process."),
        FactField("process.apparmor.profile", .string, source: "/proc/<pid>/attr/apparmor/current", "Profile name, libvirt-<uuid> for libvirt's per-domain profile, or unconfined."),
        FactField("process.apparmor.mode", .string, source: "/proc/<pid>/attr/apparmor/current", "enforce, complain, kill or unconfined."),
        FactField("process.apparmor.confined", .bool, source: "/proc/<pid>/attr/apparmor/current", "False for the unconfined label."),
        FactField("process.apparmor.uuid", .string, source: "/proc/<pid>/attr/apparmor/current", "The uuid in a libvirt-<uuid> profile name; null for any other profile."),
    ]

    static let sandboxFields: [FactField] = [
        FactField("sandbox", .object, source: "/proc/<pid>/cmdline", "qemu's own confinement options; unknown when the command line is unreadable."),
        FactField("sandbox.enabled", .bool, source: "/proc/<pid>/cmdline: -sandbox", "True for -sandbox on (qemu's seccomp filter)."),
        FactField("sandbox.options", .object, source: "/proc/<pid>/cmdline: -sandbox", "Effective -sandbox sub-options."),
        FactField("sandbox.options.obsolete", .string, source: "/proc/<pid>/cmdline: -sandbox", "allow or deny obsolete system calls; qemu's default is deny. allow when the sandbox is off."),
        FactField("sandbox.options.elevateprivileges", .string, source: "/proc/<pid>/cmdline: -sandbox", "allow, deny or children (set*uid/set*gid); default allow."),
        FactField("sandbox.options.spawn", .string, source: "/proc/<pid>/cmdline: -sandbox", "allow or deny fork/execve; default allow."),
        FactField("sandbox.options.resourcecontrol", .string, source: "/proc/<pid>/cmdline: -sandbox", "allow or deny affinity/scheduler calls; default allow."),
        FactField("sandbox.explicitOptions", .list, element: .string, source: "/proc/<pid>/cmdline: -sandbox", "Sub-options written on the command line (the others are qemu's defaults)."),
        FactField("sandbox.runas", .string, source: "/proc/<pid>/cmdline: -runas, -run-with user=", "User qemu switches to itself; null when not given (libvirt sets the uid before exec instead)."),
        FactField("sandbox.chroot", .string, source: "/proc/<pid>/cmdline: -chroot, -run-with chroot=", "Directory qemu chroots into; null when not given."),
        FactField("sandbox.accel", .string, source: "/proc/<pid>/cmdline: -accel, -machine accel=, -enable-kvm", "Preferred accelerator (kvm, tcg, ...); tcg when none is given (qemu's default)."),
        FactField("sandbox.accels", .list, element: .string, source: "/proc/<pid>/cmdline", "Accelerators requested, in order of preference."),
        FactField("sandbox.kvm", .bool, source: "/proc/<pid>/cmdline", "True when the preferred accelerator is kvm."),
        FactField("sandbox.binary", .string, source: "/proc/<pid>/cmdline: argv[0]", "The qemu binary."),
        FactField("sandbox.uuid", .string, source: "/proc/<pid>/cmdline: -uuid", "The domain uuid qemu was given (compare with domain.uuid to detect pid reuse)."),
        FactField("sandbox.guestName", .string, source: "/proc/<pid>/cmdline: -name guest=", "The guest name qemu was given."),
        FactField("sandbox.qemuVersion", .string, source: "libvirt (virConnectGetVersion / domain capabilities)", "qemu version; filled by the integrator from libvirt, never by running the binary."),
    ]
}
