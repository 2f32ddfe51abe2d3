/// A PCI address in the kernel's sysfs form, `DDDD:BB:DD.F` (`0000:01:00.0`).
///
/// lspci prints `01:00.0` when every device sits in PCI domain 0; libvirt and sysfs always carry
/// the domain. Everything in this module compares normalized addresses.
public enum PCIAddress {
    /// `01:00.0` or `0000:01:00.0` (any case) -> `0000:01:00.0`; nil for anything else.
    public static func normalize(_ text: String) -> String? {
        let s = text.trimmingWhitespace().lowercased()
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        let domain: Substring, bus: Substring, devfn: Substring
        switch parts.count {
        case 2: domain = "0000"; bus = parts[0]; devfn = parts[1]
        case 3: domain = parts[0]; bus = parts[1]; devfn = parts[2]
        default: return nil
        }
        let df = devfn.split(separator: ".", omittingEmptySubsequences: false)
        guard df.count == 2, isHex(domain, max: 4), isHex(bus, max: 2), isHex(df[0], max: 2),
              df[1].count == 1, let fn = Int(df[1]), fn <= 7,
              let dev = Int(df[0], radix: 16), dev <= 0x1f else { return nil }
        return pad(domain, 4) + ":" + pad(bus, 2) + ":" + pad(df[0], 2) + "." + df[1]
    }

    private static func isHex(_ s: Substring, max: Int) -> Bool {
        !s.isEmpty && s.count <= max && s.allSatisfy { $0.isHexDigit }
    }

    private static func pad(_ s: Substring, _ n: Int) -> String {
        String(repeating: "0", count: max(0, n - s.count)) + s
    }
}
