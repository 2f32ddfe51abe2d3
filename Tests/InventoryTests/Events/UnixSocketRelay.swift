import Foundation
import Glibc

/// A Unix-socket relay in front of libvirtd's socket, so a test can make "libvirtd" vanish
/// (`cut()`: every relayed connection is closed and the listening socket removed) or hang
/// (`freeze()`: bytes stop flowing, sockets stay open) without touching the real daemon.
/// Clients reach it as `qemu+unix:///system?socket=<path>`.
final class UnixSocketRelay: @unchecked Sendable {
    let path: String
    let target: String

    private let lock = NSLock()
    private var listenFD: Int32 = -1
    private var pairs: [(Int32, Int32)] = []
    private var frozen = false
    private var running = false
    private var thread: Thread?
    private let stopped = DispatchSemaphore(value: 0)

    init(path: String, target: String) {
        self.path = path
        self.target = target
    }

    var uri: String { "qemu+unix:///system?socket=" + path }

    /// Number of client connections currently relayed.
    var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return pairs.count
    }

    func start() throws {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var addr = Self.address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, listen(fd, 16) == 0 else {
            let e = errno
            close(fd)
            throw POSIXError(.init(rawValue: e) ?? .EIO)
        }
        lock.lock()
        listenFD = fd
        frozen = false
        running = true
        lock.unlock()
        let t = Thread { [self] in loop() }
        t.name = "test-relay"
        t.start()
    }

    /// Stops relaying without closing anything: the peer sees a hung daemon.
    func freeze() {
        lock.lock()
        frozen = true
        lock.unlock()
    }

    /// Closes the listening socket and every relayed connection: the peer sees EOF.
    func cut() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        if wasRunning { stopped.wait() }
        lock.lock()
        if listenFD >= 0 { close(listenFD) }
        listenFD = -1
        for (a, b) in pairs { close(a); close(b) }
        pairs = []
        lock.unlock()
        unlink(path)
    }

    private static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    private func connectTarget() -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = Self.address(target)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 { close(fd); return -1 }
        return fd
    }

    private func loop() {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            lock.lock()
            if !running { lock.unlock(); break }
            let lfd = listenFD
            let isFrozen = frozen
            let current = pairs
            lock.unlock()

            var fds = [pollfd(fd: lfd, events: Int16(POLLIN), revents: 0)]
            if !isFrozen {
                for (a, b) in current {
                    fds.append(pollfd(fd: a, events: Int16(POLLIN), revents: 0))
                    fds.append(pollfd(fd: b, events: Int16(POLLIN), revents: 0))
                }
            }
            let n = poll(&fds, nfds_t(fds.count), 50)
            if n <= 0 { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let client = accept(lfd, nil, nil)
                if client >= 0 {
                    let upstream = connectTarget()
                    lock.lock()
                    if upstream >= 0 { pairs.append((client, upstream)) } else { close(client) }
                    lock.unlock()
                }
            }
            if isFrozen { continue }
            var dead: Set<Int32> = []
            for (i, pfd) in fds.enumerated().dropFirst() where pfd.revents != 0 {
                let pair = current[(i - 1) / 2]
                let (from, to) = (i % 2 == 1) ? (pair.0, pair.1) : (pair.1, pair.0)
                let r = read(from, &buf, buf.count)
                if r <= 0 { dead.insert(pair.0); continue }
                var off = 0
                while off < r {
                    let w = buf.withUnsafeBytes { write(to, $0.baseAddress! + off, r - off) }
                    if w <= 0 { dead.insert(pair.0); break }
                    off += w
                }
            }
            if !dead.isEmpty {
                lock.lock()
                pairs.removeAll { p in
                    if dead.contains(p.0) { close(p.0); close(p.1); return true }
                    return false
                }
                lock.unlock()
            }
        }
        stopped.signal()
    }
}
