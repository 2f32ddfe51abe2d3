import Core

/// The line parser behind `IOMMUListing.parse(_:file:)`: one pass, each line placed as listing
/// content (of a `Kind`), chatter, or ignored.
struct Parser {
    let source: String
    var out: [IOMMUListing.Entry] = []
    var index: [String: Int] = [:]
    /// The group opened by an `IOMMU Group N:` header, and whether its members are indented.
    var headerGroup: Int?
    var headerIndented: Bool?
    /// The group of an `ls -la /sys/kernel/iommu_groups/N/devices/` command or header.
    var lsGroup: Int?
    /// Index of the device the following indented lines belong to.
    var current: Int?
    /// What a continuation line extends.
    enum Pending { case none, description, driver, modules }
    var pending: Pending = .none
    /// Per device: the block showed `lspci -k`/`-v` detail lines (Subsystem, Kernel modules...),
    /// and whether `Kernel modules` (printed after the driver line) closed it.
    var details: Set<Int> = []
    var closed: Set<Int> = []
    var rawDescription: [Int: String] = [:]

    var kinds: Set<IOMMUListing.Kind> = []
    var ignored: [IOMMUListing.Line] = []
    var ignoredCount = 0
    var placed = 0
    var nonBlank = 0
    /// Line numbers handled elsewhere (nodedev XML).
    var skipLines: Set<Int> = []
    var lineNumber = 0

    init(source: String) { self.source = source }

    static let addr = #"((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])"#
    nonisolated(unsafe) static let groupHeader = try! Regex(#"^(?:IOMMU\s+)?group\s+(\d+)\s*:?\s*$"#).ignoresCase()
    nonisolated(unsafe) static let groupDevice = try! Regex(#"^(?:IOMMU\s+)?group\s+(\d+)\s*:?\s+"# + addr + #"(?:\s+(.*))?$"#).ignoresCase()
    /// `Group:  1   0000:01:00.0 VGA compatible controller [0300]: ... [10de:1b81] (rev a1)   Driver: vfio-pci`
    nonisolated(unsafe) static let viewer = try! Regex(#"^(?:IOMMU\s+)?group\s*:\s*(\d+)\s+"# + addr + #"\s+(.*?)\s*(?:\bDriver:\s*(\S*)\s*)?$"#).ignoresCase()
    nonisolated(unsafe) static let device = try! Regex(#"^"# + addr + #"\s+(.+)$"#)
    /// `01:00.0 0300: 10de:1b81 (rev a1)`; `-v` adds `(prog-if 00 [VGA controller])`.
    nonisolated(unsafe) static let numeric = try! Regex(#"^"# + addr + #"\s+([0-9a-fA-F]{4}):\s+([0-9a-fA-F]{4}):([0-9a-fA-F]{4})(?:\s+\(rev [0-9a-fA-F]{2}\))?(?:\s+\(prog-if [0-9a-fA-F]{2}(?: \[[^\]]*\])?\))?\s*$"#)
    nonisolated(unsafe) static let ids = try! Regex(#"\[([0-9a-fA-F]{4}):\s*([0-9a-fA-F]{4})\]"#)
    nonisolated(unsafe) static let classCode = try! Regex(#"^(.*?)\s*\[([0-9a-fA-F]{4})\]\s*:\s*(.*)$"#)
    /// `ls -la /sys/kernel/iommu_groups/1/devices/` or its `ls -R`-style header `.../1/devices:`.
    nonisolated(unsafe) static let lsGroupPath = try! Regex(#"/sys/kernel/iommu_groups/(\d+)/devices/?:?\s*$"#)
    /// `lrwxrwxrwx 1 root root 0 Dec  6 03:00 0000:01:00.0 -> ../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0`
    nonisolated(unsafe) static let lsEntry = try! Regex(#"^l[rwxsStT-]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+\d+\s+.*?\s"# + addr + #"\s+->\s+(\S+)\s*$"#)
    nonisolated(unsafe) static let lsChatter = try! Regex(#"^(?:total\s+\d+|[d-][rwxsStT-]{9}[.+@]?\s+\d+\s+.*\s\.{1,2})$"#)
    /// `[    0.523414] pci 0000:00:00.0: Adding to iommu group 0` (dmesg, journalctl -k, syslog).
    nonisolated(unsafe) static let kernelAdding = try! Regex(#"\b(?:pci|vfio-pci|pcieport|[a-z0-9_-]+)\s+"# + addr + #":\s+Adding to iommu group\s+(\d+)\b"#).ignoresCase()
    /// Kernels before 5.x: `iommu: Adding device 0000:00:00.0 to group 0`.
    nonisolated(unsafe) static let kernelAddingOld = try! Regex(#"\biommu:\s+Adding device\s+"# + addr + #"\s+to group\s+(\d+)\b"#).ignoresCase()
    /// `pci 0000:00:02.0: [8086:3e92] type 00 class 0x030000` (PCI enumeration).
    nonisolated(unsafe) static let kernelEnum = try! Regex(#"\bpci\s+"# + addr + #":\s+\[([0-9a-fA-F]{4}):([0-9a-fA-F]{4})\]\s+type\s+([0-9a-fA-F]{2})\s+class\s+0x([0-9a-fA-F]{6})"#)
    /// Any kernel log line: `[    0.5] ...`, `Dec  6 03:00:00 host kernel: ...`, `2026-12-06T03:00:00+0000 host kernel: ...`.
    nonisolated(unsafe) static let kernelLine = try! Regex(#"^(?:\[\s*\d+\.\d+\]|\S.*?\skernel:\s)"#)
    nonisolated(unsafe) static let flagsGroup = try! Regex(#"IOMMU group\s+(\d+)"#).ignoresCase()
    nonisolated(unsafe) static let verboseDetail = try! Regex(#"(?:(?:Memory|I/O ports|Expansion ROM) at\s|\[[0-9a-fA-F]{2,3}\]\s|[A-Za-z][A-Za-z0-9 /_.#+-]{0,40}:\s)"#)
    /// Shell prompts and commands: `$ lspci -nnk`, `[root@kvm07 ~]# ./iommu.sh`, `user@host:~$ ...`.
    nonisolated(unsafe) static let prompt = try! Regex(#"^(?:[$#%>]\s+\S|\[[^\]]+\][#$]\s*|[\w.-]+@[\w.-]+(?::\S*)?\s*[#$]\s*)"#)

    mutating func run(_ text: String) -> [IOMMUListing.Entry] {
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            lineNumber += 1
            if skipLines.contains(lineNumber) { continue }
            line(String(raw))
        }
        closeBlock(atEnd: true)
        return out
    }

    // MARK: Outcomes

    mutating func place(_ kind: IOMMUListing.Kind) { placed += 1; kinds.insert(kind) }

    mutating func ignore(_ text: String) {
        ignoredCount += 1
        if ignored.count < IOMMUListing.ignoredLimit {
            ignored.append(.init(file: source, number: lineNumber, text: text))
        }
    }

    mutating func line(_ raw: String) {
        var s = raw.replacingTabs()
        // Quote markers from mail and forum replies.
        while s.hasPrefix(">") { s.removeFirst(); if s.hasPrefix(" ") { s.removeFirst() } }
        let indented = s.first == " "
        s = s.trimmingWhitespace()
        if s.isEmpty { pending = .none; return }
        nonBlank += 1
        // Lines longer than any listing line are not matched against patterns (a paste of a
        // find output that lost its newlines is split on the path prefix instead).
        if s.utf8.count > 4096 {
            if s.contains("/sys/kernel/iommu_groups/") && sysfsLinks(s) { return }
            return ignore(raw)
        }

        if let m = try? Self.groupHeader.wholeMatch(in: s), let g = Int(m.output[1].substring ?? "") {
            closeBlock()
            headerGroup = g; headerIndented = nil; current = nil; pending = .none
            return place(.groupLoop)
        }
        if let m = try? Self.viewer.wholeMatch(in: s), let g = Int(m.output[1].substring ?? ""),
           let a = m.output[2].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            headerGroup = nil
            addDevice(a, group: g, description: String(m.output[3].substring ?? ""))
            if let d = m.output[4].substring {
                // The script prints "Driver:" for every device; an empty value is no driver.
                out[current!].driver = d.isEmpty ? .none : .bound(String(d))
                closed.insert(current!)
            }
            pending = .none
            return place(.groupDriverLines)
        }
        if let m = try? Self.groupDevice.wholeMatch(in: s), let g = Int(m.output[1].substring ?? ""),
           let a = m.output[2].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            headerGroup = nil
            addDevice(a, group: g, description: m.output[3].substring.map(String.init) ?? "")
            return place(.groupLoop)
        }
        if let m = try? Self.lsGroupPath.firstMatch(in: s), let g = Int(m.output[1].substring ?? "") {
            closeBlock()
            lsGroup = g; current = nil; pending = .none
            return place(.sysfsList)
        }
        if s.contains("iommu_groups/") && sysfsLinks(s) { return }
        if let m = try? Self.lsEntry.wholeMatch(in: s), let a = m.output[1].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            let target = String(m.output[2].substring ?? "")
            let path = target.split(separator: "/").compactMap { PCIAddress.normalize(String($0)) }
            addDevice(a, group: lsGroup, description: "")
            if path.last == a { out[current!].upstream = Array(path.dropLast()) }
            current = nil; pending = .none
            return place(.sysfsList)
        }
        if (try? Self.lsChatter.wholeMatch(in: s)) != nil { return }
        if let m = try? Self.kernelAdding.firstMatch(in: s) ?? Self.kernelAddingOld.firstMatch(in: s),
           let a = m.output[1].substring.flatMap({ PCIAddress.normalize(String($0)) }), let g = Int(m.output[2].substring ?? "") {
            addDevice(a, group: g, description: "")
            current = nil; pending = .none
            return place(.kernelLog)
        }
        if let m = try? Self.kernelEnum.firstMatch(in: s), let a = m.output[1].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            addDevice(a, group: nil, description: "")
            let i = current!
            out[i].vendor = out[i].vendor ?? Int(String(m.output[2].substring ?? ""), radix: 16)
            out[i].device = out[i].device ?? Int(String(m.output[3].substring ?? ""), radix: 16)
            out[i].classCode = out[i].classCode ?? Int(String(m.output[5].substring ?? ""), radix: 16)
            current = nil; pending = .none
            return place(.kernelLog)
        }
        if (try? Self.kernelLine.firstMatch(in: s)) != nil, s.contains("kernel:") || s.hasPrefix("[") {
            closeBlock(); current = nil; pending = .none
            return   // an unrelated kernel message: chatter
        }
        if let m = try? Self.numeric.wholeMatch(in: s), let a = m.output[1].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            addDevice(a, group: groupFor(indented: indented), description: "")
            let i = current!
            out[i].classCode = Int(String(m.output[2].substring ?? ""), radix: 16).map { $0 << 8 }
            out[i].vendor = Int(String(m.output[3].substring ?? ""), radix: 16)
            out[i].device = Int(String(m.output[4].substring ?? ""), radix: 16)
            pending = .none
            return place(.lspciNumeric)
        }
        if let m = try? Self.device.wholeMatch(in: s), let a = m.output[1].substring.flatMap({ PCIAddress.normalize(String($0)) }) {
            addDevice(a, group: groupFor(indented: indented), description: String(m.output[2].substring ?? ""))
            return place(headerGroup != nil && out[current!].group == headerGroup ? .groupLoop : .lspci)
        }
        if let (key, value) = keyValue(s) {
            guard let i = current else { pending = .none; return ignore(raw) }
            details.insert(i)
            switch key {
            case "kernel driver in use":
                if value.isEmpty { pending = .driver } else { out[i].driver = .bound(value); pending = .none }
            case "kernel modules":
                out[i].modules = modules(value)
                closed.insert(i)
                pending = value.isEmpty || value.hasSuffix(",") ? .modules : .none
            case "iommu group":
                // lspci -v: "IOMMU group: 14"
                if let g = Int(value) { out[i].group = out[i].group ?? g }
                pending = .none
            case "flags":
                // lspci -v: "Flags: bus master, fast devsel, latency 0, IRQ 16, IOMMU group 14"
                if let m = try? Self.flagsGroup.firstMatch(in: value), let g = Int(m.output[1].substring ?? "") {
                    out[i].group = out[i].group ?? g
                }
                pending = .none
            default:
                pending = .none
            }
            return place(.lspci)
        }
        if continuation(s) { return place(.lspci) }
        // lspci -v/-vv detail lines of the current device: "Memory at f6000000 (32-bit, ...)",
        // "I/O ports at e000 [size=128]", and indented "LnkCap: ..." lines under a capability.
        if indented, let i = current, (try? Self.verboseDetail.prefixMatch(in: s)) != nil {
            details.insert(i)
            pending = .none
            return place(.lspci)
        }
        if (try? Self.prompt.prefixMatch(in: s)) != nil { closeBlock(); current = nil; headerGroup = nil; lsGroup = nil; return }
        ignore(raw)
    }

    /// The group of an lspci line under an `IOMMU Group N:` header: indented like the header's
    /// first member, or the header no longer applies.
    mutating func groupFor(indented: Bool) -> Int? {
        guard let hg = headerGroup else { return nil }
        if headerIndented == nil { headerIndented = indented }
        if headerIndented == indented { return hg }
        headerGroup = nil
        return nil
    }

    /// Every `/sys/kernel/iommu_groups/N/devices/ADDR` in the line (a find output pasted without
    /// its newlines is one long line): true when at least one was found.
    mutating func sysfsLinks(_ s: String) -> Bool {
        var found = false
        let pieces = s.split(separator: "iommu_groups/", omittingEmptySubsequences: true)
        for piece in s.hasPrefix("iommu_groups/") ? pieces[...] : pieces.dropFirst() {
            // "7/devices/0000:00:1f.2/sys/kernel/" -> group 7, address 0000:00:1f.2
            let parts = piece.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, let g = Int(parts[0]), parts[1] == "devices" else { continue }
            let tail = parts[2].prefix { $0.isHexDigit || $0 == ":" || $0 == "." }
            guard let a = PCIAddress.normalize(String(tail.count > 12 ? tail.prefix(12) : tail)) else { continue }
            addDevice(a, group: g, description: "")
            found = true
        }
        guard found else { return false }
        current = nil; pending = .none
        place(.sysfsFind)
        return true
    }

    /// `Kernel driver in use: vfio-pci`, `Subsystem: ...`, `Kernel modules: a, b`.
    func keyValue(_ s: String) -> (String, String)? {
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let key = String(s[..<colon]).trimmingWhitespace().lowercased()
        let known = ["kernel driver in use", "kernel modules", "subsystem", "devicename", "physical slot",
                     "flags", "memory at", "i/o ports at", "capabilities", "control", "status", "latency",
                     "interrupt", "region 0", "region 1", "region 2", "region 3", "region 4", "region 5",
                     "expansion rom at", "iommu group", "bus", "prefetchable memory behind bridge",
                     "memory behind bridge", "i/o behind bridge", "secondary status", "bridgectl", "numa node"]
        guard known.contains(key) else { return nil }
        return (key, String(s[s.index(after: colon)...]).trimmingWhitespace())
    }

    func modules(_ v: String) -> [String] {
        v.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    mutating func continuation(_ s: String) -> Bool {
        guard let i = current else { return false }
        switch pending {
        case .description:
            out[i] = describe(out[i], (rawDescription[i] ?? "") + " " + s)
            if out[i].vendor != nil { pending = .none }
            return true
        case .driver:
            let name = String(s.split(separator: " ").first ?? "")
            if !name.isEmpty { out[i].driver = .bound(name) }
            pending = .none
            return true
        case .modules:
            out[i].modules += modules(s)
            if !s.hasSuffix(",") { pending = .none }
            return true
        case .none:
            return false
        }
    }

    /// Ends the current device's block: detail lines without a driver line mean no driver,
    /// unless the block may have been cut off (the input ended before `Kernel modules`).
    mutating func closeBlock(atEnd: Bool = false) {
        guard let i = current, out[i].driver == .unknown, details.contains(i) else { return }
        if atEnd && !closed.contains(i) { return }
        out[i].driver = .none
    }

    mutating func addDevice(_ a: String, group: Int?, description: String) {
        closeBlock()
        if let i = index[a] {
            // The same device twice in one file (a group loop followed by lspci): one entry.
            if out[i].group == nil { out[i].group = group }
            current = i
        } else {
            out.append(IOMMUListing.Entry(address: a, group: group, source: source))
            index[a] = out.count - 1
            current = out.count - 1
        }
        let i = current!
        if !description.isEmpty {
            out[i] = describe(out[i], description)
            rawDescription[i] = description
        }
        pending = (!description.isEmpty && out[i].vendor == nil) ? .description : .none
    }

    /// `VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1070] [10de:1b81] (rev a1)`
    mutating func describe(_ entry: IOMMUListing.Entry, _ text: String) -> IOMMUListing.Entry {
        var e = entry
        let t = text.trimmingWhitespace()
        if let i = index[e.address] { rawDescription[i] = t }
        var rest = t
        if let m = try? Self.classCode.wholeMatch(in: t) {
            e.className = String(m.output[1].substring ?? "").trimmingWhitespace()
            e.classCode = Int(String(m.output[2].substring ?? ""), radix: 16).map { $0 << 8 }
            rest = String(m.output[3].substring ?? "")
        } else if let colon = t.firstIndex(of: ":") {
            e.className = String(t[..<colon]).trimmingWhitespace()
            rest = String(t[t.index(after: colon)...]).trimmingWhitespace()
        }
        let all = rest.matches(of: Self.ids)
        if let last = all.last {
            e.vendor = Int(String(last.output[1].substring ?? ""), radix: 16)
            e.device = Int(String(last.output[2].substring ?? ""), radix: 16)
            e.name = String(rest[..<last.range.lowerBound]).trimmingWhitespace()
        } else {
            e.name = rest.isEmpty ? nil : rest
        }
        return e
    }
}

extension String {
    func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}
