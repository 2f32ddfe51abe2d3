import Core

/// The IOMMU-related parameters of `/proc/cmdline`.
///
/// `intel_iommu=` (on, off, sm_on, igfx_off...; a comma list), `amd_iommu=` (off, force_isolation,
/// pgtbl_v2...), `iommu=` (pt, nopt, off, soft...), `iommu.passthrough=` (0/1), `iommu.strict=`,
/// `intremap=` (off, nosid, no_x2apic_optout), and
/// `vfio_iommu_type1.allow_unsafe_interrupts=` given to a built-in module, `pcie_acs_override=`.
public struct KernelCmdline: Sendable, Hashable {
    public var intelIommu: String?
    public var amdIommu: String?
    public var iommu: String?
    public var iommuPassthrough: String?
    public var intremap: String?
    public var vfioAllowUnsafeInterrupts: String?
    /// `pcie_acs_override=` (an out-of-tree patch carried by some distribution kernels): makes the
    /// kernel pretend devices are isolated, so IOMMU groups no longer show real isolation.
    public var acsOverride: String?
    public var raw: String

    public static func read(root: HostRoot) throws(ProbeError) -> KernelCmdline {
        parse(try FileReader.readString(root.proc("cmdline"), limit: 64 * 1024))
    }

    /// Last occurrence wins, as in the kernel's parser.
    public static func parse(_ text: String) -> KernelCmdline {
        var c = KernelCmdline(raw: text.trimmingWhitespace())
        for word in c.raw.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            guard let eq = word.firstIndex(of: "=") else { continue }
            let key = String(word[..<eq]).replacingDashes(), value = String(word[word.index(after: eq)...])
            switch key {
            case "intel_iommu": c.intelIommu = value
            case "amd_iommu": c.amdIommu = value
            case "iommu": c.iommu = value
            case "iommu.passthrough": c.iommuPassthrough = value
            case "intremap": c.intremap = value
            case "vfio_iommu_type1.allow_unsafe_interrupts": c.vfioAllowUnsafeInterrupts = value
            case "pcie_acs_override": c.acsOverride = value
            default: break
            }
        }
        return c
    }

    static func options(_ v: String?) -> [String] { (v ?? "").split(separator: ",").map { String($0).lowercased() } }

    /// The IOMMU is switched off on the command line.
    public var iommuDisabled: Bool {
        Self.options(intelIommu).contains("off") || Self.options(amdIommu).contains("off") || iommu == "off"
    }

    /// Host devices are put in identity (passthrough) domains by the command line.
    public var requestsPassthrough: Bool {
        if let p = iommuPassthrough { return p == "1" || p.lowercased() == "y" || p.lowercased() == "on" }
        return Self.options(iommu).contains("pt")
    }

    /// Interrupt remapping is switched off on the command line.
    public var interruptRemappingDisabled: Bool {
        Self.options(intremap).contains("off")
    }

    public var unsafeInterruptsRequested: Bool? { vfioAllowUnsafeInterrupts.map(parseBoolParam) }
}

/// Kernel boolean parameter syntax: 1/y/Y/on are true.
func parseBoolParam(_ s: String) -> Bool {
    ["1", "y", "yes", "on", "true"].contains(s.trimmingWhitespace().lowercased())
}
