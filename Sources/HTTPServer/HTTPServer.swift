import Glibc
import Synchronization

/// An HTTP/1.1 server on POSIX sockets: one epoll thread owns every socket, a few worker
/// threads call the handler.
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
        var loop: EventLoop?
        var pool: WorkerPool?
        var loopThread: PosixThread?
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
            let loop: EventLoop
            do throws(HTTPServerError) {
                loop = try EventLoop(config: config, listenFD: fd, pool: pool, log: log)
            } catch {
                close(fd)
                throw error
            }
            s.workers = pool.start(count: config.workerThreads, loop: loop)
            guard let thread = PosixThread.spawn({ loop.run() }) else {
                pool.stop()
                for w in s.workers { w.join() }
                close(fd)
                throw .socket(call: "pthread_create", errno: errno)
            }
            s.started = true
            s.port = port
            s.loop = loop
            s.pool = pool
            s.loopThread = thread
        }
    }

    /// Stops the server and waits for its threads. Graceful: stop accepting, close idle
    /// connections, let in-flight requests finish (their responses say `Connection: close`),
    /// up to `config.shutdownTimeout`. Not graceful: close every connection now.
    public func shutdown(graceful: Bool = true) {
        let (loop, pool, thread, workers) = state.withLock { s in
            let r = (s.loop, s.pool, s.loopThread, s.workers)
            s.loop = nil
            s.pool = nil
            s.loopThread = nil
            s.workers = []
            return r
        }
        guard let loop, let pool else { return }
        loop.requestStop(graceful: graceful)
        thread?.join()
        pool.stop()
        for w in workers { w.join() }
    }

    deinit {
        let (loop, pool, thread, workers) = state.withLock { s in (s.loop, s.pool, s.loopThread, s.workers) }
        if let loop, let pool {
            loop.requestStop(graceful: false)
            thread?.join()
            pool.stop()
            for w in workers { w.join() }
        }
    }
}
