import Core

/// Plain-text rendering of IOMMU group reports for `virtaudit iommu --format table`.
public enum IOMMUTable {
    public static func render(_ groups: [IOMMUGroupReport], ungrouped: [IOMMUGroupReport.Member] = [],
                              header: String? = nil) -> String {
        var out = header.map { $0 + "\n" } ?? ""
        if groups.isEmpty {
            out += "no IOMMU groups\n"
        }
        var rows: [[String]] = [["GROUP", "VIABLE", "ADDRESS", "IDS", "CLASS", "DRIVER", "ASSIGNED TO"]]
        for g in groups {
            for (n, m) in g.devices.enumerated() {
                let ids = (m.vendor.map { PCIClass.hex4($0) } ?? "????") + ":" + (m.device.map { PCIClass.hex4($0) } ?? "????")
                let cls = m.classCode.map { PCIClass.name($0) } ?? (m.bridge == true ? "PCI bridge" : "-")
                rows.append([n == 0 ? String(g.group) : "", n == 0 ? word(g.viable) : "", m.address, ids,
                             cls + (m.bridge == true ? " (bridge)" : ""), driver(m), m.assignedTo.joined(separator: ",")])
            }
            if g.devices.isEmpty { rows.append([String(g.group), word(g.viable), "-", "", "", "", ""]) }
        }
        if !groups.isEmpty { out += table(rows) }
        let explained = groups.filter { !$0.reasons.isEmpty || !$0.notes.isEmpty }
        if !explained.isEmpty {
            out += "\n"
            for g in explained {
                let verdict = g.viable == false ? "not viable" : g.viable == nil ? "undecided" : "viable"
                for r in g.reasons { out += "group \(g.group) \(verdict): \(r)\n" }
                for n in g.notes { out += "group \(g.group) note: \(n)\n" }
            }
        }
        if !ungrouped.isEmpty {
            out += "\ndevices with no group in the listing:\n"
            for m in ungrouped { out += "  \(m.address)  \(driver(m))  \(m.name ?? "")\n" }
        }
        return out
    }

    static func word(_ v: Bool?) -> String { v == true ? "yes" : v == false ? "NO" : "?" }

    static func driver(_ m: IOMMUGroupReport.Member) -> String {
        m.driverKnown ? (m.driver ?? "(none)") : "(unknown)"
    }

    static func table(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            String(r.enumerated().map { c, cell in c == r.count - 1 ? cell : cell.padding(widths[c]) }.joined(separator: "  ")
                .reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
