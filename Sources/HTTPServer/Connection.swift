/// One client socket's state. Owned by the event loop thread; nothing else touches it.
final class Connection {
    let fd: Int32
    let serial: UInt64
    let remote: String
    var parser: HTTPParser
    /// Output waiting for the socket, in order: each segment is a reference to bytes that may
    /// be shared with other connections (a response body is never copied per connection);
    /// `segmentOffset` bytes of the first unsent segment (`segments[segmentHead]`) are sent.
    var segments: [[UInt8]] = []
    var segmentHead = 0
    var segmentOffset = 0
    /// Unsent bytes over all segments.
    private(set) var pendingOut = 0
    /// A request is with a worker; no further request is parsed until its response is queued.
    var inFlight = false
    /// Close once the output is sent (error, `Connection: close`, shutdown).
    var closeAfterWrite = false
    /// The peer closed its side.
    var peerClosed = false
    /// After the last response: our side is shut down, input is read and discarded until the
    /// peer closes or the linger deadline passes (so unread input does not turn into a reset
    /// that destroys the response in flight).
    var lingering = false
    /// Accepted past the connection cap (all connections, or those of its peer): may only ask
    /// for one of the server's always-answered paths (`/healthz`); anything else gets `503`.
    let rejected: Bool
    /// Counted in its peer's connections (released on close).
    var countedForPeer = false
    /// `SO_SNDBUF` was set (for a large response).
    var sendBufferFixed = false
    var sentContinue = false
    var served = 0
    var lastPhase: HTTPParser.Phase? = nil
    var phaseStart: Double
    var lastWrite: Double
    /// The whole output queued so far must be sent by then (total send deadline:
    /// `max(writeTimeout, bytes / minWriteRate)` per response), however steadily the peer reads.
    var sendDeadline = Double.infinity
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

    /// Queues bytes behind what is pending (a reference, not a copy).
    func enqueue(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        segments.append(bytes)
        pendingOut += bytes.count
    }

    /// Marks `n` bytes from the front as sent and releases segments that are done.
    func consume(_ n: Int) {
        var left = n
        pendingOut -= n
        while left > 0 && segmentHead < segments.count {
            let rest = segments[segmentHead].count - segmentOffset
            if left >= rest {
                left -= rest
                segments[segmentHead] = []
                segmentHead += 1
                segmentOffset = 0
            } else {
                segmentOffset += left
                left = 0
            }
        }
        if segmentHead == segments.count {
            segments.removeAll(keepingCapacity: segments.capacity <= 16)
            segmentHead = 0
            segmentOffset = 0
        }
    }
}
