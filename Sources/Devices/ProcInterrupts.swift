import Core

/// `/proc/interrupts`: which interrupt controller domains deliver the host's interrupts.
///
/// When interrupt remapping is on, the x86 IRQ domains stacked on the IOMMU's remapping
/// domain are named with an `IR-` prefix (`IR-IO-APIC`, `IR-PCI-MSI`, `IR-PCI-MSIX-0000:00:1f.6`);
/// without remapping the same lines say `IO-APIC` / `PCI-MSI`. This is the one place the
/// running state (not the hardware capability) is visible without dmesg.
public struct ProcInterrupts: Sendable, Hashable {
    /// Lines whose chip is an IO-APIC or PCI MSI/MSI-X domain.
    public var remappedLines: Int
    public var directLines: Int

    public static func read(root: HostRoot) throws(ProbeError) -> ProcInterrupts {
        parse(try FileReader.readString(root.proc("interrupts"), limit: 4 << 20))
    }

    public static func parse(_ text: String) -> ProcInterrupts {
        var r = ProcInterrupts(remappedLines: 0, directLines: 0)
        for line in text.split(separator: "\n") {
            for word in line.split(separator: " ") {
                if word.hasPrefix("IR-") && (word.contains("IO-APIC") || word.contains("PCI-MSI")) {
                    r.remappedLines += 1; break
                }
                if word.hasPrefix("IO-APIC") || word.hasPrefix("PCI-MSI") {
                    r.directLines += 1; break
                }
            }
        }
        return r
    }

    /// true: interrupts go through remapping; false: IO-APIC/MSI lines without it; nil: the file
    /// shows neither (not x86, or no such interrupts).
    public var remappingActive: Bool? {
        if remappedLines > 0 { return true }
        if directLines > 0 { return false }
        return nil
    }
}
