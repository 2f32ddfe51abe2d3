import Glibc

/// A parsed request waiting for a worker.
struct WorkItem: Sendable {
    /// The loop that owns the connection and gets the response.
    let loop: EventLoop
    let fd: Int32
    let serial: UInt64
    let parsed: ParsedRequest
    let received: Double
    /// The inline handler's answer when only its compression is left to do (a large body not
    /// yet in the gzip cache); nil: the worker calls the handler.
    var prepared: HTTPResponse? = nil
}

/// A blocking FIFO of work items shared by the loop (producer) and the workers (consumers).
final class WorkQueue: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    private var items: [WorkItem] = []
    private var head = 0
    private var closed = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
    }

    deinit {
        pthread_cond_destroy(&cond)
        pthread_mutex_destroy(&mutex)
    }

    func push(_ item: WorkItem) {
        pthread_mutex_lock(&mutex)
        items.append(item)
        pthread_cond_signal(&cond)
        pthread_mutex_unlock(&mutex)
    }

    /// The next item, or nil once the queue is closed.
    func pop() -> WorkItem? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while head == items.count && !closed { pthread_cond_wait(&cond, &mutex) }
        if closed { return nil }
        let item = items[head]
        head += 1
        if head == items.count { items.removeAll(keepingCapacity: true); head = 0 }
        return item
    }

    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        pthread_cond_broadcast(&cond)
        pthread_mutex_unlock(&mutex)
    }
}

/// Threads that call the handler and serialize its response; the bytes go back to the loop.
final class WorkerPool: Sendable {
    private let queue = WorkQueue()
    private let handler: any HTTPHandler
    private let log: (@Sendable (HTTPRequestLog) -> Void)?
    private let headAsGet: Bool

    init(handler: any HTTPHandler, log: (@Sendable (HTTPRequestLog) -> Void)?, headAsGet: Bool) {
        self.handler = handler
        self.log = log
        self.headAsGet = headAsGet
    }

    func submit(_ item: WorkItem) { queue.push(item) }

    func start(count: Int) -> [PosixThread] {
        (0..<max(1, count)).compactMap { _ in
            PosixThread.spawn { [self] in
                while let item = queue.pop() { run(item) }
            }
        }
    }

    func stop() { queue.close() }

    private func run(_ item: WorkItem) {
        let loop = item.loop
        let parsed = item.parsed
        var request = parsed.request
        let isHead = request.method == "HEAD"
        if isHead && headAsGet { request.method = "GET" }
        var response = item.prepared ?? handler.handle(request)
        if response.deferredGzip { response = ResponseHelpers.finishGzip(response) }
        let keepAlive = parsed.keepAlive && !loop.isStopping && !ResponseSerializer.wantsClose(response)
        // The head is serialized; the body travels by reference (shared, never copied per
        // connection).
        var head: [UInt8] = []
        head.reserveCapacity(256 + response.headers.fields.count * 48)
        let bodyAllowed = ResponseSerializer.appendHead(response, keepAlive: keepAlive, date: HTTPDate.fieldBytes(),
                                                        to: &head)
        // Logged before the response is handed back, so log lines of one connection keep the
        // order of its requests.
        if let log {
            log(HTTPRequestLog(method: parsed.request.method, path: parsed.request.path, status: response.status,
                               bytes: isHead ? 0 : response.body.count, duration: Socket.now() - item.received,
                               remote: parsed.request.remoteAddress))
        }
        loop.complete(Completion(fd: item.fd, serial: item.serial, head: head,
                                 body: bodyAllowed && !isHead ? response.body : [], keepAlive: keepAlive))
    }
}

/// A serialized response on its way back to its connection.
struct Completion: Sendable {
    let fd: Int32
    let serial: UInt64
    let head: [UInt8]
    let body: [UInt8]
    let keepAlive: Bool
}
