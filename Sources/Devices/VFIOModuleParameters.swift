import Core
import HostProbes

/// `allow_unsafe_interrupts` of the VFIO IOMMU backends:
/// `/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts` (the type1 container
/// backend) and `/sys/module/iommufd/parameters/allow_unsafe_interrupts` (the iommufd backend).
/// When a module is not loaded its directory is absent; the value it will load with then comes
/// from the kernel command line (HostProbes' `KernelCmdline`) or `options <module>
/// allow_unsafe_interrupts=...` in modprobe.d (HostProbes' `ModprobeOptions`), read as fallbacks.
public struct VFIOModuleParameters: Sendable, Hashable {
    public struct Setting: Sendable, Hashable {
        /// Effective value: true when unsafe interrupts are allowed.
        public var allowed: Bool
        /// Where the value came from (`/sys/module/...`, `/etc/modprobe.d/vfio.conf:2`, `/proc/cmdline`,
        /// or `default` when nothing sets it).
        public var source: String
    }

    public var type1: Setting
    public var iommufd: Setting

    public static let modules = ["vfio_iommu_type1", "iommufd"]

    public static func read(root: HostRoot, cmdline: KernelCmdline?) -> VFIOModuleParameters {
        let modprobe = (try? ModprobeOptions.read(root: root)) ?? ModprobeOptions(options: [])
        return resolve(root: root, cmdline: cmdline, modprobe: modprobe)
    }

    static func resolve(root: HostRoot, cmdline: KernelCmdline?, modprobe: ModprobeOptions) -> VFIOModuleParameters {
        func setting(_ module: String) -> Setting {
            let param = "/sys/module/\(module)/parameters/allow_unsafe_interrupts"
            if let v = try? FileReader.readAttribute(root.path(param)) {
                return Setting(allowed: KernelCmdline.kstrtobool(v) ?? false, source: param)
            }
            if module == "vfio_iommu_type1", let c = cmdline?.unsafeInterruptsRequested {
                return Setting(allowed: c, source: "/proc/cmdline")
            }
            if let o = modprobe.value(module, "allow_unsafe_interrupts") {
                return Setting(allowed: KernelCmdline.kstrtobool(o.value) ?? false, source: o.source)
            }
            return Setting(allowed: false, source: "default")
        }
        return VFIOModuleParameters(type1: setting("vfio_iommu_type1"), iommufd: setting("iommufd"))
    }

    /// True when either backend lets a VM use a device without interrupt isolation.
    public var anyAllowed: Bool { type1.allowed || iommufd.allowed }
}
