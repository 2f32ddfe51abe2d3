@testable import HostProbes
import XCTest

/// Container runtimes' cgroup paths name the container and the pod.
final class ContainerContextTests: XCTestCase {
    static let id = "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a"

    func testRuntimesAndPodsFromCgroupPaths() {
        let id = Self.id
        let cases: [(String, ContainerContext?)] = [
            ("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod5f0b7a2c_93d1_4e8a_b6c4_2a9e1f7d3c50.slice/cri-containerd-\(id).scope",
             ContainerContext(runtime: "containerd", containerID: id, podUID: "5f0b7a2c-93d1-4e8a-b6c4-2a9e1f7d3c50")),
            ("/kubepods/burstable/pod5f0b7a2c-93d1-4e8a-b6c4-2a9e1f7d3c50/\(id)",
             ContainerContext(runtime: "kubernetes", containerID: id, podUID: "5f0b7a2c-93d1-4e8a-b6c4-2a9e1f7d3c50")),
            ("/kubepods.slice/kubepods-pod5f0b7a2c_93d1_4e8a_b6c4_2a9e1f7d3c50.slice/crio-\(id).scope",
             ContainerContext(runtime: "cri-o", containerID: id, podUID: "5f0b7a2c-93d1-4e8a-b6c4-2a9e1f7d3c50")),
            ("/system.slice/docker-\(id).scope", ContainerContext(runtime: "docker", containerID: id, podUID: nil)),
            ("/docker/\(id)", ContainerContext(runtime: "docker", containerID: id, podUID: nil)),
            ("/machine.slice/libpod-\(id).scope/container", ContainerContext(runtime: "podman", containerID: id, podUID: nil)),
            ("/machine.slice/machine-qemu\\x2d1\\x2dva.scope/libvirt/emulator", nil),
            ("/machine/qemu-1-va-confined.libvirt-qemu/emulator", nil),
            ("/qemu.slice/100.scope", nil),
            ("/", nil),
            ("/system.slice/docker-notanid.scope", nil),
        ]
        for (path, want) in cases { XCTAssertEqual(ContainerContext.parse(cgroupPath: path), want, path) }
    }
}
