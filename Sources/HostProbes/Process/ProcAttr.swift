import CSELinux
import Core
import Glibc

/// `/proc/<pid>/attr/current` and `/proc/<pid>/attr/apparmor/current`: the LSM labels of a
/// process. `attr/current` holds the major LSM's label (SELinux's context, or AppArmor's on
/// kernels without the per-LSM directory); `attr/apparmor/current` is AppArmor's own (Linux 5.1+).
/// With no LSM providing the attribute the kernel answers EINVAL.
public struct ProcAttr: Sendable, Hashable {
    /// What one LSM says about the process.
    public enum Outcome<Label: Sendable & Hashable>: Sendable, Hashable {
        /// The process carries this label.
        case label(Label)
        /// This LSM does not label the process (not loaded, or another LSM owns the attribute).
        case absent(String)
        /// The attribute could not be read or parsed.
        case failed(ProbeError)
    }

    public var selinux: Outcome<SELinuxContext>
    public var apparmor: Outcome<AppArmorLabel>

    public init(selinux: Outcome<SELinuxContext>, apparmor: Outcome<AppArmorLabel>) {
        self.selinux = selinux
        self.apparmor = apparmor
    }

    /// The errors of the reads, for telling a vanished process from an unreadable file.
    public var readErrors: [ProbeError] {
        var out: [ProbeError] = []
        if case .failed(let e) = selinux { out.append(e) }
        if case .failed(let e) = apparmor { out.append(e) }
        return out
    }

    public static func currentPath(pid: Int, root: HostRoot) -> String { root.proc("\(pid)/attr/current") }
    public static func apparmorPath(pid: Int, root: HostRoot) -> String { root.proc("\(pid)/attr/apparmor/current") }

    /// Reads the labels. On the live root with SELinux enabled, the context comes from
    /// libselinux `getpidcon`; otherwise (and always under a fixture root) from `attr/current`.
    public static func read(pid: Int, root: HostRoot, reader: ProcReader = .live) -> ProcAttr {
        let currentPath = currentPath(pid: pid, root: root)
        var current: Result<String, ProbeError>? = nil
        var fromLibrary: Result<String, ProbeError>? = nil
        if root.isLive && is_selinux_enabled() == 1 {
            fromLibrary = getpidcon(pid: pid, path: currentPath)
        } else {
            current = Result(probing: { () throws(ProbeError) -> String in try reader.readString(currentPath) })
        }
        let aaPath = apparmorPath(pid: pid, root: root)
        let apparmor = Result(probing: { () throws(ProbeError) -> String in try reader.readString(aaPath) })
        return resolve(current: current, selinuxLibrary: fromLibrary, apparmorCurrent: apparmor,
                       currentPath: currentPath, apparmorPath: aaPath)
    }

    static func getpidcon(pid: Int, path: String) -> Result<String, ProbeError> {
        var con: UnsafeMutablePointer<CChar>? = nil
        if CSELinux.getpidcon(pid_t(pid), &con) < 0 || con == nil {
            return .failure(ProbeError.from(errno: errno, path: path))
        }
        defer { freecon(con) }
        return .success(String(cString: con!))
    }

    /// Decides both outcomes from what was read; pure, so tests feed it every combination.
    /// - current: `attr/current` (nil when the SELinux library was asked instead).
    /// - selinuxLibrary: `getpidcon`'s answer, when it was asked.
    /// - apparmorCurrent: `attr/apparmor/current`.
    public static func resolve(current: Result<String, ProbeError>?, selinuxLibrary: Result<String, ProbeError>?,
                               apparmorCurrent: Result<String, ProbeError>,
                               currentPath: String = "attr/current",
                               apparmorPath: String = "attr/apparmor/current") -> ProcAttr {
        let currentText = current.map { r in r.map { $0.trimmingWhitespace() } }

        // SELinux.
        let selinux: Outcome<SELinuxContext>
        if let lib = selinuxLibrary {
            switch lib {
            case .success(let text):
                do { selinux = .label(try SELinuxContext.parse(text, path: currentPath)) } catch { selinux = .failed(error) }
            case .failure(let e):
                selinux = .failed(e)
            }
        } else {
            switch currentText {
            case .success(let text)?:
                if text.isEmpty {
                    selinux = .absent("\(currentPath) is empty: no LSM labels this process")
                } else if AppArmorLabel.looksLikeLabel(text) {
                    selinux = .absent("SELinux does not label this process: \(currentPath) holds the AppArmor label '\(text)'")
                } else if SELinuxContext.looksLikeContext(text) {
                    do { selinux = .label(try SELinuxContext.parse(text, path: currentPath)) } catch { selinux = .failed(error) }
                } else {
                    selinux = .absent("SELinux does not label this process: \(currentPath) holds '\(text)'")
                }
            case .failure(let e)?:
                switch e {
                case .invalidArgument, .notFound: selinux = .absent(e.description)
                default: selinux = .failed(e)
                }
            case nil:
                selinux = .absent("\(currentPath) was not read")
            }
        }

        // AppArmor.
        let apparmor: Outcome<AppArmorLabel>
        switch apparmorCurrent {
        case .success(let raw):
            let text = raw.trimmingWhitespace()
            do { apparmor = .label(try AppArmorLabel.parse(text, path: apparmorPath)) } catch { apparmor = .failed(error) }
        case .failure(let e):
            switch e {
            case .notFound:
                // Kernels before 5.1 have no per-LSM directory: AppArmor, when it is the major
                // LSM, labels attr/current.
                if case .success(let text)? = currentText, AppArmorLabel.looksLikeLabel(text) {
                    do { apparmor = .label(try AppArmorLabel.parse(text, path: currentPath)) } catch { apparmor = .failed(error) }
                } else {
                    apparmor = .absent("AppArmor does not label this process: \(e)")
                }
            case .invalidArgument:
                apparmor = .absent("AppArmor does not label this process: \(e)")
            default:
                apparmor = .failed(e)
            }
        }
        return ProcAttr(selinux: selinux, apparmor: apparmor)
    }
}

extension Result where Failure == ProbeError {
    init(probing body: () throws(ProbeError) -> Success) {
        do { self = .success(try body()) } catch { self = .failure(error) }
    }
}
