import Core

/// `network.*` facts: each `<interface>`'s host side and whether the host filters what the guest
/// may send on it (MAC, IP and ARP spoofing). See Docs/facts/network.md.
public enum NetworkFacts {
    /// Interface types libvirt's nwfilter driver can filter (a tap device on the host).
    static let filterable: Set<String> = ["bridge", "network", "ethernet"]
    /// Interface types that put the guest on a layer-2 segment shared with others.
    static let sharedSegment: Set<String> = ["bridge", "network", "ethernet", "direct"]

    public static func build(_ def: DomainDefinition, into f: inout FactBuilder) {
        var unfiltered: [String] = []
        var filters: [String] = []
        let nics = def.interfaces.enumerated().map { i, n -> JSONValue in
            let spoofable = spoofable(n)
            if spoofable { unfiltered.append(label(n, index: i)) }
            if let flt = n.filter, !filters.contains(flt) { filters.append(flt) }
            return .object([
                "type": .string(n.type), "model": .from(n.model), "source": .from(n.source), "sourceMode": .from(n.sourceMode),
                "mac": .from(n.mac), "targetDev": .from(n.targetDev),
                "filter": .from(n.filter), "filterParameters": .object(n.filterParameters.mapValues { .string($0) }),
                "filterable": .bool(filterable.contains(n.type)), "spoofable": .bool(spoofable),
                "trustGuestRxFilters": .bool(n.trustGuestRxFilters), "script": .from(n.script),
                "macvtapPassthrough": .bool(n.type == "direct" && n.sourceMode == "passthrough"),
                "hostdevAddress": .from(n.hostdevAddress),
            ])
        }
        f.set("network.interfaces", .array(nics))
        f.set("network.unfiltered", .from(unfiltered))
        f.set("network.filters", .from(filters))
        f.set("network.hostScripts", .from(def.interfaces.compactMap(\.script)))
    }

    /// A NIC on a shared layer-2 segment whose traffic no nwfilter checks: a bridged, network or
    /// ethernet tap without `<filterref>`, or a macvtap (`direct`) NIC, which nwfilter cannot filter.
    static func spoofable(_ n: DomainDefinition.Interface) -> Bool {
        guard sharedSegment.contains(n.type) else { return false }
        if n.type == "direct" { return true }
        return n.filter == nil
    }

    /// How a finding names the NIC: `bridge br0 (52:54:00:..)`.
    static func label(_ n: DomainDefinition.Interface, index: Int) -> String {
        var s = n.type + " " + (n.source ?? n.targetDev ?? "#\(index)")
        if let m = n.mac { s += " (\(m))" }
        return s
    }

    static let source = "<interface>"

    public static let schema: [FactField] = [
        FactField("network", .object, source: source, "Network interfaces and their host-side filtering."),
        FactField("network.interfaces", .list, element: .object, source: source, "Every <interface>, in document order."),
        FactField("network.interfaces[].type", .string, source: "<interface type>", "network, bridge, direct (macvtap), ethernet, hostdev, user, vhostuser..."),
        FactField("network.interfaces[].model", .string, source: "<model type>", "NIC model (virtio, e1000...); null when unset."),
        FactField("network.interfaces[].source", .string, source: "<source bridge|network|dev>", "The bridge, libvirt network or host device the NIC attaches to."),
        FactField("network.interfaces[].sourceMode", .string, source: "<source mode>", "macvtap mode of a direct NIC (vepa by default, bridge, private, passthrough)."),
        FactField("network.interfaces[].mac", .string, source: "<mac address>", "Guest MAC address, lower case."),
        FactField("network.interfaces[].targetDev", .string, source: "<target dev>", "Host-side device (vnet0, macvtap0); in live XML only."),
        FactField("network.interfaces[].filter", .string, source: "<filterref filter>", "The nwfilter applied to the NIC (clean-traffic is libvirt's reference anti-spoofing filter); null when none."),
        FactField("network.interfaces[].filterParameters", .object, source: "<filterref><parameter>", "Filter parameters by name (IP, MAC, CTRL_IP_LEARNING...)."),
        FactField("network.interfaces[].filterable", .bool, source: "<interface type>", "True for types nwfilter can filter: bridge, network, ethernet."),
        FactField("network.interfaces[].spoofable", .bool, source: "<interface>",
                  "True when the guest may send any MAC, IP or ARP on a shared segment: a bridge/network/ethernet NIC without <filterref>, or a direct (macvtap) NIC, which nwfilter cannot filter."),
        FactField("network.interfaces[].trustGuestRxFilters", .bool, source: "<interface trustGuestRxFilters>", "True when the host applies the guest's MAC and multicast filter changes to the host device."),
        FactField("network.interfaces[].script", .string, source: "<script path>", "Host script libvirt runs (as root) to set up the NIC; null when none."),
        FactField("network.interfaces[].macvtapPassthrough", .bool, source: "<source mode='passthrough'>", "True for a macvtap NIC that hands the guest the whole host device."),
        FactField("network.interfaces[].hostdevAddress", .string, source: "<interface type='hostdev'><source><address>", "PCI address of the host function (an SR-IOV VF) of a hostdev NIC."),
        FactField("network.unfiltered", .list, element: .string, source: source, "The spoofable NICs, as 'type source (mac)'."),
        FactField("network.filters", .list, element: .string, source: "<filterref filter>", "Distinct nwfilter names in use."),
        FactField("network.hostScripts", .list, element: .string, source: "<script path>", "Host scripts named by interfaces."),
    ]
}
