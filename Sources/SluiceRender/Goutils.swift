/// The text functions of Masterminds/goutils that Sprig calls, byte for byte: they work on
/// bytes, not characters, as goutils does.
enum Goutils {
    /// `WrapCustom`: lines broken at the last space before `width`; long words broken at
    /// `width` when `wrapLongWords`, else left whole.
    static func wrap(_ text: String, width: Int, newLine: String, wrapLongWords: Bool) -> String {
        let s = Array(text.utf8)
        guard !s.isEmpty else { return "" }
        let newLine = Array((newLine.isEmpty ? "\n" : newLine).utf8)
        let width = Swift.max(1, width)
        let space = UInt8(ascii: " ")
        var out: [UInt8] = []
        var offset = 0
        while s.count - offset > width {
            if s[offset] == space { offset += 1; continue }
            let end = Swift.min(width + offset + 1, s.count)
            if let last = s[offset..<end].lastIndex(of: space) {
                out += s[offset..<last] + newLine
                offset = last + 1
            } else if wrapLongWords {
                out += s[offset..<(offset + width)] + newLine
                offset += width
            } else if let next = s[(offset + width)...].firstIndex(of: space) {
                out += s[offset..<next] + newLine
                offset = next + 1
            } else {
                out += s[offset...]
                offset = s.count
            }
        }
        out += s[offset...]
        return String(decoding: out, as: UTF8.self)
    }

    /// `AbbreviateFull`: at most `maxWidth` bytes with `...`, the text around `offset` kept;
    /// nil where goutils gives an error (Sprig prints nothing then).
    static func abbreviate(_ text: String, offset: Int, maxWidth: Int) -> String? {
        let s = Array(text.utf8)
        if s.isEmpty { return "" }
        guard maxWidth >= 4 else { return nil }
        if s.count <= maxWidth { return text }
        var offset = Swift.min(offset, s.count)
        if s.count - offset < maxWidth - 3 { offset = s.count - (maxWidth - 3) }
        if offset <= 4 { return String(decoding: s[0..<(maxWidth - 3)], as: UTF8.self) + "..." }
        guard maxWidth >= 7 else { return nil }
        if offset + maxWidth - 3 < s.count {
            return "..." + (abbreviate(String(decoding: s[offset...], as: UTF8.self), offset: 0, maxWidth: maxWidth - 3) ?? "")
        }
        return "..." + String(decoding: s[(s.count - (maxWidth - 3))...], as: UTF8.self)
    }

    /// `Initials`: the first byte of each word (words end at Unicode spaces, byte by byte).
    static func initials(_ text: String) -> String {
        var out = ""
        var lastWasGap = true
        for byte in text.utf8 {
            // unicode.IsSpace of a byte read as a rune: ASCII spaces, U+0085 and U+00A0.
            if [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0].contains(byte) {
                lastWasGap = true
            } else if lastWasGap {
                out.unicodeScalars.append(Unicode.Scalar(byte))
                lastWasGap = false
            }
        }
        return out
    }
}
