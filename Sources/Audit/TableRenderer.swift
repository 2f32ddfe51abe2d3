import Core

/// Renders a scan as the terminal table `virtaudit scan` prints by default.
public enum TableRenderer {
    public static func render(_ report: ScanReport, color: Bool = false) -> String {
        var out = ""
        let host = report.host
        out += "host \(host.hostname)  score \(host.score) grade \(host.grade)"
        if let standing = host.layersStanding, let total = host.layersTotal { out += "  layers standing \(standing) of \(total)" }
        let hostFails = host.findings.filter { $0.status == .fail }.count
        out += "  failing \(hostFails)"
        if report.stale { out += "  (STALE: libvirt unreachable, last good results)" }
        out += "\n\n"

        let layerOrder: [Layer] = [.qemuSandbox, .dac, .namespaces, .mac, .seccomp, .deviceIsolation, .deviceSurface, .resources, .confidential]
        let header = ["NAME", "STATE", "SCORE", "GRADE", "LAYERS", "FAIL", "UNKNOWN"] + layerOrder.map { shortName($0) }
        var rows: [[String]] = [header]
        for d in report.domains.sorted(by: { ($0.score, $0.name) < ($1.score, $1.name) }) {
            let fails = d.findings.filter { $0.status == .fail }.count
            let unknown = d.findings.filter { $0.status == .unknown }.count
            let standing = d.layersStanding.flatMap { s in d.layersTotal.map { "\(s)/\($0)" } } ?? "-"
            var row = [d.name, d.state, String(d.score), d.grade, standing, String(fails), String(unknown)]
            for layer in layerOrder {
                if let s = d.layers[layer.rawValue], let score = s.score {
                    row.append(s.down ? "\(score)!" : String(score))
                } else {
                    row.append("-")
                }
            }
            rows.append(row)
        }
        out += formatTable(rows)
        if report.domains.isEmpty { out += "(no domains defined in \(report.connection))\n" }

        let failing = report.domains.flatMap { d in d.findings.filter { $0.status == .fail }.map { (d.name, $0) } }
            + host.findings.filter { $0.status == .fail }.map { ("host", $0) }
        if !failing.isEmpty {
            out += "\nfailing findings (most severe first):\n"
            for (name, f) in failing.sorted(by: { ($0.1.severity.rank, $1.0) > ($1.1.severity.rank, $0.0) }).prefix(40) {
                out += "  \(pad(f.severity.rawValue.uppercased(), 8)) \(pad(name, 16)) \(f.rule): \(report.text(for: f).title)\n"
            }
            if failing.count > 40 { out += "  ... and \(failing.count - 40) more (see --format json)\n" }
        }
        let outside = report.domains.compactMap { d -> String? in
            guard let kind = d.facts[path: "management.kind"]?.stringValue, kind != "libvirt" else { return nil }
            return "  \(pad(d.name, 16)) " + managementText(d.facts, kind: kind)
        }
        if !outside.isEmpty {
            out += "\nVMs outside the connected libvirt (\(report.connection)):\n" + outside.joined(separator: "\n") + "\n"
        }
        if !report.errors.isEmpty {
            out += "\nerrors:\n"
            for e in report.errors { out += "  \(e)\n" }
        }
        out += "\nLAYERS = layers standing of layers scored; layer columns are sub-scores 0-100 (! = layer down,"
        out += " - = no decided rule); details: --format json or --explain NAME\n"
        return out
    }

    /// `unmanaged qemu pid 8201`, `libvirtd pid 4242 in another mount namespace (pod 5f0b...)`.
    static func managementText(_ facts: JSONValue, kind: String) -> String {
        var parts: [String] = []
        if kind == "unmanaged" {
            parts.append("unmanaged qemu" + (facts[path: "management.pid"]?.intValue.map { " pid \($0)" } ?? ""))
            if let uid = facts[path: "process.uid"]?.intValue { parts.append("uid \(uid)") }
        } else {
            let exe = facts[path: "management.daemon.exe"]?.stringValue?.split(separator: "/").last.map(String.init) ?? "libvirt daemon"
            let pid = facts[path: "management.daemon.pid"]?.intValue.map { " pid \($0)" } ?? ""
            let reached = (facts[path: "management.daemon.socket"]?.stringValue ?? "").isEmpty ? ", not reachable" : ""
            parts.append("\(exe)\(pid) in another mount namespace\(reached)")
        }
        if let pod = facts[path: "management.container.podUid"]?.stringValue { parts.append("pod \(pod)") }
        else if let c = facts[path: "management.container.containerId"]?.stringValue { parts.append("container \(c.prefix(12))") }
        if facts[path: "management.kubevirt"] == .bool(true) { parts.append("KubeVirt") }
        return parts.joined(separator: ", ")
    }

    static func shortName(_ layer: Layer) -> String {
        switch layer {
        case .qemuSandbox: return "SANDBOX"
        case .dac: return "DAC"
        case .namespaces: return "NS"
        case .mac: return "MAC"
        case .seccomp: return "SECCOMP"
        case .deviceIsolation: return "IOMMU"
        case .deviceSurface: return "SURFACE"
        case .resources: return "RES"
        case .confidential: return "CC"
        case .host: return "HOST"
        }
    }

    public static func formatTable(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = first.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            out += row.enumerated().map { i, cell in pad(cell, widths[i]) }.joined(separator: "  ")
                .trimmingTrailingSpaces() + "\n"
        }
        return out
    }

    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
