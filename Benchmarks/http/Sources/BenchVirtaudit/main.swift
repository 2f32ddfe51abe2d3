// bench-virtaudit PORT SUMMARY_JSON DOMAINS_JSON [WORKERS]
// Serves the two files from memory through HTTPServer until SIGTERM/SIGINT.
import Foundation
import Glibc
import HTTPServer

struct Files: HTTPHandler {
    let summary: [UInt8]
    let domains: [UInt8]

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let body: [UInt8]
        switch request.path {
        case "/api/v1/summary": body = summary
        case "/api/v1/domains": body = domains
        default: return ResponseHelpers.errorResponse(status: 404, message: "not found")
        }
        // What an API endpoint does: ETag/If-None-Match, then gzip when accepted.
        return ResponseHelpers.prepare(request: request,
                                       response: HTTPResponse(status: 200, contentType: "application/json", body: body))
    }
}

let args = CommandLine.arguments
guard args.count >= 4, let port = Int(args[1]) else {
    FileHandle.standardError.write(Data("usage: BenchVirtaudit PORT SUMMARY_JSON DOMAINS_JSON [WORKERS]\n".utf8))
    exit(2)
}
let summary = [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[2])))
let domains = [UInt8](try Data(contentsOf: URL(fileURLWithPath: args[3])))
var config = HTTPServerConfig(host: "127.0.0.1", port: port)
if args.count >= 5, let w = Int(args[4]) { config.workerThreads = w }
// Block the stop signals before any thread starts, so only sigwait below sees them.
var mask = sigset_t()
sigemptyset(&mask)
sigaddset(&mask, SIGTERM)
sigaddset(&mask, SIGINT)
pthread_sigmask(SIG_BLOCK, &mask, nil)
let server = HTTPServer(config: config, handler: Files(summary: summary, domains: domains))
try server.start()
FileHandle.standardOutput.write(Data("listening on \(server.boundPort)\n".utf8))

var sig: Int32 = 0
sigwait(&mask, &sig)
server.shutdown()
