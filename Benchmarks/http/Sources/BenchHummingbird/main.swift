// bench-hummingbird PORT SUMMARY_JSON DOMAINS_JSON
// The same two endpoints on Hummingbird 2, bodies served from memory.
import Foundation
import Hummingbird

let args = CommandLine.arguments
guard args.count >= 4, let port = Int(args[1]) else {
    FileHandle.standardError.write(Data("usage: BenchHummingbird PORT SUMMARY_JSON DOMAINS_JSON\n".utf8))
    exit(2)
}
let summary = try Data(contentsOf: URL(fileURLWithPath: args[2]))
let domains = try Data(contentsOf: URL(fileURLWithPath: args[3]))

let summaryBuffer = ByteBuffer(bytes: summary)
let domainsBuffer = ByteBuffer(bytes: domains)

let router = Router()
router.get("/api/v1/summary") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: summaryBuffer))
}
router.get("/api/v1/domains") { _, _ in
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: domainsBuffer))
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
print("listening on \(port)")
try await app.runService()
