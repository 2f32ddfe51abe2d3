import Core

/// Parses libvirt domain XML (`virDomainGetXMLDesc`, `virsh dumpxml`) into a `DomainDefinition`.
/// Pure: feed it any string; malformed input gives a `DomainXMLError`, never a crash.
public enum DomainXML {
    /// The namespace of virtaudit's own metadata (`<virtaudit:profile>`).
    public static let virtauditNamespace = "https://virtaudit.dev/xmlns/1"
    /// libvirt's qemu namespace (`<qemu:commandline>`).
    public static let qemuNamespace = "http://libvirt.org/schemas/domain/qemu/1.0"

    public static func parse(_ text: String) throws(DomainXMLError) -> DomainDefinition {
        let root: XMLTree
        do {
            root = try XMLTree.parse(text)
        } catch {
            throw .malformed(error.description)
        }
        return try parse(tree: root)
    }

    /// Builds the definition from an already parsed `<domain>` element.
    static func parse(tree root: XMLTree) throws(DomainXMLError) -> DomainDefinition {
        guard root.name == "domain", root.namespace == nil else { throw .notADomain(root: root.qualifiedName) }
        guard let type = root.attr("type"), !type.isEmpty else { throw .missing("the type attribute of <domain>") }
        guard let name = root.child("name")?.value, !name.isEmpty else { throw .missing("<name>") }

        var def = DomainDefinition(type: type, name: name)
        def.uuid = root.child("uuid")?.value.lowercased()
        if let id = root.attr("id") { def.id = try integer(id, "id attribute of <domain>") }
        if let os = root.child("os"), let t = os.child("type") {
            def.arch = t.attr("arch")
            def.machine = t.attr("machine")
            def.osType = t.value
        }
        if let m = root.child("memory") {
            def.memoryKiB = try bytes(m.value, unit: m.attr("unit") ?? "KiB", "<memory>") / 1024
        }
        if let v = root.child("vcpu") { def.vcpus = try integer(v.value, "<vcpu>") }

        for s in root.children(named: "seclabel") {
            let type = s.attr("type")
            let relabel = s.attr("relabel").map { $0 == "yes" } ?? (type == "dynamic")
            def.seclabels.append(.init(model: s.attr("model"), type: type, relabel: relabel,
                                       label: s.child("label")?.value, imagelabel: s.child("imagelabel")?.value,
                                       baselabel: s.child("baselabel")?.value))
        }

        if let md = root.child("metadata") {
            for e in md.children {
                def.metadata.append(.init(namespace: e.namespace, name: e.name, attributes: e.attributes, text: e.value))
            }
        }

        for cl in root.children where cl.namespace == qemuNamespace && cl.name == "commandline" {
            for arg in cl.children where arg.namespace == qemuNamespace && arg.name == "arg" {
                if let v = arg.attr("value") { def.qemuCommandline.append(v) }
            }
        }

        if let ls = root.child("launchSecurity"), let t = ls.attr("type") {
            def.launchSecurity = .init(type: t, policy: ls.child("policy")?.value)
        }

        if let devices = root.child("devices") { try parseDevices(devices, into: &def) }
        try parseStorage(root, into: &def)
        try parseHostResources(root, into: &def)
        return def
    }

    private static func parseDevices(_ devices: XMLTree, into def: inout DomainDefinition) throws(DomainXMLError) {
        def.emulator = devices.child("emulator")?.value
        for e in devices.children where e.namespace == nil {
            switch e.name {
            case "controller":
                guard let t = e.attr("type") else { continue }
                def.controllers.append(.init(type: t, model: e.attr("model"),
                                             index: try e.attr("index").map { v throws(DomainXMLError) in try integer(v, "controller index") }))
            case "disk":
                let target = e.child("target")
                def.disks.append(.init(device: e.attr("device") ?? "disk", bus: target?.attr("bus"), target: target?.attr("dev")))
            case "interface":
                let t = e.attr("type") ?? "network"
                def.interfaces.append(.init(type: t, model: e.child("model")?.attr("type")))
                if t == "hostdev", let addr = e.child("source")?.child("address"), (addr.attr("type") ?? "pci") == "pci" {
                    def.hostdevs.append(HostDeviceSpec(type: "pci", mode: "subsystem", managed: e.attr("managed") == "yes",
                                                       driverName: e.child("driver")?.attr("name"),
                                                       pciAddress: try pciAddress(addr)))
                }
            case "hostdev":
                def.hostdevs.append(try hostdev(e))
            case "video":
                if let m = e.child("model")?.attr("type") { def.videos.append(m) }
            case "sound":
                if let m = e.attr("model") { def.sounds.append(m) }
            case "input":
                if let t = e.attr("type") { def.inputs.append(.init(type: t, bus: e.attr("bus"))) }
            case "serial", "parallel", "console", "channel":
                def.chardevs.append(chardev(e))
            case "graphics":
                guard let t = e.attr("type") else { continue }
                var g = DomainDefinition.Graphics(type: t)
                if let l = e.child("listen"), let lt = l.attr("type") {
                    g.listenType = lt
                    g.listen = l.attr("address") ?? l.attr("network") ?? l.attr("socket")
                } else if let addr = e.attr("listen") {
                    g.listenType = "address"
                    g.listen = addr
                } else if let sock = e.attr("socket") {
                    g.listenType = "socket"
                    g.listen = sock
                }
                def.graphics.append(g)
            case "shmem":
                guard let n = e.attr("name") else { throw .missing("the name attribute of <shmem>") }
                var size: Int?
                if let s = e.child("size") { size = try bytes(s.value, unit: s.attr("unit") ?? "M", "<shmem><size>") }
                def.shmems.append(.init(name: n, model: e.child("model")?.attr("type"), sizeBytes: size,
                                        serverPath: e.child("server")?.attr("path")))
            case "vsock":
                let cid = e.child("cid")
                def.vsock = .init(model: e.attr("model"),
                                  cid: try cid?.attr("address").map { v throws(DomainXMLError) in try integer(v, "vsock cid") },
                                  autoCID: cid?.attr("auto") == "yes")
            case "redirdev":
                def.redirdevs.append(.init(bus: e.attr("bus"), type: e.attr("type") ?? "spicevmc"))
            case "smartcard":
                def.smartcards.append(e.attr("mode") ?? "passthrough")
            case "watchdog":
                if let m = e.attr("model") { def.watchdogs.append(.init(model: m, action: e.attr("action"))) }
            case "rng":
                guard let m = e.attr("model") else { continue }
                let b = e.child("backend")
                var source = b?.value
                if let s = b?.child("source") {
                    source = [s.attr("host"), s.attr("service")].compactMap { $0 }.joined(separator: ":")
                }
                def.rngs.append(.init(model: m, backend: b?.attr("model"), source: nonEmpty(source)))
            case "memballoon":
                if let m = e.attr("model"), m != "none" { def.memballoon = m }
            case "tpm":
                def.tpms.append(e.attr("model") ?? "tpm-tis")
            default:
                continue
            }
        }
    }

    private static func hostdev(_ e: XMLTree) throws(DomainXMLError) -> HostDeviceSpec {
        let type = e.attr("type") ?? ""
        var spec = HostDeviceSpec(type: type, mode: e.attr("mode") ?? "subsystem", managed: e.attr("managed") == "yes",
                                  driverName: e.child("driver")?.attr("name"))
        let source = e.child("source")
        switch type {
        case "pci":
            if let addr = source?.child("address") { spec.pciAddress = try pciAddress(addr) }
        case "mdev":
            spec.mdevUUID = source?.child("address")?.attr("uuid")?.lowercased()
        case "usb":
            if let v = source?.child("vendor")?.attr("id") { spec.usbVendor = try usbID(v, "usb vendor id") }
            if let p = source?.child("product")?.attr("id") { spec.usbProduct = try usbID(p, "usb product id") }
            if let a = source?.child("address") {
                spec.usbBus = try a.attr("bus").map { v throws(DomainXMLError) in try integer(v, "usb bus") }
                spec.usbDevice = try a.attr("device").map { v throws(DomainXMLError) in try integer(v, "usb device") }
            }
        default:
            break
        }
        return spec
    }

    private static func chardev(_ e: XMLTree) -> DomainDefinition.CharDevice {
        let kind = e.name
        let type = e.attr("type") ?? "pty"
        let target = e.child("target")
        var source: String?
        let sources = e.children(named: "source")
        if type == "tcp" || type == "udp" {
            // udp has a connect source and an optional bind source; the connect one is the peer.
            let s = sources.first { $0.attr("mode") != "bind" } ?? sources.first
            if let s { source = [s.attr("host"), s.attr("service")].compactMap { $0 }.joined(separator: ":") }
        } else {
            source = sources.first?.attr("path") ?? sources.first?.attr("channel")
        }
        return .init(kind: kind, type: type, targetType: target?.attr("type"), targetName: target?.attr("name"),
                     source: nonEmpty(source))
    }

    // MARK: - values

    /// `<address domain= bus= slot= function=>` in sysfs form, `0000:01:00.0`.
    static func pciAddress(_ a: XMLTree) throws(DomainXMLError) -> String {
        let domain = try a.attr("domain").map { v throws(DomainXMLError) in try integer(v, "PCI domain") } ?? 0
        guard let b = a.attr("bus"), let s = a.attr("slot"), let f = a.attr("function") else {
            throw .missing("bus/slot/function of a PCI <address>")
        }
        let bus = try integer(b, "PCI bus"), slot = try integer(s, "PCI slot"), fn = try integer(f, "PCI function")
        guard (0...0xffff).contains(domain), (0...0xff).contains(bus), (0...0x1f).contains(slot), (0...7).contains(fn) else {
            throw .invalid(what: "PCI address", value: "\(domain):\(bus):\(slot).\(fn)")
        }
        return hex(domain, 4) + ":" + hex(bus, 2) + ":" + hex(slot, 2) + "." + String(fn, radix: 16)
    }

    private static func usbID(_ s: String, _ what: String) throws(DomainXMLError) -> String {
        let v = try integer(s, what)
        guard (0...0xffff).contains(v) else { throw .invalid(what: what, value: s) }
        return hex(v, 4)
    }

    private static func hex(_ v: Int, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// An integer the way libvirt reads them (strtol base 0): `0x1f` hex, `017` octal, else decimal.
    static func integer(_ raw: String, _ what: String) throws(DomainXMLError) -> Int {
        let s = raw.trimmingWhitespace()
        let value: Int?
        if s.lowercased().hasPrefix("0x") { value = Int(s.dropFirst(2), radix: 16) }
        else if s.count > 1 && s.hasPrefix("0") { value = Int(s.dropFirst(), radix: 8) }
        else { value = Int(s) }
        guard let v = value, v >= 0 else { throw .invalid(what: what, value: raw) }
        return v
    }

    /// A size with libvirt's units (`b`, `KB`=1000, `k`/`KiB`=1024, `M`/`MiB`, `MB`, `G`/`GiB`...) in bytes.
    static func bytes(_ raw: String, unit: String, _ what: String) throws(DomainXMLError) -> Int {
        guard let n = Int(raw.trimmingWhitespace()), n >= 0 else { throw .invalid(what: what, value: raw) }
        let scale: Int
        switch unit.lowercased() {
        case "b", "bytes": scale = 1
        case "kb": scale = 1000
        case "k", "kib": scale = 1 << 10
        case "mb": scale = 1_000_000
        case "m", "mib": scale = 1 << 20
        case "gb": scale = 1_000_000_000
        case "g", "gib": scale = 1 << 30
        case "tb": scale = 1_000_000_000_000
        case "t", "tib": scale = 1 << 40
        default: throw .invalid(what: "\(what) unit", value: unit)
        }
        let (product, overflow) = n.multipliedReportingOverflow(by: scale)
        if overflow { throw .invalid(what: what, value: raw) }
        return product
    }

    private static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }

}
