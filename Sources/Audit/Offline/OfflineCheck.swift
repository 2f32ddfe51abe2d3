import Core
import Devices
import Foundation
import HostProbes
import Inventory
import Policy

/// `virtaudit check`: audits saved artifacts instead of a host, through the same pipeline as a
/// live scan (`InventoryFacts` -> `SecLabelFacts` / `DeviceAudit` -> `Evaluator`). What the
/// artifacts cannot hold (the host, a running qemu's credentials when no sample of it is given)
/// is unknown with a reason that starts with `OfflineCheck.marker`; such findings are shown as
/// `not-applicable-offline`, never as a pass, and left out of the score.
public enum OfflineCheck {
    /// The host part of a check's finding ids (`FindingID`): ids depend on the VM's uuid and the
    /// rule only, so the same template gives the same ids on every machine and run.
    public static let hostId = "offline"

    /// Prefix of every reason for a fact the offline input cannot hold.
    public static let marker = "offline: "
    static let noProcess = marker + "no running qemu process is inspected by check (give /proc/<pid>/status, ps -Z or the command line of the VM's qemu in the same call)"
    static let inactiveNoProcess = marker + "inactive domain XML: the VM has no qemu process to inspect"
    static let noHost = marker + "host facts are not in the input (check reads saved artifacts, not a host)"
    static let noListing = marker + "no IOMMU listing or node device XML of the host was given in the same call"
    static let storageHost = marker + "read from the host (stat and SELinux label of the image, sysfs block devices, KSM), not in the input"
    static let noPasswd = marker + "virsh dumpxml leaves display passwords (passwd) out; libvirt's status file /run/libvirt/qemu/<name>.xml holds them"
    static let noXML = marker + "no domain XML of this VM was given in the same call"

    /// Host IOMMU facts a listing cannot decide.
    static let notInListing = ["host.iommu.mode", "host.iommu.modeSource", "host.iommu.units", "host.iommu.interruptRemapping",
                               "host.iommu.interruptRemappingSource", "host.iommu.allowUnsafeInterrupts",
                               "host.iommu.allowUnsafeInterruptsSource", "host.iommu.cmdline"]

    /// The outcome: a report, or the first file that could not be used.
    /// `host`: host facts read by the caller (admission reads the local host's cheap facts);
    /// nil leaves the host unknown offline.
    /// `hostRoot`: the root of that host, whose IOMMU groups the hostdevs are judged against.
    public static func run(_ artifacts: [CheckArtifact], auditor: Auditor, now: Date = Date(), host: FactBuilder? = nil,
                           hostRoot: HostRoot? = nil) -> Result<CheckReport, CheckInputError> {
        var detected: [DetectedArtifact] = []
        for a in artifacts {
            switch ArtifactDetector.detect(a) {
            case .success(let d): detected.append(d)
            case .failure(let e): return .failure(e)
            }
        }
        return .success(assemble(detected, auditor: auditor, now: now, hostFacts: host, hostRoot: hostRoot))
    }

    // MARK: Targets

    /// One VM as the inputs describe it, merged across files by uuid, name or pid.
    struct Target {
        var name: String?
        var uuid: String?
        var pids: Set<Int> = []
        var domain: (XMLArtifact.Domain, file: String)?
        var invocation: (QemuInvocation, file: String)?
        var samples: [(ProcessSample, file: String)] = []
        var sources: [CheckReport.Location] = []

        /// True when `other` describes the same VM: the same uuid, or (neither uuid contradicting)
        /// the same name or a common pid. Two domain XMLs are never one VM.
        func joins(_ other: Target) -> Bool {
            if domain != nil && other.domain != nil { return false }
            if let u = uuid, let v = other.uuid { return u == v }
            if let n = name, n == other.name { return true }
            return !pids.isDisjoint(with: other.pids)
        }

        mutating func absorb(_ other: Target) {
            name = name ?? other.name
            uuid = uuid ?? other.uuid
            pids.formUnion(other.pids)
            if domain == nil { domain = other.domain }
            if invocation == nil { invocation = other.invocation }
            samples += other.samples
            sources += other.sources
        }

        func matches(name n: String?, uuid u: String?, pid p: Int?) -> Bool {
            if let u, let uuid { return u == uuid }
            if let n, let name, n == name { return true }
            if let p, pids.contains(p) { return true }
            return false
        }
    }

    static func assemble(_ detected: [DetectedArtifact], auditor: Auditor, now: Date, hostFacts: FactBuilder? = nil,
                         hostRoot: HostRoot? = nil) -> CheckReport {
        var targets: [Target] = []
        var inputTargets: [[Int]] = Array(repeating: [], count: detected.count)
        var listed: [String: ListedDevice] = [:]
        var listingJSON: [JSONValue] = []
        var haveListing = false
        func list(_ d: ListedDevice) {
            if listed[d.address] == nil { listed[d.address] = d } else { listed[d.address]!.merge(d) }
        }

        func place(_ index: Int, name: String?, uuid: String?, pid: Int?, domain: Bool = false, _ update: (inout Target) -> Void) {
            let t: Int
            // Two domain definitions are two VMs, even with the same name.
            if let found = targets.firstIndex(where: { $0.matches(name: name, uuid: uuid, pid: pid) && !(domain && $0.domain != nil) }) {
                t = found
            } else {
                targets.append(Target())
                t = targets.count - 1
            }
            if targets[t].name == nil { targets[t].name = name }
            if targets[t].uuid == nil { targets[t].uuid = uuid }
            if let pid { targets[t].pids.insert(pid) }
            update(&targets[t])
            if !inputTargets[index].contains(t) { inputTargets[index].append(t) }
        }

        for (i, d) in detected.enumerated() {
            switch d.content {
            case .domains(let doms):
                for dom in doms {
                    let def = try? dom.definition.get()
                    place(i, name: def?.name, uuid: def?.uuid, pid: dom.statusPid, domain: true) { t in
                        t.domain = (dom, d.name)
                        t.sources.append(.init(file: d.name, line: dom.line, element: "domain"))
                    }
                }
            case .qemu(let qs):
                for q in qs {
                    let s = QemuSandbox.parse(arguments: q.arguments)
                    place(i, name: s.guestName, uuid: s.uuid?.lowercased(), pid: q.pid) { t in
                        t.invocation = (q, d.name)
                        t.sources.append(.init(file: d.name, line: q.line, element: nil))
                    }
                }
            case .processes(let ps):
                for p in ps {
                    place(i, name: p.guestName, uuid: p.uuid, pid: p.pid) { t in
                        t.samples.append((p, d.name))
                        t.sources.append(.init(file: d.name, line: p.line, element: nil))
                    }
                }
            case .nodeDevices(let devs):
                haveListing = true
                for dev in devs { ListedDevice.from(dev, source: d.name).forEach(list) }
            case .listing(let l):
                haveListing = true
                l.entries.values.sorted { $0.address < $1.address }.forEach { list(ListedDevice($0)) }
                listingJSON.append(l.json)
            }
        }

        // Fragments placed before the file that links them (a pid-only `ps -eZ` line read
        // before the `ps -ef` line naming the same pid) are joined now.
        var merged = true
        while merged {
            merged = false
            outer: for a in targets.indices {
                for b in targets.indices where b > a && targets[a].joins(targets[b]) {
                    targets[a].absorb(targets[b])
                    targets.remove(at: b)
                    for k in inputTargets.indices {
                        inputTargets[k] = inputTargets[k].map { $0 == b ? a : ($0 > b ? $0 - 1 : $0) }
                        var seen = Set<Int>()
                        inputTargets[k] = inputTargets[k].filter { seen.insert($0).inserted }
                    }
                    merged = true
                    break outer
                }
            }
        }

        // Host context: nothing is known of the host but the IOMMU listing.
        var host = FactBuilder()
        if let hostFacts { host.absorb(hostFacts) } else { host.markUnknown("host", reason: noHost) }
        var deviceFacts: [String: FactBuilder] = [:]
        let names = targets.enumerated().map { i, t in
            t.name ?? t.pids.sorted().first.map { "pid \($0)" } ?? "process in \(t.sources.first?.file ?? "input \(i + 1)")"
        }
        let uuids = targets.enumerated().map { i, t in t.uuid ?? "offline-\(i + 1)" }

        // Inventory facts of every domain given as XML (shared memory is compared across them).
        var records: [DomainRecord] = []
        var definitions: [Result<DomainDefinition, DomainXMLError>] = []
        var recordTarget: [Int] = []
        for (i, t) in targets.enumerated() {
            guard let (dom, file) = t.domain else { continue }
            let def = try? dom.definition.get()
            let running = def?.id != nil || dom.statusPid != nil || (dom.statusState.map { $0 != "shutoff" } ?? false)
            let id = def?.id ?? (running ? -1 : nil)
            let offline = marker + "not recorded in domain XML"
            records.append(DomainRecord(name: names[i], uuid: uuids[i], id: id,
                                        state: dom.statusState ?? (running ? "running" : "shutoff"),
                                        persistent: nil, autostart: nil, xml: "\(file):\(dom.line)",
                                        problems: ["persistent": offline, "autostart": offline]))
            definitions.append(dom.definition)
            recordTarget.append(i)
        }
        let inventory = InventoryFacts.domains(records, definitions: definitions)

        // Devices: hostdevs of the XML, or vfio-pci of a command line, against the listing.
        var deviceInputs: [DeviceAudit.DomainInput] = []
        for (i, t) in targets.enumerated() {
            var hostdevs: [HostDeviceSpec] = []
            if let d = t.domain, let def = try? d.0.definition.get() { hostdevs = def.hostdevs }
            else if let q = t.invocation {
                hostdevs = q.0.vfioHosts.map { HostDeviceSpec(type: "pci", mode: "subsystem", managed: false, driverName: "vfio", pciAddress: $0) }
            }
            var running = true
            if let d = t.domain { running = (try? d.0.definition.get())?.id != nil || d.0.statusPid != nil }
            deviceInputs.append(DeviceAudit.DomainInput(name: names[i], uuid: uuids[i], running: running, hostdevs: hostdevs))
        }
        var groupsJSON: [JSONValue] = []
        if haveListing, let root = ListingSysfs.materialize(listed.keys.sorted().map { listed[$0]! }) {
            let result = DeviceAudit.collect(root: HostRoot(root), domains: deviceInputs)
            host.absorb(result.host)
            // A listing shows groups, members and drivers; the kernel command line, the IOMMU
            // units, interrupt remapping and the vfio module parameters are not in it.
            for p in notInListing { host.setUnknown(p, reason: marker + "not in an IOMMU listing (\(p) is read from the host itself)") }
            deviceFacts = result.domains.mapValues { d in
                var d = d
                for p in ["devices.vfSpread", "devices.pfOnHostDriver"] {
                    d.setUnknown(p, reason: marker + "SR-IOV physical/virtual function links are not in an IOMMU listing")
                }
                if let absent = d.tree[path: "devices.absent"]?.arrayValue, !absent.isEmpty {
                    d.setUnknown("devices.absent", reason: marker + "not in the listings given: " + absent.compactMap(\.stringValue).joined(separator: ", "))
                }
                return d
            }
            groupsJSON = result.groups.map(\.json)
            try? FileManager.default.removeItem(atPath: root)
        } else if let deviceRoot = hostRoot, deviceInputs.contains(where: { !$0.hostdevs.isEmpty }) {
            // The caller's host (admission): hostdevs are judged against its IOMMU groups.
            let result = DeviceAudit.collect(root: deviceRoot, domains: deviceInputs)
            host.absorb(result.host)
            deviceFacts = result.domains
            groupsJSON = result.groups.map(\.json)
        }

        let evaluator = Evaluator(policies: auditor.policies, waivers: auditor.waivers, now: now)
        let hostTree = host.facts
        var built: [(facts: FactBuilder, state: String)] = []
        for (i, t) in targets.enumerated() {
            var f: FactBuilder
            var running = true
            var state = "unknown"
            var inv: InventoryDomain?
            if let r = recordTarget.firstIndex(of: i) {
                inv = inventory[r]
                f = inventory[r].facts
                running = inventory[r].record.isActive
                state = inventory[r].record.state ?? "unknown"
            } else {
                f = FactBuilder()
                f.set("domain.name", .string(names[i]))
                f.set("domain.uuid", t.uuid.map { .string($0) } ?? .null)
                for field in InventoryFacts.schema where !field.path.hasPrefix("host.")
                    && field.path != "domain.name" && field.path != "domain.uuid" {
                    f.markUnknown(field.path, reason: noXML)
                }
                f.markUnknown("labels", reason: noXML)
                if t.invocation != nil || !t.samples.isEmpty { state = "running" }
                f.set("domain.running", .bool(true))
                if let q = t.invocation?.0 { commandLineSurface(q, into: &f) }
            }
            processFacts(t, running: running, into: &f)
            if running { f.markUnknown("resources.cgroup", reason: noProcess) }
            // Which daemon manages the qemu, and from which namespace: read from the host.
            f.markUnknown("management", reason: noHost)
            if let (dom, _) = t.domain, case .array(var graphics)? = f.tree[path: "surface.graphics"], !graphics.isEmpty {
                if dom.statusState != nil || dom.statusPid != nil {
                    // libvirt's status file is its secure copy: a display without passwd has none.
                    for i in graphics.indices {
                        if case .object(var g) = graphics[i], g["password"]?.isNull ?? true { g["password"] = .bool(false); graphics[i] = .object(g) }
                    }
                    f.set("surface.graphics", .array(graphics))
                } else {
                    f.markUnknown("surface.graphics", reason: noPasswd)
                }
            }
            if let inv { SecLabelFacts.collect(inv, root: HostRoot("/nonexistent-offline-root"), accounts: Accounts(), into: &f) }
            if inv != nil {
                // A label comparison whose process side the input lacks is offline, not unreadable.
                for (p, process) in [("labels.dac.matchesProcess", "process.uid"), ("labels.selinux.matchesProcess", "process.selinux"),
                                     ("labels.apparmor.matchesProcess", "process.apparmor")]
                    where (f.tree[path: p]?.isNull ?? true) && (f.tree[path: process]?.isNull ?? true) {
                    f.setUnknown(p, reason: FactBuilder.reason(for: process, in: f.facts) ?? (running ? noProcess : inactiveNoProcess))
                }
            }
            if let dev = deviceFacts[uuids[i]] {
                f.absorb(dev)
            } else {
                let hostdevs = deviceInputs[i].hostdevs
                f.set("devices.hostdevCount", .int(hostdevs.count))
                f.set("devices.pciCount", .int(hostdevs.filter { $0.type == "pci" }.count))
                if hostdevs.isEmpty {
                    f.set("devices.hostdevs", .array([]))
                } else {
                    f.markUnknown("devices", reason: noListing)
                }
            }
            // What a scan reads from the host's files about the VM's storage (stat of images,
            // sysfs block devices, KSM) is not in the input.
            for field in StorageHostFacts.schema {
                if field.path.contains("[]") { f.markUnknown(field.path, reason: storageHost) }
                else { f.setUnknown(field.path, reason: storageHost) }
            }
            built.append((f, state))
        }
        // Across the domains given as XML, as a scan does across the host's domains.
        var xmlFacts = recordTarget.map { built[$0].facts }
        Auditor.shareXMLLabels(inventory, &xmlFacts)
        for (k, i) in recordTarget.enumerated() { built[i].facts = xmlFacts[k] }

        var reportTargets: [CheckReport.Target] = []
        for (i, t) in targets.enumerated() {
            let facts = built[i].facts.facts
            let verdict = evaluator.evaluateDomain(name: names[i], uuid: uuids[i], facts: facts, host: hostTree)
            reportTargets.append(target(t, name: names[i], uuid: uuids[i], state: built[i].state, verdict: verdict,
                                        facts: facts, policies: auditor.policies))
        }

        var inputs: [CheckReport.Input] = []
        var warnings: [String] = []
        for (i, d) in detected.enumerated() {
            inputs.append(.init(file: d.name, kind: d.kind, format: d.format,
                                targets: inputTargets[i].map { names[$0] }, ignoredLines: d.ignored))
            if !d.ignored.isEmpty {
                let shown = d.ignored.prefix(5).map { "\($0.line): \($0.text.prefix(60))" }.joined(separator: "; ")
                warnings.append("\(d.name): \(d.format) partly recognised; \(d.ignored.count) line(s) ignored (\(shown)\(d.ignored.count > 5 ? "; …" : ""))")
            }
        }
        var seen: [String: Int] = [:]
        for t in reportTargets { seen[t.uuid, default: 0] += 1 }
        for (uuid, n) in seen.sorted(by: { $0.key < $1.key }) where n > 1 {
            warnings.append("\(n) domain definitions share uuid \(uuid): each is judged on its own")
        }
        return CheckReport(checkedAt: Timestamp.format(now), inputs: inputs, targets: reportTargets, warnings: warnings,
                           rules: auditor.policies.ruleTexts,
                           iommu: haveListing ? .object([
                               "groups": .array(groupsJSON), "listings": .array(listingJSON),
                               "devices": .array(listed.keys.sorted().map { listed[$0]!.json }),
                           ]) : nil)
    }

    // MARK: Facts from command lines and samples

    /// `process.*` and `sandbox.*`: from a command line and process samples where given, else
    /// unknown offline.
    static func processFacts(_ t: Target, running: Bool, into f: inout FactBuilder) {
        let none = running ? noProcess : inactiveNoProcess
        f.markUnknown("process", reason: none)
        f.markUnknown("sandbox", reason: none)
        f.set("process.located", .bool(false))
        guard running else { return }
        let cmdline = t.invocation?.0.arguments ?? t.samples.compactMap(\.0.arguments).first
        if let args = cmdline {
            f.set("process.cmdline", .from(args))
            ProcessProbe.setSandbox(QemuSandbox.parse(arguments: args), &f)
            if let v = t.invocation?.0.qemuVersion { f.set("sandbox.qemuVersion", .string(v)) }
            else { f.markUnknown("sandbox.qemuVersion", reason: marker + "the qemu version is not in the input (a libvirt log's start line carries it)") }
        }
        for (s, file) in t.samples {
            if let pid = s.pid { f.set("process.pid", .int(pid)) }
            if !s.status.isEmpty { StatusExcerpt.facts(s.status, file: file, into: &f) }
            if s.label != nil || s.securityModel == "none" {
                labelFacts(s.label ?? "-", model: s.securityModel, enforcing: s.enforcing, source: s.source, into: &f)
            }
        }
    }

    /// An LSM label as `ps -Z` / `virsh dominfo` print it, through the probe's own fact writer.
    /// `-` (ps) or `Security model: none` (dominfo) is no label; a label that cannot be read
    /// leaves the LSM facts unknown, never "not confined".
    static func labelFacts(_ label: String, model: String?, enforcing: Bool?, source: String, into f: inout FactBuilder) {
        let absent = "\(source) shows no label for this LSM"
        var selinux: ProcAttr.Outcome<SELinuxContext> = .absent(absent)
        var apparmor: ProcAttr.Outcome<AppArmorLabel> = .absent(absent)
        if label == "-" || label.isEmpty || model == "none" {
            // ps prints "-" when no LSM labels the process.
        } else if model == "apparmor" || AppArmorLabel.looksLikeLabel(label) || label.hasPrefix("libvirt-") {
            var text = label
            // dominfo prints the profile and "(enforcing)"/"(permissive)" for the mode.
            if !AppArmorLabel.looksLikeLabel(text), let e = enforcing { text += e ? " (enforce)" : " (complain)" }
            do { apparmor = .label(try AppArmorLabel.parse(text, path: source)) } catch { apparmor = .failed(error) }
        } else {
            do { selinux = .label(try SELinuxContext.parse(label, path: source)) } catch { selinux = .failed(error) }
        }
        ProcessProbe.setLabels(ProcAttr(selinux: selinux, apparmor: apparmor), &f)
    }

    /// `surface.graphics` from `-vnc` / `-spice` when no domain XML is given.
    static func commandLineSurface(_ q: QemuInvocation, into f: inout FactBuilder) {
        f.set("surface.graphics", .array(q.graphics.map { g in
            .object(["type": .string(g.type), "listenType": .from(g.listenType), "listen": .from(g.listen),
                     "nonLoopback": .from(g.nonLoopback)])
        }))
    }

    // MARK: Verdicts

    static func target(_ t: Target, name: String, uuid: String, state: String, verdict: DomainVerdict, facts: JSONValue,
                       policies: PolicySet) -> CheckReport.Target {
        var findings = Auditor.compact(verdict.findings)
        // Offline findings cost nothing: the score is over what the input decides.
        var scored = findings
        for i in scored.indices where isOffline(scored[i]) { scored[i].status = .notApplicable }
        let profile = policies.profiles.first { $0.name == verdict.profile } ?? policies.defaultProfile
        let rules = Dictionary(policies.rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let weights = scored.map { f in rules[f.rule].map { $0.weight(at: profile.severity(for: $0)) } ?? 1 }
        let score = Scoring.score(&scored, weights: weights)
        for i in findings.indices { findings[i].pointsLost = isOffline(findings[i]) ? 0 : scored[i].pointsLost }
        for i in findings.indices {
            findings[i].id = FindingID.make(host: hostId, target: uuid, rule: findings[i].rule, subject: FindingID.subject(of: findings[i]))
        }
        var counts: [String: Int] = [:]
        let out = findings.map { f -> CheckReport.CheckFinding in
            let status = isOffline(f) ? "not-applicable-offline" : f.status.rawValue
            counts[status, default: 0] += 1
            return CheckReport.CheckFinding(finding: f, status: status, location: location(f, t))
        }
        return CheckReport.Target(name: name, uuid: uuid, state: state, profile: verdict.profile, score: score.score,
                                  grade: score.grade, layers: score.layers, counts: counts, sources: t.sources,
                                  facts: facts, findings: out, commandLine: t.invocation.map { $0.0.summary })
    }

    static func isOffline(_ f: Finding) -> Bool {
        f.status == .unknown && (f.reason?.contains(marker) ?? false)
    }

    /// Fact path prefixes and the domain XML element that holds their evidence.
    static let elements: [(prefix: String, elements: [String])] = [
        ("surface.graphics", ["devices/graphics"]),
        ("surface.hostChannels", ["devices/serial", "devices/channel", "devices/console", "devices/parallel"]),
        ("surface.guestAgent", ["devices/channel"]),
        ("surface.shmem", ["devices/shmem"]),
        ("surface.vsock", ["devices/vsock"]),
        ("surface.qemuCommandline", ["commandline"]), ("surface.hasQemuCommandline", ["commandline"]),
        ("surface.", ["devices"]),
        ("devices.", ["devices/hostdev", "devices/interface"]),
        ("storage.", ["devices/disk"]), ("disks.", ["devices/disk"]), ("filesystems.", ["devices/filesystem"]),
        ("memory.", ["memoryBacking", "memory"]), ("network.", ["devices/interface"]),
        ("labels.", ["seclabel"]), ("domain.seclabel", ["seclabel"]), ("domain.securityDisabled", ["seclabel"]),
        ("domain.dacLabel", ["seclabel"]), ("domain.metadata", ["metadata"]), ("domain.emulator", ["devices/emulator"]),
        ("domain.machine", ["os/type"]), ("domain.arch", ["os/type"]),
        ("confidential.", ["launchSecurity"]),
    ]

    /// Fact path prefixes and the qemu options that decide them.
    static let options: [(prefix: String, options: [String])] = [
        ("sandbox.", ["-sandbox"]), ("surface.graphics", ["-vnc", "-spice"]), ("devices.", ["-device"]),
        ("host.iommu", ["-device"]),
    ]

    /// Fact path prefixes and the `/proc/<pid>/status` field that decides them.
    static let statusFields: [(prefix: String, key: String)] = [
        ("process.uid", "Uid"), ("process.gid", "Gid"), ("process.capabilities.effective", "CapEff"),
        ("process.capabilities.permitted", "CapPrm"), ("process.capabilities.bounding", "CapBnd"),
        ("process.capabilities.inheritable", "CapInh"), ("process.capabilities.ambient", "CapAmb"),
        ("process.noNewPrivs", "NoNewPrivs"), ("process.seccomp", "Seccomp"),
    ]

    /// The file and line a finding points at: the XML element of its first observed fact, the
    /// domain element otherwise; the command line or sample for process facts.
    static func location(_ f: Finding, _ t: Target) -> CheckReport.Location? {
        let paths = f.observed.objectValue.map { $0.keys.sorted() } ?? []
        if let (dom, file) = t.domain {
            for p in paths {
                guard let entry = elements.first(where: { p.hasPrefix($0.prefix) }) else { continue }
                for e in entry.elements { if let line = dom.elementLines[e] { return .init(file: file, line: line, element: e) } }
            }
            if paths.contains(where: { $0.hasPrefix("process.") || $0.hasPrefix("sandbox.") }), let (q, qf) = t.invocation {
                return .init(file: qf, line: q.line, element: nil)
            }
            return .init(file: file, line: dom.line, element: "domain")
        }
        for (s, file) in t.samples where !s.statusLines.isEmpty {
            for p in paths {
                guard let key = statusFields.first(where: { p.hasPrefix($0.prefix) })?.key, let line = s.statusLines[key] else { continue }
                return .init(file: file, line: line, element: key)
            }
        }
        if let (q, file) = t.invocation {
            for p in paths {
                guard let entry = options.first(where: { p.hasPrefix($0.prefix) }) else { continue }
                return .init(file: file, line: q.line(of: entry.options), element: entry.options.first)
            }
            return .init(file: file, line: q.line, element: nil)
        }
        if let (s, file) = t.samples.first { return .init(file: file, line: s.line, element: nil) }
        return nil
    }
}
