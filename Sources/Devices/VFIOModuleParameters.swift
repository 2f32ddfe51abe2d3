import Core
import HostProbes

/// `allow_unsafe_interrupts` of the VFIO IOMMU backends:
/// `/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts` (the type1 container
/// backend) and `/sys/module/iommufd/parameters/allow_unsafe_interrupts` (the iommufd backend).
/// When a module is not loaded its directory is absent; the value it will load with then comes
/// from `options <module> allow_unsafe_interrupts=...` in `/etc/modprobe.d/*.conf` (or the
/// kernel command line), which is read as a fallback.
public struct VFIOModuleParameters: Sendable, Hashable {
    public struct Setting: Sendable, Hashable {
        /// Effective value: true when unsafe interrupts are allowed.
        public var allowed: Bool
        /// Where the value came from (`/sys/module/...`, `/etc/modprobe.d/vfio.conf`, `/proc/cmdline`,
        /// or `default` when nothing sets it).
        public var source: String
    }

    public var type1: Setting
    public var iommufd: Setting

    public static let modules = ["vfio_iommu_type1", "iommufd"]

    public static func read(root: HostRoot, cmdline: KernelCmdline?) -> VFIOModuleParameters {
        let modprobe = readModprobeOptions(root: root)
        func setting(_ module: String) -> Setting {
            let param = "/sys/module/\(module)/parameters/allow_unsafe_interrupts"
            if let v = try? FileReader.readAttribute(root.path(param)) {
                return Setting(allowed: KernelCmdline.kstrtobool(v) ?? false, source: param)
            }
            if module == "vfio_iommu_type1", let c = cmdline?.unsafeInterruptsRequested {
                return Setting(allowed: c, source: "/proc/cmdline")
            }
            if let (v, file) = modprobe[module] { return Setting(allowed: v, source: file) }
            return Setting(allowed: false, source: "default")
        }
        return VFIOModuleParameters(type1: setting("vfio_iommu_type1"), iommufd: setting("iommufd"))
    }

    /// True when either backend lets a VM use a device without interrupt isolation.
    public var anyAllowed: Bool { type1.allowed || iommufd.allowed }

    static func readModprobeOptions(root: HostRoot) -> [String: (Bool, String)] {
        var out: [String: (Bool, String)] = [:]
        for dir in ["/usr/lib/modprobe.d", "/lib/modprobe.d", "/etc/modprobe.d", "/run/modprobe.d"] {
            let files = ((try? FileReader.list(root.path(dir))) ?? []).filter { $0.hasSuffix(".conf") }
            for f in files {
                let path = dir + "/" + f
                guard let text = try? FileReader.readString(root.path(path), limit: 256 * 1024) else { continue }
                for (module, value) in parseModprobe(text) where modules.contains(module) {
                    out[module] = (value, path)
                }
            }
        }
        return out
    }

    /// `options vfio_iommu_type1 allow_unsafe_interrupts=1` lines; `#` comments, `\` continuation.
    public static func parseModprobe(_ text: String) -> [(String, Bool)] {
        var out: [(String, Bool)] = []
        let joined = text.replacingBackslashNewlines()
        for raw in joined.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 3, words[0] == "options" else { continue }
            let module = String(words[1]).replacingDashes()
            for w in words.dropFirst(2) {
                let kv = w.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == "allow_unsafe_interrupts" { out.append((module, KernelCmdline.kstrtobool(String(kv[1])) ?? false)) }
            }
        }
        return out
    }
}

extension String {
    func replacingBackslashNewlines() -> String {
        var out = ""
        var it = makeIterator()
        while let c = it.next() {
            if c == "\\" {
                if let n = it.next() { if n != "\n" { out.append(c); out.append(n) } } else { out.append(c) }
            } else { out.append(c) }
        }
        return out
    }
}
