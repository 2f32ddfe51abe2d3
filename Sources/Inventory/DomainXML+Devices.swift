import Core

/// Network interfaces' host side, boot firmware, TPMs, console channels, SCSI host devices and
/// resource tuning: the parts of the domain XML that decide what the guest is given of the host.
extension DomainXML {
    /// Fills the fields under `MARK: - Network, firmware, consoles, resources` of `def`, and
    /// the host-side details of `def.interfaces` and `def.graphics` (which `parseDevices` has
    /// already listed, in document order).
    static func parseHostResources(_ root: XMLTree, into def: inout DomainDefinition) throws(DomainXMLError) {
        if let os = root.child("os") { def.firmware = firmware(os, features: root.child("features")) }
        else if let f = root.child("features") { def.firmware = firmware(nil, features: f) }
        def.tuning = try tuning(root)
        guard let devices = root.child("devices") else { return }

        let nics = devices.children(named: "interface")
        for (i, e) in nics.enumerated() where i < def.interfaces.count { def.interfaces[i] = try interface(e, def.interfaces[i]) }
        let displays = devices.children(named: "graphics").filter { $0.attr("type") != nil }
        for (i, e) in displays.enumerated() where i < def.graphics.count { def.graphics[i] = graphics(e, def.graphics[i]) }

        for e in devices.children where e.namespace == nil {
            switch e.name {
            case "tpm":
                def.tpmDevices.append(tpm(e))
            case "redirfilter":
                for u in e.children(named: "usbdev") {
                    def.redirFilters.append(.init(usbClass: anyValue(u.attr("class")), vendor: anyValue(u.attr("vendor")),
                                                  product: anyValue(u.attr("product")), version: anyValue(u.attr("version")),
                                                  allow: u.attr("allow") == "yes"))
                }
            case "hostdev" where e.attr("type") == "scsi" || e.attr("type") == "scsi_host":
                def.scsiHostdevs.append(scsiHostdev(e))
            default:
                continue
            }
        }
    }

    private static func interface(_ e: XMLTree, _ base: DomainDefinition.Interface) throws(DomainXMLError) -> DomainDefinition.Interface {
        var n = base
        let s = e.child("source")
        switch n.type {
        case "bridge": n.source = s?.attr("bridge")
        case "network": n.source = s?.attr("network") ?? s?.attr("bridge")
        case "direct": n.source = s?.attr("dev"); n.sourceMode = s?.attr("mode") ?? "vepa"
        case "vhostuser", "server", "client", "mcast", "udp":
            n.source = s?.attr("path") ?? [s?.attr("address"), s?.attr("port")].compactMap { $0 }.joined(separator: ":")
        default: n.source = s?.attr("dev") ?? s?.attr("bridge") ?? s?.attr("network")
        }
        if n.source?.isEmpty == true { n.source = nil }
        if n.type == "network", let mode = s?.attr("mode") { n.sourceMode = mode }
        if let f = e.child("filterref") {
            n.filter = f.attr("filter")
            for p in f.children(named: "parameter") { if let k = p.attr("name") { n.filterParameters[k] = p.attr("value") ?? "" } }
        }
        n.trustGuestRxFilters = e.attr("trustGuestRxFilters") == "yes"
        n.script = e.child("script")?.attr("path")
        n.mac = e.child("mac")?.attr("address")?.lowercased()
        n.targetDev = e.child("target")?.attr("dev")
        if n.type == "hostdev", let addr = s?.child("address"), (addr.attr("type") ?? "pci") == "pci" {
            n.hostdevAddress = try pciAddress(addr)
        }
        return n
    }

    private static func graphics(_ e: XMLTree, _ base: DomainDefinition.Graphics) -> DomainDefinition.Graphics {
        var g = base
        if let c = e.child("clipboard")?.attr("copypaste") { g.clipboardCopyPaste = c == "yes" }
        if let f = e.child("filetransfer")?.attr("enable") { g.fileTransfer = f == "yes" }
        // The read-only live XML never carries passwd; secure XML (status/config files) does.
        if e.attr("passwd") != nil { g.passwordSet = true }
        return g
    }

    static func firmware(_ os: XMLTree?, features: XMLTree?) -> DomainDefinition.Firmware {
        var f = DomainDefinition.Firmware()
        if let os {
            f.kind = os.attr("firmware")
            if let l = os.child("loader") {
                f.loaderType = l.attr("type")
                f.loader = nonEmptyValue(l.value)
                if let s = l.attr("secure") { f.loaderSecure = s == "yes" }
            }
            f.nvram = nonEmptyValue(os.child("nvram")?.value)
            for feat in os.child("firmware")?.children(named: "feature") ?? [] {
                if let name = feat.attr("name") { f.features[name] = feat.attr("enabled") == "yes" }
            }
        }
        if let smm = features?.child("smm") { f.smm = (smm.attr("state") ?? "on") == "on" }
        return f
    }

    private static func tpm(_ e: XMLTree) -> DomainDefinition.TPM {
        var t = DomainDefinition.TPM(model: e.attr("model") ?? "tpm-tis")
        if let b = e.child("backend") {
            t.backend = b.attr("type")
            t.version = b.attr("version")
            t.device = b.child("device")?.attr("path") ?? b.child("source")?.attr("path")
            t.encryptionSecret = b.child("encryption")?.attr("secret")
            t.persistentState = b.attr("persistent_state") == "yes"
        }
        return t
    }

    private static func scsiHostdev(_ e: XMLTree) -> DomainDefinition.SCSIHostdev {
        let type = e.attr("type") ?? "scsi"
        let s = e.child("source")
        var source = ""
        var proto: String?
        if type == "scsi_host" {
            source = s?.attr("wwpn") ?? ""
            proto = s?.attr("protocol")
        } else if let p = s?.attr("protocol") {
            proto = p
            source = [s?.child("host")?.attr("name"), s?.attr("name")].compactMap { $0 }.joined(separator: "/")
        } else {
            let a = s?.child("address")
            source = [s?.child("adapter")?.attr("name") ?? "?", a?.attr("bus") ?? "?", a?.attr("target") ?? "?", a?.attr("unit") ?? "?"]
                .joined(separator: ":")
        }
        return .init(type: type, sourceProtocol: proto, source: source, rawio: e.attr("rawio") == "yes", sgio: e.attr("sgio"),
                     readonly: e.child("readonly") != nil, shareable: e.child("shareable") != nil)
    }

    static func tuning(_ root: XMLTree) throws(DomainXMLError) -> DomainDefinition.Tuning {
        var t = DomainDefinition.Tuning()
        func kib(_ e: XMLTree?, _ what: String) throws(DomainXMLError) -> Int? {
            guard let e else { return nil }
            return try bytes(e.value, unit: e.attr("unit") ?? "KiB", what) / 1024
        }
        if let m = root.child("memtune") {
            t.memoryHardLimitKiB = try kib(m.child("hard_limit"), "<memtune><hard_limit>")
            t.memorySoftLimitKiB = try kib(m.child("soft_limit"), "<memtune><soft_limit>")
            t.swapHardLimitKiB = try kib(m.child("swap_hard_limit"), "<memtune><swap_hard_limit>")
        }
        if let c = root.child("cputune") {
            if let s = c.child("shares") { t.cpuShares = try integer(s.value, "<cputune><shares>") }
            for name in ["period", "quota", "global_period", "global_quota", "emulator_period", "emulator_quota",
                         "iothread_period", "iothread_quota"] {
                // Quotas may be -1 (unlimited): read them signed.
                guard let v = c.child(name)?.value else { continue }
                guard let n = Int(v.trimmingWhitespace()) else { throw .invalid(what: "<cputune><\(name)>", value: v) }
                t.cpuLimits[name] = n
            }
        }
        if let b = root.child("blkiotune") {
            if let w = b.child("weight") { t.blkioWeight = try integer(w.value, "<blkiotune><weight>") }
            let limits = ["read_bytes_sec", "write_bytes_sec", "read_iops_sec", "write_iops_sec"]
            t.blkioDeviceLimits = b.children(named: "device").filter { d in limits.contains { d.child($0) != nil } }.count
        }
        let caps = ["total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec", "write_iops_sec"]
        for d in root.child("devices")?.children(named: "disk") ?? [] {
            let io = d.child("iotune")
            t.diskIOTune.append(caps.contains { c in (io?.child(c)?.value).flatMap { Int($0) }.map { $0 > 0 } ?? false })
        }
        return t
    }

    /// libvirt writes `-1` or omits an attribute for "any" in a redirfilter rule.
    private static func anyValue(_ s: String?) -> String? {
        guard let s, !s.isEmpty, s != "-1" else { return nil }
        return s.lowercased()
    }

    private static func nonEmptyValue(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}
