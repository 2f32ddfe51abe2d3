// bench-virtaudit PORT SUMMARY_JSON DOMAINS_JSON [WORKERS] [LOOPS] [INLINE]
// Serves the two files from memory through HTTPServer until SIGTERM/SIGINT, the way the
// service's API does: bytes encoded once with their ETag, then ResponseHelpers.prepare
// (If-None-Match -> 304, gzip when accepted). INLINE=1 (the default) answers on the event-loop
// threads (NonBlockingHTTPHandler); 0 sends every request through the worker pool.
import Foundation
import Glibc
import HTTPServer

struct Files: HTTPHandler {
    let summary: [UInt8]
    let domains: [UInt8]
    let summaryTag: String
    let domainsTag: String

    init(summary: [UInt8], domains: [UInt8]) {
        self.summary = summary
        self.domains = domains
        summaryTag = ResponseHelpers.etag(for: summary)
        domainsTag = ResponseHelpers.etag(for: domains)
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let body: [UInt8]
        let tag: String
        switch request.path {
        case "/api/v1/summary": body = summary; tag = summaryTag
        case "/api/v1/domains": body = domains; tag = domainsTag
        default: return ResponseHelpers.errorResponse(status: 404, message: "not found")
        }
        let response = HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json"), ("ETag", tag)]),
                                    body: body)
        return ResponseHelpers.prepare(request: request, response: response)
    }
}

/// The same handler, answering on the event-loop threads.
struct InlineFiles: NonBlockingHTTPHandler {
    let files: Files
    func handle(_ request: HTTPRequest) -> HTTPResponse { files.handle(request) }
}

let args = CommandLine.arguments
guard args.count >= 4, let port = Int(args[1]) else {
    FileHandle.standardError.write(Data("usage: BenchVirtaudit PORT SUMMARY_JSON DOMAINS_JSON [WORKERS] [LOOPS] [INLINE]\n".utf8))
    exit(2)
}
let summary = [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[2])))
let domains = [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[3])))
var config = HTTPServerConfig(host: "127.0.0.1", port: port)
if args.count >= 5, let w = Int(args[4]) { config.workerThreads = w }
if args.count >= 6, let l = Int(args[5]) { config.eventLoopThreads = l }
let inline = args.count >= 7 ? args[6] != "0" : true
// Block the stop signals before any thread starts, so only sigwait below sees them.
var mask = sigset_t()
sigemptyset(&mask)
sigaddset(&mask, SIGTERM)
sigaddset(&mask, SIGINT)
pthread_sigmask(SIG_BLOCK, &mask, nil)
let files = Files(summary: summary, domains: domains)
let server = inline ? HTTPServer(config: config, handler: InlineFiles(files: files))
                    : HTTPServer(config: config, handler: files)
try server.start()
FileHandle.standardOutput.write(Data("listening on \(server.boundPort) (\(inline ? "inline" : "worker pool"))\n".utf8))

var sig: Int32 = 0
sigwait(&mask, &sig)
server.shutdown()
