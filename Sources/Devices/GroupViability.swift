/// The kernel's rule for whether an IOMMU group may be handed to user space (a VM).
///
/// VFIO gives a VM a whole IOMMU group, because the IOMMU cannot tell the group's devices apart:
/// any of them can reach memory mapped for any other. So every member must be out of the host
/// kernel's hands: bound to a VFIO driver (vfio-pci or a vendor variant such as mlx5_vfio_pci),
/// to pci-stub, or to no driver at all. Bridges are excepted: a root port or switch port on
/// pcieport (or on nothing) does not do DMA on its own behalf. See Docs/devices.md.
public enum GroupViability {
    public enum Verdict: Sendable, Hashable {
        /// The member does not stop the group from being assigned.
        case allowed
        /// The member is on a host driver: the group is not viable.
        case blocks(String)
        /// Not enough information (driver unknown).
        case undecided(String)
    }

    /// True for drivers VFIO accepts in a group: VFIO drivers and pci-stub.
    public static func isUserSpaceSafe(driver: String) -> Bool {
        isVFIODriver(driver) || driver == "pci-stub"
    }

    /// vfio-pci and its vendor variants (`mlx5_vfio_pci`, `hisi_acc_vfio_pci`, `nvgrace_gpu_vfio_pci`...).
    public static func isVFIODriver(_ driver: String) -> Bool {
        let d = driver.replacingDashes()
        return d == "vfio_pci" || d.hasSuffix("_vfio_pci") || d == "vfio_platform" || d == "vfio_fsl_mc"
    }

    /// Judges one member. `driver` is `.some(nil)` for a device known to have no driver and
    /// `nil` when the driver is not known. `bridge` is nil when the class is unknown.
    public static func judge(address: String, driver: String??, bridge: Bool?) -> Verdict {
        if bridge == true { return .allowed }
        guard let known = driver else {
            if bridge == nil { return .undecided("\(address): class and driver unknown") }
            return .undecided("\(address): driver unknown")
        }
        guard let d = known else { return .allowed }
        if isUserSpaceSafe(driver: d) { return .allowed }
        return .blocks("\(address) is bound to host driver \(d)")
    }

    /// Combines member verdicts: any blocking member makes the group non-viable; otherwise any
    /// undecided member makes it undecidable (nil); otherwise viable.
    public static func combine(_ verdicts: [Verdict]) -> (viable: Bool?, reasons: [String]) {
        let blocking = verdicts.compactMap { if case .blocks(let r) = $0 { r } else { nil } }
        if !blocking.isEmpty { return (false, blocking) }
        let open = verdicts.compactMap { if case .undecided(let r) = $0 { r } else { nil } }
        if !open.isEmpty { return (nil, open) }
        return (true, [])
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}
