/// Which YAML styles can carry a string unchanged: libyaml's emitter analysis (as go-yaml
/// v2 ports it) for a scalar in block context, and go-yaml v2's resolver, which decides
/// whether a plain scalar would read back as something other than a string.
struct YAMLStringAnalysis {
    var plainAllowed = true
    var singleQuotedAllowed = true
    var blockAllowed = true

    init(_ s: String) {
        guard !s.isEmpty else {
            plainAllowed = false
            return
        }
        if s.hasPrefix("---") || s.hasPrefix("...") { plainAllowed = false }
        // Most strings are ASCII: read their bytes as scalars instead of decoding UTF-8.
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            analyze(s.utf8.lazy.map { Unicode.Scalar($0) })
        } else {
            analyze(s.unicodeScalars)
        }
        if s.utf8.contains(0x0A) { plainAllowed = false }
    }

    private mutating func analyze<Scalars: Collection<Unicode.Scalar>>(_ scalars: Scalars) {
        var previousWasSpace = false, previousWasBreak = false
        var spaceBreak = false, breakSpace = false, special = false
        var index = scalars.startIndex
        var isFirst = true
        var last: Unicode.Scalar = " "
        while index != scalars.endIndex {
            let c = scalars[index]
            let nextIndex = scalars.index(after: index)
            let next: Unicode.Scalar? = nextIndex == scalars.endIndex ? nil : scalars[nextIndex]
            let followedByBlank = next == nil || next == " " || next == "\t" || next == "\n"
            if isFirst {
                switch c {
                case "#", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`":
                    plainAllowed = false
                case "?", ":", "-":
                    if followedByBlank { plainAllowed = false }
                default: break
                }
                if c == " " || c == "\n" { plainAllowed = false }  // leading space or break
            } else {
                switch c {
                case ":": if followedByBlank { plainAllowed = false }
                case "#": if previousWasSpace { plainAllowed = false }
                default: break
                }
            }
            if c != "\n" && !Self.isPrintable(c) { special = true }
            if c == "\u{FEFF}" { special = true }
            if c == " " {
                if previousWasBreak { breakSpace = true }
                previousWasSpace = true
                previousWasBreak = false
            } else if c == "\n" {
                if previousWasSpace { spaceBreak = true }
                previousWasBreak = true
                previousWasSpace = false
            } else {
                previousWasSpace = false
                previousWasBreak = false
            }
            last = c
            isFirst = false
            index = nextIndex
        }
        if last == " " || last == "\n" { plainAllowed = false }  // trailing space or break
        if last == " " { blockAllowed = false }
        if breakSpace { plainAllowed = false; singleQuotedAllowed = false }
        if spaceBreak || special { plainAllowed = false; singleQuotedAllowed = false; blockAllowed = false }
    }

    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x0A, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF:
            return c.value != 0xFEFF
        default:
            return false
        }
    }

    /// go-yaml v2 `resolve("", s)` gives a non-string tag: the string must be quoted.
    static func resolvesToNonString(_ s: String) -> Bool {
        guard let first = s.utf8.first else { return true }
        // Only numbers and the short words below resolve to something else; most strings
        // are neither, and comparing them with forty words each would be the slow part.
        let startsNumeric = (0x30...0x39).contains(first) || first == 0x2D || first == 0x2B || first == 0x2E
        if !startsNumeric && s.utf8.count > 6 { return false }
        switch s {
        case "", "~", "null", "Null", "NULL",
             "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
             "true", "True", "TRUE", "false", "False", "FALSE",
             "on", "On", "ON", "off", "Off", "OFF",
             ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
             "-.inf", "-.Inf", "-.INF", "<<":
            return true
        default:
            break
        }
        guard startsNumeric else { return false }
        let plain = s.filter { $0 != "_" }
        return goParsesAsInt(plain) || isYAMLFloat(plain) || isBase60Float(s) || isTimestamp(s)
    }

    private static func goParsesAsInt(_ s: String) -> Bool {
        var body = Substring(s)
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let lower = body.lowercased()
        if lower.hasPrefix("0x") { return lower.count > 2 && lower.dropFirst(2).allSatisfy(\.isHexDigit) }
        if lower.hasPrefix("0o") { return lower.count > 2 && lower.dropFirst(2).allSatisfy { ("0"..."7").contains($0) } }
        if lower.hasPrefix("0b") { return lower.count > 2 && lower.dropFirst(2).allSatisfy { $0 == "0" || $0 == "1" } }
        if lower.hasPrefix("0") { return lower.allSatisfy { ("0"..."7").contains($0) } }
        return !lower.isEmpty && lower.allSatisfy(\.isASCIIDigit)
    }

    /// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
    private static func isYAMLFloat(_ s: String) -> Bool {
        var chars = Substring(s)
        if chars.first == "-" || chars.first == "+" { chars = chars.dropFirst() }
        let mantissaEnd = chars.firstIndex { $0 == "e" || $0 == "E" } ?? chars.endIndex
        let mantissa = chars[..<mantissaEnd]
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }) else { return false }
        if parts.count == 1 && parts[0].isEmpty { return false }
        if parts.count == 2 && parts[0].isEmpty && parts[1].isEmpty { return false }
        if mantissaEnd < chars.endIndex {
            var exponent = chars[chars.index(after: mantissaEnd)...]
            if exponent.first == "-" || exponent.first == "+" { exponent = exponent.dropFirst() }
            return !exponent.isEmpty && exponent.allSatisfy(\.isASCIIDigit)
        }
        return true
    }

    /// `1:20` reads as a sexagesimal number in YAML 1.1.
    private static func isBase60Float(_ s: String) -> Bool {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return false }
        var head = parts[0]
        if head.first == "-" || head.first == "+" { head = head.dropFirst() }
        guard let first = head.first, first.isASCIIDigit, head.allSatisfy({ $0.isASCIIDigit || $0 == "_" }) else { return false }
        for (index, part) in parts.dropFirst().enumerated() {
            let isLast = index == parts.count - 2
            var digits = part
            if isLast, let dot = part.firstIndex(of: ".") {
                guard part[part.index(after: dot)...].allSatisfy({ $0.isASCIIDigit || $0 == "_" }) else { return false }
                digits = part[..<dot]
            }
            guard (1...2).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else { return false }
            if digits.count == 2, let tens = digits.first, tens > "5" { return false }
        }
        return true
    }

    /// `2006-01-02` and date-times: go-yaml v2 reads these as timestamps.
    private static func isTimestamp(_ s: String) -> Bool {
        let chars = Array(s)
        guard chars.count >= 8, chars[0..<4].allSatisfy(\.isASCIIDigit), chars[4] == "-" else { return false }
        var index = 5
        func number() -> Bool {
            let start = index
            while index < chars.count, chars[index].isASCIIDigit, index - start < 2 { index += 1 }
            return index > start
        }
        guard number(), index < chars.count, chars[index] == "-" else { return false }
        index += 1
        guard number() else { return false }
        return index == chars.count || chars[index] == "T" || chars[index] == "t" || chars[index] == " "
    }
}

extension Character {
    public var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
