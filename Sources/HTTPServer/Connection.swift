/// One client socket's state. Owned by the event loop thread; nothing else touches it.
final class Connection {
    let fd: Int32
    let serial: UInt64
    let remote: String
    var parser: HTTPParser
    /// Bytes queued for the socket and how many of them were sent.
    var out: [UInt8] = []
    var outOffset = 0
    /// A request is with a worker; no further request is parsed until its response is queued.
    var inFlight = false
    /// Close once `out` is sent (error, `Connection: close`, shutdown).
    var closeAfterWrite = false
    /// The peer closed its side.
    var peerClosed = false
    /// After the last response: our side is shut down, input is read and discarded until the
    /// peer closes or the linger deadline passes (so unread input does not turn into a reset
    /// that destroys the response in flight).
    var lingering = false
    /// Accepted past the connection cap: only gets its 503.
    let rejected: Bool
    var sentContinue = false
    var served = 0
    var lastPhase: HTTPParser.Phase? = nil
    var phaseStart: Double
    var lastWrite: Double
    var deadline: Double
    /// The epoll events currently registered.
    var interest: UInt32 = 0

    init(fd: Int32, serial: UInt64, remote: String, limits: HTTPParserLimits, now: Double, rejected: Bool = false) {
        self.fd = fd
        self.serial = serial
        self.remote = remote
        self.parser = HTTPParser(limits: limits, remoteAddress: remote)
        self.phaseStart = now
        self.lastWrite = now
        self.deadline = now
        self.rejected = rejected
    }

    var pendingOut: Int { out.count - outOffset }
}
