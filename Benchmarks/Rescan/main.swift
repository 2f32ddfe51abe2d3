// virtaudit-bench: the in-process rescan benchmark.
//
//   virtaudit-bench --connect URI --root DIR --policies DIR [--iterations K] [--findings problems|all]
//
// Opens the libvirt connection once, as the service does, then scans K times on it and
// encodes each report to JSON (the tree conversion and the writer timed apart). Prints one JSON
// object: min/median/max of the scan, of each stage (the report's stats.stagesMs), of the
// encoding, the CPU time of the scan and of the encoding (all threads), the files read per
// scan, and the resident memory after the last scan.
import Audit
import Core
import Foundation
import Glibc
import Inventory

struct Options {
    var connect = "qemu:///system"
    var root = "/"
    var policies = "policies"
    var iterations = 10
    /// `--findings all`: encode every finding (as `scan --verbose`); default problems only.
    var allFindings = false

    init(_ args: [String]) {
        var it = args.dropFirst().makeIterator()
        while let a = it.next() {
            guard let v = it.next() else { usage("\(a) needs a value") }
            switch a {
            case "--connect": connect = v
            case "--root": root = v
            case "--policies": policies = v
            case "--iterations": iterations = max(1, Int(v) ?? 10)
            case "--findings": allFindings = v == "all"
            default: usage("unknown option \(a)")
            }
        }
    }
}

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("virtaudit-bench: \(message)\nusage: virtaudit-bench --connect URI --root DIR --policies DIR [--iterations K] [--findings problems|all]\n".utf8))
    exit(2)
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1_000_000
}

/// CPU time of the whole process (every thread), in milliseconds.
func cpuMs() -> Double {
    var ru = rusage()
    getrusage(RUSAGE_SELF.rawValue, &ru)
    return Double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000
        + Double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000
}

func summary(_ v: [Double]) -> JSONValue {
    guard !v.isEmpty else { return .null }
    let s = v.sorted()
    let median = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    return .object(["min": .double(s.first!), "median": .double(median), "max": .double(s.last!),
                    "n": .int(s.count)])
}

func residentKiB(_ key: String) -> Int? {
    guard let text = try? FileReader.readString("/proc/self/status") else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
        return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" })[1])
    }
    return nil
}

func number(_ v: JSONValue?) -> Double? {
    switch v {
    case .int(let i)?: return Double(i)
    case .double(let d)?: return d
    default: return nil
    }
}

/// glibc's malloc_trim(0): hands freed memory back before resident memory is read.
func trimHeap() {
    guard let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(f, to: (@convention(c) (Int) -> Int32).self)(0)
}

let options = Options(CommandLine.arguments)
let settings = ScanSettings(uri: options.connect, root: HostRoot(options.root), policiesDirectory: options.policies)

let rssBeforeConnect = residentKiB("VmRSS")
let t0 = now()
let connection: LibvirtConnection
let auditor: Auditor
var rssAfterConnect: Int? = nil
do {
    connection = try LibvirtConnection(uri: options.connect)
    trimHeap()
    rssAfterConnect = residentKiB("VmRSS")
    auditor = try Auditor(settings: settings)
} catch {
    usage("\(error)")
}
let setupMs = now() - t0
trimHeap()
let rssAfterSetup = residentKiB("VmRSS")
var lastReport: ScanReport? = nil

var scanMs: [Double] = []
var scanCPUMs: [Double] = []
var encodeCPUMs: [Double] = []
var treeMs: [Double] = []
var writeMs: [Double] = []
var encodeMs: [Double] = []
var stages: [String: [Double]] = [:]
var filesRead: [Double] = []
var bytes = 0
var domains = 0
var running = 0
for _ in 0..<options.iterations {
    let reads0 = FileReader.readCount.load(ordering: .relaxed)
    let cpu0 = cpuMs()
    let a = now()
    let report: ScanReport
    do { report = try auditor.scan(connection: connection) } catch { usage("scan: \(error)") }
    let b = now()
    let cpu1 = cpuMs()
    let reads = FileReader.readCount.load(ordering: .relaxed) - reads0
    // Encoded straight to bytes (results format 2): no tree step any more.
    let c = now()
    let text = String(decoding: ResultsJSON.report(report, listing: options.allFindings ? .all : .problems), as: UTF8.self)
    let d = now()
    encodeCPUMs.append(cpuMs() - cpu1)
    scanCPUMs.append(cpu1 - cpu0)
    bytes = text.utf8.count
    scanMs.append(b - a)
    treeMs.append(c - b)
    writeMs.append(d - c)
    encodeMs.append(d - b)
    filesRead.append(Double(reads))
    domains = report.domains.count
    lastReport = report
    running = report.domains.filter { $0.state == "running" }.count
    for (k, v) in report.stats?.stagesMs ?? [:] { stages[k, default: []].append(v) }
}

// What one report costs to keep (the service keeps the latest): resident memory with only the
// report alive, freed memory handed back first.
trimHeap()
let rssWithReport = residentKiB("VmRSS")
lastReport = nil
trimHeap()
let rssWithoutReport = residentKiB("VmRSS")

let out: JSONValue = .object([
    "uri": .string(options.connect),
    "iterations": .int(options.iterations),
    "domains": .int(domains),
    "runningDomains": .int(running),
    "setupMs": .double(setupMs),
    "scanMs": summary(scanMs),
    "stagesMs": .object(stages.mapValues { summary($0) }),
    "scanCPUMs": summary(scanCPUMs),
    "encodeMs": summary(encodeMs),
    "encodeCPUMs": summary(encodeCPUMs),
    "encodeStagesMs": .object(["tree": summary(treeMs), "write": summary(writeMs)]),
    "filesReadPerScan": summary(filesRead),
    "reportBytes": .int(bytes),
    "rssKiB": residentKiB("VmRSS").map { .int($0) } ?? .null,
    "hwmKiB": residentKiB("VmHWM").map { .int($0) } ?? .null,
    "rssBeforeConnectKiB": rssBeforeConnect.map { .int($0) } ?? .null,
    "rssAfterConnectKiB": rssAfterConnect.map { .int($0) } ?? .null,
    "rssAfterSetupKiB": rssAfterSetup.map { .int($0) } ?? .null,
    "rssWithReportKiB": rssWithReport.map { .int($0) } ?? .null,
    "rssWithoutReportKiB": rssWithoutReport.map { .int($0) } ?? .null,
])
print(JSONWriter.string(out, pretty: true))
