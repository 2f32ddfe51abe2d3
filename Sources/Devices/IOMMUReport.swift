import Core

/// What `virtaudit iommu` prints: the groups of the live host (sysfs under a root) or of pasted
/// listings, as a table or as JSON (`groups[]` with `group`, `viable`, `devices[]` with
/// `address` and `driver`, and `reasons[]`).
public enum IOMMUReport {
    public enum Format: String, Sendable, CaseIterable {
        case table, json
    }

    public enum Failure: Error, CustomStringConvertible {
        case unreadable(String, ProbeError)
        /// No device in the file: its name and the first line that could not be placed.
        case unrecognised(IOMMUListing.Result)
        public var description: String {
            switch self {
            case .unreadable(let f, let e): return "cannot read listing \(f): \(e)"
            case .unrecognised(let r): return r.unrecognisedMessage
            }
        }
    }

    /// Reads, parses and merges listing files (paths as given, not under a host root; `-` is
    /// stdin). A file in which no listing format finds a device is an error; ignored lines of
    /// the others are in `ignored` (and `warnings(_:)`).
    public static func listing(files: [String]) throws(Failure) -> IOMMUListing {
        var l = IOMMUListing()
        for f in files {
            let text: String
            do { text = f == "-" ? try FileReader.readString("/dev/stdin", limit: 16 << 20) : try FileReader.readString(f, limit: 16 << 20) }
            catch { throw .unreadable(f, error) }
            let r = IOMMUListing.parse(text, file: f)
            guard r.recognised else { throw .unrecognised(r) }
            l.add(r)
        }
        return l
    }

    /// One warning per file with ignored lines.
    public static func warnings(_ l: IOMMUListing) -> [String] {
        var byFile: [String: [IOMMUListing.Line]] = [:]
        for line in l.ignored { byFile[line.file, default: []].append(line) }
        return l.sources.compactMap { f in
            guard let lines = byFile[f], !lines.isEmpty else { return nil }
            return IOMMUListing.ignoredWarning(file: f, lines: lines, total: lines.count)
        }
    }

    public static func render(listing l: IOMMUListing, format: Format) -> String {
        switch format {
        case .json: return JSONWriter.string(l.json, pretty: true) + "\n"
        case .table:
            return IOMMUTable.render(l.groups, ungrouped: l.ungrouped,
                                     header: "IOMMU groups from " + l.sources.joined(separator: ", "))
        }
    }

    public static func liveJSON(_ h: HostIOMMU) -> JSONValue {
        let ir = h.interruptRemapping
        return .object([
            "root": .string(h.root.description),
            "present": .from(h.present),
            "mode": .string(h.mode),
            "interruptRemapping": .from(ir.value),
            "interruptRemappingSource": .string(ir.source),
            "allowUnsafeInterrupts": .bool(h.vfio.anyAllowed),
            "groups": .array(h.groupReports().map(\.json)),
        ])
    }

    public static func render(host h: HostIOMMU, format: Format) -> String {
        switch format {
        case .json: return JSONWriter.string(liveJSON(h), pretty: true) + "\n"
        case .table:
            let ir = h.interruptRemapping
            var header = "IOMMU on \(h.root): "
            header += h.present == true ? "present, mode \(h.mode)" : h.present == false ? "absent (\(h.presentReason))" : "unknown (\(h.presentReason))"
            header += "\ninterrupt remapping: " + (ir.value.map { $0 ? "yes" : "NO" } ?? "unknown") + " (\(ir.source))"
            header += "\nallow_unsafe_interrupts: " + (h.vfio.anyAllowed ? "ENABLED" : "off")
            return IOMMUTable.render(h.groupReports(), header: header + "\n")
        }
    }
}
