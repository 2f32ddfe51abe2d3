/// PCI class codes (the `class` attribute, `0x030000`): the base class and subclass that matter
/// for device assignment, with the names lspci prints.
public enum PCIClass {
    /// `0x0604xx` PCI-to-PCI bridge (root ports and switch ports), `0x0607xx` CardBus bridge:
    /// the classes whose config header is not the normal (type 0) header.
    public static func isBridge(_ classCode: Int) -> Bool {
        let top = classCode >> 8
        return top == 0x0604 || top == 0x0607
    }

    /// Chipset functions no VM may own: the platform security processor and other encryption
    /// controllers (0x1080, AMD PSP/CCP), ISA/LPC bridges (0x0601), SMBus controllers (0x0c05), host
    /// bridges (0x0600, the chipset's root complex and data-fabric functions) and SPI flash
    /// controllers (0x0c80 named "SPI"). A guest that owns one controls firmware, sensors, the
    /// flash or the host's memory map. Decided from the class code, else from lspci's text
    /// (`name`, "Class name: vendor device"). Returns lspci's class name, or nil.
    public static func chipsetFunction(classCode: Int?, name: String?) -> String? {
        let lower = name?.lowercased() ?? ""
        if let c = classCode {
            switch c >> 8 {
            case 0x1080, 0x0601, 0x0c05, 0x0600: return Self.name(c)
            case 0x0c80 where lower.contains("spi"): return "SPI flash controller"
            case 0x1000...0x10ff: return Self.name(c)
            default: break
            }
            if lower.contains("platform security processor") || lower.contains("psp/ccp") { return "platform security processor" }
            return nil
        }
        for (prefix, what) in [("encryption controller", "Encryption controller"), ("isa bridge", "ISA bridge"),
                               ("smbus", "SMBus"), ("host bridge", "Host bridge")] where lower.hasPrefix(prefix) {
            return what
        }
        if lower.contains("platform security processor") || lower.contains("psp/ccp") { return "platform security processor" }
        return nil
    }

    /// The lspci name of a class's base class and subclass (`0x0300` -> "VGA compatible controller").
    public static func name(_ classCode: Int) -> String {
        let top = classCode >> 8
        if let n = names[top] { return n }
        if let n = baseNames[top >> 8] { return n }
        return "Class " + hex4(top)
    }

    static func hex4(_ v: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    private static let names: [Int: String] = [
        0x0100: "SCSI storage controller", 0x0101: "IDE interface", 0x0104: "RAID bus controller",
        0x0106: "SATA controller", 0x0107: "Serial Attached SCSI controller",
        0x0108: "Non-Volatile memory controller",
        0x0200: "Ethernet controller", 0x0207: "Infiniband controller", 0x0280: "Network controller",
        0x0300: "VGA compatible controller", 0x0302: "3D controller", 0x0380: "Display controller",
        0x0401: "Multimedia audio controller", 0x0403: "Audio device",
        0x0500: "RAM memory", 0x0580: "Memory controller",
        0x0600: "Host bridge", 0x0601: "ISA bridge", 0x0604: "PCI bridge", 0x0607: "CardBus bridge",
        0x0680: "Bridge",
        0x0700: "Serial controller", 0x0780: "Communication controller",
        0x0805: "SD Host controller", 0x0806: "IOMMU", 0x0880: "System peripheral",
        0x0c03: "USB controller", 0x0c05: "SMBus", 0x0c80: "Serial bus controller",
        0x1080: "Encryption controller", 0x1101: "Signal processing controller",
        0x1180: "Signal processing controller", 0x1200: "Processing accelerators",
        0x1300: "Non-Essential Instrumentation",
    ]
    private static let baseNames: [Int: String] = [
        0x00: "Unclassified device", 0x01: "Mass storage controller", 0x02: "Network controller",
        0x03: "Display controller", 0x04: "Multimedia controller", 0x05: "Memory controller",
        0x06: "Bridge", 0x07: "Communication controller", 0x08: "Generic system peripheral",
        0x09: "Input device controller", 0x0c: "Serial bus controller", 0x0d: "Wireless controller",
        0x10: "Encryption controller", 0x11: "Signal processing controller",
        0x12: "Processing accelerators",
    ]
}
