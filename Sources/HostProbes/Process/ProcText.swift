/// Small Foundation-free text helpers of the process probes.
enum ProcText {
    /// `text` without leading and trailing characters from `chars`.
    static func strip(_ text: String, _ chars: String) -> String {
        var s = Substring(text)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }

    /// The range of the last occurrence of `needle` in `text`.
    static func lastRange(of needle: String, in text: String) -> Range<String.Index>? {
        var i = text.endIndex
        while i > text.startIndex {
            i = text.index(before: i)
            if text[i...].hasPrefix(needle) { return i..<text.index(i, offsetBy: needle.count) }
        }
        return nil
    }
}
