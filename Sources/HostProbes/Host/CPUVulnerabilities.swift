import Core

/// `/sys/devices/system/cpu/vulnerabilities/*`: one file per hardware vulnerability, each holding one
/// line of the kernel's verdict (Documentation/ABI/testing/sysfs-devices-system-cpu):
/// `Not affected`, `Vulnerable`, `Vulnerable: <detail>`, `Mitigation: <detail>`, `Unknown: <detail>`,
/// KVM-specific `KVM: Mitigation: ...` / `KVM: Vulnerable`, `Processor vulnerable`, often followed by an
/// SMT verdict (`; SMT vulnerable`, `SMT disabled`, `SMT Host state unknown`).
public struct CPUVulnerabilities: Sendable, Hashable {
    public static let directory = "/sys/devices/system/cpu/vulnerabilities"

    public enum State: String, Sendable, Hashable, CaseIterable {
        case mitigated
        case vulnerable
        case notAffected = "not-affected"
        case unknown
    }

    public struct Entry: Sendable, Hashable {
        public let name: String
        /// The file's text, trimmed; nil when the file could not be read (see `error`).
        public let text: String?
        public let state: State
        /// The verdict says SMT (hyper-threading) leaves it exploitable across sibling threads.
        public let smtVulnerable: Bool
        public let error: ProbeError?

        public init(name: String, text: String?, state: State, smtVulnerable: Bool, error: ProbeError? = nil) {
            self.name = name
            self.text = text
            self.state = state
            self.smtVulnerable = smtVulnerable
            self.error = error
        }
    }

    /// Every vulnerability file, sorted by name.
    public let entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    public var vulnerable: [String] { entries.filter { $0.state == .vulnerable }.map(\.name) }
    public var smtVulnerable: [String] { entries.filter(\.smtVulnerable).map(\.name) }

    /// Lists the directory and reads every file; a file that cannot be read becomes an `unknown` entry
    /// with its error. A missing directory (kernel without the reporting) is an error.
    public static func read(root: HostRoot) throws(ProbeError) -> CPUVulnerabilities {
        let dir = root.path(directory)
        var entries: [Entry] = []
        for name in try FileReader.list(dir) {
            do {
                entries.append(entry(name: name, text: try FileReader.readAttribute(dir + "/" + name)))
            } catch {
                entries.append(Entry(name: name, text: nil, state: .unknown, smtVulnerable: false, error: error))
            }
        }
        return CPUVulnerabilities(entries: entries)
    }

    public static func entry(name: String, text: String) -> Entry {
        let (state, smt) = classify(text)
        return Entry(name: name, text: text.trimmingWhitespace(), state: state, smtVulnerable: smt)
    }

    /// Classifies one verdict line by its leading word; anything unrecognised (garbage, a future
    /// wording) is `unknown`, never `not-affected`.
    public static func classify(_ text: String) -> (state: State, smtVulnerable: Bool) {
        var t = text.trimmingWhitespace()
        let smt = t.contains("SMT vulnerable")
        if t.hasPrefix("KVM: ") { t.removeFirst(5) }
        let state: State
        if t == "Not affected" {
            state = .notAffected
        } else if t.hasPrefix("Mitigation: ") {
            state = .mitigated
        } else if t == "Vulnerable" || t.hasPrefix("Vulnerable: ") || t.hasPrefix("Vulnerable; ")
                    || t.hasPrefix("Vulnerable, ") || t == "Processor vulnerable" {
            state = .vulnerable
        } else {
            state = .unknown
        }
        return (state, smt)
    }

    /// Records `host.cpu.vulnerabilities`, `host.cpu.vulnerable`, `host.cpu.smtVulnerable`. The two lists
    /// are null (with the reason) when they are empty but some verdict is `unknown`.
    public func record(into facts: inout FactBuilder) {
        var map: [String: JSONValue] = [:]
        for e in entries {
            map[e.name] = .object([
                "text": .from(e.text),
                "state": .string(e.state.rawValue),
                "smtVulnerable": .bool(e.smtVulnerable),
            ])
        }
        facts.set("host.cpu.vulnerabilities", .object(map))
        for e in entries {
            if let error = e.error { facts.markUnknown("host.cpu.vulnerabilities.\(e.name).text", reason: "\(error)") }
        }
        // An empty list would claim "nothing vulnerable"; with a verdict unread or unclassified that
        // claim is unknown, so the list is null with the reason (a non-empty list stays: it is certain).
        let unclear = entries.filter { $0.state == .unknown }
        let reason = unclear.map { e in
            e.error.map { "\(e.name): \($0)" } ?? "\(e.name): unrecognised verdict '\(HostReasonText.quote(e.text ?? ""))'"
        }.joined(separator: "; ")
        for (path, list) in [("host.cpu.vulnerable", vulnerable), ("host.cpu.smtVulnerable", smtVulnerable)] {
            if list.isEmpty && !unclear.isEmpty {
                facts.setUnknown(path, reason: reason)
            } else {
                facts.set(path, .from(list))
            }
        }
    }
}
