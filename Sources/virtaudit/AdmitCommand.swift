import ArgumentParser
import Audit
import Core
import Foundation
import Synchronization
import History
import Reporting
import Service

extension AdmissionMode: ExpressibleByArgument {}

/// `virtaudit admit NAME OPERATION SUBOP EXTRA`: libvirt's qemu hook. Judges the domain XML on
/// standard input at `prepare begin`, `migrate begin` and `restore begin`; exits 0
/// untouched at every other operation (a failing hook at `reconnect` kills running guests). Never
/// calls libvirt (the daemon waits for the hook).
struct AdmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admit",
        abstract: "Admission control for libvirt's qemu hook: refuse to start a VM whose definition fails policy.",
        discussion: """
            Install as /etc/libvirt/hooks/qemu.d/50-virtaudit (libvirt 6.5+): \
            `exec /usr/local/bin/virtaudit admit --mode enforce "$@"` (scripts/install --admission). \
            Modes: enforce (a denying rule makes the hook exit 1 and libvirt refuses the start, one \
            line per rule on stderr), warn (admit, record, alert), dryrun (admit, record). Denying: \
            failing (or decidably unknown) rules of admission.deny_severities (default critical) not \
            waived for the VM. A bad policy file, bad input, a crash or the time budget \
            (admission.timeout_ms, default 800) follow admission.failure_policy (fail-open by \
            default). Every decision is recorded in the history database of data_dir. See Docs/admission.md.
            """)

    static let defaultConfig = "/etc/virtaudit/virtaudit.yaml"

    @Option(help: "enforce, warn or dryrun (default: the configuration's admission.mode, else warn).")
    var mode: AdmissionMode?

    @Option(help: ArgumentHelp("Policies directory (default: the configuration's policies).", valueName: "dir"))
    var policies: String?

    @Option(help: ArgumentHelp("Waivers file (default: the configuration's waivers).", valueName: "file"))
    var waivers: String?

    @Option(help: ArgumentHelp("Service configuration (default \(defaultConfig) when present).", valueName: "file"))
    var config: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Override the data directory (history database).", valueName: "dir"))
    var dataDir: String?

    @Argument(help: "Domain name (libvirt passes it).")
    var name: String
    @Argument(help: "Operation: prepare, start, migrate, restore, reconnect, ...")
    var operation: String
    @Argument(help: "Sub-operation: begin, end, ...")
    var subOperation: String
    @Argument(help: "Extra argument (libvirt passes -).")
    var extra: String = "-"

    func run() throws {
        let started = DispatchTime.now()
        let call = HookCall(name: name, operation: operation, subOperation: subOperation, extra: extra)
        // libvirt writes the XML to our stdin at every operation; read it so that it never sees EPIPE.
        let input: [UInt8] = isatty(0) == 0 ? Array(FileHandle.standardInput.readDataToEndOfFile()) : []
        guard call.role != .passThrough else { throw ExitCode.success }

        // The configuration: a broken one leaves the defaults (fail-open) and is a failure.
        var cfg = ServiceConfig.default
        var failure: String?
        let configPath = config ?? (FileManager.default.fileExists(atPath: Self.defaultConfig) ? Self.defaultConfig : nil)
        if let configPath {
            do { cfg = try ServiceConfig.load(path: configPath) } catch { failure = "\(error)" }
        }
        let settings = Self.settings(cfg.admission, mode: mode)
        AdmitCrash.install(exitCode: settings.failurePolicy == .failOpen ? 0 : 1)

        var verdict: Admission.Verdict?
        if failure == nil {
            let policiesDir = policies ?? cfg.policiesDir
            let waiversPath = waivers ?? cfg.waiversFile
            let root = HostRoot(cfg.root)
            let box = AdmitResult()
            let done = DispatchSemaphore(value: 0)
            let xml = input
            let thread = Thread {
                do {
                    let auditor = try Auditor(settings: ScanSettings(uri: "admission", root: root, policiesDirectory: policiesDir,
                                                                     waiversPath: waiversPath))
                    let v = try Admission.judge(xml: xml, auditor: auditor, settings: settings, host: Admission.hostFacts(root: root),
                                                 hostRoot: root)
                    box.set(.success(v))
                } catch {
                    box.set(.failure("\(error)"))
                }
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
            if done.wait(timeout: started + .milliseconds(settings.timeoutMs)) == .timedOut {
                failure = Admission.Failure.timeout(settings.timeoutMs).description
            } else {
                switch box.get() {
                case .success(let v)?: verdict = v
                case .failure(let m)?: failure = m
                case nil: failure = "no decision"
                }
            }
        }
        let decisionMs = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6

        let outcome = verdict.map { Admission.outcome($0, mode: settings.mode) } ?? Admission.outcome(failure: settings.failurePolicy)
        let what = "\(call.operation) \(call.subOperation)"
        if let failure {
            let action = outcome.admitted ? "admitting (failure_policy fail-open)" : "refusing (failure_policy fail-closed)"
            Self.say("virtaudit admit: \(name): \(what): no decision, \(action): \(failure)")
        } else if let verdict, !verdict.denials.isEmpty {
            let head = outcome == .deny ? "refused by policy" : "\(settings.mode.rawValue) mode, admitted despite"
            Self.say("virtaudit admit: \(verdict.name): \(what) \(head) (\(verdict.denials.count) rule(s)):")
            for d in verdict.denials { Self.say("  \(d.line)") }
        }

        let record = AdmissionRecord(
            at: Timestamp.format(Date()), hostname: ProcessInfo.processInfo.hostName, actor: Self.actor(),
            domain: verdict?.name ?? name, uuid: verdict?.uuid ?? Self.uuid(in: input), operation: what,
            mode: settings.mode.rawValue, decision: outcome.rawValue,
            rules: .array((verdict?.denials ?? []).map { (try? JSONValue(encoding: $0)) ?? .null }),
            waived: verdict?.waived ?? [], failure: failure, durationMs: (decisionMs * 100).rounded() / 100)
        Self.persist(record, config: cfg, dataDir: dataDir ?? cfg.dataDir)

        guard outcome.admitted else { throw ExitCode.failure }
        if call.role == .filter { FileHandle.standardOutput.write(Data(input)) }
    }

    static func settings(_ o: ServiceConfig.AdmissionOptions, mode: AdmissionMode?) -> AdmissionSettings {
        AdmissionSettings(mode: mode ?? o.mode,
                          denySeverities: Set(o.denySeverities),
                          failurePolicy: o.failurePolicy,
                          timeoutMs: o.timeoutMs)
    }

    /// Appends the decision to the history database and queues its alert for the configured
    /// sinks (delivered by the service when it runs). Failures here never change the decision.
    static func persist(_ record: AdmissionRecord, config: ServiceConfig, dataDir: String) {
        do {
            let store = try HistoryStore(directory: dataDir)
            try store.recordAdmission(record)
            if let alert = AlertEngine.admission(record) {
                var sinks: [String] = []
                if config.alerts.webhookURL != nil { sinks.append("webhook") }
                if config.alerts.command != nil { sinks.append("command") }
                for sink in sinks {
                    try store.enqueueAlert(key: alert.key, sink: sink, payload: alert.payload,
                                           ttl: TimeInterval(config.alerts.expireHours * 3600))
                }
            }
            handOver(store.path, toOwnerOf: dataDir)
        } catch {
            say("virtaudit admit: decision \(record.decision) for \(record.domain) not recorded: \(error)")
        }
    }

    /// The hook runs as root; the service may run as its own user: database files the hook
    /// created belong to the data directory's owner.
    static func handOver(_ db: String, toOwnerOf dir: String) {
        guard getuid() == 0 else { return }
        var st = stat()
        guard stat(dir, &st) == 0, st.st_uid != 0 else { return }
        for f in [db, db + "-wal", db + "-shm"] { _ = chown(f, st.st_uid, st.st_gid) }
    }

    /// Who ran the hook: the parent's command name and pid (libvirtd / virtqemud) and our uid.
    static func actor() -> String {
        let ppid = getppid()
        let comm = (try? String(contentsOfFile: "/proc/\(ppid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        return "\(comm)[\(ppid)] uid \(getuid())"
    }

    /// The `<uuid>` of an XML the pipeline could not judge, for the record.
    static func uuid(in xml: [UInt8]) -> String? {
        guard let text = String(bytes: xml.prefix(65_536), encoding: .utf8),
              let open = text.range(of: "<uuid>"), let close = text.range(of: "</uuid>", range: open.upperBound..<text.endIndex)
        else { return nil }
        return String(text[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespaces)
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// The evaluation thread's result.
private final class AdmitResult: Sendable {
    enum Value: Sendable { case success(Admission.Verdict), failure(String) }
    private let value = Mutex<Value?>(nil)
    func set(_ v: Value) { value.withLock { $0 = v } }
    func get() -> Value? { value.withLock { $0 } }
}

/// A crash inside the hook (a trap, a bad access) follows the failure policy instead of
/// libvirt's reading of a signal death (refusal): the handler writes one line and exits.
enum AdmitCrash {
    nonisolated(unsafe) static var exitCode: Int32 = 0

    static func install(exitCode code: Int32) {
        exitCode = code
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            signal(sig) { _ in
                let m: StaticString = "virtaudit admit: crashed; failure_policy applied\n"
                _ = write(2, m.utf8Start, m.utf8CodeUnitCount)
                _exit(AdmitCrash.exitCode)
            }
        }
    }
}
