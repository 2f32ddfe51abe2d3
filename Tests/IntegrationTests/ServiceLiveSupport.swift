import Core
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Support for the tests that run the built `virtaudit serve` as a child process against the
/// live libvirtd: the service process, a plain HTTP/1.1 client on a socket, temporary guests,
/// bounded waits.
enum ServiceLive {
    static let libvirtSocket = "/run/libvirt/libvirt-sock"

    /// Skips when libvirtd is not running here; fails instead when VIRTAUDIT_REQUIRE_LIBVIRT=1.
    static func requireLibvirt(file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.fileExists(atPath: libvirtSocket) else {
            let msg = "libvirtd not running: \(libvirtSocket) missing"
            if LiveLab.required { XCTFail(msg, file: file, line: line) }
            throw XCTSkip(msg)
        }
    }

    /// Skips when a tool is missing; fails instead when VIRTAUDIT_REQUIRE_LIBVIRT=1.
    static func requireTool(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            let msg = "\(path) not installed (Debian package prometheus)"
            if LiveLab.required { XCTFail(msg, file: file, line: line) }
            throw XCTSkip(msg)
        }
    }

    /// The built `virtaudit` (beside the test bundle, else `.build/debug`).
    static var executable: String {
        let beside = Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("virtaudit").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        let here = Bundle.main.bundleURL.appendingPathComponent("virtaudit").path
        if FileManager.default.isExecutableFile(atPath: here) { return here }
        return LiveLab.repository + "/.build/debug/virtaudit"
    }
    static var policies: String { LiveLab.repository + "/policies" }

    /// A fresh directory under /tmp, removed by the caller's cleanup.
    static func temporaryDirectory(_ prefix: String = "va-live") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A TCP port nobody listens on right now (bind to 0, read it, close).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.socket("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0 else { throw HTTPClientError.socket("bind: \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Polls `body` until it returns a value or `timeout` passes; then fails with `what` and the
    /// last observation.
    @discardableResult
    static func eventually<T>(_ what: String, timeout: TimeInterval, interval: TimeInterval = 0.02,
                              file: StaticString = #filePath, line: UInt = #line,
                              _ body: () throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError: (any Error)?
        repeat {
            do {
                if let v = try body() { return v }
            } catch {
                lastError = error
            }
            Thread.sleep(forTimeInterval: interval)
        } while Date() < deadline
        let msg = "timed out after \(timeout) s waiting for: \(what)" + (lastError.map { " (last error: \($0))" } ?? "")
        XCTFail(msg, file: file, line: line)
        throw HTTPClientError.timeout(msg)
    }

    /// Runs a program to completion; returns status, stdout and stderr.
    @discardableResult
    static func run(_ program: String, _ args: [String], stdin: Data? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: program)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: LiveLab.repository)
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(stdin) }
        try inp.fileHandleForWriting.close()
        // Read both pipes concurrently: a full stderr pipe must not block the child.
        let errBox = DataBox()
        let t = Thread { errBox.set(err.fileHandleForReading.readDataToEndOfFile()) }
        t.start()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errBox.isSet { Thread.sleep(forTimeInterval: 0.005) }
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: errBox.data, as: UTF8.self))
    }

    /// `virsh -c qemu:///system ARGS`, throwing with virsh's message on failure.
    @discardableResult
    static func virsh(_ args: String...) throws -> String {
        let r = try run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri] + args)
        guard r.status == 0 else { throw HTTPClientError.command("virsh \(args.joined(separator: " ")): \(r.err)") }
        return r.out
    }

    /// `virtaudit token new --role ROLE`: the token and the token-file line.
    static func newToken(role: String) throws -> (token: String, line: String) {
        let r = try run(executable, ["token", "new", "--role", role])
        guard r.status == 0 else { throw HTTPClientError.command("token new: \(r.err)") }
        let lines = r.out.split(separator: "\n").map(String.init)
        guard let t = lines.first(where: { $0.hasPrefix("token: ") }), let line = lines.last, line != t else {
            throw HTTPClientError.command("unexpected token output: \(r.out)")
        }
        return (String(t.dropFirst("token: ".count)), line)
    }
}

final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = Data()
    private var done = false
    func set(_ d: Data) { lock.withLock { value = d; done = true } }
    func append(_ d: Data) { lock.withLock { value.append(d) } }
    var data: Data { lock.withLock { value } }
    var isSet: Bool { lock.withLock { done } }
}

enum HTTPClientError: Error, CustomStringConvertible {
    case socket(String), malformed(String), timeout(String), command(String)
    var description: String {
        switch self {
        case .socket(let s), .malformed(let s), .timeout(let s), .command(let s): return s
        }
    }
}

/// One HTTP response, read to the end of the connection.
struct HTTPReply {
    var status: Int
    /// Header names in lower case.
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    func json(file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        do { return try JSONValue(parsing: body) } catch {
            XCTFail("not JSON (\(status)): \(text.prefix(300))", file: file, line: line)
            throw error
        }
    }
}

/// A minimal HTTP/1.1 client on a plain socket (`Connection: close`), so the tests control
/// exactly when a request is sent and how fast its response is read.
enum RawHTTP {
    /// `receiveBuffer` and `maxSegment` (SO_RCVBUF, TCP_MAXSEG, set before connecting) make a
    /// slow client: a small window and small segments also keep the server's send buffer small,
    /// so a response of some tens of kilobytes stays in flight until the client reads it.
    static func connect(port: Int, timeout: TimeInterval = 15, receiveBuffer: Int? = nil, maxSegment: Int? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.socket("socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if var mss = maxSegment.map(Int32.init) {
            setsockopt(fd, Int32(IPPROTO_TCP), 2 /* TCP_MAXSEG */, &mss, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw HTTPClientError.socket("connect 127.0.0.1:\(port): \(e)")
        }
        return fd
    }

    static func requestBytes(method: String, path: String, headers: [(String, String)] = [], body: Data = Data()) -> Data {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Data(head.utf8) + body
    }

    static func send(_ fd: Int32, _ data: Data) throws {
        var offset = 0
        while offset < data.count {
            let n = data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, data.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HTTPClientError.socket("send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Reads until the server closes the connection; `pause` sleeps between small reads (a slow client).
    static func readReply(_ fd: Int32, chunk: Int = 65536, pause: TimeInterval = 0) throws -> HTTPReply {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw HTTPClientError.socket("recv after \(data.count) bytes: \(String(cString: strerror(errno)))") }
            data.append(contentsOf: buffer[0..<n])
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
        }
        return try parse(data)
    }

    static func parse(_ data: Data) throws -> HTTPReply {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else {
            throw HTTPClientError.malformed("no complete response head in \(data.count) bytes")
        }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HTTPClientError.malformed("bad status line: \(head[0])")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = try dechunk(body) }
        if let len = headers["content-length"].flatMap(Int.init) {
            guard body.count >= len else {
                throw HTTPClientError.malformed("body truncated: \(body.count) of \(len) bytes")
            }
            body = body.prefix(len)
        }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: Data) throws -> Data {
        var out = Data()
        var rest = data[...]
        let crlf = Data("\r\n".utf8)
        while true {
            guard let lineEnd = rest.range(of: crlf) else { throw HTTPClientError.malformed("truncated chunked body") }
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HTTPClientError.malformed("bad chunk size '\(sizeText)'")
            }
            rest = rest[lineEnd.upperBound...]
            if size == 0 { return out }
            guard rest.count >= size + 2 else { throw HTTPClientError.malformed("truncated chunk") }
            out.append(rest.prefix(size))
            rest = rest.dropFirst(size + 2)
        }
    }

    static func request(port: Int, method: String = "GET", path: String, headers: [(String, String)] = [],
                        body: Data = Data(), timeout: TimeInterval = 15) throws -> HTTPReply {
        let fd = try connect(port: port, timeout: timeout)
        defer { close(fd) }
        try send(fd, requestBytes(method: method, path: path, headers: headers, body: body))
        return try readReply(fd)
    }
}

/// `virtaudit serve` as a child process. Standard error (the log) is collected; the port comes
/// from the "listening ... port=N" line.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let arguments: [String]
    private let log = DataBox()
    private(set) var port = 0

    init(_ arguments: [String]) {
        self.arguments = arguments
    }

    /// `serve --config CONFIG --port 0 --data-dir DATA --policies <repo>/policies` plus `extra`.
    convenience init(config: String?, dataDir: String, extra: [String] = []) {
        var args = ["serve", "--port", "0", "--data-dir", dataDir, "--policies", ServiceLive.policies,
                    "--web-dir", LiveLab.repository + "/web"]
        if let config { args += ["--config", config] }
        self.init(args + extra)
    }

    var logText: String { String(decoding: log.data, as: UTF8.self) }

    /// Launches the process and returns once it listens (or throws with its log if it exits first).
    func start(timeout: TimeInterval = 60, poll: TimeInterval = 0.02, file: StaticString = #filePath, line: UInt = #line) throws {
        try launch()
        port = try ServiceLive.eventually("the service to log 'listening ... port=N'", timeout: timeout, interval: poll,
                                          file: file, line: line) { () -> Int? in
            if let p = listeningPort() { return p }
            if !process.isRunning {
                XCTFail("virtaudit serve exited with \(process.terminationStatus) before listening:\n\(logText)", file: file, line: line)
                throw HTTPClientError.command("serve exited early")
            }
            return nil
        }
    }

    /// Launches without waiting for the listening line (for start-up failures).
    func launch() throws {
        process.executableURL = URL(fileURLWithPath: ServiceLive.executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: LiveLab.repository)
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let box = log
        err.fileHandleForReading.readabilityHandler = { h in
            let d = h.availableData
            if d.isEmpty { h.readabilityHandler = nil } else { box.append(d) }
        }
        try process.run()
    }

    private func listeningPort() -> Int? {
        for line in logText.split(separator: "\n") where line.contains("listening") {
            if let r = line.range(of: #"port=(\d+)"#, options: .regularExpression) {
                return Int(line[r].dropFirst("port=".count))
            }
        }
        return nil
    }

    /// Waits for the process to exit; nil when it is still running after `timeout`. The exit
    /// status, or 128 + the signal number when a signal killed it (as a shell reports it).
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { return nil }
        process.waitUntilExit()
        // Let the pipe reader collect the last lines.
        Thread.sleep(forTimeInterval: 0.1)
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Signal state of the running process and of each of its threads (for failure messages).
    func signalDiagnostics() -> String {
        guard process.isRunning else { return "not running" }
        let base = "/proc/\(process.processIdentifier)"
        func sig(_ status: String) -> String {
            status.split(separator: "\n").filter { $0.hasPrefix("Sig") || $0.hasPrefix("ShdPnd") }.joined(separator: " ")
        }
        var out = "process: " + sig((try? String(contentsOfFile: base + "/status", encoding: .utf8)) ?? "")
        for t in (try? FileManager.default.contentsOfDirectory(atPath: base + "/task")) ?? [] {
            let status = (try? String(contentsOfFile: "\(base)/task/\(t)/status", encoding: .utf8)) ?? ""
            let name = status.split(separator: "\n").first ?? ""
            let blk = status.split(separator: "\n").filter { $0.hasPrefix("SigBlk") || $0.hasPrefix("SigPnd") }.joined(separator: " ")
            out += "\n  task \(t) \(name) \(blk)"
        }
        return out
    }

    func signal(_ sig: Int32) {
        if process.isRunning { kill(process.processIdentifier, sig) }
    }

    /// SIGTERM, then SIGKILL if it does not stop within `timeout`. Returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 20) -> Int32? {
        guard process.processIdentifier != 0 else { return nil }
        signal(SIGTERM)
        if let s = waitForExit(timeout: timeout) { return s }
        signal(SIGKILL)
        _ = waitForExit(timeout: 5)
        return nil
    }

    func get(_ path: String, token: String? = nil, timeout: TimeInterval = 15) throws -> HTTPReply {
        try RawHTTP.request(port: port, path: path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], timeout: timeout)
    }

    func post(_ path: String, token: String? = nil) throws -> HTTPReply {
        // X-Requested-With: what the dashboard sends (a state-changing request a page cannot
        // send cross-site without permission).
        try RawHTTP.request(port: port, method: "POST", path: path,
                            headers: [("X-Requested-With", "virtaudit")] + (token.map { [("Authorization", "Bearer \($0)")] } ?? []))
    }

    /// GET returning parsed JSON when the status is 200, nil otherwise.
    func json(_ path: String, token: String? = nil) throws -> JSONValue? {
        let r = try get(path, token: token)
        return r.status == 200 ? try JSONValue(parsing: r.body) : nil
    }
}

/// A temporary TCG guest `va-live-<random>`: 64 MiB, no disk, no balloon. `weak` pins qemu to
/// root with a per-domain DAC seclabel (+0:+0). `remove()` destroys and undefines it.
final class TempGuest: @unchecked Sendable {
    let name = "va-live-\(UUID().uuidString.prefix(8).lowercased())"
    let weak: Bool
    private(set) var uuid = ""
    private var defined = false

    init(weak: Bool = true) { self.weak = weak }

    var xml: String {
        """
        <domain type='qemu'>
          <name>\(name)</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices><emulator>/usr/bin/qemu-system-x86_64</emulator><memballoon model='none'/></devices>
        \(weak ? "  <seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>" : "")
        </domain>
        """
    }

    func define() throws {
        let path = NSTemporaryDirectory() + name + ".xml"
        try xml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ServiceLive.virsh("define", path)
        defined = true
        uuid = try ServiceLive.virsh("domuuid", name).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func start() throws { try ServiceLive.virsh("start", name) }
    func destroy() throws { try ServiceLive.virsh("destroy", name) }
    func undefine() throws {
        try ServiceLive.virsh("undefine", name)
        defined = false
    }

    /// Best effort: destroy and undefine, ignoring "not running"/"not found".
    func remove() {
        _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "destroy", name])
        _ = try? ServiceLive.run("/usr/bin/virsh", ["-q", "-c", LiveLab.uri, "undefine", name])
        defined = false
    }
}

/// Common set-up and clean-up for the service tests: temp dirs, child processes, guests.
class ServiceLiveTestCase: XCTestCase {
    var processes: [ServeProcess] = []
    var guests: [TempGuest] = []
    var directories: [String] = []
    var cleanups: [() -> Void] = []

    override func tearDown() {
        for p in processes where p.process.isRunning { p.stop(timeout: 15) }
        for g in guests { g.remove() }
        for c in cleanups.reversed() { c() }
        for d in directories { try? FileManager.default.removeItem(atPath: d) }
        processes = []
        guests = []
        cleanups = []
        directories = []
        super.tearDown()
    }

    func tempDir() throws -> String {
        let d = try ServiceLive.temporaryDirectory()
        directories.append(d)
        return d
    }

    func guest(weak: Bool = true) -> TempGuest {
        let g = TempGuest(weak: weak)
        guests.append(g)
        return g
    }

    /// Writes `yaml` as `<dir>/virtaudit.yaml` and returns its path.
    func writeConfig(_ yaml: String, in dir: String) throws -> String {
        let path = dir + "/virtaudit.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Starts `serve` and registers it for clean-up.
    @discardableResult
    func serve(config: String?, dataDir: String, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> ServeProcess {
        let p = ServeProcess(config: config, dataDir: dataDir, extra: extra)
        processes.append(p)
        try p.start(file: file, line: line)
        return p
    }

    /// Waits until the service has published a first complete scan.
    func waitForResults(_ p: ServeProcess, token: String? = nil, timeout: TimeInterval = 60,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        try ServiceLive.eventually("a first complete scan (200 on /api/v1/summary)", timeout: timeout, interval: 0.1,
                                   file: file, line: line) { () -> Bool? in
            try p.get("/api/v1/summary", token: token).status == 200 ? true : nil
        }
    }
}
