import Core

/// The host's IOMMU hardware units: `/sys/class/iommu/<unit>/`.
///
/// Intel VT-d units are `dmar<N>` with `intel-iommu/{cap,ecap,version,address}`; bit 3 of
/// `ecap` (IR) says the unit can remap interrupts. AMD-Vi units are `ivhd<N>` with
/// `amd-iommu/{cap,features}`; AMD's extended feature register has no plain "can remap" bit,
/// so for AMD the capability is not read from here. Other IOMMUs (ARM SMMU, virtio-iommu) show
/// up with no vendor subdirectory.
public struct IOMMUUnits: Sendable, Hashable {
    public struct Unit: Sendable, Hashable {
        public var name: String
        /// `intel`, `amd` or `other`.
        public var vendor: String
        /// Intel only: ecap bit 3. nil for other vendors or an unreadable ecap.
        public var interruptRemappingCapable: Bool?
    }

    public var units: [Unit]

    public static func read(root: HostRoot) -> IOMMUUnits {
        let base = root.sys("class/iommu")
        let names = (try? FileReader.list(base)) ?? []
        return IOMMUUnits(units: names.map { name in
            let dir = base + "/" + name
            if FileReader.exists(dir + "/intel-iommu") {
                let ecap = (try? FileReader.readAttribute(dir + "/intel-iommu/ecap")).flatMap(parseECAP)
                return Unit(name: name, vendor: "intel", interruptRemappingCapable: ecap.map { $0 & 0x8 != 0 })
            }
            if FileReader.exists(dir + "/amd-iommu") { return Unit(name: name, vendor: "amd") }
            return Unit(name: name, vendor: "other")
        })
    }

    /// `ecap` is printed as bare hex (`f050da`, `%llx`).
    public static func parseECAP(_ text: String) -> UInt64? {
        var t = text.trimmingWhitespace().lowercased()
        if t.hasPrefix("0x") { t.removeFirst(2) }
        return t.isEmpty || t.count > 16 ? nil : UInt64(t, radix: 16)
    }
}
