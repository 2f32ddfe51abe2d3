/// Stable finding identities, for pipelines that track a finding from one scan to the next
/// (SARIF `partialFingerprints`, JUnit test names, ticket links, the JSON `id` of each finding).
///
/// An id is derived from four parts only, never from a time, a pid or a scan id:
/// - the host id: the first line of `/etc/machine-id` under the scanned root (systemd's
///   permanent machine identity), or `hostname:<name>` when that file is absent or malformed;
/// - the target: the domain's UUID, or `host` for host rules;
/// - the rule id;
/// - the subject, for a rule that reports several findings on one target (today only
///   `waiver.expired`: the waiver's rule pattern; a per-device rule would use the device
///   address); empty otherwise.
///
/// The id is `va1-` followed by 32 hex digits (two independent 64-bit FNV-1a hashes of the parts,
/// separated by NUL bytes). It is an identifier, not a secret or a signature.
public enum FindingID {
    /// `/etc/machine-id` is 32 lower-case hex digits and a newline.
    public static let machineIDPath = "/etc/machine-id"

    /// The host id: the machine id under `root`, else `hostname:<hostname>`.
    public static func hostID(root: HostRoot, hostname: String) -> String {
        if let text = try? FileReader.readString(root.etc("machine-id"), limit: 4096),
           let id = parseMachineID(text) {
            return id
        }
        return "hostname:" + hostname
    }

    /// The machine id in the file's text, or nil when it is not 32 hex digits (an empty file, as
    /// on an image before first boot, or "uninitialized").
    public static func parseMachineID(_ text: String) -> String? {
        let line = text.split(whereSeparator: \.isNewline).first.map { String($0).trimmingWhitespace() } ?? ""
        guard line.utf8.count == 32, line.utf8.allSatisfy({ isHex($0) }) else { return nil }
        return line.lowercased()
    }

    public static func make(host: String, target: String, rule: String, subject: String? = nil) -> String {
        // Both hashes over host NUL target NUL rule NUL subject, without joining the parts.
        var a = FNV(0xcbf2_9ce4_8422_2325), b = FNV(0x84222325_cbf29ce4)
        for (i, part) in [host, target, rule, subject ?? ""].enumerated() {
            if i > 0 { a.add(0); b.add(0) }
            for byte in part.utf8 { a.add(byte); b.add(byte) }
        }
        return String(unsafeUninitializedCapacity: 36) { out in
            for (i, c) in "va1-".utf8.enumerated() { out[i] = c }
            hex(a.value, into: out, at: 4)
            hex(b.value, into: out, at: 20)
            return 36
        }
    }

    /// 64-bit FNV-1a, byte by byte.
    struct FNV {
        var value: UInt64
        init(_ basis: UInt64) { value = basis }
        @inline(__always) mutating func add(_ byte: UInt8) {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
    }

    /// 16 lower-case hex digits of `v` written at `out[at...]`.
    static func hex(_ v: UInt64, into out: UnsafeMutableBufferPointer<UInt8>, at: Int) {
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<16 {
            let nibble = Int((v >> UInt64(60 - 4 * i)) & 0xf)
            out[at + i] = digits.utf8Start[nibble]
        }
    }

    /// Subject of a finding whose rule may report several on one target.
    public static func subject(of f: Finding) -> String? {
        if f.rule == "waiver.expired", case .object(let o)? = f.observed["waiver"], let r = o["rule"]?.stringValue {
            return r
        }
        return nil
    }

    /// Sets `hostId` and every finding's `id`.
    public static func assign(_ report: inout ScanReport, hostId: String) {
        report.hostId = hostId
        for i in report.host.findings.indices {
            let f = report.host.findings[i]
            report.host.findings[i].id = make(host: hostId, target: "host", rule: f.rule, subject: subject(of: f))
        }
        for d in report.domains.indices {
            let uuid = report.domains[d].uuid
            for i in report.domains[d].findings.indices {
                let f = report.domains[d].findings[i]
                report.domains[d].findings[i].id = make(host: hostId, target: uuid, rule: f.rule, subject: subject(of: f))
            }
        }
    }

    static func isHex(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
    }

    static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
        var h = basis
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
