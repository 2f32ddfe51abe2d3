import Core

/// `modprobe.d/*.conf`: `options <module> <param>=<value> ...` lines that set module parameters
/// at load time (modprobe.d(5)). As kmod reads them (`conf_files_list` in libkmod-config.c): the
/// `.conf` files of `directories`, a name in an earlier directory hiding the same name in a later
/// one (`/etc` overrides `/run`, which overrides the distribution's `/usr/lib` and `/lib`), all
/// read in name order; for a parameter given twice the last one counts. `-` and `_` are the same
/// in module names.
public struct ModprobeOptions: Sendable, Hashable {
    /// kmod's configuration directories, highest priority first.
    public static let directories = ["/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                     "/usr/lib/modprobe.d", "/lib/modprobe.d"]
    /// Where an administrator writes options.
    public static let directory = directories[0]
    /// The directories, for a fact's source.
    public static let sources = "{/etc,/run,/usr/local/lib,/usr/lib,/lib}/modprobe.d/*.conf"

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
        var chosen: [String: String] = [:]  // file name -> host path of the file kmod reads
        for dir in directories {
            let files: [String]
            do { files = try FileReader.list(root.path(dir)) } catch .notFound { continue }
            for f in files where f.hasSuffix(".conf") && chosen[f] == nil { chosen[f] = dir + "/" + f }
        }
        var out: [Option] = []
        for name in chosen.keys.sorted() {
            let path = chosen[name]!
            guard let text = try? FileReader.readString(root.path(path), limit: 256 * 1024) else { continue }
            out += parse(text, file: path)
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
