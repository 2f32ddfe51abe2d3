import Core

extension IOMMUListing {
    /// The listing formats the parser knows (`kinds` of a `Result`, `recognised` in JSON).
    public enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        /// `IOMMU Group 1 01:00.0 VGA ...` or an `IOMMU Group 1:` header and indented `lspci -nns` lines.
        case groupLoop = "iommu-group-loop"
        /// `Group:  1   0000:01:00.0 VGA ... [10de:1b81]   Driver: vfio-pci` (viewer scripts).
        case groupDriverLines = "group-driver-lines"
        /// `find /sys/kernel/iommu_groups/ -type l` (also with the newlines lost).
        case sysfsFind = "find-iommu-groups"
        /// `ls -la /sys/kernel/iommu_groups/N/devices/` (symlink targets give the bridge path).
        case sysfsList = "ls-iommu-group"
        /// Kernel log: `pci 0000:01:00.0: Adding to iommu group 1`, `[10de:1b81] type 00 class 0x030000`.
        case kernelLog = "kernel-log"
        /// `lspci`, `lspci -nn`, `-nnk`, `-k`, `-D`, `-v` device lines and their detail lines
        /// (`Kernel driver in use`, the `IOMMU group` of `-v`).
        case lspci = "lspci"
        /// Numeric `lspci -n`: `01:00.0 0300: 10de:1b81 (rev a1)`.
        case lspciNumeric = "lspci-n"
        /// `virsh nodedev-dumpxml` of PCI devices (driver, class, `<iommuGroup>` members).
        case nodedevXML = "nodedev-dumpxml"

        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    /// A line of the input the parser could not place.
    public struct Line: Sendable, Hashable {
        public var file: String
        /// 1-based.
        public var number: Int
        public var text: String
        public init(file: String, number: Int, text: String) {
            self.file = file
            self.number = number
            self.text = text
        }
        public var json: JSONValue { ["file": .string(file), "line": .int(number), "text": .string(text)] }
    }

    /// One file's parse: the devices found, the formats recognised, and the lines ignored.
    public struct Result: Sendable {
        public var file: String
        public var entries: [Entry]
        public var kinds: Set<Kind>
        /// Non-blank lines that are neither listing content nor known chatter (prompts, unrelated
        /// kernel messages, `total 0`), in order. At most `ignoredLimit` are kept.
        public var ignored: [Line]
        /// How many lines were ignored in all (may exceed `ignored.count`).
        public var ignoredCount: Int
        /// Lines placed as listing content.
        public var placed: Int
        /// Non-blank lines.
        public var nonBlank: Int

        /// True when the file gave at least one device: otherwise it is unrecognised input.
        public var recognised: Bool { !entries.isEmpty }

        /// The share of non-blank lines placed (0...1): a detector's confidence.
        public var confidence: Double {
            placed + ignoredCount == 0 ? 0 : Double(placed) / Double(placed + ignoredCount)
        }

        /// The error for unrecognised input: the file and the first line it could not place.
        public var unrecognisedMessage: String {
            if nonBlank == 0 { return "\(file): no IOMMU listing recognised: the input is empty" }
            if let l = ignored.first {
                return "\(file): no IOMMU listing recognised; line \(l.number) could not be placed: \(Self.clip(l.text))"
            }
            return "\(file): no IOMMU listing recognised: no PCI device in \(nonBlank) line(s)"
        }

        /// The warning for partly recognised input, or nil.
        public var warning: String? {
            guard recognised, ignoredCount > 0 else { return nil }
            return IOMMUListing.ignoredWarning(file: file, lines: ignored, total: ignoredCount)
        }

        /// The line as a message can show it: trimmed, at most 120 characters, control and
        /// undecodable bytes as `?`.
        static func clip(_ s: String) -> String {
            let printable = String(s.trimmingWhitespace().unicodeScalars.map { u -> Character in
                let v = u.value
                return v < 0x20 || (0x7f...0x9f).contains(v) || v == 0xFFFD || u.properties.generalCategory == .unassigned
                    || u.properties.generalCategory == .privateUse || u.properties.generalCategory == .format ? "?" : Character(u)
            })
            return printable.count > 120 ? String(printable.prefix(117)) + "..." : printable
        }
    }

    public static let ignoredLimit = 1000

    /// `FILE: N line(s) ignored:` and the first ten of them.
    public static func ignoredWarning(file: String, lines: [Line], total: Int) -> String {
        var w = "\(file): \(total) line(s) ignored:"
        for l in lines.prefix(10) { w += "\n  line \(l.number): \(Result.clip(l.text))" }
        if total > 10 { w += "\n  ... and \(total - 10) more" }
        return w
    }

    /// Parses one file's text: devices, groups and drivers, the recognised formats and every
    /// line that could not be placed.
    public static func parse(_ text: String, file: String) -> Result {
        let nodedev = NodedevXML.extract(text, file: file)
        var p = Parser(source: file)
        p.skipLines = nodedev.lines
        let lineEntries = p.run(text)
        var kinds = p.kinds
        if !nodedev.entries.isEmpty { kinds.insert(.nodedevXML) }
        // Devices from the XML first, then the lines' (merged by address within the file).
        var merged = IOMMUListing()
        for e in nodedev.entries + lineEntries { merged.merge(e) }
        let entries = merged.entries.values.sorted { $0.address < $1.address }
        let xmlIgnored = nodedev.ignored.count
        let ignored = (nodedev.ignored + p.ignored).sorted { $0.number < $1.number }
        return Result(file: file, entries: entries, kinds: kinds, ignored: Array(ignored.prefix(ignoredLimit)),
                      ignoredCount: p.ignoredCount + xmlIgnored,
                      placed: p.placed + nodedev.lines.count - xmlIgnored, nonBlank: p.nonBlank + nodedev.lines.count)
    }

    /// A cheap test for the `check` detector: does the text hold a listing this parser reads?
    public static func recognises(_ text: String) -> Bool {
        confidence(text) > 0
    }

    /// 0 when no device was found; otherwise the share of non-blank lines placed (a text of
    /// only listing lines gives 1). Looks at the first 64 KiB only.
    public static func confidence(_ text: String) -> Double {
        let head = text.utf8.count > 65536 ? String(decoding: Array(text.utf8.prefix(65536)), as: UTF8.self) : text
        let r = parse(head, file: "-")
        return r.recognised ? r.confidence : 0
    }

    /// Merges one parsed file in.
    public mutating func add(_ r: Result) {
        sources.append(r.file)
        kinds.formUnion(r.kinds)
        ignored += r.ignored
        for e in r.entries { merge(e) }
    }
}
