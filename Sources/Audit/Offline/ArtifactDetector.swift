import Core
import Devices
import HostProbes
import Inventory

/// A file given to `virtaudit check` (or `-`, standard input).
public struct CheckArtifact: Sendable {
    public var name: String
    public var bytes: [UInt8]
    public init(name: String, bytes: [UInt8]) { self.name = name; self.bytes = bytes }
}

/// What a file holds, decided from its content alone.
public enum ArtifactKind: String, Sendable, Hashable, Codable {
    case domainXML = "domain-xml"
    case domainStatusXML = "domain-status-xml"
    case nodeDeviceXML = "nodedev-xml"
    case qemuCommandLine = "qemu-cmdline"
    case processSample = "process-sample"
    case iommuListing = "iommu-listing"
}

/// A line of a partly recognised file that no reader could place.
public struct IgnoredLine: Sendable, Hashable, Codable {
    public var line: Int
    public var text: String
}

/// A file that cannot be audited: it names the file, the line and why.
public struct CheckInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var text: String
    public var reason: String
    public var description: String {
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return "\(file):\(line): \(reason)" + (shown.isEmpty ? "" : ": \(shown.debugDescription)")
    }
}

/// A recognised file and what was read from it.
struct DetectedArtifact: Sendable {
    enum Content: Sendable {
        case domains([XMLArtifact.Domain])
        case nodeDevices([XMLArtifact.NodeDevice])
        case qemu([QemuInvocation])
        case processes([ProcessSample])
        case listing(IOMMUListing)
    }
    var name: String
    var kind: ArtifactKind
    /// The format within the kind (`virsh dumpxml`, `libvirt log`, `ps -eZ`...).
    var format: String
    var content: Content
    var ignored: [IgnoredLine]
}

/// Decides what a file is from its content (never its name) and reads it.
enum ArtifactDetector {
    /// Largest input read (the biggest real artifacts, a status XML or a `ps` of a busy host,
    /// are well below).
    static let maxBytes = 16 << 20

    static func detect(_ a: CheckArtifact) -> Result<DetectedArtifact, CheckInputError> {
        func error(_ line: Int, _ text: String, _ reason: String) -> Result<DetectedArtifact, CheckInputError> {
            .failure(CheckInputError(file: a.name, line: line, text: text, reason: reason))
        }
        if a.bytes.count > maxBytes { return error(1, "", "file is larger than \(maxBytes >> 20) MiB") }
        let nonBlank = a.bytes.contains { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0a || $0 == 0x0d || $0 == 0) }
        if !nonBlank { return error(1, "", "file is empty: nothing to audit") }

        // /proc/<pid>/cmdline: NUL-separated arguments.
        if a.bytes.contains(0) {
            let args = ProcCmdline.parse(a.bytes).arguments
            guard let first = args.first, QemuInvocation.isQemuBinary(first) else {
                return error(1, args.first ?? "", "NUL-separated command line whose program is not a qemu system emulator")
            }
            let q = QemuInvocation(arguments: args, environment: [], line: 1, qemuVersion: nil, pid: nil)
            return .success(DetectedArtifact(name: a.name, kind: .qemuCommandLine, format: "/proc/<pid>/cmdline",
                                             content: .qemu([q]), ignored: []))
        }
        let text = String(decoding: a.bytes, as: UTF8.self)
        let trimmed = text.drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{feff}" }
        if trimmed.hasPrefix("<") { return xml(a.name, text) }
        return lines(a.name, text)
    }

    // MARK: XML

    static func xml(_ name: String, _ text: String) -> Result<DetectedArtifact, CheckInputError> {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func line(_ n: Int) -> String { n >= 1 && n <= lines.count ? String(lines[n - 1]).trimmingWhitespace() : "" }
        switch XMLArtifact.parse(text) {
        case .failure(.malformed(let l, let reason)):
            return .failure(CheckInputError(file: name, line: l, text: line(l), reason: "not well-formed XML (\(reason))"))
        case .failure(.unrecognised(let l, let element)):
            return .failure(CheckInputError(file: name, line: l, text: line(l),
                                            reason: "XML element <\(element)> is not a libvirt domain, domain status or PCI node device"))
        case .success(.nodeDevices(let devs)):
            return .success(DetectedArtifact(name: name, kind: .nodeDeviceXML, format: "virsh nodedev-dumpxml",
                                             content: .nodeDevices(devs), ignored: []))
        case .success(.domains(let doms)):
            // A <domain> libvirt itself would refuse (no name, no type, unreadable values) is not a
            // VM to audit: say which one and why.
            for d in doms {
                if case .failure(let e) = d.definition {
                    return .failure(CheckInputError(file: name, line: d.line, text: line(d.line), reason: "\(e)"))
                }
            }
            let status = doms.contains { $0.statusState != nil || $0.statusPid != nil }
            let live = doms.contains { (try? $0.definition.get())?.id != nil }
            let format = status ? "libvirt status XML (<domstatus>)"
                : (live ? "virsh dumpxml (live)" : "virsh dumpxml --inactive / domain config")
            return .success(DetectedArtifact(name: name, kind: status ? .domainStatusXML : .domainXML,
                                             format: doms.count > 1 ? format + ", \(doms.count) domains" : format,
                                             content: .domains(doms), ignored: []))
        }
    }

    // MARK: Line formats

    /// A reader's claim on a text file: what it read and which lines it placed.
    struct Claim {
        var kind: ArtifactKind
        var format: String
        var content: DetectedArtifact.Content
        var used: Set<Int>
    }

    static func lines(_ name: String, _ text: String) -> Result<DetectedArtifact, CheckInputError> {
        let raw = text.split(separator: "\n", omittingEmptySubsequences: false).map { l -> String in
            var s = String(l)
            if s.hasSuffix("\r") { s.removeLast() }
            return s
        }
        let numbered = raw.enumerated().map { ($0.offset + 1, $0.element) }
        let nonBlank = numbered.filter { !$0.1.trimmingWhitespace().isEmpty }

        var claims: [Claim] = []
        let (qemu, qemuUsed, qemuFormat) = QemuTextReader.read(numbered)
        if !qemu.isEmpty { claims.append(Claim(kind: .qemuCommandLine, format: qemuFormat, content: .qemu(qemu), used: qemuUsed)) }
        let (psSamples, psUsed) = ProcessSampleParser.ps(numbered)
        if !psUsed.isEmpty {
            let fmt = psSamples.first?.source ?? "ps"
            claims.append(Claim(kind: .processSample, format: fmt, content: .processes(psSamples), used: psUsed))
        }
        let (dominfo, dUsed) = ProcessSampleParser.dominfo(numbered)
        if let d = dominfo { claims.append(Claim(kind: .processSample, format: "virsh dominfo", content: .processes([d]), used: dUsed)) }
        let (status, sUsed) = ProcessSampleParser.status(numbered)
        if let s = status { claims.append(Claim(kind: .processSample, format: "/proc/<pid>/status", content: .processes([s]), used: sUsed)) }
        let (listing, lUsed) = ListingReader.read(text, numbered, source: name)
        if let l = listing { claims.append(Claim(kind: .iommuListing, format: "IOMMU listing", content: .listing(l), used: lUsed)) }

        // The reader that placed the most lines wins; ties go to the earlier (more specific) one.
        guard let best = claims.max(by: { $0.used.count < $1.used.count }).flatMap({ b in
            claims.first { $0.used.count == b.used.count }
        }) else {
            let first = nonBlank.first ?? (1, "")
            return .failure(CheckInputError(file: name, line: first.0, text: first.1.trimmingWhitespace(),
                                            reason: "unrecognised input: no domain XML, node device XML, qemu command line, process sample or IOMMU listing"))
        }
        if case .processes(let ps) = best.content, ps.isEmpty {
            let first = nonBlank.first { !best.used.contains($0.0) } ?? nonBlank.first ?? (1, "")
            return .failure(CheckInputError(file: name, line: first.0, text: first.1.trimmingWhitespace(),
                                            reason: "\(best.format) output with no qemu process in it: nothing to audit"))
        }
        let ignored = nonBlank.filter { !best.used.contains($0.0) }.map { IgnoredLine(line: $0.0, text: $0.1) }
        return .success(DetectedArtifact(name: name, kind: best.kind, format: best.format, content: best.content, ignored: ignored))
    }
}

/// qemu command lines in text: libvirt `.args` files and log start lines (`VAR=value \` lines,
/// then the binary and one option per line, each ending in ` \`), or one line per command.
enum QemuTextReader {
    static func read(_ lines: [(Int, String)]) -> ([QemuInvocation], Set<Int>, String) {
        var out: [QemuInvocation] = []
        var used: Set<Int> = []
        var version: String?
        var sawLogHeader = false
        var sawPSLine = false
        var i = 0
        while i < lines.count {
            let (n, l) = lines[i]
            if l.contains("starting up libvirt version:") {
                sawLogHeader = true
                used.insert(n)
                if let r = l.range(of: "qemu version: ") {
                    version = l[r.upperBound...].split(separator: ",").first.map { String($0).trimmingWhitespace() }
                }
                i += 1
                continue
            }
            // A logical line: physical lines joined while they end in a backslash.
            var logical = l
            var span = [n]
            var j = i
            while logical.hasSuffix("\\"), j + 1 < lines.count {
                j += 1
                logical = String(logical.dropLast()) + "\n" + lines[j].1
                span.append(lines[j].0)
            }
            i = j + 1
            guard let words = ShellWords.split(logical.replacingOccurrences(of: "\\\n", with: " ")),
                  let bin = words.firstIndex(where: QemuInvocation.isQemuBinary) else { continue }
            var env = Array(words[..<bin])
            var pid: Int?
            if !env.allSatisfy(isAssignment) {
                // A headerless `ps aux` / `ps -ef` / `pgrep -a` line: the pid is the first number
                // before the binary.
                guard span.count == 1, let p = env.lazy.compactMap({ Int($0) }).first(where: { $0 > 0 }) else { continue }
                pid = p
                env = []
                sawPSLine = true
            }
            // Find the physical line holding the binary.
            var binLine = span.first!
            for (k, pn) in span.enumerated() where k < span.count {
                let phys = lines.first { $0.0 == pn }?.1 ?? ""
                if phys.contains(words[bin]) { binLine = pn; break }
            }
            // Each argument's line, when every physical line splits on its own.
            var argLines: [Int]? = []
            for pn in span {
                var phys = lines.first { $0.0 == pn }?.1 ?? ""
                if phys.hasSuffix("\\") { phys.removeLast() }
                guard let n = ShellWords.split(phys)?.count else { argLines = nil; break }
                argLines? += Array(repeating: pn, count: n)
            }
            var q = QemuInvocation(arguments: Array(words[bin...]), environment: env, line: binLine,
                                   qemuVersion: version, pid: pid)
            if let argLines, argLines.count == words.count { q.argumentLines = Array(argLines[bin...]) }
            out.append(q)
            used.formUnion(span)
        }
        // Lines of a libvirt log around the command line (timestamps, qemu's own messages).
        if sawLogHeader {
            for (n, l) in lines where isLogLine(l) { used.insert(n) }
        }
        let format = sawLogHeader ? "libvirt qemu log"
            : (out.first?.environment.isEmpty == false ? "libvirt .args" : (sawPSLine ? "ps line" : "qemu command line"))
        return (out, used, format)
    }

    static func isAssignment(_ w: String) -> Bool {
        guard let eq = w.firstIndex(of: "="), eq != w.startIndex else { return false }
        return w[..<eq].allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// `2026-12-06 03:03:14.503+0000: ...`, `qemu-system-x86_64: ...`, `char device redirected ...`.
    static func isLogLine(_ l: String) -> Bool {
        let b = Array(l.utf8.prefix(11))
        if b.count == 11, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: " "),
           b[0...3].allSatisfy({ $0 >= 48 && $0 <= 57 }) { return true }
        if let colon = l.firstIndex(of: ":"), QemuInvocation.isQemuBinary(String(l[..<colon])) { return true }
        return l.hasPrefix("char device redirected") || l.hasPrefix("qemu: ") || l.hasPrefix("main-loop: ")
    }
}

/// IOMMU listings through the shared listing parser (`IOMMUListing.parse`), which `iommu
/// --from-listing` uses too: the lines it placed are the claim, the lines it could not place are
/// the ignored ones.
enum ListingReader {
    static func read(_ text: String, _ lines: [(Int, String)], source: String) -> (IOMMUListing?, Set<Int>) {
        let r = IOMMUListing.parse(text, file: source)
        guard r.recognised else { return (nil, []) }
        var listing = IOMMUListing()
        listing.add(r)
        let ignored = Set(r.ignored.map(\.number))
        let used = Set(lines.filter { !$0.1.trimmingWhitespace().isEmpty && !ignored.contains($0.0) }.map(\.0))
        return (listing, r.ignoredCount > r.ignored.count ? Set(used.prefix(r.placed)) : used)
    }
}
