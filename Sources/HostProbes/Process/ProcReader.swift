import Core
import Synchronization

/// The file operations the process probes perform, as a value. `live` goes through `FileReader`
/// (bounded reads, counted); tests may wrap it to count reads or to make a process vanish
/// between two reads.
public struct ProcReader: Sendable {
    public var read: @Sendable (String) throws(ProbeError) -> [UInt8]
    public var readLink: @Sendable (String) throws(ProbeError) -> String
    public var exists: @Sendable (String) -> Bool

    public init(read: @escaping @Sendable (String) throws(ProbeError) -> [UInt8],
                readLink: @escaping @Sendable (String) throws(ProbeError) -> String,
                exists: @escaping @Sendable (String) -> Bool) {
        self.read = read
        self.readLink = readLink
        self.exists = exists
    }

    /// Reads through `FileReader`, capped at 1 MiB per file.
    public static let live = ProcReader(
        read: { (p: String) throws(ProbeError) -> [UInt8] in try FileReader.read(p) },
        readLink: { (p: String) throws(ProbeError) -> String in try FileReader.readLink(p) },
        exists: { FileReader.exists($0) })

    public func readString(_ path: String) throws(ProbeError) -> String {
        String(decoding: try read(path), as: UTF8.self)
    }

    /// A reader that counts every `read` and `readLink` it performs in `counter`.
    public func counting(_ counter: ReadCounter) -> ProcReader {
        let base = self
        return ProcReader(
            read: { (p: String) throws(ProbeError) -> [UInt8] in counter.add(p); return try base.read(p) },
            readLink: { (p: String) throws(ProbeError) -> String in counter.add(p); return try base.readLink(p) },
            exists: base.exists)
    }
}

/// Counts reads and remembers the paths read, in order.
public final class ReadCounter: Sendable {
    private let state = Mutex<[String]>([])
    public init() {}
    public func add(_ path: String) { state.withLock { $0.append(path) } }
    public var paths: [String] { state.withLock { $0 } }
    public var count: Int { state.withLock { $0.count } }
}
