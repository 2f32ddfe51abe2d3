import Core

/// Turns one domain's libvirt record and parsed definition into its `domain.*`, `surface.*` and
/// `confidential.*` facts. Paths in the builder are exactly the schema paths (`domain.name`).
public enum DomainFacts {
    /// Parses the record's XML; a record without XML gives `.unavailable` with libvirt's message.
    public static func definition(of record: DomainRecord) -> Result<DomainDefinition, DomainXMLError> {
        if record.xml.isEmpty {
            return .failure(.unavailable(record.problems["xml"] ?? "empty XML"))
        }
        do { return .success(try DomainXML.parse(record.xml)) } catch { return .failure(error) }
    }

    /// The facts of one domain. `shmemSharedWith` names the other domains that share one of its
    /// `<shmem>` objects (from `shmemSharing(_:)`); facts the XML would give become unknown with
    /// the parse error as reason when `definition` is a failure.
    public static func build(record: DomainRecord, definition: Result<DomainDefinition, DomainXMLError>,
                             shmemSharedWith: [String] = []) -> FactBuilder {
        var f = FactBuilder()
        f.set("domain.name", .string(record.name))
        f.set("domain.uuid", .string(record.uuid))
        f.set("domain.id", .from(record.id))
        f.set("domain.running", .bool(record.isActive))
        setOrUnknown(&f, "domain.state", .from(record.state), record.problems["state"])
        setOrUnknown(&f, "domain.persistent", .from(record.persistent), record.problems["persistent"])
        setOrUnknown(&f, "domain.autostart", .from(record.autostart), record.problems["autostart"])

        let def: DomainDefinition
        switch definition {
        case .success(let d): def = d
        case .failure(let error):
            let reason = "\(error)"
            for path in xmlDomainPaths { f.setUnknown(path, reason: reason) }
            f.setUnknown("surface", reason: reason)
            f.setUnknown("confidential", reason: reason)
            for prefix in ["storage", "shares", "memory"] { f.setUnknown(prefix, reason: reason) }
            for prefix in ["network", "firmware", "resources"] { f.setUnknown(prefix, reason: reason) }
            return f
        }

        f.set("domain.type", .string(def.type))
        f.set("domain.emulator", .from(def.emulator))
        f.set("domain.arch", .from(def.arch))
        f.set("domain.machine", .from(def.machine))
        f.set("domain.memoryKiB", .from(def.memoryKiB))
        f.set("domain.vcpus", .from(def.vcpus))
        f.set("domain.metadata.profile", .from(profile(of: def)))
        f.set("domain.metadata.elements", .array(def.metadata.map { m in
            .object(["namespace": .from(m.namespace), "name": .string(m.name),
                     "attributes": .object(m.attributes.mapValues { .string($0) }), "text": .string(m.text)])
        }))
        f.set("domain.seclabels", .array(def.seclabels.map { s in
            .object(["model": .from(s.model), "type": .from(s.type), "relabel": .bool(s.relabel),
                     "label": .from(s.label), "imagelabel": .from(s.imagelabel), "baselabel": .from(s.baselabel)])
        }))
        var models: [String] = []
        for s in def.seclabels { if let m = s.model, !models.contains(m) { models.append(m) } }
        f.set("domain.seclabelModels", .from(models))
        f.set("domain.dacLabel", .from(def.seclabels.first { $0.model == "dac" }?.label))
        f.set("domain.securityDisabled", .bool(def.seclabels.contains { $0.model == "none" || $0.type == "none" }))

        // surface
        let devices = DeviceSurface.devices(def)
        let legacy = DeviceSurface.legacyNames(devices)
        f.set("surface.emulatedDevices", .array(devices.map { d in
            .object(["kind": .string(d.kind), "model": .from(d.model), "bus": .from(d.bus), "legacy": .bool(d.legacy),
                     "name": .from(d.name), "why": .string(d.why)])
        }))
        f.set("surface.emulatedCount", .int(devices.count))
        f.set("surface.legacyDevices", .from(legacy))
        f.set("surface.legacyCount", .int(legacy.count))

        let agent = def.chardevs.first { $0.kind == "channel" && $0.targetName == guestAgentChannelName }
        f.set("surface.guestAgent", .bool(agent != nil))
        f.set("surface.guestAgentChannel", .from(agent?.source))
        f.set("surface.hostChannels", .array(def.chardevs.filter(reachesHost).map { c in
            .object(["kind": .string(c.kind), "type": .string(c.type), "target": .from(c.targetName ?? c.targetType),
                     "source": .from(c.source), "networked": .bool(c.type == "tcp" || c.type == "udp")])
        }))
        f.set("surface.shmem", .array(def.shmems.map { s in
            .object(["name": .string(s.name), "model": .from(s.model), "size": .from(s.sizeBytes)])
        }))
        f.set("surface.shmemSharedWith", .from(shmemSharedWith))
        f.set("surface.vsock", .bool(def.vsock != nil))
        f.set("surface.vsockCid", .from(def.vsock?.cid))
        f.set("surface.qemuCommandline", .from(def.qemuCommandline))
        f.set("surface.hasQemuCommandline", .bool(!def.qemuCommandline.isEmpty))
        f.set("surface.graphics", .array(def.graphics.map { g in
            .object(["type": .string(g.type), "listenType": .from(g.listenType), "listen": .from(g.listen),
                     "nonLoopback": .from(nonLoopback(g))].merging(ConsoleFacts.graphicsFields(g, in: def)) { a, _ in a })
        }))

        // confidential
        let ls = def.launchSecurity
        f.set("confidential.launchSecurity.present", .bool(ls != nil))
        f.set("confidential.launchSecurity.type", .from(ls?.type))
        f.set("confidential.launchSecurity.policy", .from(ls?.policy))
        f.set("confidential.launchSecurity.debugAllowed", .from(ls?.debugAllowed))
        StorageFacts.build(def, into: &f)

        NetworkFacts.build(def, into: &f)
        FirmwareFacts.build(def, into: &f)
        ConsoleFacts.build(def, into: &f)
        ResourceFacts.build(def, into: &f)
        return f
    }

    /// For each domain (by name), the other domains that name one of its `<shmem>` objects:
    /// qemu maps the same host shared-memory object for equal names, so they see each other's memory.
    public static func shmemSharing(_ definitions: [DomainDefinition]) -> [String: [String]] {
        var byObject: [String: Set<String>] = [:]
        for d in definitions { for s in d.shmems { byObject[s.name, default: []].insert(d.name) } }
        var out: [String: [String]] = [:]
        for d in definitions {
            var peers: Set<String> = []
            for s in d.shmems { peers.formUnion(byObject[s.name] ?? []) }
            peers.remove(d.name)
            out[d.name] = peers.sorted()
        }
        return out
    }

    /// `<metadata><virtaudit:profile xmlns:virtaudit="https://virtaudit.dev/xmlns/1">hardened</...>`.
    public static func profile(of def: DomainDefinition) -> String? {
        let p = def.metadata.first { $0.namespace == DomainXML.virtauditNamespace && $0.name == "profile" }?.text
        return (p?.isEmpty ?? true) ? nil : p
    }

    public static let guestAgentChannelName = "org.qemu.guest_agent.0"

    /// A character device whose backend lives outside qemu on the host (a file, device, pipe,
    /// terminal or socket). A console that repeats the first serial port is not counted twice.
    static func reachesHost(_ c: DomainDefinition.CharDevice) -> Bool {
        if c.kind == "console" && (c.targetType == nil || c.targetType == "serial") { return false }
        return ["file", "pipe", "dev", "pty", "unix", "tcp", "udp", "stdio", "nmdm"].contains(c.type)
    }

    /// Whether a display listens beyond the loopback interface; nil when the XML does not say
    /// (libvirt then applies `vnc_listen`/`spice_listen` from qemu.conf).
    static func nonLoopback(_ g: DomainDefinition.Graphics) -> Bool? {
        guard ["vnc", "spice", "rdp"].contains(g.type) else { return false }
        switch g.listenType {
        case "socket", "none": return false
        case "network": return true
        case "address":
            guard let a = g.listen, !a.isEmpty else { return nil }
            return !IPAddress.isLoopbackListen(a)
        default: return nil
        }
    }

    private static func setOrUnknown(_ f: inout FactBuilder, _ path: String, _ value: JSONValue, _ problem: String?) {
        if value.isNull, let problem { f.setUnknown(path, reason: problem) } else { f.set(path, value) }
    }

    private static let xmlDomainPaths = [
        "domain.type", "domain.emulator", "domain.arch", "domain.machine", "domain.memoryKiB", "domain.vcpus",
        "domain.metadata", "domain.seclabels", "domain.seclabelModels", "domain.dacLabel", "domain.securityDisabled",
    ]

    static let xmlSource = "domain XML (virDomainGetXMLDesc)"

    /// Every path `build` produces.
    public static let schema: [FactField] = [
        FactField("domain.name", .string, source: "virDomainGetName", "Domain name."),
        FactField("domain.uuid", .string, source: "virDomainGetUUIDString", "Domain UUID, lower case."),
        FactField("domain.id", .int, source: "virDomainGetID", "libvirt domain id; null when the domain is not active."),
        FactField("domain.state", .string, source: "virDomainGetState",
                  "running, blocked, paused, shutdown, shutoff, crashed, pmsuspended or nostate."),
        FactField("domain.running", .bool, source: "virDomainGetID",
                  "True when the domain is active (has a qemu process): running, paused, blocked, pmsuspended or shutting down."),
        FactField("domain.persistent", .bool, source: "virDomainIsPersistent", "True when libvirt keeps a persistent definition."),
        FactField("domain.autostart", .bool, source: "virDomainGetAutostart", "True when libvirt starts the domain at boot."),
        FactField("domain.type", .string, source: "<domain type>", "Hypervisor type: qemu (TCG), kvm, xen, lxc, test..."),
        FactField("domain.emulator", .string, source: "<devices><emulator>", "Path of the device-model binary; null when unset."),
        FactField("domain.arch", .string, source: "<os><type arch>", "Guest architecture (x86_64)."),
        FactField("domain.machine", .string, source: "<os><type machine>", "Machine type (pc-i440fx-7.2, pc-q35-8.0)."),
        FactField("domain.memoryKiB", .int, source: "<memory>", "Maximum guest memory in KiB."),
        FactField("domain.vcpus", .int, source: "<vcpu>", "Maximum vCPU count."),
        FactField("domain.metadata", .object, source: "<metadata>", "Metadata of the domain."),
        FactField("domain.metadata.profile", .string, source: "<metadata><virtaudit:profile xmlns:virtaudit='https://virtaudit.dev/xmlns/1'>",
                  "The virtaudit profile the admin assigned to this domain; null when none."),
        FactField("domain.metadata.elements", .list, element: .object, source: "<metadata>", "Every child element of <metadata>."),
        FactField("domain.metadata.elements[].namespace", .string, source: "<metadata>", "The element's namespace URI; null when none."),
        FactField("domain.metadata.elements[].name", .string, source: "<metadata>", "The element's local name."),
        FactField("domain.metadata.elements[].attributes", .object, source: "<metadata>", "The element's attributes, by local name."),
        FactField("domain.metadata.elements[].text", .string, source: "<metadata>", "The element's text content, trimmed."),
        FactField("domain.seclabels", .list, element: .object, source: "<seclabel>", "The domain's top-level security labels."),
        FactField("domain.seclabels[].model", .string, source: "<seclabel model>", "selinux, apparmor, dac or none; null when the element names no model."),
        FactField("domain.seclabels[].type", .string, source: "<seclabel type>", "dynamic, static or none."),
        FactField("domain.seclabels[].relabel", .bool, source: "<seclabel relabel>",
                  "Whether libvirt relabels resources; when absent, libvirt's default (true for dynamic, false otherwise)."),
        FactField("domain.seclabels[].label", .string, source: "<seclabel><label>", "Process label (SELinux context, AppArmor profile, or +uid:+gid for dac)."),
        FactField("domain.seclabels[].imagelabel", .string, source: "<seclabel><imagelabel>", "Label given to the domain's images."),
        FactField("domain.seclabels[].baselabel", .string, source: "<seclabel><baselabel>", "Base label for dynamic SELinux labels."),
        FactField("domain.seclabelModels", .list, element: .string, source: "<seclabel model>", "Distinct security models named by the seclabels."),
        FactField("domain.dacLabel", .string, source: "<seclabel model='dac'><label>", "The DAC label +uid:+gid; null when there is no dac seclabel or it has no label."),
        FactField("domain.securityDisabled", .bool, source: "<seclabel>", "True when any seclabel has model='none' or type='none' (confinement switched off)."),

        FactField("surface.emulatedDevices", .list, element: .object, source: xmlSource,
                  "Every device qemu emulates for the guest that the XML names (not topology controllers, hostdevs or displays)."),
        FactField("surface.emulatedDevices[].kind", .string, source: xmlSource, "controller, disk, nic, video, sound, input, serial, parallel, console, channel, shmem, vsock, watchdog, rng, redirdev, smartcard, tpm, memballoon."),
        FactField("surface.emulatedDevices[].model", .string, source: xmlSource, "Device model (cirrus, piix3-uhci, ich6, isa-serial...)."),
        FactField("surface.emulatedDevices[].bus", .string, source: xmlSource, "Bus the device sits on (ide, usb, ps2, virtio...); null when not relevant."),
        FactField("surface.emulatedDevices[].legacy", .bool, source: xmlSource, "True for legacy or unneeded device models (see the surface section)."),
        FactField("surface.emulatedDevices[].name", .string, source: xmlSource, "Short name of a legacy device (cirrus-vga); null otherwise."),
        FactField("surface.emulatedDevices[].why", .string, source: xmlSource, "Why it is (or is not) legacy and what replaces it."),
        FactField("surface.emulatedCount", .int, source: xmlSource, "Number of entries in surface.emulatedDevices."),
        FactField("surface.legacyDevices", .list, element: .string, source: xmlSource,
                  "Distinct short names of legacy devices: ide-controller, ide-disk, ide-cdrom, floppy, floppy-controller, usb-uhci, usb-ehci, usb-ohci, scsi-<model>, usb-storage, sd-card, nic-<model>, cirrus-vga, vmware-svga, sound-<model>, usb-tablet, usb-mouse, usb-keyboard, ps2-mouse, ps2-keyboard, serial-<hosttype>, parallel-<hosttype>, ivshmem, watchdog-ib700, usb-redirection, smartcard-<mode>."),
        FactField("surface.legacyCount", .int, source: xmlSource, "Number of entries in surface.legacyDevices."),
        FactField("surface.guestAgent", .bool, source: "<channel><target type='virtio' name='org.qemu.guest_agent.0'>", "True when the qemu guest agent channel is configured."),
        FactField("surface.guestAgentChannel", .string, source: "<channel><source path>", "Host socket path of the guest agent channel; null when absent or not yet assigned."),
        FactField("surface.hostChannels", .list, element: .object, source: "<serial>/<parallel>/<console>/<channel>",
                  "Character devices whose backend lives on the host: file, pipe, dev, pty, unix, tcp, udp, stdio."),
        FactField("surface.hostChannels[].kind", .string, source: "element name", "serial, parallel, console or channel."),
        FactField("surface.hostChannels[].type", .string, source: "type attribute", "Host backend: file, pty, unix, tcp, udp, dev, pipe, stdio."),
        FactField("surface.hostChannels[].target", .string, source: "<target name|type>", "Channel name (org.qemu.guest_agent.0) or target type."),
        FactField("surface.hostChannels[].source", .string, source: "<source path|host service>", "Host path, or host:service for tcp/udp; null when not yet assigned."),
        FactField("surface.hostChannels[].networked", .bool, source: "type attribute", "True for tcp and udp backends."),
        FactField("surface.shmem", .list, element: .object, source: "<shmem>", "Shared-memory (ivshmem) devices."),
        FactField("surface.shmem[].name", .string, source: "<shmem name>", "Name of the host shared-memory object."),
        FactField("surface.shmem[].model", .string, source: "<shmem><model type>", "ivshmem, ivshmem-plain or ivshmem-doorbell."),
        FactField("surface.shmem[].size", .int, source: "<shmem><size>", "Size in bytes; null when left to the default."),
        FactField("surface.shmemSharedWith", .list, element: .string, source: "<shmem name> across all domains",
                  "Names of other domains that name one of this domain's shmem objects."),
        FactField("surface.vsock", .bool, source: "<vsock>", "True when a virtio-vsock device is configured."),
        FactField("surface.vsockCid", .int, source: "<vsock><cid address>", "The vsock context id; null when absent or auto-assigned and not yet known."),
        FactField("surface.qemuCommandline", .list, element: .string, source: "<qemu:commandline><qemu:arg value>",
                  "Raw arguments passed to qemu behind libvirt's back."),
        FactField("surface.hasQemuCommandline", .bool, source: "<qemu:commandline>", "True when any raw qemu argument is configured."),
        FactField("surface.graphics", .list, element: .object, source: "<graphics>", "Display servers."),
        FactField("surface.graphics[].type", .string, source: "<graphics type>", "vnc, spice, rdp, sdl, egl-headless, dbus."),
        FactField("surface.graphics[].listenType", .string, source: "<graphics><listen type>", "address, network, socket or none; null when unspecified."),
        FactField("surface.graphics[].listen", .string, source: "<graphics listen> / <listen address|network|socket>", "Listen address, network name or socket path."),
        FactField("surface.graphics[].nonLoopback", .bool, source: "<graphics>",
                  "True when a vnc/spice/rdp server listens beyond loopback (any non-127/::1 address or a libvirt network); null when the XML does not say (qemu.conf's default applies)."),

        FactField("confidential.launchSecurity.present", .bool, source: "<launchSecurity>", "True when the domain launches as a confidential guest."),
        FactField("confidential.launchSecurity.type", .string, source: "<launchSecurity type>", "sev, sev-snp, tdx or s390-pv; null when absent."),
        FactField("confidential.launchSecurity.policy", .string, source: "<launchSecurity><policy>", "The guest policy as written (0x0003); null when absent."),
        FactField("confidential.launchSecurity.debugAllowed", .bool, source: "<launchSecurity><policy>",
                  "True when the policy lets the host debug guest memory (SEV: NODBG bit 0 clear; SEV-SNP: bit 19 set; TDX: bit 0 set); null when not applicable."),
    ]
}
