import Core

/// `/etc/modprobe.d/*.conf`: `options <module> <param>=<value> ...` lines that set module
/// parameters at load time (modprobe.d(5)). Files are read in name order; for a parameter given
/// twice the last one counts. `-` and `_` are the same in module names.
public struct ModprobeOptions: Sendable, Hashable {
    public static let directory = "/etc/modprobe.d"

    public struct Option: Sendable, Hashable {
        public let module: String
        public let name: String
        public let value: String
        /// `<file>:<line>`.
        public let source: String
    }

    public let options: [Option]

    public init(options: [Option]) { self.options = options }

    public static func read(root: HostRoot) throws(ProbeError) -> ModprobeOptions {
        let dir = root.path(directory)
        let files: [String]
        do { files = try FileReader.list(dir) } catch .notFound { return ModprobeOptions(options: []) }
        var out: [Option] = []
        for f in files where f.hasSuffix(".conf") {
            guard let text = try? FileReader.readString(dir + "/" + f, limit: 256 * 1024) else { continue }
            out += parse(text, file: directory + "/" + f)
        }
        return ModprobeOptions(options: out)
    }

    /// Parses one file; lines ending in `\` continue on the next line.
    public static func parse(_ text: String, file: String) -> [Option] {
        var out: [Option] = []
        var pending = "", startLine = 0
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if pending.isEmpty { startLine = i + 1 }
            var line = String(raw)
            if line.hasSuffix("\\") { line.removeLast(); pending += line + " "; continue }
            let full = (pending + line).trimmingWhitespace()
            pending = ""
            if full.hasPrefix("#") { continue }
            let words = full.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 3, words[0] == "options" else { continue }
            let module = String(words[1]).replacingOccurrences(of: "-", with: "_")
            for w in words.dropFirst(2) {
                let parts = w.split(separator: "=", maxSplits: 1)
                let value = parts.count == 2 ? String(parts[1]).trimmingCharacters(in: "\"") : "1"
                out.append(Option(module: module, name: String(parts[0]), value: value, source: "\(file):\(startLine)"))
            }
        }
        return out
    }

    /// The last value given for `module.name`.
    public func value(_ module: String, _ name: String) -> Option? {
        options.last { $0.module == module && $0.name == name }
    }
}

extension String {
    fileprivate func replacingOccurrences(of a: Character, with b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}

extension String {
    fileprivate func trimmingCharacters(in c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
