import Glibc
import Synchronization

/// The single thread that owns every socket: it accepts, reads and parses, enforces the
/// timeouts, hands complete requests to the workers and writes their responses back.
///
/// Level-triggered epoll. Workers never touch a socket: they post a `Completion` and poke an
/// eventfd. Each connection has at most one request with a worker; pipelined requests wait in
/// its parser and are answered in order.
final class EventLoop: @unchecked Sendable {
    private let config: HTTPServerConfig
    private let limits: HTTPParserLimits
    private let pool: WorkerPool
    private let log: (@Sendable (HTTPRequestLog) -> Void)?
    private let epfd: Int32
    private let wakeFD: Int32
    private var listenFD: Int32
    /// Kept open to be closed when accept fails with EMFILE, so the pending connection can be
    /// accepted and closed instead of spinning.
    private var reserveFD: Int32

    // Shared with other threads.
    private let completions = Mutex<[Completion]>([])
    private let stopRequest = Mutex<Bool?>(nil)   // nil: run; true: graceful; false: immediate
    private let stopping = Atomic<Bool>(false)

    // Loop thread only.
    private var connections: [Int32: Connection] = [:]
    private var rejectedCount = 0
    private var nextSerial: UInt64 = 0
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var shutdownDeadline = Double.infinity
    private var nextSweep = 0.0
    private let tick: Double
    private let maxRejecting: Int
    private static let maxPendingOut = 256 * 1024
    private static let lingerSeconds = 2.0
    private static let stopLingerSeconds = 0.2

    init(config: HTTPServerConfig, listenFD: Int32, pool: WorkerPool,
         log: (@Sendable (HTTPRequestLog) -> Void)?) throws(HTTPServerError) {
        self.config = config
        self.limits = config.parserLimits
        self.pool = pool
        self.log = log
        self.listenFD = listenFD
        let shortest = min(config.headerTimeout, config.idleTimeout, config.bodyTimeout, config.writeTimeout)
        self.tick = max(0.01, min(0.25, shortest / 4))
        self.maxRejecting = max(16, config.maxConnections / 8)
        epfd = LinuxEvents.create()
        if epfd < 0 { throw .socket(call: "epoll_create1", errno: errno) }
        wakeFD = LinuxEvents.eventFD()
        if wakeFD < 0 { let e = errno; close(epfd); throw .socket(call: "eventfd", errno: e) }
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        add(listenFD, events: LinuxEvents.IN)
        add(wakeFD, events: LinuxEvents.IN)
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    // MARK: other threads

    func complete(_ c: Completion) {
        // Only the completion that makes the list non-empty needs to wake the loop: the loop
        // takes the whole list after it reads the eventfd.
        let wasEmpty = completions.withLock { list -> Bool in
            let empty = list.isEmpty
            list.append(c)
            return empty
        }
        if wasEmpty { wake() }
    }

    func requestStop(graceful: Bool) {
        stopRequest.withLock { current in
            // An immediate stop overrides a graceful one.
            if current == nil || !graceful { current = graceful }
        }
        stopping.store(true, ordering: .releasing)
        wake()
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: loop

    func run() {
        var events = LinuxEvents.EventBuffer(capacity: 256)
        while true {
            let timeoutMS = Int32(tick * 1000)
            let n = LinuxEvents.wait(epfd, &events, timeoutMS: timeoutMS)
            if n < 0 && errno != EINTR { break }
            for i in 0..<max(0, Int(n)) {
                let ev = events.event(i)
                let fd = ev.fd
                if fd == listenFD && listenFD >= 0 { acceptAll(); continue }
                if fd == wakeFD { drainWake(); continue }
                guard let conn = connections[fd] else { continue }
                if ev.events & (LinuxEvents.HUP | LinuxEvents.ERR) != 0 && !conn.lingering {
                    // Both directions are gone (or reset): nobody can read a response.
                    closeConnection(conn)
                    continue
                }
                if ev.events & (LinuxEvents.IN | LinuxEvents.HUP | LinuxEvents.ERR) != 0 {
                    readable(conn)
                }
                if ev.events & LinuxEvents.OUT != 0, connections[fd] === conn { flush(conn) }
            }
            handleCompletions()
            if let graceful = stopRequest.withLock({ $0 }), listenFD >= 0 || !graceful {
                beginStop(graceful: graceful)
                if !graceful { break }
            }
            let now = Socket.now()
            if now >= nextSweep {
                sweep(now)
                nextSweep = now + tick
            }
            if listenFD < 0 && (connections.isEmpty || now >= shutdownDeadline) { break }
        }
        for conn in Array(connections.values) { closeConnection(conn) }
        if listenFD >= 0 { close(listenFD); listenFD = -1 }
        close(wakeFD)
        close(epfd)
        if reserveFD >= 0 { close(reserveFD) }
    }

    private func beginStop(graceful: Bool) {
        if listenFD >= 0 {
            _ = LinuxEvents.control(epfd, LinuxEvents.CTL_DEL, listenFD, events: 0)
            close(listenFD)
            listenFD = -1
            shutdownDeadline = Socket.now() + config.shutdownTimeout
        }
        if !graceful { return }
        // Lingering connections already have their response; do not wait long for their peers.
        let soon = Socket.now() + EventLoop.stopLingerSeconds
        for conn in connections.values where conn.lingering { conn.deadline = min(conn.deadline, soon) }
        // Idle and half-received connections go now; those with a request at a worker or a
        // response being written finish first (their response says Connection: close).
        for conn in Array(connections.values) where !conn.inFlight && conn.pendingOut == 0 && !conn.lingering {
            closeConnection(conn)
        }
    }

    private func drainWake() {
        var v: UInt64 = 0
        _ = read(wakeFD, &v, 8)
    }

    private func handleCompletions() {
        let done = completions.withLock { list -> [Completion] in
            let l = list
            list.removeAll(keepingCapacity: true)
            return l
        }
        for c in done {
            guard let conn = connections[c.fd], conn.serial == c.serial, conn.inFlight else { continue }
            conn.inFlight = false
            conn.sentContinue = false
            conn.served += 1
            conn.lastPhase = nil
            if !c.keepAlive || listenFD < 0 { conn.closeAfterWrite = true }
            queue(conn, c.bytes)
            flush(conn)
        }
    }

    // MARK: accepting

    private func acceptAll() {
        for _ in 0..<256 {
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    LinuxEvents.accept(listenFD, $0, &len)
                }
            }
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE:
                    // Out of descriptors: drop one pending connection rather than spin.
                    if reserveFD >= 0 {
                        close(reserveFD)
                        let victim = accept(listenFD, nil, nil)
                        if victim >= 0 { close(victim) }
                        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
                    }
                    return
                default: return
                }
            }
            let remote = Socket.address(storage).host
            let now = Socket.now()
            nextSerial += 1
            if connections.count - rejectedCount >= config.maxConnections {
                guard rejectedCount < maxRejecting else { close(fd); continue }
                let conn = Connection(fd: fd, serial: nextSerial, remote: remote, limits: limits, now: now, rejected: true)
                connections[fd] = conn
                rejectedCount += 1
                add(fd, events: 0)
                logLine(method: "-", path: "-", status: 503, bytes: 0, remote: remote)
                sendError(conn, status: 503, message: "too many connections")
                continue
            }
            Socket.setNoDelay(fd)
            let conn = Connection(fd: fd, serial: nextSerial, remote: remote, limits: limits, now: now)
            connections[fd] = conn
            add(fd, events: LinuxEvents.IN)
            conn.interest = LinuxEvents.IN
            updateDeadline(conn, now: now)
        }
    }

    // MARK: reading and parsing

    private func readable(_ conn: Connection) {
        let n = readBuffer.withUnsafeMutableBytes { recv(conn.fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return }
            closeConnection(conn)
            return
        }
        if conn.lingering {
            if n == 0 { closeConnection(conn) }
            return
        }
        if n == 0 {
            conn.peerClosed = true
            if conn.inFlight || conn.pendingOut > 0 {
                conn.closeAfterWrite = true
                updateInterest(conn)
            } else {
                closeConnection(conn)
            }
            return
        }
        conn.parser.append(readBuffer[0..<n])
        process(conn)
    }

    /// Parses the next request if the connection may start one, and dispatches it.
    private func process(_ conn: Connection) {
        guard connections[conn.fd] === conn else { return }
        if !conn.inFlight && !conn.closeAfterWrite && !conn.lingering && conn.pendingOut < EventLoop.maxPendingOut {
            do {
                if let parsed = try conn.parser.next() {
                    dispatch(conn, parsed)
                } else if conn.parser.expectsContinue && !conn.sentContinue {
                    conn.sentContinue = true
                    queue(conn, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                    flush(conn)
                    return
                }
            } catch {
                logLine(method: "-", path: "-", status: error.status, bytes: 0, remote: conn.remote)
                sendError(conn, status: error.status, message: error.message)
                return
            }
        }
        guard connections[conn.fd] === conn else { return }
        updateDeadline(conn, now: Socket.now())
        updateInterest(conn)
    }

    private func dispatch(_ conn: Connection, _ parsed: ParsedRequest) {
        conn.inFlight = true
        conn.lastPhase = nil
        var parsed = parsed
        if listenFD < 0 { parsed.keepAlive = false }
        pool.submit(WorkItem(fd: conn.fd, serial: conn.serial, parsed: parsed, received: Socket.now()))
    }

    // MARK: writing

    private func queue(_ conn: Connection, _ bytes: [UInt8]) {
        if conn.outOffset == conn.out.count {
            conn.out = bytes
            conn.outOffset = 0
        } else {
            conn.out.append(contentsOf: bytes)
        }
    }

    private func sendError(_ conn: Connection, status: Int, message: String) {
        conn.closeAfterWrite = true
        queue(conn, ResponseSerializer.errorBytes(status: status, message: message))
        flush(conn)
    }

    private func flush(_ conn: Connection) {
        guard connections[conn.fd] === conn else { return }
        while conn.outOffset < conn.out.count {
            let n = conn.out.withUnsafeBytes { buf in
                send(conn.fd, buf.baseAddress! + conn.outOffset, buf.count - conn.outOffset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                conn.outOffset += n
                conn.lastWrite = Socket.now()
                continue
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { break }
            closeConnection(conn)
            return
        }
        if conn.outOffset == conn.out.count {
            conn.out = []
            conn.outOffset = 0
            if conn.closeAfterWrite && !conn.inFlight {
                beginLinger(conn)
                return
            }
            if !conn.inFlight {
                process(conn)
                return
            }
        }
        updateDeadline(conn, now: Socket.now())
        updateInterest(conn)
    }

    private func beginLinger(_ conn: Connection) {
        if conn.peerClosed { closeConnection(conn); return }
        Glibc.shutdown(conn.fd, Int32(SHUT_WR))
        conn.lingering = true
        let linger = listenFD < 0 ? EventLoop.stopLingerSeconds : EventLoop.lingerSeconds
        conn.deadline = Socket.now() + min(linger, config.headerTimeout)
        updateInterest(conn)
    }

    // MARK: timers

    private func updateDeadline(_ conn: Connection, now: Double) {
        if conn.lingering { return }
        if conn.pendingOut > 0 {
            conn.deadline = conn.lastWrite + config.writeTimeout
            return
        }
        if conn.inFlight { conn.deadline = .infinity; return }
        let phase = conn.parser.phase
        if phase != conn.lastPhase {
            conn.lastPhase = phase
            conn.phaseStart = now
        }
        switch phase {
        case .idle: conn.deadline = conn.phaseStart + (conn.served == 0 ? config.headerTimeout : config.idleTimeout)
        case .head: conn.deadline = conn.phaseStart + config.headerTimeout
        case .body: conn.deadline = conn.phaseStart + config.bodyTimeout
        }
    }

    private func sweep(_ now: Double) {
        var expired: [Connection] = []
        for conn in connections.values where conn.deadline <= now { expired.append(conn) }
        for conn in expired {
            guard connections[conn.fd] === conn else { continue }
            if conn.lingering || conn.pendingOut > 0 || conn.inFlight || conn.closeAfterWrite {
                closeConnection(conn)
                continue
            }
            switch conn.parser.phase {
            case .idle:
                closeConnection(conn)
            case .head, .body:
                logLine(method: "-", path: "-", status: 408, bytes: 0, remote: conn.remote)
                sendError(conn, status: 408, message: "request not received in time")
            }
        }
    }

    // MARK: epoll

    private func add(_ fd: Int32, events: UInt32) {
        _ = LinuxEvents.control(epfd, LinuxEvents.CTL_ADD, fd, events: events)
    }

    private func updateInterest(_ conn: Connection) {
        guard connections[conn.fd] === conn else { return }
        var want: UInt32 = 0
        if conn.lingering {
            want = LinuxEvents.IN
        } else {
            if !conn.inFlight && !conn.closeAfterWrite && !conn.peerClosed && conn.pendingOut < EventLoop.maxPendingOut {
                want |= LinuxEvents.IN
            }
            if conn.pendingOut > 0 { want |= LinuxEvents.OUT }
        }
        if want == conn.interest { return }
        conn.interest = want
        _ = LinuxEvents.control(epfd, LinuxEvents.CTL_MOD, conn.fd, events: want)
    }

    private func closeConnection(_ conn: Connection) {
        guard connections[conn.fd] === conn else { return }
        connections[conn.fd] = nil
        if conn.rejected { rejectedCount -= 1 }
        _ = LinuxEvents.control(epfd, LinuxEvents.CTL_DEL, conn.fd, events: 0)
        close(conn.fd)
    }

    private func logLine(method: String, path: String, status: Int, bytes: Int, remote: String) {
        log?(HTTPRequestLog(method: method, path: path, status: status, bytes: bytes, duration: 0, remote: remote))
    }
}
