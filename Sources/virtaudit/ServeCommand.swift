import ArgumentParser
import Dispatch
import Foundation
import Logging
import Service

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the audit service: periodic and event-driven scans, HTTP JSON API, dashboard, history, alerts.",
        discussion: """
            Listens on 127.0.0.1:8470 by default. Binding any other address requires API tokens \
            (token_file in the configuration; see `virtaudit token new`). SIGTERM or SIGINT stops \
            the service gracefully. Configuration reference: Docs/configuration.md.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML). Without it, built-in defaults.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Override the listen address.", valueName: "address"))
    var listen: String?

    @Option(help: "Override the port (0 picks a free one).")
    var port: Int?

    @Option(name: [.customShort("c"), .customLong("connect")], help: "Override the libvirt URI.")
    var connect: String?

    @Option(help: ArgumentHelp("Override the host root.", valueName: "dir"))
    var root: String?

    @Option(help: ArgumentHelp("Override the policies directory.", valueName: "dir"))
    var policies: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Override the data directory (history database).", valueName: "dir"))
    var dataDir: String?

    @Option(name: .customLong("web-dir"), help: ArgumentHelp("Override the dashboard directory.", valueName: "dir"))
    var webDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() throws {
        var cfg: ServiceConfig
        do {
            cfg = try config.map { try ServiceConfig.load(path: $0) } ?? ServiceConfig.default
        } catch {
            fail("\(error)")
        }
        if config == nil {
            // Without a file, find the policies and dashboard shipped beside the executable.
            cfg.policiesDir = PolicyLocation.defaultDirectory()
            cfg.webDir = PolicyLocation.shipped("web") ?? cfg.webDir
            if geteuid() != 0 { cfg.dataDir = FileManager.default.currentDirectoryPath + "/.virtaudit" }
        }
        if let v = listen { cfg.listen = v }
        if let v = port {
            guard (0...65535).contains(v) else { fail("--port must be 0...65535") }
            cfg.port = v
        }
        if let v = connect { cfg.connect = v }
        if let v = root { cfg.root = v }
        if let v = policies { cfg.policiesDir = v }
        if let v = dataDir { cfg.dataDir = v }
        if let v = webDir { cfg.webDir = v }
        if let v = logLevel {
            guard let l = ServiceConfig.LogLevel(rawValue: v) else { fail("--log-level \(v): unknown level") }
            cfg.logLevel = l
        }
        let level = cfg.logLevel.loggerLevel
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "virtaudit")

        // Graceful shutdown on SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.
        // The handler is installed before start-up (the service serves as soon as it logs
        // "listening"), so a signal at any moment is never left to the default action (which
        // kills the process). It only writes to a pipe (async-signal-safe), whichever thread the
        // kernel picks; the main thread waits on the pipe.
        var stopPipe: [Int32] = [-1, -1]
        guard pipe(&stopPipe) == 0 else { fail("cannot create the signal pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(stopPipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(stopPipe[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(stopPipe[1], F_SETFL, O_NONBLOCK)
        serveStopSignalFD = stopPipe[1]
        for sig in [SIGTERM, SIGINT] {
            signal(sig) { _ in
                var byte: UInt8 = 1
                _ = write(serveStopSignalFD, &byte, 1)
            }
        }

        let runtime: ServiceRuntime
        do {
            runtime = try ServiceRuntime(config: cfg, logger: logger)
            try runtime.start()
        } catch {
            fail("\(error)")
        }
        var byte: UInt8 = 0
        while read(stopPipe[0], &byte, 1) != 1 {}
        logger.notice("shutting down")
        runtime.stop()
    }
}

/// The write end of the pipe the SIGTERM/SIGINT handler writes to (set once, before the handler
/// is installed; a signal handler can only reach globals).
nonisolated(unsafe) private var serveStopSignalFD: Int32 = -1
