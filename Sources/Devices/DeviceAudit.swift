import Core
import HostProbes

/// Joins the domains' `<hostdev>` elements with the host's sysfs: per-domain `devices.*` facts
/// and the host-wide `host.iommu.*` facts.
public enum DeviceAudit {
    public struct DomainInput: Sendable, Hashable {
        public var name: String
        public var uuid: String
        public var running: Bool
        public var hostdevs: [HostDeviceSpec]
        public init(name: String, uuid: String, running: Bool, hostdevs: [HostDeviceSpec]) {
            self.name = name
            self.uuid = uuid
            self.running = running
            self.hostdevs = hostdevs
        }
    }

    public struct Result: Sendable {
        /// Paths `host.iommu.*` (the tree's top key is `host`).
        public var host: FactBuilder
        /// Paths `devices.*`, keyed by domain UUID.
        public var domains: [String: FactBuilder]
        /// The host-wide group view, also serialized under `host.iommu.groups`.
        public var groups: [IOMMUGroupReport]
    }

    public static func collect(root: HostRoot, domains: [DomainInput]) -> Result {
        collect(host: HostIOMMU.read(root: root), domains: domains)
    }

    public static func collect(host h: HostIOMMU, domains: [DomainInput]) -> Result {
        // Which VMs name each PCI address (in input order, no repeats).
        var assigned: [String: [String]] = [:]
        for d in domains {
            for spec in d.hostdevs where spec.type == "pci" {
                guard let a = spec.pciAddress.flatMap(PCIAddress.normalize) else { continue }
                if !(assigned[a] ?? []).contains(d.name) { assigned[a, default: []].append(d.name) }
            }
        }
        let groups = h.groupReports(assigned: assigned)
        var host = FactBuilder()
        hostFacts(h, groups: groups, assignedCount: assigned.count, into: &host)
        var out: [String: FactBuilder] = [:]
        let sharing = SharingIndex(domains)
        for d in domains {
            out[d.uuid] = domainFacts(d, sharing: sharing, assigned: assigned, host: h)
        }
        return Result(host: host, domains: out, groups: groups)
    }

    // MARK: host.iommu

    static func hostFacts(_ h: HostIOMMU, groups: [IOMMUGroupReport], assignedCount: Int, into b: inout FactBuilder) {
        let p = "host.iommu."
        if let present = h.present { b.set(p + "present", .bool(present)) }
        else { b.setUnknown(p + "present", reason: h.presentReason) }
        b.set(p + "presentSource", .string(h.presentReason))
        b.set(p + "mode", .string(h.mode))
        b.set(p + "modeSource", .string(h.modeSource))
        b.set(p + "groupCount", .int(h.groups.count + h.groupErrors.count))
        b.set(p + "groups", .array(groups.map(\.json)))
        b.set(p + "units", .array(h.units.units.map { u in
            .object(["name": .string(u.name), "vendor": .string(u.vendor),
                     "interruptRemappingCapable": .from(u.interruptRemappingCapable)])
        }))
        b.set(p + "assignedDeviceCount", .int(assignedCount))
        let ir = h.interruptRemapping
        if let v = ir.value { b.set(p + "interruptRemapping", .bool(v)) }
        else { b.setUnknown(p + "interruptRemapping", reason: ir.source) }
        b.set(p + "interruptRemappingSource", .string(ir.source))
        b.set(p + "allowUnsafeInterrupts", .bool(h.vfio.anyAllowed))
        let srcs = [h.vfio.type1, h.vfio.iommufd].filter(\.allowed).map(\.source)
        b.set(p + "allowUnsafeInterruptsSource", .string(srcs.isEmpty
            ? "vfio_iommu_type1: \(h.vfio.type1.source); iommufd: \(h.vfio.iommufd.source)" : srcs.joined(separator: ", ")))
        if let c = h.cmdline {
            b.set(p + "cmdline.intelIommu", .from(c.string("intel_iommu")))
            b.set(p + "cmdline.amdIommu", .from(c.string("amd_iommu")))
            b.set(p + "cmdline.iommu", .from(c.string("iommu")))
            b.set(p + "cmdline.iommuPassthrough", .from(c.string("iommu.passthrough")))
            b.set(p + "cmdline.intremap", .from(c.string("intremap")))
            b.set(p + "cmdline.iommuDisabled", .bool(c.iommuDisabled))
            b.set(p + "cmdline.passthrough", .bool(c.iommuPassthrough))
            b.set(p + "cmdline.intremapOff", .bool(c.interruptRemappingDisabled))
            // pcie_acs_override (an out-of-tree patch carried by some distribution kernels) makes
            // the kernel pretend devices are isolated: IOMMU groups no longer show real isolation.
            let acs = c.string("pcie_acs_override")
            b.set(p + "cmdline.acsOverride", .from(acs))
            b.set(p + "cmdline.acsOverridden", .bool(acs != nil))
        } else {
            b.setUnknown(p + "cmdline", reason: h.cmdlineError ?? "/proc/cmdline unreadable")
        }
    }

    // MARK: devices.* per domain

    static func domainFacts(_ d: DomainInput, sharing: SharingIndex, assigned: [String: [String]], host h: HostIOMMU) -> FactBuilder {
        var b = FactBuilder()
        b.set("devices.hostdevCount", .int(d.hostdevs.count))
        b.set("devices.pciCount", .int(d.hostdevs.filter { $0.type == "pci" }.count))
        var elements: [JSONValue] = []
        var summary = Summary()
        let own = Dictionary(d.hostdevs.compactMap { s -> (String, HostDeviceSpec)? in
            guard s.type == "pci", let a = s.pciAddress.flatMap(PCIAddress.normalize) else { return nil }
            return (a, s)
        }, uniquingKeysWith: { first, _ in first })
        for (i, spec) in d.hostdevs.enumerated() {
            var e: [String: JSONValue] = [
                "type": .string(spec.type), "mode": .string(spec.mode), "managed": .bool(spec.managed),
                "driverName": .from(spec.driverName),
                "sharedWith": .from(sharing.sharedWith(spec, domain: d)),
            ]
            var unknown: [String: String] = [:]
            switch spec.type {
            case "pci":
                pciElement(spec, domain: d, own: own, assigned: assigned, host: h, e: &e, unknown: &unknown, summary: &summary)
            case "mdev":
                e["mdevUUID"] = .from(spec.mdevUUID)
                mdevElement(spec, host: h, e: &e)
            case "usb":
                e["usbVendor"] = .from(spec.usbVendor); e["usbProduct"] = .from(spec.usbProduct)
                e["usbBus"] = .from(spec.usbBus); e["usbDevice"] = .from(spec.usbDevice)
            default: break
            }
            let shared = e["sharedWith"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if !shared.isEmpty { summary.shared.append("\(label(spec)) is also named by \(shared.joined(separator: ", "))") }
            elements.append(.object(e))
            for (k, r) in unknown.sorted(by: { $0.key < $1.key }) { b.markUnknown("devices.hostdevs.\(i).\(k)", reason: r) }
        }
        b.set("devices.hostdevs", .array(elements))
        summary.write(into: &b)
        return b
    }

    /// Domain-level lists that name every offending device; a list whose question could not be
    /// answered for some device (and has no known offender) is unknown, never empty.
    struct Summary {
        var nonViable: [String] = [], nonViableUnknown: [String] = []
        var notVFIO: [String] = [], notVFIOUnknown: [String] = []
        var legacy: [String] = []
        var shared: [String] = []
        var vfSpread: [String] = []
        var pfHost: [String] = [], pfUnknown: [String] = []
        var absent: [String] = []

        func write(into b: inout FactBuilder) {
            put("devices.nonViableReasons", nonViable, nonViableUnknown, &b)
            put("devices.notVFIO", notVFIO, notVFIOUnknown, &b)
            b.set("devices.legacyAssigned", .from(legacy))
            b.set("devices.sharedDevices", .from(shared))
            b.set("devices.vfSpread", .from(vfSpread))
            put("devices.pfOnHostDriver", pfHost, pfUnknown, &b)
            b.set("devices.absent", .from(absent))
        }

        func put(_ path: String, _ known: [String], _ open: [String], _ b: inout FactBuilder) {
            if known.isEmpty && !open.isEmpty { b.setUnknown(path, reason: open.joined(separator: "; ")) }
            else { b.set(path, .from(known)) }
        }
    }

    static func label(_ s: HostDeviceSpec) -> String {
        switch s.type {
        case "pci": return s.pciAddress.flatMap(PCIAddress.normalize) ?? s.pciAddress ?? "pci device"
        case "mdev": return "mdev " + (s.mdevUUID ?? "?")
        case "usb":
            if let v = s.usbVendor, let p = s.usbProduct { return "usb \(v):\(p)" }
            return "usb \(s.usbBus.map(String.init) ?? "?"):\(s.usbDevice.map(String.init) ?? "?")"
        default: return s.type
        }
    }

    /// Other domains whose XML names the same host device.
    /// Which domains name each host device (by PCI address, mdev UUID or USB bus/device or
    /// id), built once per scan: looking every device up in every other domain grew with the
    /// square of the domain count.
    struct SharingIndex {
        /// Device key -> the domains naming it, in input order, each once.
        private var byKey: [String: [(uuid: String, name: String)]] = [:]

        init(_ all: [DomainInput]) {
            for d in all {
                var seen: Set<String> = []
                for spec in d.hostdevs {
                    guard let k = Self.key(spec), seen.insert(k).inserted else { continue }
                    byKey[k, default: []].append((d.uuid, d.name))
                }
            }
        }

        static func key(_ s: HostDeviceSpec) -> String? {
            switch s.type {
            case "pci": return s.pciAddress.flatMap(PCIAddress.normalize).map { "pci " + $0 }
            case "mdev": return s.mdevUUID.map { "mdev " + $0.lowercased() }
            case "usb":
                if let bus = s.usbBus, let dev = s.usbDevice { return "usb \(bus):\(dev)" }
                if let v = s.usbVendor, let p = s.usbProduct { return "usbid \(v.lowercased()):\(p.lowercased())" }
                return nil
            default: return nil
            }
        }

        /// The other domains (by name, in input order) that name the same device as `spec`.
        func sharedWith(_ spec: HostDeviceSpec, domain: DomainInput) -> [String] {
            guard let k = Self.key(spec), let holders = byKey[k] else { return [] }
            var names: [String] = []
            for other in holders where other.uuid != domain.uuid && !names.contains(other.name) {
                names.append(other.name)
            }
            return names
        }
    }

    static func pciElement(_ spec: HostDeviceSpec, domain d: DomainInput, own: [String: HostDeviceSpec],
                           assigned: [String: [String]], host h: HostIOMMU,
                           e: inout [String: JSONValue], unknown: inout [String: String], summary: inout Summary) {
        let keys = ["address", "driver", "vendor", "device", "class", "className", "iommuGroup", "groupType",
                    "groupViable", "vfio", "legacyAssignment", "isVF", "physfn", "pfDriver", "pfOnHostDriver"]
        for k in keys { e[k] = .null }
        e["groupMembers"] = .array([]); e["nonViableReasons"] = .array([]); e["vfSiblingsAssignedTo"] = .array([])
        e["present"] = .bool(false)
        guard let addr = spec.pciAddress.flatMap(PCIAddress.normalize) else {
            let r = "<hostdev> has no valid PCI address (\(spec.pciAddress ?? "none"))"
            for k in keys + ["present"] { unknown[k] = r }
            e["present"] = .null
            summary.nonViableUnknown.append(r); summary.notVFIOUnknown.append(r)
            return
        }
        e["address"] = .string(addr)
        let legacyXML = spec.driverName == "kvm"
        e["legacyAssignment"] = .bool(legacyXML)
        if legacyXML { summary.legacy.append("\(addr) uses <driver name='kvm'/> (legacy KVM device assignment)") }

        let dev: PCIDevice
        switch h.device(addr) {
        case .success(let v): dev = v
        case .failure(let err):
            let r = "\(addr) is absent from the host (\(err))"
            for k in keys where k != "address" && k != "legacyAssignment" { unknown[k] = r }
            summary.absent.append(addr)
            summary.nonViableUnknown.append(r); summary.notVFIOUnknown.append(r)
            return
        }
        e["present"] = .bool(true)
        e["vendor"] = .from(dev.vendor.map(hex4)); e["device"] = .from(dev.device.map(hex4))
        e["class"] = .from(dev.classCode.map(hex6)); e["className"] = .from(dev.classCode.map(PCIClass.name))
        for (k, attr) in [("vendor", "vendor"), ("device", "device"), ("class", "class"), ("className", "class")] {
            if let p = dev.problems[attr] { unknown[k] = p }
        }

        // Driver now, and whether the assignment goes through VFIO.
        let driverKnown = dev.problems["driver"] == nil
        e["driver"] = .from(dev.driver)
        if let p = dev.problems["driver"] { unknown["driver"] = p }
        if legacyXML {
            e["vfio"] = .bool(false)
            summary.notVFIO.append("\(addr) is assigned with the legacy KVM path (<driver name='kvm'/>)")
        } else if spec.driverName == "xen" {
            e["vfio"] = .bool(false)
            summary.notVFIO.append("\(addr) uses <driver name='xen'/>")
        } else if !driverKnown {
            unknown["vfio"] = dev.problems["driver"]!
            summary.notVFIOUnknown.append("\(addr): " + dev.problems["driver"]!)
        } else if let drv = dev.driver, GroupViability.isVFIODriver(drv) {
            e["vfio"] = .bool(true)
        } else if !d.running && spec.managed {
            // libvirt binds a managed device to vfio-pci when the domain starts.
            e["vfio"] = .bool(true)
        } else {
            e["vfio"] = .bool(false)
            let now = dev.driver.map { "on \($0)" } ?? "on no driver"
            if dev.driver == "pci-stub" && d.running {
                e["legacyAssignment"] = .bool(true)
                summary.legacy.append("\(addr) is on pci-stub while the domain runs (legacy KVM assignment)")
            }
            summary.notVFIO.append(d.running ? "\(addr) is \(now) while the domain runs, not on vfio-pci"
                                             : "\(addr) is \(now) and the <hostdev> is managed='no': it must be bound to vfio-pci before the domain starts")
        }

        // IOMMU group and its viability for this domain.
        guard let gnum = dev.iommuGroup else {
            let r: String
            if let p = dev.problems["iommu_group"] { r = p; unknown["iommuGroup"] = p; unknown["groupViable"] = p; summary.nonViableUnknown.append(r) }
            else {
                r = "\(addr) has no IOMMU group: " + (h.present == false ? "the host has no active IOMMU (\(h.presentReason))" : "no IOMMU translates this device")
                e["groupViable"] = .bool(false)
                e["nonViableReasons"] = .from([r])
                summary.nonViable.append(r)
            }
            unknown["groupType"] = r
            sriov(dev, addr: addr, domain: d, assigned: assigned, host: h, e: &e, unknown: &unknown, summary: &summary)
            return
        }
        e["iommuGroup"] = .int(gnum)
        let group = h.groups.first { $0.number == gnum }
        e["groupType"] = .from(group?.type)
        if let t = group?.problems["type"] { unknown["groupType"] = t }
        let members = group?.devices ?? (h.groups.isEmpty ? [] : [addr])
        var verdicts: [GroupViability.Verdict] = []
        var memberJSON: [JSONValue] = []
        var extra: [String] = []
        if group == nil { extra.append("\(addr): IOMMU group \(gnum) is not readable under /sys/kernel/iommu_groups") }
        else if let p = group?.problems["devices"] { extra.append(p) }
        for m in members {
            let others = (assigned[m] ?? []).filter { $0 != d.name }
            let md = h.devices[m]
            memberJSON.append(.object(["address": .string(m), "driver": .from(md?.driver),
                                       "bridge": .from(md?.isBridge), "assignedTo": .from(assigned[m] ?? [])]))
            if !others.isEmpty {
                verdicts.append(.blocks("\(m) in IOMMU group \(gnum) is assigned to \(others.joined(separator: ", "))"))
                continue
            }
            if let mine = own[m], mine.managed, mine.driverName != "kvm", mine.driverName != "xen", !d.running {
                verdicts.append(.allowed)   // libvirt will bind it to vfio-pci at start
                continue
            }
            guard let md else {
                verdicts.append(.undecided("\(m): " + (h.deviceErrors[m] ?? "not readable")))
                continue
            }
            var v = GroupViability.judge(address: m, driver: md.knownDriver, bridge: md.isBridge)
            if case .blocks = v, own[m] == nil {
                v = .blocks("\(m) (\(md.classCode.map(PCIClass.name) ?? "device")) in IOMMU group \(gnum) is bound to host driver \(md.driver ?? "?")")
            }
            verdicts.append(v)
        }
        e["groupMembers"] = .array(memberJSON)
        var (viable, reasons) = GroupViability.combine(verdicts)
        if !extra.isEmpty && viable != false { viable = nil; reasons += extra }
        e["nonViableReasons"] = .from(reasons)
        if let v = viable {
            e["groupViable"] = .bool(v)
            if !v { summary.nonViable += reasons }
        } else {
            unknown["groupViable"] = reasons.joined(separator: "; ")
            summary.nonViableUnknown += reasons
        }
        sriov(dev, addr: addr, domain: d, assigned: assigned, host: h, e: &e, unknown: &unknown, summary: &summary)
    }

    static func sriov(_ dev: PCIDevice, addr: String, domain d: DomainInput, assigned: [String: [String]], host h: HostIOMMU,
                      e: inout [String: JSONValue], unknown: inout [String: String], summary: inout Summary) {
        if let p = dev.problems["physfn"] {
            for k in ["isVF", "physfn", "pfDriver", "pfOnHostDriver"] { unknown[k] = p }
            summary.pfUnknown.append(p)
            return
        }
        e["isVF"] = .bool(dev.isVF)
        guard let pf = dev.physfn else { e["pfOnHostDriver"] = .bool(false); return }
        e["physfn"] = .string(pf)
        switch h.device(pf) {
        case .success(let pfd):
            e["pfDriver"] = .from(pfd.driver)
            if let p = pfd.problems["driver"] {
                unknown["pfDriver"] = p; unknown["pfOnHostDriver"] = p
                summary.pfUnknown.append(p)
            } else {
                let onHost = pfd.driver.map { !GroupViability.isUserSpaceSafe(driver: $0) } ?? false
                e["pfOnHostDriver"] = .bool(onHost)
                if onHost { summary.pfHost.append("VF \(addr): its PF \(pf) is on host driver \(pfd.driver!)") }
            }
            // Sibling VFs: the PF's virtfn links, plus any assigned device whose physfn is this PF.
            var siblings = Set(pfd.virtfns)
            for (a, _) in assigned where a != addr { if h.devices[a]?.physfn == pf { siblings.insert(a) } }
            siblings.remove(addr)
            var vms: [String] = []
            var detail: [String] = []
            for s in siblings.sorted() {
                for vm in assigned[s] ?? [] where vm != d.name {
                    if !vms.contains(vm) { vms.append(vm) }
                    detail.append("\(s) in \(vm)")
                }
            }
            e["vfSiblingsAssignedTo"] = .from(vms)
            if !vms.isEmpty { summary.vfSpread.append("VF \(addr) of PF \(pf) shares its PF with " + detail.joined(separator: ", ")) }
        case .failure(let err):
            let r = "PF \(pf) of \(addr) is not readable (\(err))"
            unknown["pfDriver"] = r; unknown["pfOnHostDriver"] = r
            summary.pfUnknown.append(r)
        }
    }

    /// mdev: `/sys/bus/mdev/devices/<uuid>` links into its parent device's directory.
    static func mdevElement(_ spec: HostDeviceSpec, host h: HostIOMMU, e: inout [String: JSONValue]) {
        guard let u = spec.mdevUUID?.lowercased() else { e["present"] = .bool(false); return }
        let path = h.root.sys("bus/mdev/devices/" + u)
        guard let target = try? FileReader.readLink(path) else { e["present"] = .bool(false); return }
        e["present"] = .bool(true)
        let comps = target.split(separator: "/").map(String.init)
        if comps.count >= 2 { e["address"] = .from(PCIAddress.normalize(comps[comps.count - 2])) }
        if let g = try? FileReader.readLink(path + "/iommu_group"), let n = Int(PCIDevice.lastComponent(g)) {
            e["iommuGroup"] = .int(n)
        }
    }
}
