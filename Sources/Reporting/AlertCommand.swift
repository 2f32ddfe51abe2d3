import CLinux
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs an alert command the way a hook on a production host must run:
///
/// - in a process group of its own (`POSIX_SPAWN_SETPGROUP`), so that it and everything it
///   starts can be signalled together;
/// - without the service's ambient capabilities (cleared on the spawning thread, which the child
///   inherits), with default signal dispositions and an empty signal mask, no inherited
///   descriptors beyond its three standard ones;
/// - with standard input written and standard output and error drained concurrently by one
///   `poll` loop (a command that writes megabytes to stderr never blocks on a full pipe);
/// - on timeout, the whole group gets SIGTERM, then SIGKILL after `grace` seconds, and the
///   command is reaped (no zombie);
/// - when the command exits, processes it left running in its group are terminated the same
///   way: no hook child outlives its run;
/// - every running group is registered so that `terminateAll()` can end them when the service
///   stops.
///
/// A command that calls `setsid()` or `setpgid()` itself leaves its group and escapes all of
/// this; run such commands under `systemd-run --scope` if that matters.
public enum AlertCommand {
    public struct Result: Sendable, Hashable {
        /// Exit status, when the command exited.
        public var exitStatus: Int32?
        /// Signal that ended the command, when one did.
        public var signal: Int32?
        public var timedOut: Bool
        /// The first bytes of standard error (for the delivery error).
        public var stderrHead: [UInt8]
        public var stdoutBytes: Int
        public var stderrBytes: Int
        /// Processes of the command's group still running after it exited (then terminated).
        public var leftoverGroup: Bool
        public var succeeded: Bool { exitStatus == 0 && !timedOut }
    }

    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    static let stderrKeep = 4096
    /// Process groups of running commands; `closed` once the service stops (no new commands).
    private struct Registry {
        var groups: Set<pid_t> = []
        var closed = false
    }
    private static let live = Mutex(Registry())

    /// Process groups of commands running now.
    public static var runningGroups: Set<pid_t> { live.withLock { $0.groups } }

    /// Ends every running command's group: SIGTERM, then SIGKILL after `grace` seconds. With
    /// `refuseNew` (the service, when it stops) no command starts in this process afterwards, so
    /// a delivery loop still finishing cannot leave a new one behind. Returns how many groups
    /// were signalled.
    @discardableResult
    public static func terminateAll(grace: TimeInterval = 2, refuseNew: Bool = true) -> Int {
        let groups = live.withLock { r -> Set<pid_t> in
            if refuseNew { r.closed = true }
            return r.groups
        }
        for g in groups { kill(-g, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline, groups.contains(where: { groupExists($0) }) { usleep(20_000) }
        for g in groups where groupExists(g) { kill(-g, SIGKILL) }
        return groups.count
    }

    static func groupExists(_ pgid: pid_t) -> Bool { kill(-pgid, 0) == 0 || errno == EPERM }

    /// Runs `argv` (absolute program path first) with `input` on standard input. Blocks the
    /// calling thread; `run(argv:input:timeout:grace:) async` runs it on a thread of its own.
    public static func runBlocking(argv: [String], input: [UInt8], timeout: TimeInterval,
                                   grace: TimeInterval = 2) throws(SpawnError) -> Result {
        guard let exe = argv.first, exe.hasPrefix("/") else {
            throw SpawnError(description: "the alert command must start with an absolute program path")
        }
        // A command that exits without reading its input must not kill the service with SIGPIPE.
        _ = ignoreSIGPIPE
        // Capabilities are per thread: this thread's ambient set is what the child inherits.
        _ = virtaudit_clear_ambient_capabilities()

        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        guard virtaudit_pipe2(&stdinPipe, O_CLOEXEC) == 0 else { throw SpawnError(description: "pipe: \(errnoText())") }
        guard virtaudit_pipe2(&stdoutPipe, O_CLOEXEC) == 0 else {
            closeAll(stdinPipe)
            throw SpawnError(description: "pipe: \(errnoText())")
        }
        guard virtaudit_pipe2(&stderrPipe, O_CLOEXEC) == 0 else {
            closeAll(stdinPipe + stdoutPipe)
            throw SpawnError(description: "pipe: \(errnoText())")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        _ = virtaudit_spawn_closefrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attr, &noSignals)
        posix_spawnattr_setsigdefault(&attr, &allSignals)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        // Registered under the lock before the child can run long: terminateAll sees it.
        let rc = live.withLock { r -> Int32 in
            if r.closed { return ECANCELED }
            let rc = posix_spawn(&pid, exe, &actions, &attr, cArgs, environ)
            if rc == 0 { r.groups.insert(pid) }
            return rc
        }
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        guard rc == 0 else {
            closeAll([stdinPipe[1], stdoutPipe[0], stderrPipe[0]])
            if rc == ECANCELED { throw SpawnError(description: "not run: the service is stopping") }
            throw SpawnError(description: "cannot run \(exe): \(String(cString: strerror(rc)))")
        }
        defer { _ = live.withLock { $0.groups.remove(pid) } }

        var io = PipeDrain(stdin: stdinPipe[1], stdout: stdoutPipe[0], stderr: stderrPipe[0], input: input)
        var result = Result(exitStatus: nil, signal: nil, timedOut: false, stderrHead: [], stdoutBytes: 0, stderrBytes: 0,
                            leftoverGroup: false)
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        var exited = false
        while !exited {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 {
                result.timedOut = true
                break
            }
            io.pump(timeoutMs: Int32(min(100, max(1, left * 1000))))
            exited = waitpid(pid, &status, WNOHANG) == pid
        }
        if result.timedOut {
            // SIGTERM to the group, the pipes kept drained while it goes, SIGKILL after the grace.
            kill(-pid, SIGTERM)
            let killAt = Date().addingTimeInterval(grace)
            while Date() < killAt {
                io.pump(timeoutMs: 20)
                if !exited { exited = waitpid(pid, &status, WNOHANG) == pid }
                if exited && !groupExists(pid) { break }
            }
            if groupExists(pid) { kill(-pid, SIGKILL) }
            if !exited { while waitpid(pid, &status, 0) == -1 && errno == EINTR {} }
        } else if groupExists(pid) {
            // The command is gone but something it started still runs in its group.
            result.leftoverGroup = true
            kill(-pid, SIGTERM)
            let killAt = Date().addingTimeInterval(grace)
            while Date() < killAt && groupExists(pid) {
                io.pump(timeoutMs: 20)
            }
            if groupExists(pid) { kill(-pid, SIGKILL) }
        }
        // Orphans are reaped by init once killed; wait a moment so that none is left running.
        let settle = Date().addingTimeInterval(1)
        while groupExists(pid) && Date() < settle { usleep(5_000) }
        io.pump(timeoutMs: 0)
        io.closeAll()
        if status & 0x7f == 0 {
            result.exitStatus = (status >> 8) & 0xff
        } else {
            result.signal = status & 0x7f
        }
        result.stderrHead = io.stderrHead
        result.stdoutBytes = io.stdoutBytes
        result.stderrBytes = io.stderrBytes
        return result
    }

    /// `runBlocking` on a thread of its own: the caller's task waits without holding one of the
    /// concurrency pool's few threads for up to the timeout.
    public static func run(argv: [String], input: [UInt8], timeout: TimeInterval,
                           grace: TimeInterval = 2) async throws -> Result {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Result, any Error>) in
            let thread = Thread {
                do { c.resume(returning: try runBlocking(argv: argv, input: input, timeout: timeout, grace: grace)) } catch {
                    c.resume(throwing: error)
                }
            }
            thread.name = "virtaudit-alert-command"
            thread.start()
        }
    }

    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    private static func closeAll(_ fds: [Int32]) { for fd in fds where fd >= 0 { close(fd) } }
}

/// Writes a child's standard input and reads its standard output and error, all non-blocking
/// from one `poll`, so that no pipe can fill up and stall the child or the writer.
struct PipeDrain {
    private var stdin: Int32
    private var stdout: Int32
    private var stderr: Int32
    private let input: [UInt8]
    private var written = 0
    private(set) var stderrHead: [UInt8] = []
    private(set) var stdoutBytes = 0
    private(set) var stderrBytes = 0

    init(stdin: Int32, stdout: Int32, stderr: Int32, input: [UInt8]) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.input = input
        for fd in [stdin, stdout, stderr] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        if input.isEmpty { close(stdin); self.stdin = -1 }
    }

    /// One round: waits up to `timeoutMs` for any pipe to be ready, then moves what it can.
    mutating func pump(timeoutMs: Int32) {
        var fds: [pollfd] = []
        if stdin >= 0 { fds.append(pollfd(fd: stdin, events: Int16(POLLOUT), revents: 0)) }
        if stdout >= 0 { fds.append(pollfd(fd: stdout, events: Int16(POLLIN), revents: 0)) }
        if stderr >= 0 { fds.append(pollfd(fd: stderr, events: Int16(POLLIN), revents: 0)) }
        guard !fds.isEmpty else {
            if timeoutMs > 0 { usleep(useconds_t(timeoutMs) * 1000) }
            return
        }
        guard poll(&fds, nfds_t(fds.count), timeoutMs) > 0 else { return }
        for p in fds where p.revents != 0 {
            if p.fd == stdin { writeInput() } else { drain(p.fd) }
        }
    }

    private mutating func writeInput() {
        while written < input.count {
            let n = input[written...].withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
            if n > 0 { written += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            break   // EPIPE: the command does not read its input
        }
        close(stdin)
        stdin = -1
    }

    private mutating func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                if fd == stderr {
                    stderrBytes += n
                    if stderrHead.count < AlertCommand.stderrKeep {
                        stderrHead += buffer[0..<min(n, AlertCommand.stderrKeep - stderrHead.count)]
                    }
                } else {
                    stdoutBytes += n
                }
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
            // End of file (or an error): this pipe is done.
            close(fd)
            if fd == stdout { stdout = -1 } else { stderr = -1 }
            return
        }
    }

    mutating func closeAll() {
        for fd in [stdin, stdout, stderr] where fd >= 0 { close(fd) }
        stdin = -1; stdout = -1; stderr = -1
    }
}
