import Core

/// The container or Kubernetes pod a process runs in, as its cgroup path (`/proc/<pid>/cgroup`)
/// shows it. Container runtimes name their cgroups after the container id:
///
/// - systemd driver: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope`
///   (`crio-<id>.scope` with CRI-O, `docker-<id>.scope`; the pod uid with `_` for `-`),
///   `/system.slice/docker-<id>.scope`, `/machine.slice/libpod-<id>.scope` (podman);
/// - cgroupfs driver: `/kubepods/burstable/pod<uid>/<id>`, `/docker/<id>`.
///
/// A path that names none of these gives nil: the process is not in a container the cgroup tree
/// can show (which does not prove it is not in one).
public struct ContainerContext: Sendable, Hashable {
    /// `docker`, `containerd`, `cri-o`, `podman`, or `kubernetes` when only the pod is named.
    public var runtime: String
    /// The container id (64 hex digits), when the path names one.
    public var containerID: String?
    /// The Kubernetes pod uid (with dashes), when the path is under `kubepods`.
    public var podUID: String?

    public static func parse(cgroupPath path: String) -> ContainerContext? {
        var runtime: String?
        var container: String?
        var pod: String?
        var kube = false
        for raw in path.split(separator: "/") {
            let c = String(raw)
            if c.hasPrefix("kubepods") { kube = true }
            if let uid = podUID(in: c) { pod = uid }
            for (prefix, name) in scopePrefixes where c.hasPrefix(prefix) && c.hasSuffix(".scope") {
                let id = String(c.dropFirst(prefix.count).dropLast(".scope".count))
                if isContainerID(id) { container = id; runtime = name }
            }
            if isContainerID(c) { container = c }
        }
        if let container, runtime == nil {
            runtime = kube ? "kubernetes" : (path.contains("/docker/") ? "docker" : "unknown")
            return ContainerContext(runtime: runtime!, containerID: container, podUID: pod)
        }
        if let runtime { return ContainerContext(runtime: runtime, containerID: container, podUID: pod) }
        if kube, pod != nil { return ContainerContext(runtime: "kubernetes", containerID: nil, podUID: pod) }
        return nil
    }

    static let scopePrefixes: [(String, String)] = [
        ("cri-containerd-", "containerd"), ("crio-", "cri-o"), ("docker-", "docker"), ("libpod-", "podman"),
    ]

    /// `pod<uid>` (cgroupfs) or `kubepods-<qos>-pod<uid>.slice` / `kubepods-pod<uid>.slice` (systemd,
    /// with `_` for `-`).
    static func podUID(in component: String) -> String? {
        var c = Substring(component)
        if c.hasSuffix(".slice") { c = c.dropLast(".slice".count) }
        var start: Substring.Index?
        if c.hasPrefix("pod") { start = c.index(c.startIndex, offsetBy: 3) }
        else if let dash = c.lastIndex(of: "-"), c[dash...].hasPrefix("-pod") { start = c.index(dash, offsetBy: 4) }
        guard let start else { return nil }
        let uid = String(c[start...].map { $0 == "_" ? "-" : $0 })
        let hex = uid.filter { $0 != "-" }
        guard uid.count == 36, hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        return uid.lowercased()
    }

    static func isContainerID(_ s: String) -> Bool {
        s.utf8.count == 64 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    public var json: JSONValue {
        .object(["runtime": .string(runtime), "containerId": .from(containerID), "podUid": .from(podUID)])
    }
}
