import Glibc
import Synchronization

/// What the event loops of one server share: the loops themselves (the accepting loop deals
/// connections out round-robin) and the count of open connections, which the cap applies to.
final class LoopGroup: @unchecked Sendable {
    /// Set once, before any loop thread starts.
    var loops: [EventLoop] = []
    /// Open connections, rejected ones excluded, over all loops.
    let open = Atomic<Int>(0)
    /// Open connections per peer address (those counted in `open`).
    private let peers = Mutex<[String: Int]>([:])

    /// Counts one more connection of `peer` unless it already has `limit`; false when full.
    func acquirePeer(_ peer: String, limit: Int) -> Bool {
        peers.withLock { p in
            let n = p[peer, default: 0]
            if n >= limit { return false }
            p[peer] = n + 1
            return true
        }
    }

    func releasePeer(_ peer: String) {
        peers.withLock { p in
            guard let n = p[peer] else { return }
            if n <= 1 { p[peer] = nil } else { p[peer] = n - 1 }
        }
    }

    /// Open connections of one peer (for tests and logs).
    func connections(of peer: String) -> Int { peers.withLock { $0[peer] ?? 0 } }
}

/// An accepted socket on its way from the accepting loop to the loop that will own it.
struct Handoff: Sendable {
    let fd: Int32
    let serial: UInt64
    let remote: String
    /// Counted in `LoopGroup`'s per-peer table.
    let countedForPeer: Bool
}

/// One event-loop thread. Each loop owns its own epoll set and the sockets in it: it reads
/// and parses, enforces the timeouts, answers requests and writes the responses. The first
/// loop also owns the listening socket and deals accepted connections out to all loops in
/// turn (round-robin), so every core serves connections without sharing them.
///
/// A request is answered on the loop itself when the handler is a `NonBlockingHTTPHandler`
/// that answers it inline: the head is serialized into a reused buffer and sent together with
/// the body (`sendmsg`, two iovecs, no copy of the body); only what the socket does not take
/// is queued. Otherwise the request goes to the worker pool, which posts a `Completion` back
/// and pokes the loop's eventfd; the loop writes it.
///
/// Level-triggered epoll. Each connection has at most one request with a worker; pipelined
/// requests wait in its parser and are answered in order.
final class EventLoop: @unchecked Sendable {
    private let config: HTTPServerConfig
    private let limits: HTTPParserLimits
    private let pool: WorkerPool
    private let group: LoopGroup
    private let inlineHandler: (any NonBlockingHTTPHandler)?
    private let log: (@Sendable (HTTPRequestLog) -> Void)?
    private let epfd: Int32
    private let wakeFD: Int32
    /// The listening socket (first loop only; -1 elsewhere and once closed).
    private var listenFD: Int32
    /// Kept open to be closed when accept fails with EMFILE, so the pending connection can be
    /// accepted and closed instead of spinning.
    private var reserveFD: Int32 = -1

    // Shared with other threads.
    private let completions = Mutex<[Completion]>([])
    private let incoming = Mutex<(list: [Handoff], closed: Bool)>(([], false))
    private let stopRequest = Mutex<Bool?>(nil)   // nil: run; true: graceful; false: immediate
    private let stopping = Atomic<Bool>(false)

    // Loop thread only.
    private var connections: [Int32: Connection] = [:]
    private var rejectedCount = 0
    /// Rejected connections in accept order (the oldest idle one makes room for a new one).
    private var rejectedOrder: [(fd: Int32, serial: UInt64)] = []
    private var rejectedOrderHead = 0
    /// Evicted idle over-cap sockets waiting to be closed (in eviction order).
    private var tarpit: [(fd: Int32, closeAt: Double)] = []
    private var tarpitHead = 0
    private static let tarpitSeconds = 1.0
    private var nextSerial: UInt64 = 0
    private var nextLoop = 0
    private var closing = false
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var headBuffer: [UInt8] = []
    private let dateField = DateField()
    private var shutdownDeadline = Double.infinity
    private var nextSweep = 0.0
    private let tick: Double
    private let maxRejecting: Int
    private static let maxPendingOut = 256 * 1024
    /// Bytes handed to one socket per readiness event at most: a large body goes out in turns
    /// with every other ready connection instead of one long copy into a big socket buffer.
    private static let sendBudget = 128 * 1024
    /// Responses from this size on fix the connection's socket send buffer.
    private static let largeResponseBytes = 1 << 20
    private static let lingerSeconds = 2.0
    private static let stopLingerSeconds = 0.2
    /// How long a connection accepted past a cap may take to send its request head.
    private static let rejectedHeadSeconds = 2.0
    private static let continueBytes = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    init(config: HTTPServerConfig, listenFD: Int32, pool: WorkerPool, group: LoopGroup,
         inlineHandler: (any NonBlockingHTTPHandler)?,
         log: (@Sendable (HTTPRequestLog) -> Void)?) throws(HTTPServerError) {
        self.config = config
        self.limits = config.parserLimits
        self.pool = pool
        self.group = group
        self.inlineHandler = inlineHandler
        self.log = log
        self.listenFD = listenFD
        let shortest = min(config.headerTimeout, config.idleTimeout, config.bodyTimeout, config.writeTimeout)
        self.tick = max(0.01, min(0.25, shortest / 4))
        self.maxRejecting = max(16, config.maxConnections / 8)
        headBuffer.reserveCapacity(1024)
        epfd = LinuxEvents.create()
        if epfd < 0 { throw .socket(call: "epoll_create1", errno: errno) }
        wakeFD = LinuxEvents.eventFD()
        if wakeFD < 0 { let e = errno; close(epfd); throw .socket(call: "eventfd", errno: e) }
        if listenFD >= 0 {
            reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
            add(listenFD, events: LinuxEvents.IN)
        }
        add(wakeFD, events: LinuxEvents.IN)
    }

    /// Closes the descriptors of a loop whose thread never ran.
    func discard() {
        close(wakeFD)
        close(epfd)
        if reserveFD >= 0 { close(reserveFD) }
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

    /// Gives this loop an accepted socket. False when the loop has already finished (the
    /// caller closes the socket).
    func handOff(_ h: Handoff) -> Bool {
        let r = incoming.withLock { inc -> (Bool, Bool) in
            if inc.closed { return (false, false) }
            inc.list.append(h)
            return (true, inc.list.count == 1)
        }
        if r.1 { wake() }
        return r.0
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
        LoopThread.markCurrent()
        var events = LinuxEvents.EventBuffer(capacity: 256)
        while true {
            let timeoutMS = Int32(tick * 1000)
            let n = LinuxEvents.wait(epfd, &events, timeoutMS: timeoutMS)
            if n < 0 && errno != EINTR { break }
            var woken = false
            for i in 0..<max(0, Int(n)) {
                let ev = events.event(i)
                let fd = ev.fd
                if fd == listenFD && listenFD >= 0 { acceptAll(); continue }
                if fd == wakeFD { drainWake(); woken = true; continue }
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
            if woken {
                adoptIncoming()
                handleCompletions()
            }
            if let graceful = stopRequest.withLock({ $0 }), !closing || !graceful {
                beginStop(graceful: graceful)
                if !graceful { break }
            }
            let now = Socket.now()
            if now >= nextSweep {
                sweep(now)
                drainTarpit(now)
                nextSweep = now + tick
            }
            if closing && (connections.isEmpty || now >= shutdownDeadline) { break }
        }
        closing = true
        let late = incoming.withLock { inc -> [Handoff] in
            inc.closed = true
            let l = inc.list
            inc.list = []
            return l
        }
        for h in late {
            close(h.fd)
            group.open.subtract(1, ordering: .relaxed)
            if h.countedForPeer { group.releasePeer(h.remote) }
        }
        for conn in Array(connections.values) { closeConnection(conn) }
        drainTarpit(0, all: true)
        if listenFD >= 0 { close(listenFD); listenFD = -1 }
        close(wakeFD)
        close(epfd)
        if reserveFD >= 0 { close(reserveFD) }
    }

    private func beginStop(graceful: Bool) {
        if !closing {
            closing = true
            shutdownDeadline = Socket.now() + config.shutdownTimeout
        }
        if listenFD >= 0 {
            _ = LinuxEvents.control(epfd, LinuxEvents.CTL_DEL, listenFD, events: 0)
            close(listenFD)
            listenFD = -1
        }
        if !graceful { return }
        adoptIncoming()
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
            if list.isEmpty { return [] }
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
            if !c.keepAlive || closing { conn.closeAfterWrite = true }
            noteResponse(conn, bytes: c.head.count + c.body.count)
            queue(conn, c.head)
            queue(conn, c.body)
            flush(conn)
        }
    }

    // MARK: accepting

    private func acceptAll() {
        // A bounded batch per readiness event: under a connection flood, the loop goes back to
        // its other connections between batches.
        for _ in 0..<64 {
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
            nextSerial += 1
            var overCap = group.open.load(ordering: .relaxed) >= config.maxConnections
            var countedForPeer = false
            if !overCap && config.maxConnectionsPerPeer > 0 {
                countedForPeer = group.acquirePeer(remote, limit: config.maxConnectionsPerPeer)
                overCap = !countedForPeer
            }
            if overCap {
                adoptRejected(fd: fd, remote: remote)
                continue
            }
            group.open.add(1, ordering: .relaxed)
            let loops = group.loops
            let target = loops.isEmpty ? self : loops[nextLoop % loops.count]
            nextLoop &+= 1
            let h = Handoff(fd: fd, serial: nextSerial, remote: remote, countedForPeer: countedForPeer)
            if target === self {
                adopt(h)
            } else if !target.handOff(h) {
                close(fd)
                group.open.subtract(1, ordering: .relaxed)
                if countedForPeer { group.releasePeer(remote) }
            }
        }
    }

    /// A connection past the global cap or its peer's: it stays on this loop for a short
    /// while, only to let a liveness probe through (`alwaysAnsweredPaths`, e.g. `/healthz`);
    /// every other request, and silence, gets `503`. At most `maxRejecting` such connections
    /// at once; when they are all taken, the oldest one that has sent nothing (or already has
    /// its 503) makes room, so a client that floods the cap cannot keep a probe out.
    private func adoptRejected(fd: Int32, remote: String) {
        if rejectedCount >= maxRejecting && !evictRejected() { close(fd); return }
        let now = Socket.now()
        let conn = Connection(fd: fd, serial: nextSerial, remote: remote, limits: limits, now: now, rejected: true)
        connections[fd] = conn
        rejectedCount += 1
        rejectedOrder.append((fd, nextSerial))
        add(fd, events: LinuxEvents.IN)
        conn.interest = LinuxEvents.IN
        updateDeadline(conn, now: now)
        // Under a flood a probe waits in the listen backlog: its request is usually there by
        // the time it is accepted. Answer it now rather than after the next round of accepts.
        readable(conn)
    }

    /// Closes the oldest rejected connection that waits for nothing of value; false when none.
    private func evictRejected() -> Bool {
        var i = rejectedOrderHead
        var found: Connection? = nil
        while i < rejectedOrder.count {
            let entry = rejectedOrder[i]
            if let c = connections[entry.fd], c.serial == entry.serial, c.rejected {
                if c.lingering || (!c.inFlight && !c.closeAfterWrite && c.pendingOut == 0 && c.parser.phase == .idle
                                   && !EventLoop.hasInput(c.fd)) {
                    found = c
                    break
                }
            } else if i == rejectedOrderHead {
                rejectedOrderHead += 1   // gone already: drop from the front
            }
            i += 1
        }
        if rejectedOrderHead > 1024 && rejectedOrderHead * 2 > rejectedOrder.count {
            rejectedOrder.removeFirst(rejectedOrderHead)
            rejectedOrderHead = 0
        }
        guard let victim = found else { return false }
        if victim.lingering || tarpit.count - tarpitHead >= maxRejecting * 8 {
            closeConnection(victim)
        } else {
            // An idle over-cap connection: out of the server's books now, but its socket is
            // closed only a second later. A client that reconnects whenever the service closes
            // one of its connections would otherwise cycle through the cap as fast as the loop
            // can accept and close (tens of thousands a second), taking the CPU the probes need.
            connections[victim.fd] = nil
            rejectedCount -= 1
            _ = LinuxEvents.control(epfd, LinuxEvents.CTL_DEL, victim.fd, events: 0)
            tarpit.append((victim.fd, Socket.now() + EventLoop.tarpitSeconds))
        }
        return true
    }

    /// Closes the tarpit's sockets whose time is up (all of them with `all`).
    private func drainTarpit(_ now: Double, all: Bool = false) {
        while tarpitHead < tarpit.count && (all || tarpit[tarpitHead].closeAt <= now) {
            close(tarpit[tarpitHead].fd)
            tarpitHead += 1
        }
        if tarpitHead == tarpit.count {
            tarpit.removeAll(keepingCapacity: true)
            tarpitHead = 0
        } else if tarpitHead > 1024 && tarpitHead * 2 > tarpit.count {
            tarpit.removeFirst(tarpitHead)
            tarpitHead = 0
        }
    }

    /// True when bytes wait on the socket (a request not read yet: not an idle connection).
    private static func hasInput(_ fd: Int32) -> Bool {
        var b: UInt8 = 0
        return recv(fd, &b, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    private func adoptIncoming() {
        let list = incoming.withLock { inc -> [Handoff] in
            if inc.list.isEmpty { return [] }
            let l = inc.list
            inc.list.removeAll(keepingCapacity: true)
            return l
        }
        for h in list { adopt(h) }
    }

    private func adopt(_ h: Handoff) {
        if closing {
            close(h.fd)
            group.open.subtract(1, ordering: .relaxed)
            if h.countedForPeer { group.releasePeer(h.remote) }
            return
        }
        Socket.setNoDelay(h.fd)
        let conn = Connection(fd: h.fd, serial: h.serial, remote: h.remote, limits: limits, now: Socket.now())
        conn.countedForPeer = h.countedForPeer
        connections[h.fd] = conn
        add(h.fd, events: LinuxEvents.IN)
        conn.interest = LinuxEvents.IN
        updateDeadline(conn, now: Socket.now())
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

    /// Parses and answers the requests the connection may start now (several when pipelined
    /// and answered inline), dispatches one to the workers when the handler defers, then sends
    /// what is queued.
    private func process(_ conn: Connection) {
        while connections[conn.fd] === conn {
            var backPressure = false
            while !conn.inFlight && !conn.closeAfterWrite && !conn.lingering {
                if conn.pendingOut >= EventLoop.maxPendingOut { backPressure = true; break }
                do {
                    guard var parsed = try conn.parser.next() else {
                        if conn.parser.expectsContinue && !conn.sentContinue {
                            conn.sentContinue = true
                            queue(conn, EventLoop.continueBytes)
                        }
                        break
                    }
                    if conn.rejected && !isAlwaysAnswered(parsed.request) {
                        logLine(method: parsed.request.method, path: parsed.request.path, status: 503, bytes: 0,
                                remote: conn.remote)
                        conn.closeAfterWrite = true
                        let bytes = ResponseSerializer.errorBytes(status: 503, message: "too many connections")
                        noteResponse(conn, bytes: bytes.count)
                        queue(conn, bytes)
                        break
                    }
                    if conn.rejected { parsed.keepAlive = false }
                    if !answerInline(conn, parsed) { dispatch(conn, parsed) }
                    if connections[conn.fd] !== conn { return }
                } catch {
                    logLine(method: "-", path: "-", status: error.status, bytes: 0, remote: conn.remote)
                    conn.closeAfterWrite = true
                    let bytes = ResponseSerializer.errorBytes(status: error.status, message: error.message)
                    noteResponse(conn, bytes: bytes.count)
                    queue(conn, bytes)
                }
            }
            guard send(conn) else { return }
            // Everything queued went out while more requests wait behind the back-pressure
            // limit: parse on.
            if backPressure && conn.pendingOut == 0 { continue }
            break
        }
        guard connections[conn.fd] === conn else { return }
        updateDeadline(conn, now: Socket.now())
        updateInterest(conn)
    }

    /// GET/HEAD of a path the server answers even past its connection caps.
    private func isAlwaysAnswered(_ request: HTTPRequest) -> Bool {
        (request.method == "GET" || request.method == "HEAD") && config.alwaysAnsweredPaths.contains(request.path)
    }

    /// Sends the request to a worker: to the handler, or, with `prepared`, only to finish the
    /// response the inline handler gave (its compression).
    private func dispatch(_ conn: Connection, _ parsed: ParsedRequest, prepared: HTTPResponse? = nil,
                          received: Double? = nil) {
        conn.inFlight = true
        conn.lastPhase = nil
        var parsed = parsed
        if closing { parsed.keepAlive = false }
        pool.submit(WorkItem(loop: self, fd: conn.fd, serial: conn.serial, parsed: parsed,
                             received: received ?? Socket.now(), prepared: prepared))
    }

    /// Answers a request on this thread when the handler does; false when it defers (or
    /// there is no inline handler) and the request must go to a worker.
    private func answerInline(_ conn: Connection, _ parsed: ParsedRequest) -> Bool {
        guard let handler = inlineHandler else { return false }
        var request = parsed.request
        let isHead = request.method == "HEAD"
        if isHead && config.headAsGet { request.method = "GET" }
        let received = log == nil ? 0 : Socket.now()
        guard let response = handler.handleInline(request) else { return false }
        if response.deferredGzip {
            // A body to compress that is not in the gzip cache yet: a worker compresses it (once,
            // for every request waiting for the same body) and sends the answer.
            dispatch(conn, parsed, prepared: response, received: received)
            return true
        }
        let keepAlive = parsed.keepAlive && !closing && !ResponseSerializer.wantsClose(response)
        headBuffer.removeAll(keepingCapacity: true)
        let bodyAllowed = ResponseSerializer.appendHead(response, keepAlive: keepAlive, date: dateField.current(),
                                                        to: &headBuffer)
        let sendBody = bodyAllowed && !isHead && !response.body.isEmpty
        if let log {
            log(HTTPRequestLog(method: parsed.request.method, path: parsed.request.path, status: response.status,
                               bytes: isHead ? 0 : response.body.count, duration: Socket.now() - received,
                               remote: parsed.request.remoteAddress))
        }
        conn.served += 1
        conn.sentContinue = false
        conn.lastPhase = nil
        if !keepAlive { conn.closeAfterWrite = true }
        noteResponse(conn, bytes: headBuffer.count + (sendBody ? response.body.count : 0))
        if conn.pendingOut > 0 {
            // Behind earlier output: keep the order.
            queue(conn, headBuffer)
            if sendBody { queue(conn, response.body) }
            return true
        }
        // Nothing waiting: try the socket now (head and body in one call) and queue only what
        // it does not take.
        let body = sendBody ? response.body : []
        let sent = EventLoop.sendTwo(conn.fd, headBuffer, from: 0, body, limit: EventLoop.sendBudget / 2)
        if sent < 0 {
            closeConnection(conn)
            return true
        }
        if sent > 0 { conn.lastWrite = Socket.now() }
        if sent < headBuffer.count {
            queue(conn, Array(headBuffer[sent...]))
            queue(conn, body)
        } else if sent < headBuffer.count + body.count {
            // The rest of the body stays where it is (shared with every other connection
            // sending it); the connection keeps a reference and an offset.
            queue(conn, body)
            conn.consume(sent - headBuffer.count)
        }
        return true
    }

    /// `sendmsg` of `a` from `offset` and then `b`, at most `limit` bytes; the bytes sent, 0
    /// when the socket would block, -1 on error.
    private static func sendTwo(_ fd: Int32, _ a: [UInt8], from offset: Int, _ b: [UInt8], limit: Int) -> Int {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                let first = min(pa.count - offset, limit)
                let second = min(pb.count, limit - first)
                var iov = (iovec(iov_base: UnsafeMutableRawPointer(mutating: pa.baseAddress! + offset), iov_len: first),
                           iovec(iov_base: UnsafeMutableRawPointer(mutating: pb.baseAddress), iov_len: max(0, second)))
                return withUnsafeMutableBytes(of: &iov) { raw -> Int in
                    var msg = msghdr()
                    msg.msg_iov = raw.baseAddress!.assumingMemoryBound(to: iovec.self)
                    msg.msg_iovlen = second > 0 ? 2 : 1
                    while true {
                        let n = sendmsg(fd, &msg, Int32(MSG_NOSIGNAL))
                        if n >= 0 { return n }
                        if errno == EINTR { continue }
                        if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
                        return -1
                    }
                }
            }
        }
    }

    // MARK: writing

    /// Queues bytes by reference: a response body shared with other connections is not copied.
    private func queue(_ conn: Connection, _ bytes: [UInt8]) {
        conn.enqueue(bytes)
    }

    /// Starts (or extends) the total send deadline for a response of `bytes` about to be
    /// queued: `max(writeTimeout, bytes / minWriteBytesPerSecond)` from now, or, behind output
    /// still pending, `bytes / minWriteBytesPerSecond` more.
    private func noteResponse(_ conn: Connection, bytes: Int) {
        if bytes >= EventLoop.largeResponseBytes && !conn.sendBufferFixed && config.socketSendBufferBytes > 0 {
            // A large body: the socket buffer stops growing at this size (it would grow to
            // 4 MiB per connection under automatic sizing).
            Socket.setSendBuffer(conn.fd, bytes: config.socketSendBufferBytes)
            conn.sendBufferFixed = true
        }
        let now = Socket.now()
        let need = config.minWriteBytesPerSecond > 0 ? Double(bytes) / Double(config.minWriteBytesPerSecond) : 0
        if conn.pendingOut == 0 {
            conn.sendDeadline = now + max(config.writeTimeout, need)
        } else {
            conn.sendDeadline = max(conn.sendDeadline, now) + need
        }
    }

    private func sendError(_ conn: Connection, status: Int, message: String) {
        conn.closeAfterWrite = true
        let bytes = ResponseSerializer.errorBytes(status: status, message: message)
        noteResponse(conn, bytes: bytes.count)
        queue(conn, bytes)
        flush(conn)
    }

    /// Sends queued output, up to `sendBudget` bytes (the rest on the next `EPOLLOUT`). False
    /// when the connection was closed or began its lingering close.
    private func send(_ conn: Connection) -> Bool {
        var budget = EventLoop.sendBudget
        while conn.pendingOut > 0 && budget > 0 {
            let first = conn.segments[conn.segmentHead]
            let next = conn.segmentHead + 1 < conn.segments.count ? conn.segments[conn.segmentHead + 1] : []
            let n = EventLoop.sendTwo(conn.fd, first, from: conn.segmentOffset, next, limit: budget)
            if n > 0 {
                conn.consume(n)
                budget -= n
                conn.lastWrite = Socket.now()
                continue
            }
            if n == 0 { break }
            closeConnection(conn)
            return false
        }
        if conn.pendingOut == 0 {
            conn.sendDeadline = .infinity
            if conn.closeAfterWrite && !conn.inFlight {
                beginLinger(conn)
                return false
            }
        }
        return true
    }

    /// Writes what is queued (socket writable, a worker's response arrived); once everything
    /// is out, goes on with the next request.
    private func flush(_ conn: Connection) {
        guard connections[conn.fd] === conn else { return }
        guard send(conn) else { return }
        if conn.pendingOut == 0 && !conn.inFlight {
            process(conn)
            return
        }
        updateDeadline(conn, now: Socket.now())
        updateInterest(conn)
    }

    private func beginLinger(_ conn: Connection) {
        if conn.peerClosed { closeConnection(conn); return }
        Glibc.shutdown(conn.fd, Int32(SHUT_WR))
        conn.lingering = true
        let linger = closing ? EventLoop.stopLingerSeconds : EventLoop.lingerSeconds
        conn.deadline = Socket.now() + min(linger, config.headerTimeout)
        updateInterest(conn)
    }

    // MARK: timers

    private func updateDeadline(_ conn: Connection, now: Double) {
        if conn.lingering { return }
        if conn.pendingOut > 0 {
            // Inactivity (nothing taken for writeTimeout) or the total send deadline.
            conn.deadline = min(conn.lastWrite + config.writeTimeout, conn.sendDeadline)
            return
        }
        if conn.inFlight { conn.deadline = .infinity; return }
        let phase = conn.parser.phase
        if phase != conn.lastPhase {
            conn.lastPhase = phase
            conn.phaseStart = now
        }
        if conn.rejected {
            conn.deadline = conn.phaseStart + min(config.headerTimeout, EventLoop.rejectedHeadSeconds)
            return
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
            if conn.rejected && !conn.lingering && conn.pendingOut == 0 && !conn.inFlight && !conn.closeAfterWrite {
                // Past a cap and no probe request in time: the 503 it would have had at once.
                logLine(method: "-", path: "-", status: 503, bytes: 0, remote: conn.remote)
                sendError(conn, status: 503, message: "too many connections")
                continue
            }
            if conn.pendingOut > 0 && !conn.lingering {
                // Send deadline missed (or the peer stopped reading): reset, so the unsent
                // output is dropped at once instead of draining from the kernel's buffers.
                closeConnection(conn, reset: true)
                continue
            }
            if conn.lingering || conn.inFlight || conn.closeAfterWrite {
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

    private func closeConnection(_ conn: Connection, reset: Bool = false) {
        guard connections[conn.fd] === conn else { return }
        if reset {
            var l = linger(l_onoff: 1, l_linger: 0)
            setsockopt(conn.fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        }
        connections[conn.fd] = nil
        if conn.rejected { rejectedCount -= 1 } else { group.open.subtract(1, ordering: .relaxed) }
        if conn.countedForPeer { group.releasePeer(conn.remote) }
        _ = LinuxEvents.control(epfd, LinuxEvents.CTL_DEL, conn.fd, events: 0)
        close(conn.fd)
    }

    private func logLine(method: String, path: String, status: Int, bytes: Int, remote: String) {
        log?(HTTPRequestLog(method: method, path: path, status: status, bytes: bytes, duration: 0, remote: remote))
    }
}
