import Glibc
import Synchronization

/// An HTTP/1.1 server on POSIX sockets: event-loop threads (one epoll set each) own the
/// sockets; a `NonBlockingHTTPHandler` answers on them directly, other handlers are called on
/// a few worker threads.
///
/// ```swift
/// let server = HTTPServer(config: config, handler: api, log: { logger.debug("\($0)") })
/// try server.start()          // returns once listening
/// ...
/// server.shutdown()           // stop accepting, finish in-flight requests, join threads
/// ```
public final class HTTPServer: Sendable {
    public let config: HTTPServerConfig
    private let handler: any HTTPHandler
    private let log: (@Sendable (HTTPRequestLog) -> Void)?
    private let state = Mutex<State>(State())

    private struct State: @unchecked Sendable {
        var started = false
        var port = 0
        var loops: [EventLoop] = []
        var group: LoopGroup?
        var pool: WorkerPool?
        var loopThreads: [PosixThread] = []
        var workers: [PosixThread] = []
    }

    public init(config: HTTPServerConfig = HTTPServerConfig(), handler: any HTTPHandler,
                log: (@Sendable (HTTPRequestLog) -> Void)? = nil) {
        self.config = config
        self.handler = handler
        self.log = log
    }

    /// The port the server listens on (the chosen one when `config.port` is 0); 0 before `start`.
    public var boundPort: Int { state.withLock { $0.port } }

    /// Binds, listens and starts the threads. Returns once the socket accepts connections.
    public func start() throws(HTTPServerError) {
        try state.withLock { (s: inout State) throws(HTTPServerError) in
            if s.started { throw .alreadyStarted }
            signal(SIGPIPE, SIG_IGN)
            let (fd, port) = try Socket.listen(host: config.host, port: config.port, backlog: config.backlog)
            let pool = WorkerPool(handler: handler, log: log, headAsGet: config.headAsGet)
            let group = LoopGroup()
            let inline = handler as? any NonBlockingHTTPHandler
            var loops: [EventLoop] = []
            do throws(HTTPServerError) {
                for i in 0..<config.resolvedEventLoops {
                    loops.append(try EventLoop(config: config, listenFD: i == 0 ? fd : -1, pool: pool, group: group,
                                               inlineHandler: inline, log: log))
                }
            } catch {
                for l in loops { l.discard() }
                close(fd)
                throw error
            }
            group.loops = loops
            s.workers = pool.start(count: config.workerThreads)
            var threads: [PosixThread] = []
            for loop in loops {
                guard let thread = PosixThread.spawn({ loop.run() }) else {
                    let e = errno
                    for (i, l) in loops.enumerated() {
                        if i < threads.count { l.requestStop(graceful: false) } else { l.discard() }
                    }
                    for t in threads { t.join() }
                    group.loops = []
                    if threads.isEmpty { close(fd) }
                    pool.stop()
                    for w in s.workers { w.join() }
                    s.workers = []
                    throw .socket(call: "pthread_create", errno: e)
                }
                threads.append(thread)
            }
            s.started = true
            s.port = port
            s.loops = loops
            s.group = group
            s.pool = pool
            s.loopThreads = threads
        }
    }

    /// Stops the server and waits for its threads. Graceful: stop accepting, close idle
    /// connections, let in-flight requests finish (their responses say `Connection: close`),
    /// up to `config.shutdownTimeout`. Not graceful: close every connection now.
    public func shutdown(graceful: Bool = true) {
        stop(graceful: graceful)
    }

    private func stop(graceful: Bool) {
        let (loops, group, pool, threads, workers) = state.withLock { s in
            let r = (s.loops, s.group, s.pool, s.loopThreads, s.workers)
            s.loops = []
            s.group = nil
            s.pool = nil
            s.loopThreads = []
            s.workers = []
            return r
        }
        guard let pool else { return }
        for loop in loops { loop.requestStop(graceful: graceful) }
        for t in threads { t.join() }
        group?.loops = []   // the loops and the group refer to each other
        pool.stop()
        for w in workers { w.join() }
    }

    deinit {
        stop(graceful: false)
    }
}
