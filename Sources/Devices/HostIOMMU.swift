import Core
import HostProbes

/// Everything the host's /sys and /proc say about IOMMU and device assignment, read once per
/// scan: every PCI device, every IOMMU group, the IOMMU units, the command line, the VFIO
/// module parameters and the interrupt domains.
public struct HostIOMMU: Sendable {
    public var root: HostRoot
    public var groups: [IOMMUGroup]
    /// Group read failures by number.
    public var groupErrors: [Int: String]
    public var devices: [String: PCIDevice]
    public var deviceErrors: [String: String]
    /// True when /sys/bus/pci/devices could be listed (sysfs is there to look at).
    public var sysfsReadable: Bool
    public var cmdline: KernelCmdline?
    public var cmdlineError: String?
    public var units: IOMMUUnits
    public var interrupts: ProcInterrupts?
    public var interruptsError: String?
    public var vfio: VFIOModuleParameters

    public static func read(root: HostRoot) -> HostIOMMU {
        var cmdline: KernelCmdline?, cmdlineError: String?
        do { cmdline = try KernelCmdline.read(root: root) } catch { cmdlineError = error.description }
        var interrupts: ProcInterrupts?, interruptsError: String?
        do { interrupts = try ProcInterrupts.read(root: root) } catch { interruptsError = error.description }
        var h = HostIOMMU(root: root, groups: [], groupErrors: [:], devices: [:], deviceErrors: [:],
                          sysfsReadable: FileReader.isDirectory(root.sys("bus/pci/devices")),
                          cmdline: cmdline, cmdlineError: cmdlineError, units: IOMMUUnits.read(root: root),
                          interrupts: interrupts, interruptsError: interruptsError,
                          vfio: VFIOModuleParameters.read(root: root, cmdline: cmdline))
        for n in IOMMUGroup.list(root: root) {
            do { h.groups.append(try IOMMUGroup.read(n, root: root)) }
            catch { h.groupErrors[n] = error.description }
        }
        for addr in PCIDevice.list(root: root) { h.load(addr) }
        for g in h.groups {
            for a in g.devices where h.devices[a] == nil && h.deviceErrors[a] == nil {
                if PCIAddress.normalize(a) != nil { h.load(a); continue }
                // Not a PCI device (platform device, ACPI namespace device): read it through the group.
                do { h.devices[a] = try PCIDevice.read(a, at: root.sys("kernel/iommu_groups/\(g.number)/devices/\(a)")) }
                catch { h.deviceErrors[a] = error.description }
            }
        }
        return h
    }

    mutating func load(_ addr: String) {
        do { devices[addr] = try PCIDevice.read(addr, root: root) }
        catch { deviceErrors[addr] = error.description }
    }

    /// The device, or why it cannot be read (absent from this host).
    public func device(_ addr: String) -> Result<PCIDevice, ProbeError> {
        if let d = devices[addr] { return .success(d) }
        do { return .success(try PCIDevice.read(addr, root: root)) } catch { return .failure(error) }
    }

    // MARK: Derived host facts

    /// true when the kernel has IOMMU groups; nil when sysfs itself is not readable.
    public var present: Bool? {
        if !groups.isEmpty || !groupErrors.isEmpty { return true }
        return sysfsReadable ? false : nil
    }

    public var presentReason: String {
        if present == true { return "\(groups.count) IOMMU groups under /sys/kernel/iommu_groups" }
        if present == nil { return "\(root.sys("bus/pci/devices")): not readable, sysfs not available" }
        if cmdline?.iommuDisabled == true { return "the kernel command line switches the IOMMU off" }
        if units.units.isEmpty { return "no IOMMU unit under /sys/class/iommu and no IOMMU groups" }
        return "IOMMU units are registered but no device is in an IOMMU group"
    }

    /// `translated`, `passthrough`, `off` or `unknown`.
    public var mode: String {
        switch present {
        case nil: return "unknown"
        case false?: return "off"
        default: break
        }
        if cmdline?.iommuPassthrough == true { return "passthrough" }
        let types = groups.compactMap(\.type)
        let identity = types.filter { $0 == "identity" }.count
        let translated = types.filter { $0 == "DMA" || $0 == "DMA-FQ" }.count
        if identity == 0 && translated == 0 { return "unknown" }
        return identity > translated ? "passthrough" : "translated"
    }

    public var modeSource: String {
        switch mode {
        case "off": return presentReason
        case "unknown":
            return present == nil ? presentReason : "no group has a readable type (/sys/kernel/iommu_groups/*/type appeared in Linux 5.11)"
        default:
            if cmdline?.iommuPassthrough == true { return "/proc/cmdline requests passthrough (iommu=pt or iommu.passthrough=1)" }
            return "default domain types of the groups (/sys/kernel/iommu_groups/*/type)"
        }
    }

    /// Whether interrupts are remapped: the value, and its source or, when nil, why it is unknown.
    public var interruptRemapping: (value: Bool?, source: String) {
        if present == false { return (false, "no IOMMU, so no interrupt remapping") }
        if cmdline?.interruptRemappingDisabled == true { return (false, "/proc/cmdline: intremap=off") }
        if let active = interrupts?.remappingActive {
            return active
                ? (true, "/proc/interrupts: IO-APIC/MSI interrupts are delivered through IR- (remapping) domains")
                : (false, "/proc/interrupts: IO-APIC/MSI interrupts are delivered without an IR- (remapping) domain")
        }
        let intel = units.units.filter { $0.vendor == "intel" }
        if let bad = intel.first(where: { $0.interruptRemappingCapable == false }) {
            return (false, "/sys/class/iommu/\(bad.name)/intel-iommu/ecap: bit 3 (IR) is clear, the unit cannot remap interrupts")
        }
        var why = "cannot be determined from sysfs: "
        if let e = interruptsError { why += "/proc/interrupts unreadable (\(e))" }
        else { why += "/proc/interrupts shows no IO-APIC or PCI-MSI interrupt domain" }
        if !intel.isEmpty && intel.allSatisfy({ $0.interruptRemappingCapable == true }) {
            why += "; the Intel units support remapping (ecap bit 3) but whether it is enabled is not shown"
        } else if units.units.contains(where: { $0.vendor == "amd" }) {
            why += "; AMD units do not expose interrupt remapping in sysfs"
        }
        return (nil, why)
    }

    /// The host-wide view: every group with its members, drivers and current viability.
    public func groupReports(assigned: [String: [String]] = [:]) -> [IOMMUGroupReport] {
        var out = groups.map { g -> IOMMUGroupReport in
            var extra: [String] = []
            if let e = g.problems["devices"] { extra.append(e) }
            let members = g.devices.map { a -> IOMMUGroupReport.Member in
                guard let d = devices[a] else {
                    extra.append("\(a): " + (deviceErrors[a] ?? "not readable"))
                    return .init(address: a, driverKnown: false, assignedTo: assigned[a] ?? [])
                }
                return .init(address: a, vendor: d.vendor, device: d.device, classCode: d.classCode,
                             driver: d.driver, driverKnown: d.problems["driver"] == nil, assignedTo: assigned[a] ?? [])
            }
            return IOMMUGroupReport(group: g.number, type: g.type, devices: members, extraReasons: extra)
        }
        for (n, e) in groupErrors.sorted(by: { $0.key < $1.key }) {
            out.append(IOMMUGroupReport(group: n, devices: [], extraReasons: [e]))
        }
        return out.sorted { $0.group < $1.group }
    }
}
