import Core

extension HostProbe {
    /// Every fact path `collect(root:)` produces.
    public static let schema: [FactField] = selinux + apparmor + qemuConf + QemuConf.transportSchema + kvm + cpu + kernel + management

    private static let selinux: [FactField] = {
        let src = "libselinux (live root) or /sys/fs/selinux/enforce"
        return [
            FactField("host.selinux.enabled", .bool, source: src, "an SELinux policy is loaded"),
            FactField("host.selinux.enforcing", .bool, source: src, "SELinux denies what the policy forbids (false when disabled or permissive)"),
            FactField("host.selinux.mode", .string, source: src, "enforcing, permissive or disabled"),
            FactField("host.selinux.policyType", .string, source: "selinux_getpolicytype / /etc/selinux/config: SELINUXTYPE", "policy type: targeted, minimum or mls"),
            FactField("host.selinux.configMode", .string, source: "/etc/selinux/config: SELINUX", "mode configured for the next boot"),
            FactField("host.selinux.source", .string, source: src, "libselinux or selinuxfs: how the state was read"),
        ]
    }()

    private static let apparmor: [FactField] = [
        FactField("host.apparmor.enabled", .bool, source: AppArmorState.enabledPath, "AppArmor is built in and enabled (false when the module is absent)"),
        FactField("host.apparmor.profilesLoaded", .int, source: AppArmorState.profilesPath, "number of loaded profiles"),
        FactField("host.apparmor.libvirtProfiles", .list, element: .object, source: AppArmorState.profilesPath, "libvirt's per-guest profiles (libvirt-<uuid>)"),
        FactField("host.apparmor.libvirtProfiles[].name", .string, source: AppArmorState.profilesPath, "profile name, libvirt-<domain uuid>"),
        FactField("host.apparmor.libvirtProfiles[].mode", .string, source: AppArmorState.profilesPath, "enforce, complain, kill, unconfined..."),
    ]

    private static let qemuConf: [FactField] = {
        let src = QemuConf.path
        var fields: [FactField] = [
            FactField("host.qemuConf.present", .bool, source: src, "the file exists (false: every setting is libvirt's default)"),
            FactField("host.qemuConf.path", .string, source: src, "the file's path"),
            FactField("host.qemuConf.settings", .object, source: src, "every setting in the file as written, by name (first occurrence)"),
            FactField("host.qemuConf.duplicateKeys", .list, element: .string, source: src, "settings given more than once (libvirt uses the first)"),
            FactField("host.qemuConf.securityDriverNone", .bool, source: "\(src): security_driver", "security_driver is \"none\": no SELinux/AppArmor label on qemu"),
            FactField("host.qemuConf.runsAsRoot", .bool, source: "\(src): user", "user is root (\"root\", \"+0\", \"0\"); false when unset"),
            FactField("host.qemuConf.mountNamespace", .bool, source: "\(src): namespaces", "namespaces contains \"mount\" (the default)"),
        ]
        for s in QemuConf.tracked {
            let kind: FactField.Kind, element: FactField.Kind?
            switch s.kind {
            case .bool: kind = .bool; element = nil
            case .int: kind = .int; element = nil
            case .string: kind = .string; element = nil
            case .stringList, .stringOrList: kind = .list; element = .string
            }
            fields.append(FactField("host.qemuConf.\(s.key)", .object, source: "\(src): \(s.key)", "\(s.key) as libvirtd resolves it: {value, source}"))
            fields.append(FactField("host.qemuConf.\(s.key).value", kind, element: element, source: "\(src): \(s.key)", s.doc))
            fields.append(FactField("host.qemuConf.\(s.key).source", .string, source: "\(src): \(s.key)", "file (set in the file) or default (libvirt's default)"))
        }
        return fields
    }()

    private static let kvm: [FactField] = {
        let src = KVMDevice.path
        return [
            FactField("host.kvm.path", .string, source: src, "the device path"),
            FactField("host.kvm.exists", .bool, source: src, "the device node exists"),
            FactField("host.kvm.uid", .int, source: src, "owner uid"),
            FactField("host.kvm.gid", .int, source: src, "group gid"),
            FactField("host.kvm.group", .string, source: "\(src), /etc/group", "group name"),
            FactField("host.kvm.mode", .string, source: src, "permission bits in octal, \"0660\""),
            FactField("host.kvm.charDevice", .bool, source: src, "it is a character device"),
            FactField("host.kvm.worldAccessible", .bool, source: src, "others may read or write it (mode & 0007)"),
            FactField("host.kvm.worldWritable", .bool, source: src, "others may write it (mode & 0002)"),
        ]
    }()

    private static let cpu: [FactField] = {
        let v = CPUVulnerabilities.directory
        return [
            FactField("host.cpu.vulnerabilities", .object, source: "\(v)/*", "by vulnerability name: {text, state (mitigated|vulnerable|not-affected|unknown), smtVulnerable}"),
            FactField("host.cpu.vulnerable", .list, element: .string, source: "\(v)/*", "names whose state is vulnerable"),
            FactField("host.cpu.smtVulnerable", .list, element: .string, source: "\(v)/*", "names whose verdict says SMT vulnerable"),
            FactField("host.cpu.smt.control", .string, source: SMTControl.controlPath, "on, off, forceoff, notsupported or notimplemented"),
            FactField("host.cpu.smt.active", .bool, source: SMTControl.activePath, "sibling threads are online"),
        ]
    }()

    private static let kernel: [FactField] = {
        let t = KernelTaint.path, l = KernelLockdown.path, c = KernelCmdline.path
        return [
            FactField("host.kernel.release", .string, source: KernelRelease.path, "running kernel release (uname -r)"),
            FactField("host.kernel.taint.value", .int, source: t, "the taint bit mask"),
            FactField("host.kernel.taint.tainted", .bool, source: t, "any taint bit is set"),
            FactField("host.kernel.taint.flags", .list, element: .string, source: t, "letters of the set bits (P, O, E...)"),
            FactField("host.kernel.taint.names", .list, element: .string, source: t, "descriptions of the set bits"),
            FactField("host.kernel.taint.undocumentedBits", .list, element: .int, source: t, "set bits without a known meaning"),
            FactField("host.kernel.lockdown.mode", .string, source: l, "none, integrity or confidentiality"),
            FactField("host.kernel.lockdown.available", .list, element: .string, source: l, "modes the kernel offers"),
            FactField("host.kernel.cmdline.raw", .string, source: c, "the command line"),
            FactField("host.kernel.cmdline.options", .object, source: c, "parameter name -> value (true for a bare flag; last occurrence)"),
            FactField("host.kernel.cmdline.args", .list, element: .object, source: c, "parameters in order"),
            FactField("host.kernel.cmdline.args[].name", .string, source: c, "parameter name"),
            FactField("host.kernel.cmdline.args[].value", .string, source: c, "value; null for a bare flag"),
            FactField("host.kernel.cmdline.initArgs", .list, element: .string, source: c, "words after --, passed to init"),
            FactField("host.kernel.cmdline.mitigationsOff", .bool, source: c, "mitigations=off"),
            FactField("host.kernel.cmdline.iommuPassthrough", .bool, source: c, "iommu=pt or iommu.passthrough=1"),
            FactField("host.kernel.cmdline.iommuOff", .bool, source: c, "iommu=off"),
            FactField("host.kernel.cmdline.intelIommuOff", .bool, source: c, "intel_iommu=off"),
            FactField("host.kernel.cmdline.amdIommuOff", .bool, source: c, "amd_iommu=off"),
            FactField("host.kernel.cmdline.nosmt", .bool, source: c, "nosmt, nosmt=force or mitigations=auto,nosmt"),
            FactField("host.kernel.cmdline.selinuxDisabledOnCmdline", .bool, source: c, "selinux=0"),
            FactField("host.kernel.cmdline.apparmorDisabledOnCmdline", .bool, source: c, "apparmor=0"),
            FactField("host.kernel.cmdline.weakeningOptions", .list, element: .string, source: c, "parameters that switch a protection off, as given"),
        ]
    }()
}
