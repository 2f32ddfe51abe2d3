import Core

/// One PCI device as sysfs shows it: `/sys/bus/pci/devices/<addr>/`.
///
/// Identity attributes (`vendor`, `device`, `class`, `subsystem_vendor`, `subsystem_device`),
/// and the links that matter for assignment: `driver` (absent when no driver is bound),
/// `iommu_group` (absent without an IOMMU), `physfn` (only on SR-IOV virtual functions) and
/// `virtfn<N>` (on physical functions), plus `sriov_numvfs`/`sriov_totalvfs`.
public struct PCIDevice: Sendable, Hashable {
    public var address: String
    /// `0x10de` -> 0x10de; nil when unreadable or garbage.
    public var vendor: Int?
    public var device: Int?
    /// 24-bit class code (`0x030000`).
    public var classCode: Int?
    public var subsystemVendor: Int?
    public var subsystemDevice: Int?
    /// Bound driver name, nil when none is bound.
    public var driver: String?
    /// IOMMU group number, nil when the device has no group.
    public var iommuGroup: Int?
    /// PF address for a virtual function.
    public var physfn: String?
    /// VF addresses of a physical function, by index (`virtfn0`, `virtfn1`...).
    public var virtfns: [String]
    public var sriovNumVFs: Int?
    public var sriovTotalVFs: Int?
    /// Attributes that could not be read, with the reason.
    public var problems: [String: String]

    public var isBridge: Bool? { classCode.map(PCIClass.isBridge) }
    /// The driver for viability: `.some(nil)` when no driver is bound, nil when the `driver`
    /// link could not be read.
    public var knownDriver: String?? { problems["driver"] == nil ? .some(driver) : nil }
    public var isVF: Bool { physfn != nil }

    public init(address: String, vendor: Int? = nil, device: Int? = nil, classCode: Int? = nil,
                subsystemVendor: Int? = nil, subsystemDevice: Int? = nil, driver: String? = nil,
                iommuGroup: Int? = nil, physfn: String? = nil, virtfns: [String] = [],
                sriovNumVFs: Int? = nil, sriovTotalVFs: Int? = nil, problems: [String: String] = [:]) {
        self.address = address
        self.vendor = vendor
        self.device = device
        self.classCode = classCode
        self.subsystemVendor = subsystemVendor
        self.subsystemDevice = subsystemDevice
        self.driver = driver
        self.iommuGroup = iommuGroup
        self.physfn = physfn
        self.virtfns = virtfns
        self.sriovNumVFs = sriovNumVFs
        self.sriovTotalVFs = sriovTotalVFs
        self.problems = problems
    }

    /// The device directory under `root`.
    public static func path(_ address: String, root: HostRoot) -> String {
        root.sys("bus/pci/devices/" + address)
    }

    /// Addresses of every PCI device the host has (`/sys/bus/pci/devices`), empty when absent.
    public static func list(root: HostRoot) -> [String] {
        ((try? FileReader.list(root.sys("bus/pci/devices"))) ?? []).compactMap(PCIAddress.normalize)
    }

    /// Reads one device. Throws `notFound` when the host has no such device; every other
    /// unreadable attribute becomes nil with its reason in `problems`.
    public static func read(_ address: String, root: HostRoot) throws(ProbeError) -> PCIDevice {
        try read(address, at: path(address, root: root))
    }

    /// Reads the device directory `dir` (for a group member that is not on the PCI bus, such as
    /// an ARM platform device, `/sys/kernel/iommu_groups/<n>/devices/<name>`). Attributes a
    /// non-PCI device lacks are recorded as problems.
    public static func read(_ address: String, at dir: String) throws(ProbeError) -> PCIDevice {
        guard FileReader.isDirectory(dir) else { throw ProbeError.notFound(path: dir) }
        var dev = PCIDevice(address: address)
        func hexAttr(_ name: String) -> Int? {
            do {
                let text = try FileReader.readAttribute(dir + "/" + name)
                guard let v = parseHex(text) else {
                    dev.problems[name] = "\(dir)/\(name): not a hex number: \(text.prefix(40).debugDescription)"
                    return nil
                }
                return v
            } catch {
                dev.problems[name] = error.description
                return nil
            }
        }
        dev.vendor = hexAttr("vendor")
        dev.device = hexAttr("device")
        dev.classCode = hexAttr("class")
        dev.subsystemVendor = hexAttr("subsystem_vendor")
        dev.subsystemDevice = hexAttr("subsystem_device")
        dev.driver = link(dir + "/driver", problems: &dev.problems, key: "driver")
        if let g = link(dir + "/iommu_group", problems: &dev.problems, key: "iommu_group") {
            if let n = Int(g), n >= 0 { dev.iommuGroup = n }
            else { dev.problems["iommu_group"] = "\(dir)/iommu_group: link to \(g.debugDescription) is not a group number" }
        }
        if let pf = link(dir + "/physfn", problems: &dev.problems, key: "physfn") {
            if let a = PCIAddress.normalize(pf) { dev.physfn = a }
            else { dev.problems["physfn"] = "\(dir)/physfn: link to \(pf.debugDescription) is not a PCI address" }
        }
        let entries = (try? FileReader.list(dir)) ?? []
        let vfLinks = entries.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("virtfn"), let n = Int(name.dropFirst(6)) else { return nil }
            guard let t = try? FileReader.readLink(dir + "/" + name),
                  let a = PCIAddress.normalize(lastComponent(t)) else { return nil }
            return (n, a)
        }
        dev.virtfns = vfLinks.sorted { $0.0 < $1.0 }.map(\.1)
        if entries.contains("sriov_totalvfs") {
            dev.sriovTotalVFs = (try? FileReader.readAttribute(dir + "/sriov_totalvfs")).flatMap { Int($0) }
            dev.sriovNumVFs = (try? FileReader.readAttribute(dir + "/sriov_numvfs")).flatMap { Int($0) }
        }
        return dev
    }

    /// `0x10de` / `10de` -> 0x10de.
    public static func parseHex(_ text: String) -> Int? {
        var t = text.trimmingWhitespace().lowercased()
        if t.hasPrefix("0x") { t.removeFirst(2) }
        guard !t.isEmpty, t.count <= 8 else { return nil }
        return Int(t, radix: 16)
    }

    /// The last component of a link target (`../../../bus/pci/drivers/vfio-pci` -> `vfio-pci`);
    /// nil when the link does not exist.
    static func link(_ path: String, problems: inout [String: String], key: String) -> String? {
        do {
            let target = try FileReader.readLink(path)
            let name = lastComponent(target)
            if name.isEmpty { problems[key] = "\(path): empty link target"; return nil }
            return name
        } catch .notFound {
            return nil
        } catch {
            // EINVAL: a plain file or directory where the kernel has a link.
            problems[key] = "\(path): not a symbolic link (\(error))"
            return nil
        }
    }

    static func lastComponent(_ target: String) -> String {
        String(target.split(separator: "/").last ?? "")
    }
}
