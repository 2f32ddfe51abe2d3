import Core
import Foundation
import History

// Writes scans to a history database as fast as it can and prints each scan id once its commit
// has returned. The durability test kills it with SIGKILL mid-stream and checks that every
// printed scan is in the database.
guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: history-crash-writer DATADIR\n".utf8))
    exit(2)
}
let store = try HistoryStore(directory: CommandLine.arguments[1])
var n = 0
while true {
    n += 1
    let id = "scan-\(getpid())-\(n)"
    let now = Timestamp.format(Date())
    let domains = (0..<50).map { i in
        DomainReport(name: "vm\(i)", uuid: "00000000-0000-0000-0000-\(String(format: "%012d", i))", state: "running",
                     id: i, profile: "baseline", facts: ["domain": ["name": .string("vm\(i)")]],
                     findings: [Finding(rule: "dac.non-root-user", layer: .dac, severity: .critical,
                                        status: i % 2 == 0 ? .fail : .pass, observed: [:])],
                     score: Score(score: 50 + i % 50, grade: "C", layers: [:]))
    }
    let report = ScanReport(scanId: id, startedAt: now, finishedAt: now, durationMs: 1, connection: "test:///default",
                            root: "/", host: HostReport(hostname: "h", facts: [:], findings: [],
                                                        score: Score(score: 90, grade: "A", layers: [:])),
                            domains: domains)
    try store.record(report)
    // Unbuffered write after the commit returned: the test reads it as "committed".
    FileHandle.standardOutput.write(Data((id + "\n").utf8))
}
