import Core
import Devices
import Dispatch
import Foundation
import HostProbes
import Inventory
import Policy
import Synchronization

/// What a scan reads and which policies judge it.
public struct ScanSettings: Sendable {
    /// libvirt URI, opened read-only.
    public var uri: String
    /// Root that `/proc`, `/sys`, `/run` and `/etc` are read under.
    public var root: HostRoot
    public var policiesDirectory: String
    public var waiversPath: String?

    public init(uri: String = "qemu:///system", root: HostRoot = HostRoot(), policiesDirectory: String,
                waiversPath: String? = nil) {
        self.uri = uri
        self.root = root
        self.policiesDirectory = policiesDirectory
        self.waiversPath = waiversPath
    }
}

public enum ScanError: Error, Sendable, CustomStringConvertible {
    case policy(String)
    case connection(String)

    public var description: String {
        switch self {
        case .policy(let m): return m
        case .connection(let m): return m
        }
    }
}

/// The audit pipeline: libvirt inventory + host probes -> facts -> policy -> findings and
/// scores, assembled into a `ScanReport`. Holds the loaded policies; every scan is independent.
public final class Auditor: Sendable {
    public let settings: ScanSettings
    public let policies: PolicySet
    public let waivers: Waivers
    /// Parsed domain definitions of the last scan, by XML text (see `definitions(_:)`).
    private let definitionCache = Mutex<[String: Result<DomainDefinition, DomainXMLError>]>([:])
    /// Inventory facts of the last scan by what they were built from (see `inventory(_:)`).
    private let inventoryCache = Mutex<[InventoryFacts.Inputs: FactBuilder]>([:])
    /// Why a libvirt daemon in another mount namespace could not be listed at the last fetch, by pid.
    private let daemonErrors = Mutex<[Int: String]>([:])

    /// Every documented fact path: the policy loader rejects rules naming anything else.
    public static let schema = FactSchema([
        InventoryFacts.schema, ProcessProbe.schema, HostProbe.schema, DeviceAudit.schema, Auditor.pipelineSchema,
        SecLabelFacts.schema, StorageHostFacts.schema, CgroupLimitFacts.schema, QemuInventory.schema,
    ])

    /// Facts the pipeline itself adds.
    static let pipelineSchema: [FactField] = [
        FactField("process.located", .bool, source: "run/libvirt/qemu/<name>.pid, /proc/<pid>/cmdline",
                  "True when the domain's qemu process was found and verified (its command line carries the domain's uuid)."),
        FactField("process.source", .string, source: "run/libvirt/qemu/",
                  "The libvirt runtime record the pid came from."),
        FactField("process.selinux.sharedWith", .list, element: .string, source: "all running domains' SELinux levels",
                  "Names of other running VMs whose qemu has exactly the same MCS category set (sVirt isolation between them is lost)."),
        FactField("sandbox.qemuVersion", .string, source: "libvirt virConnectGetVersion",
                  "The hypervisor (qemu) version libvirt reports."),
    ]

    public init(settings: ScanSettings) throws(ScanError) {
        self.settings = settings
        do {
            policies = try PolicySet.load(directory: settings.policiesDirectory, schema: Auditor.schema)
        } catch {
            throw ScanError.policy("policies in \(settings.policiesDirectory) are invalid:\n" +
                                   error.diagnostics.map { "  \($0)" }.joined(separator: "\n"))
        }
        if let w = settings.waiversPath {
            do { waivers = try Waivers.load(path: w) } catch {
                throw ScanError.policy("waivers \(w) are invalid:\n" + error.diagnostics.map { "  \($0)" }.joined(separator: "\n"))
            }
        } else {
            waivers = .none
        }
    }

    /// Opens a read-only connection, scans, closes.
    public func scan() throws(ScanError) -> ScanReport {
        let connection: LibvirtConnection
        do { connection = try LibvirtConnection(uri: settings.uri) } catch {
            throw ScanError.connection("\(error)")
        }
        defer { connection.close() }
        return try scan(connection: connection)
    }

    /// Scans through an open connection (the service keeps one open between scans).
    public func scan(connection: LibvirtConnection, now: Date = Date()) throws(ScanError) -> ScanReport {
        let started = Date()
        let fetched = try fetch(connection: connection)
        return assemble(records: fetched.records, hostInfo: fetched.hostInfo, started: started, now: now,
                        libvirtMs: Date().timeIntervalSince(started) * 1000)
    }

    /// libvirt's view: every domain's record (with its live XML) and the host's versions, plus
    /// the domains of libvirt daemons running in other mount namespaces (containers, pods),
    /// listed through their own read-only sockets (`ManagingDaemon` on the record).
    public func fetch(connection: LibvirtConnection) throws(ScanError) -> (records: [DomainRecord], hostInfo: Result<LibvirtHostInfo, InventoryError>) {
        var records: [DomainRecord]
        do { records = try connection.listDomains() } catch { throw ScanError.connection("\(error)") }
        let root = settings.root
        if let table = try? ProcessTable.read(root: root), !table.daemons.isEmpty {
            let daemons = QemuInventory.namespacedDaemons(table: table, root: root,
                                                          hostNamespaces: NamespaceReference.resolve(root: root))
            let other = QemuInventory.fetch(daemons, root: root)
            let known = Set(records.map(\.uuid))
            records += other.records.filter { !known.contains($0.uuid) }
            daemonErrors.withLock { $0 = other.errors }
        } else {
            daemonErrors.withLock { $0 = [:] }
        }
        let info: Result<LibvirtHostInfo, InventoryError>
        do { info = .success(try connection.hostInfo()) } catch { info = .failure(error) }
        return (records, info)
    }

    /// Re-fetches only the domains named by `uuids` (after libvirt events) and keeps the other
    /// records as they were: an undefined domain disappears, a new one is added.
    public func refresh(_ records: [DomainRecord], uuids: Set<String>, connection: LibvirtConnection) throws(ScanError) -> [DomainRecord] {
        var byUUID = Dictionary(records.map { ($0.uuid, $0) }, uniquingKeysWith: { a, _ in a })
        for uuid in uuids where byUUID[uuid]?.daemon == nil {
            do {
                byUUID[uuid] = try connection.domain(uuid: uuid)
            } catch {
                throw ScanError.connection("\(error)")
            }
        }
        return byUUID.values.sorted { $0.name < $1.name }
    }

    /// Builds the report from libvirt's records: everything after the libvirt calls.
    public func assemble(records: [DomainRecord], hostInfo: Result<LibvirtHostInfo, InventoryError>,
                         started: Date = Date(), now: Date = Date(), libvirtMs: Double = 0) -> ScanReport {
        let root = settings.root
        var clock = StageClock()
        let readsBefore = FileReader.readCount.load(ordering: .relaxed)
        let inventory = inventory(records)
        clock.lap("xmlParse")

        // Host: hygiene probes, libvirt versions, IOMMU (with every domain's hostdevs).
        var host = HostProbe.collect(root: root)
        clock.lap("hostProbes")
        var qemuVersion: String?
        switch hostInfo {
        case .success(let i):
            host.absorb(HostLibvirtFacts.build(i))
            qemuVersion = i.hypervisorVersion
        case .failure(let e):
            host.absorb(HostLibvirtFacts.unavailable(uri: settings.uri, reason: "\(e)"))
        }
        let deviceInputs = inventory.map { d in
            DeviceAudit.DomainInput(name: d.record.name, uuid: d.record.uuid, running: d.record.isActive,
                                    hostdevs: (try? d.definition.get())?.hostdevs ?? [])
        }
        let devices = DeviceAudit.collect(root: root, domains: deviceInputs)
        host.absorb(devices.host)
        clock.lap("devices")
        let hostNamespaces = NamespaceReference.resolve(root: root)
        // A kernel built without AppArmor has no /sys/module/apparmor (and no per-process
        // attr/apparmor): decided once per scan.
        let noAppArmor = !FileReader.exists(root.path(AppArmorState.enabledPath))

        // Every qemu process on the host: the domains of daemons in other mount namespaces are
        // matched to theirs by -uuid (their pid files live in the daemon's /run).
        let qemuScan = QemuInventory.Scan(root: root)
        var forced: [String: ProcessLocation] = [:]
        for d in inventory where d.record.daemon != nil && d.record.isActive {
            if let q = qemuScan.qemu(uuid: d.record.uuid) {
                forced[d.record.uuid] = .found(pid: q.pid, cmdline: q.cmdline, source: "/proc/\(q.pid)/cmdline (-uuid)")
            } else {
                forced[d.record.uuid] = .unknown(reason: "no qemu process carries -uuid \(d.record.uuid) on its command line")
            }
        }

        // Per domain: inventory facts + the qemu process + assigned devices (in parallel).
        let version = qemuVersion
        let accounts = Accounts.read(root: root)
        let located = forced
        let ksm = Result { () throws(ProbeError) in try KSMState.read(root: root) }
        let scanReads = ScanReads(root: root)
        var domainFacts = Self.parallelMap(inventory) { d -> FactBuilder in
            var f = d.facts
            Self.collectProcess(d, root: root, hostNamespaces: hostNamespaces, qemuVersion: version,
                                noAppArmor: noAppArmor, location: located[d.record.uuid], base: scanReads.reader, into: &f)
            SecLabelFacts.collect(d, root: root, accounts: accounts, into: &f)
            StorageHostFacts.collect(d, root: root, ksm: ksm, into: &f)
            CgroupLimitFacts.collect(d, root: root, reader: scanReads.reader, into: &f)
            ConsoleSecrets.collect(d, root: root, into: &f)
            if let dev = devices.domains[d.record.uuid] { f.absorb(dev) }
            let pid = f.tree[path: "process.pid"]?.intValue
            QemuInventory.recordContext(
                kind: d.record.daemon == nil ? "libvirt" : "libvirt-namespaced", daemon: d.record.daemon,
                hostMountNamespace: d.record.daemon == nil, definition: try? d.definition.get(),
                ancestorsKubeVirt: d.record.daemon != nil && pid.map { QemuInventory.hasKubeVirtAncestor(pid: $0, root: root) } == true,
                into: &f)
            return f
        }

        Self.shareXMLLabels(inventory, &domainFacts)

        // qemus that no listed domain accounts for, and libvirt daemons in other mount namespaces.
        var outside = QemuInventory.outside(scan: qemuScan, records: records, domainFacts: domainFacts,
                                            hostNamespaces: hostNamespaces, daemonErrors: daemonErrors.withLock { $0 },
                                            into: &host)

        // Across running qemus, listed or not: VMs sharing an MCS category set.
        let labels = zip(inventory, domainFacts).map { d, f in
            (uuid: d.record.uuid, name: d.record.name, level: f.tree[path: "process.selinux.level"]?.stringValue)
        } + outside.vms.map { (uuid: $0.uuid, name: $0.name, level: $0.facts.tree[path: "process.selinux.level"]?.stringValue) }
        let shared = MCSAnalysis.duplicates(labels)
        for i in domainFacts.indices where domainFacts[i].tree[path: "process.selinux.level"]?.stringValue != nil {
            domainFacts[i].set("process.selinux.sharedWith", .from(shared[inventory[i].record.uuid] ?? []))
        }
        for i in outside.vms.indices where outside.vms[i].facts.tree[path: "process.selinux.level"]?.stringValue != nil {
            outside.vms[i].facts.set("process.selinux.sharedWith", .from(shared[outside.vms[i].uuid] ?? []))
        }
        clock.lap("processProbes")

        // Judge.
        let evaluator = Evaluator(policies: policies, waivers: waivers, now: now)
        let hostTree = host.facts
        let hostVerdict = evaluator.evaluateHost(facts: hostTree)
        let hostInner = hostTree["host"] ?? .object([:])
        let hostContext = hostTree
        // A daemon in a container is judged with its own qemu.conf, not the host's.
        var daemonContexts: [Int: JSONValue] = [:]
        for pid in Set(inventory.compactMap { $0.record.daemon?.pid } + outside.vms.compactMap(\.daemonPid)) {
            daemonContexts[pid] = QemuInventory.daemonContext(pid: pid, root: root, host: host)
        }
        let contexts = daemonContexts
        let factsList = domainFacts.map(\.facts)
        var reports = Self.parallelMap(Array(zip(inventory, factsList))) { pair -> DomainReport in
            let (d, facts) = pair
            let context = d.record.daemon.flatMap { contexts[$0.pid] } ?? hostContext
            let verdict = evaluator.evaluateDomain(name: d.record.name, uuid: d.record.uuid, facts: facts, host: context,
                                                   daemonRules: d.record.daemon != nil)
            return DomainReport(name: d.record.name, uuid: d.record.uuid, state: d.record.state ?? "unknown",
                                id: d.record.id, profile: verdict.profile, facts: facts,
                                findings: Self.compact(verdict.findings), score: verdict.score)
        }
        for vm in outside.vms {
            let facts = vm.facts.facts
            let context = vm.daemonPid.flatMap { contexts[$0] } ?? hostContext
            let verdict = evaluator.evaluateDomain(name: vm.name, uuid: vm.uuid, facts: facts, host: context,
                                                   daemonRules: vm.daemonPid != nil)
            reports.append(DomainReport(name: vm.name, uuid: vm.uuid, state: "running", id: nil, profile: verdict.profile,
                                        facts: facts, findings: Self.compact(verdict.findings), score: verdict.score))
        }
        clock.lap("policy")
        var hostFacts = hostInner
        if let u = hostTree["unknown"] { hostFacts.set("unknown", to: u) }
        let hostname: String
        if case .success(let i) = hostInfo, let h = i.hostname { hostname = h } else { hostname = Self.localHostname() }
        let finished = Date()
        var errors: [String] = []
        for d in inventory { if case .failure(let e) = d.definition { errors.append("\(d.record.name): \(e)") } }
        var report = ScanReport(
            scanId: UUID().uuidString.lowercased(), startedAt: Timestamp.format(started),
            finishedAt: Timestamp.format(finished), durationMs: (finished.timeIntervalSince(started) * 1000 * 100).rounded() / 100,
            connection: settings.uri, root: root.description, errors: errors, rules: policies.ruleTexts,
            host: HostReport(hostname: hostname, facts: hostFacts, findings: Self.compact(hostVerdict.findings), score: hostVerdict.score),
            domains: reports.sorted { $0.name < $1.name },
            stats: ScanStats(stagesMs: clock.laps.merging(["libvirt": libvirtMs.rounded3]) { a, _ in a },
                             filesRead: FileReader.readCount.load(ordering: .relaxed) - readsBefore,
                             domains: records.count, runningDomains: records.filter(\.isActive).count))
        // The report's findings arrays are the only references left: ids are assigned in place,
        // not into copies of every domain's findings.
        reports = []
        FindingID.assign(&report, hostId: FindingID.hostID(root: root, hostname: hostname))
        return report
    }

    /// Across domains, from the XML (so it covers shut-off VMs): static SELinux labels that
    /// another domain's label repeats (`labels.selinux.sharedWith`).
    static func shareXMLLabels(_ inventory: [InventoryDomain], _ domainFacts: inout [FactBuilder]) {
        let xmlLabels = zip(inventory, domainFacts).map { d, f in
            (uuid: d.record.uuid, name: d.record.name, level: f.tree[path: "labels.selinux.level"]?.stringValue,
             isStatic: f.tree[path: "labels.selinux.type"]?.stringValue == "static")
        }
        let xmlShared = SecLabelFacts.shareLabels(xmlLabels)
        for i in domainFacts.indices where domainFacts[i].tree[path: "labels"]?.objectValue != nil {
            domainFacts[i].set("labels.selinux.sharedWith", .from(xmlShared[inventory[i].record.uuid]))
        }
    }

    /// The parsed definition of every record, in order. A domain's XML rarely changes between
    /// scans, so definitions are kept by XML text from one scan to the next (only the current
    /// scan's are kept) and only new or changed XML is parsed, in parallel.
    func definitions(_ records: [DomainRecord]) -> [Result<DomainDefinition, DomainXMLError>] {
        let known = definitionCache.withLock { $0 }
        let missing = records.indices.filter { known[records[$0].xml] == nil }
        let parsed = Self.parallelMap(missing.map { records[$0] }) { DomainFacts.definition(of: $0) }
        var fresh = known
        for (i, p) in zip(missing, parsed) { fresh[records[i].xml] = p }
        let out = records.map { fresh[$0.xml]! }
        var current: [String: Result<DomainDefinition, DomainXMLError>] = [:]
        current.reserveCapacity(records.count)
        for (r, d) in zip(records, out) { current[r.xml] = d }
        definitionCache.withLock { $0 = current }
        return out
    }

    /// Every record's inventory: definitions from `definitions(_:)`, and facts built only for
    /// domains whose record (XML, state, id, flags) or shared-memory peers differ from the last
    /// scan's; the others keep the last scan's facts (only the current scan's are kept).
    func inventory(_ records: [DomainRecord]) -> [InventoryDomain] {
        let known = inventoryCache.withLock { $0 }
        let result = InventoryFacts.domains(records, definitions: definitions(records), reusing: known)
        inventoryCache.withLock { $0 = result.built }
        return result.domains
    }

    /// Not-applicable findings keep no observed values: the rule did not apply, what it would
    /// have looked at says nothing.
    static func compact(_ findings: [Finding]) -> [Finding] {
        findings.map { f in
            guard f.status == .pass || f.status == .notApplicable else { return f }
            var c = f
            if f.status == .notApplicable { c.observed = .object([:]) }
            return c
        }
    }

    /// Locates and probes the domain's qemu process, or says why there is none.
    static func collectProcess(_ d: InventoryDomain, root: HostRoot, hostNamespaces: NamespaceReference,
                               qemuVersion: String?, noAppArmor: Bool = false, location: ProcessLocation? = nil,
                               base: ProcReader = .live, into f: inout FactBuilder) {
        func unknown(_ reason: String) {
            f.set("process.located", .bool(false))
            f.setUnknown("process", reason: reason)
            f.setUnknown("sandbox", reason: reason)
            f.set("process.located", .bool(false))
        }
        guard d.record.isActive else {
            return unknown("domain is not running: it has no qemu process")
        }
        let definition: DomainDefinition
        switch d.definition {
        case .success(let def): definition = def
        case .failure(let e): return unknown("domain XML could not be parsed: \(e)")
        }
        switch location ?? ProcessLocator(root: root).locate(name: definition.name, uuid: definition.uuid ?? "", type: definition.type) {
        case .unknown(let reason):
            unknown(reason)
        case .found(let pid, let cmdline, let source):
            ProcessProbe.collect(pid: pid, root: root, hostNamespaces: hostNamespaces, into: &f,
                                 reader: reader(pid: pid, cmdline: cmdline, root: root, noAppArmor: noAppArmor, base: base))
            f.set("process.located", .bool(true))
            f.set("process.source", .string(source))
            if f.tree["sandbox"]?.objectValue != nil { f.set("sandbox.qemuVersion", .from(qemuVersion)) }
        }
    }

    /// The process probe's reader for a located qemu: `/proc/<pid>/cmdline` is answered from
    /// the arguments the locator has just read (and checked for the domain's uuid) instead of
    /// being read twice; on a kernel without AppArmor (`noAppArmor`: no
    /// /sys/module/apparmor, so no /proc/<pid>/attr/apparmor either) that attribute is answered
    /// "not found" without a system call. Every other file is read as usual.
    static func reader(pid: Int, cmdline: [String], root: HostRoot, noAppArmor: Bool, base: ProcReader = .live) -> ProcReader {
        let live = base
        let cmdlinePath = ProcCmdline.path(pid: pid, root: root)
        let cmdlineBytes = Array((cmdline.joined(separator: "\u{0}") + "\u{0}").utf8)
        let apparmorPath = noAppArmor ? ProcAttr.apparmorPath(pid: pid, root: root) : nil
        return ProcReader(
            read: { (p: String) throws(ProbeError) -> [UInt8] in
                if p == cmdlinePath { return cmdlineBytes }
                if p == apparmorPath { throw ProbeError.notFound(path: p) }
                return try live.read(p)
            },
            readLink: live.readLink, exists: live.exists)
    }

    /// Text for `virtaudit scan --explain VM`: every rule's verdict with observed vs expected.
    public func explain(_ vm: String, in report: ScanReport) -> String? {
        guard let d = report.domains.first(where: { $0.name == vm || $0.uuid == vm }) else { return nil }
        return ExplainRenderer.render(d, rules: report.rules)
    }

    static func localHostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Maps in parallel over the machine's cores, keeping order.
    static func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ body: @Sendable (T) -> R) -> [R] {
        items.count < 4 ? items.map(body) : Parallel.map(items, body)
    }
}


/// Reads that several probes of one scan make of the same file, made once per scan: a qemu's
/// `/proc/<pid>/cgroup` (the process probe and the cgroup limits both parse it) and the cgroup
/// files under `/sys/fs/cgroup` (every VM's limits are the tightest up to the root, so
/// `machine.slice` and the root are read for each). A new `ScanReads` is made for every scan:
/// nothing is carried from one scan to the next, every scan reads the host again.
final class ScanReads: Sendable {
    private let memo = Mutex<[String: Result<[UInt8], ProbeError>]>([:])
    private let present = Mutex<[String: Bool]>([:])
    private let cgroupBase: String
    private let procBase: String

    init(root: HostRoot) {
        cgroupBase = root.sys("fs/cgroup") + "/"
        procBase = root.proc("")
    }

    /// True for the paths read once per scan.
    func shared(_ path: String) -> Bool {
        let p = path.utf8
        return p.starts(with: cgroupBase.utf8) || (p.starts(with: procBase.utf8) && p.reversed().starts(with: "/cgroup".utf8.reversed()))
    }

    var reader: ProcReader {
        let live = ProcReader.live
        return ProcReader(
            read: { (p: String) throws(ProbeError) -> [UInt8] in
                guard self.shared(p) else { return try live.read(p) }
                if let known = self.memo.withLock({ $0[p] }) { return try known.get() }
                let r = Result { () throws(ProbeError) -> [UInt8] in try live.read(p) }
                self.memo.withLock { $0[p] = r }
                return try r.get()
            },
            readLink: live.readLink,
            exists: { p in
                guard p.utf8.starts(with: self.cgroupBase.utf8) else { return live.exists(p) }
                if let known = self.present.withLock({ $0[p] }) { return known }
                let e = live.exists(p)
                self.present.withLock { $0[p] = e }
                return e
            })
    }
}

/// Wall-clock time per pipeline stage.
struct StageClock {
    private var last = Date()
    private(set) var laps: [String: Double] = [:]

    mutating func lap(_ name: String) {
        let now = Date()
        laps[name, default: 0] += (now.timeIntervalSince(last) * 1000).rounded3
        last = now
    }
}

extension Double {
    var rounded3: Double { (self * 1000).rounded() / 1000 }
}
