import Core

/// `/sys/devices/system/cpu/smt/control` and `.../smt/active`: whether simultaneous multithreading
/// (hyper-threading) is allowed and whether sibling threads are actually online.
/// control is one of `on`, `off`, `forceoff` (nosmt=force), `notsupported` (the CPU has none),
/// `notimplemented` (the architecture cannot control it), or on newer kernels a thread count.
public struct SMTControl: Sendable, Hashable {
    public static let controlPath = "/sys/devices/system/cpu/smt/control"
    public static let activePath = "/sys/devices/system/cpu/smt/active"
    public static let controls: Set<String> = ["on", "off", "forceoff", "notsupported", "notimplemented"]

    public var control: String
    /// Sibling threads are online; nil when the file is absent.
    public var active: Bool?

    public init(control: String, active: Bool?) {
        self.control = control
        self.active = active
    }

    public static func read(root: HostRoot) throws(ProbeError) -> SMTControl {
        let c = root.path(controlPath), a = root.path(activePath)
        let control = try parseControl(try FileReader.readAttribute(c), path: c)
        let active = try FileReader.readOptional(a).map { (t: String) throws(ProbeError) -> Bool in
            try parseActive(t, path: a)
        }
        return SMTControl(control: control, active: active)
    }

    public static func parseControl(_ text: String, path: String = controlPath) throws(ProbeError) -> String {
        let t = text.trimmingWhitespace()
        // Kernels with CONFIG_SMT_NUM_THREADS_DYNAMIC (powerpc) may print a thread count.
        if controls.contains(t) || (!t.isEmpty && t.count <= 3 && t.allSatisfy(\.isNumber)) { return t }
        throw ProbeError.parse(path: path, reason: "expected one of on, off, forceoff, notsupported, notimplemented")
    }

    public static func parseActive(_ text: String, path: String = activePath) throws(ProbeError) -> Bool {
        switch text.trimmingWhitespace() {
        case "1": return true
        case "0": return false
        default: throw ProbeError.parse(path: path, reason: "expected 0 or 1")
        }
    }

    /// Records `host.cpu.smt.*`.
    public func record(into facts: inout FactBuilder) {
        facts.set("host.cpu.smt.control", .string(control))
        if let active {
            facts.set("host.cpu.smt.active", .bool(active))
        } else {
            facts.setUnknown("host.cpu.smt.active", reason: "\(SMTControl.activePath): no such file")
        }
    }
}
