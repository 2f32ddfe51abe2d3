import Core

/// Console and host-to-guest channel facts under `surface.*`: display passwords and SPICE
/// channels (extra fields of `surface.graphics[]`), USB redirection and its filter, USB and SCSI
/// host devices. See Docs/facts/surface.md.
public enum ConsoleFacts {
    /// The console fields of one `surface.graphics[]` entry of `def`.
    static func graphicsFields(_ g: DomainDefinition.Graphics, in def: DomainDefinition) -> [String: JSONValue] {
        let remote = ["vnc", "spice", "rdp"].contains(g.type)
        // No listener in the XML (a configuration before start): libvirt listens on TCP at
        // qemu.conf's vnc_listen/spice_listen (127.0.0.1 by default).
        let tcp = remote && (g.listenType.map { $0 == "address" || $0 == "network" } ?? true)
        // Clipboard and file transfer travel over the SPICE agent channel; without it there are none.
        let spice = g.type == "spice" && hasSpiceAgent(def)
        return [
            "tcp": .bool(tcp),
            // The read-only live XML never carries passwd: unknown until the secure XML is read.
            "password": g.passwordSet == true ? .bool(true) : .null,
            // qemu's SPICE agent channels default to on.
            "clipboardCopyPaste": .bool(spice && (g.clipboardCopyPaste ?? true)),
            "fileTransfer": .bool(spice && (g.fileTransfer ?? true)),
        ]
    }

    public static func build(_ def: DomainDefinition, into f: inout FactBuilder) {
        f.set("surface.redirdevs", .array(def.redirdevs.map { r in .object(["bus": .from(r.bus), "type": .string(r.type)]) }))
        f.set("surface.redirFilter", .array(def.redirFilters.map { r in
            .object(["class": .from(r.usbClass), "vendor": .from(r.vendor), "product": .from(r.product),
                     "version": .from(r.version), "allow": .bool(r.allow)])
        }))
        f.set("surface.usbRedirUnfiltered", .bool(usbRedirUnfiltered(def)))
        f.set("surface.spiceAgent", .bool(hasSpiceAgent(def)))
        f.set("surface.usbHostdevs", .array(def.hostdevs.filter { $0.type == "usb" }.map { h in
            .object(["vendor": .from(h.usbVendor), "product": .from(h.usbProduct), "bus": .from(h.usbBus), "device": .from(h.usbDevice),
                     "byID": .bool(h.usbVendor != nil && (h.usbBus == nil || h.usbDevice == nil))])
        }))
        f.set("surface.scsiHostdevs", .array(def.scsiHostdevs.map { s in
            .object(["type": .string(s.type), "protocol": .from(s.sourceProtocol), "source": .string(s.source),
                     "rawio": .bool(s.rawio), "sgio": .from(s.sgio), "readonly": .bool(s.readonly), "shareable": .bool(s.shareable)])
        }))
    }

    static func hasSpiceAgent(_ def: DomainDefinition) -> Bool {
        def.chardevs.contains { $0.kind == "channel" && $0.type == "spicevmc" }
    }

    /// USB redirection without a filter that rejects unlisted devices: redirdevs and either no
    /// `<redirfilter>` rule at all or an allow rule that matches every device.
    static func usbRedirUnfiltered(_ def: DomainDefinition) -> Bool {
        guard !def.redirdevs.isEmpty else { return false }
        if def.redirFilters.isEmpty { return true }
        return def.redirFilters.contains { $0.allow && $0.matchesAny }
    }

    /// For each `<graphics>` of the domain in a secure XML document (libvirt's status file
    /// `<domstatus><domain>` or a config file `<domain>`), whether it has a `passwd` attribute.
    public static func graphicsPasswords(secureXML: String) throws(DomainXMLError) -> [Bool] {
        let root: XMLTree
        do { root = try XMLTree.parse(secureXML) } catch { throw .malformed(error.description) }
        let domain: XMLTree
        if root.name == "domain" { domain = root }
        else if root.name == "domstatus", let d = root.child("domain") { domain = d }
        else { throw .notADomain(root: root.qualifiedName) }
        return (domain.child("devices")?.children(named: "graphics") ?? [])
            .filter { $0.attr("type") != nil }
            .map { $0.attr("passwd") != nil }
    }

    public static let schema: [FactField] = [
        FactField("surface.graphics[].tcp", .bool, source: "<graphics><listen type>", "True when a vnc/spice/rdp server listens on a TCP address or network (loopback included), also when the XML names no listener (libvirt then listens on qemu.conf's vnc_listen/spice_listen, unless vnc_auto_unix_socket = 1, which this does not model)."),
        FactField("surface.graphics[].password", .bool, source: "run/libvirt/qemu/<name>.xml, etc/libvirt/qemu/<name>.xml: <graphics passwd>",
                  "True when the display has a password. The read-only live XML never shows passwd, so it is read from libvirt's status file (running) or config file (shut off); null when those cannot be read."),
        FactField("surface.graphics[].clipboardCopyPaste", .bool, source: "<graphics type='spice'><clipboard copypaste>", "True for a SPICE display with the agent channel (<channel type='spicevmc'>) whose clipboard sharing is on (qemu's default when the XML says nothing)."),
        FactField("surface.graphics[].fileTransfer", .bool, source: "<graphics type='spice'><filetransfer enable>", "True for a SPICE display with the agent channel whose client-to-guest file transfer is on (the default)."),
        FactField("surface.spiceAgent", .bool, source: "<channel type='spicevmc'>", "True when the SPICE agent channel (clipboard and file transfer carrier) is configured."),
        FactField("surface.redirdevs", .list, element: .object, source: "<redirdev>", "USB redirection channels."),
        FactField("surface.redirdevs[].bus", .string, source: "<redirdev bus>", "usb."),
        FactField("surface.redirdevs[].type", .string, source: "<redirdev type>", "spicevmc or tcp."),
        FactField("surface.redirFilter", .list, element: .object, source: "<redirfilter><usbdev>", "USB redirection filter rules in order (first match wins; an unmatched device is refused)."),
        FactField("surface.redirFilter[].class", .string, source: "<usbdev class>", "USB class; null for any."),
        FactField("surface.redirFilter[].vendor", .string, source: "<usbdev vendor>", "Vendor id; null for any."),
        FactField("surface.redirFilter[].product", .string, source: "<usbdev product>", "Product id; null for any."),
        FactField("surface.redirFilter[].version", .string, source: "<usbdev version>", "Device revision; null for any."),
        FactField("surface.redirFilter[].allow", .bool, source: "<usbdev allow>", "Whether matching devices are allowed."),
        FactField("surface.usbRedirUnfiltered", .bool, source: "<redirdev>, <redirfilter>", "True when USB redirection is configured with no <redirfilter>, or with an allow rule that matches every device."),
        FactField("surface.usbHostdevs", .list, element: .object, source: "<hostdev type='usb'>", "Host USB devices given to the guest."),
        FactField("surface.usbHostdevs[].vendor", .string, source: "<source><vendor id>", "Vendor id (4 hex digits); null when chosen by address."),
        FactField("surface.usbHostdevs[].product", .string, source: "<source><product id>", "Product id."),
        FactField("surface.usbHostdevs[].bus", .int, source: "<source><address bus>", "Host USB bus; null when not pinned."),
        FactField("surface.usbHostdevs[].device", .int, source: "<source><address device>", "Host USB device number; null when not pinned."),
        FactField("surface.usbHostdevs[].byID", .bool, source: "<hostdev type='usb'><source>", "True when the device is chosen by vendor/product alone: any device presenting those ids (one plugged in later included) is attached."),
        FactField("surface.scsiHostdevs", .list, element: .object, source: "<hostdev type='scsi'|'scsi_host'>", "Host SCSI devices (LUNs through their sg node, iSCSI LUNs, vhost-scsi targets) given to the guest."),
        FactField("surface.scsiHostdevs[].type", .string, source: "<hostdev type>", "scsi or scsi_host."),
        FactField("surface.scsiHostdevs[].protocol", .string, source: "<source protocol>", "iscsi for a network LUN, vhost for scsi_host; null for a host adapter."),
        FactField("surface.scsiHostdevs[].source", .string, source: "<source>", "adapter:bus:target:unit, host/iqn, or the vhost wwpn."),
        FactField("surface.scsiHostdevs[].rawio", .bool, source: "<hostdev rawio>", "True when qemu gets CAP_SYS_RAWIO for the device."),
        FactField("surface.scsiHostdevs[].sgio", .string, source: "<hostdev sgio>", "filtered or unfiltered; null when unset."),
        FactField("surface.scsiHostdevs[].readonly", .bool, source: "<readonly/>", "True when the LUN is read-only."),
        FactField("surface.scsiHostdevs[].shareable", .bool, source: "<shareable/>", "True when the LUN may be shared with other domains."),
    ]
}
