import Glibc

/// Listening address, limits and timeouts of an `HTTPServer`.
public struct HTTPServerConfig: Sendable {
    /// An IPv4 or IPv6 literal (`127.0.0.1`, `::1`, `0.0.0.0`, `::`). No name resolution.
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; `HTTPServer.boundPort` reports it.
    public var port: Int = 8470
    /// Open connections at most; one more may only ask for an `alwaysAnsweredPaths` path,
    /// anything else is answered `503` and closed.
    public var maxConnections: Int = 2048
    /// Open connections of one peer address at most (0: no limit); past it, the same as past
    /// `maxConnections`. Keeps one client from taking the whole cap.
    public var maxConnectionsPerPeer: Int = 256
    /// Paths answered (GET/HEAD) even on a connection past a cap, so a liveness probe never
    /// sees `503` because another client holds the connections.
    public var alwaysAnsweredPaths: Set<String> = ["/healthz"]
    public var maxRequestLineBytes: Int = 8 * 1024
    public var maxHeaderBytes: Int = 16 * 1024
    public var maxHeaderCount: Int = 100
    public var maxBodyBytes: Int = 1 << 20
    /// Seconds to receive a whole request head (and, on a new connection, its first byte).
    public var headerTimeout: Double = 10
    /// Seconds a keep-alive connection may stay idle between requests.
    public var idleTimeout: Double = 30
    /// Seconds to receive a request body once its head is complete.
    public var bodyTimeout: Double = 30
    /// Seconds a peer may leave a response unread before the connection is dropped.
    public var writeTimeout: Double = 30
    /// Floor rate for the total send deadline: a response must be sent within
    /// `max(writeTimeout, bytes / minWriteBytesPerSecond)` seconds however steadily the peer
    /// reads (0: only the inactivity limit `writeTimeout`).
    public var minWriteBytesPerSecond: Int = 512 * 1024
    /// `SO_SNDBUF` (the kernel doubles it) of a connection once it is sent a response of
    /// 1 MiB or more; 0 keeps the kernel's automatic sizing. A fixed size bounds what a client
    /// that does not read pins in kernel memory and what the loop copies into its socket
    /// (automatic sizing grows to `tcp_wmem`'s maximum, 4 MiB by default, per connection).
    public var socketSendBufferBytes: Int = 256 * 1024
    /// Threads that call the handler (for requests a `NonBlockingHTTPHandler` does not answer
    /// inline, and for every request of any other handler).
    public var workerThreads: Int = 4
    /// Event-loop threads, each with its own epoll set and its share of the connections
    /// (dealt out round-robin on accept). 0: one per online CPU, at most 4.
    public var eventLoopThreads: Int = 0
    /// Seconds `shutdown(graceful: true)` waits for in-flight requests before closing them.
    public var shutdownTimeout: Double = 10
    /// Hand HEAD requests to the handler as GET (the body is then dropped): a handler written
    /// for GET answers HEAD correctly without knowing about it.
    public var headAsGet: Bool = true
    /// Socket listen backlog (the kernel caps it at `net.core.somaxconn`). Deeper than the
    /// connection cap, so a client flooding the cap fills it less easily and a probe's SYN is
    /// not dropped (a dropped SYN costs the probe a 1 s retransmission).
    public var backlog: Int32 = 4096

    public init(host: String = "127.0.0.1", port: Int = 8470) {
        self.host = host
        self.port = port
    }

    /// The number of event loops `eventLoopThreads` asks for.
    var resolvedEventLoops: Int {
        if eventLoopThreads > 0 { return eventLoopThreads }
        return min(4, max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    var parserLimits: HTTPParserLimits {
        HTTPParserLimits(maxRequestLineBytes: maxRequestLineBytes, maxHeaderBytes: maxHeaderBytes,
                         maxHeaderCount: maxHeaderCount, maxBodyBytes: maxBodyBytes)
    }
}

/// One line of the request log: what the service writes at debug level for each request.
public struct HTTPRequestLog: Sendable, CustomStringConvertible {
    public var method: String
    /// The decoded path (without the query), control characters re-encoded (`%0A`) so a
    /// request cannot forge log lines; `-` for a request that could not be parsed.
    public var path: String
    public var status: Int
    /// Response body bytes sent (after compression, 0 for HEAD).
    public var bytes: Int
    /// Seconds from the complete request to the response being queued.
    public var duration: Double
    public var remote: String

    public init(method: String, path: String, status: Int, bytes: Int, duration: Double, remote: String) {
        self.method = method
        self.path = HTTPRequestLog.escapeControls(path)
        self.status = status
        self.bytes = bytes
        self.duration = duration
        self.remote = remote
    }

    static func escapeControls(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    public var description: String {
        let ms = (duration * 10000).rounded() / 10
        return "\(remote) \(method) \(path) \(status) \(bytes)B \(ms)ms"
    }
}
