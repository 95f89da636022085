/// Reads Go's regular-expression syntax into a `GoRegexNode` tree, with Go's error messages.
/// Nesting is bounded (`maximumNesting`), so a hostile pattern cannot exhaust the stack.
struct GoRegexParser {
    static let maximumNesting = 100
    static let maximumRepeat = 1000

    private struct Flags {
        var foldCase = false, multiLine = false, dotNewline = false, ungreedy = false
    }

    private let pattern: String
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var flags = Flags()
    private(set) var groupNames: [String?] = [nil]

    init(_ pattern: String) {
        self.pattern = pattern
        self.scalars = Array(pattern.unicodeScalars)
    }

    mutating func parse() throws(GoRegexError) -> GoRegexNode {
        let node = try alternation(depth: 0)
        if index < scalars.count { throw error("unexpected )", at: index, length: scalars.count - index) }
        return node
    }

    private func error(_ message: String, at start: Int? = nil, length: Int? = nil) -> GoRegexError {
        guard let start else { return GoRegexError(message: message, pattern: pattern) }
        let end = min(scalars.count, start + (length ?? scalars.count))
        return GoRegexError(message: message, pattern: String(String.UnicodeScalarView(scalars[start..<end])))
    }

    private var peek: Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }

    private mutating func alternation(depth: Int) throws(GoRegexError) -> GoRegexNode {
        guard depth <= Self.maximumNesting else { throw error("expression nests too deeply") }
        var branches = [try concatenation(depth: depth)]
        while peek == "|" {
            index += 1
            branches.append(try concatenation(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func concatenation(depth: Int) throws(GoRegexError) -> GoRegexNode {
        var items: [GoRegexNode] = []
        while let c = peek, c != "|", c != ")" {
            let start = index
            if c == "*" || c == "+" || c == "?" { throw error("missing argument to repetition operator", at: index, length: 1) }
            if c == "{", let _ = repeatCount(at: index) { throw error("missing argument to repetition operator", at: index, length: repeatLength(at: index)) }
            var quoted: GoRegexNode? = nil
            if c == "\\", index + 1 < scalars.count, scalars[index + 1] == "Q" {
                // \Q...\E is literals; a repetition after it takes the last one only.
                var literals = try quotedLiterals()
                guard let last = literals.popLast() else { continue }
                items += literals
                quoted = last
            }
            let parsed: GoRegexNode?
            if let quoted { parsed = quoted } else { parsed = try atom(depth: depth) }
            guard var atom = parsed else { continue }
            var repeated = false
            while let (min, max, length) = repetition(at: index) {
                let operatorStart = index
                if repeated { throw error("invalid nested repetition operator", at: start, length: index + length - start) }
                index += length
                var greedy = true
                if peek == "?" { greedy = false; index += 1 }
                if flags.ungreedy { greedy.toggle() }
                if min > Self.maximumRepeat || (max ?? 0) > Self.maximumRepeat || (max.map { $0 < min } ?? false) {
                    throw error("invalid repeat count", at: operatorStart, length: length)
                }
                atom = .repeating(atom, min: min, max: max, greedy: greedy)
                repeated = true
            }
            items.append(atom)
        }
        switch items.count {
        case 0: return .empty
        case 1: return items[0]
        default: return .concat(items)
        }
    }

    /// A repetition operator at `at`: its bounds and length, nil when there is none (a `{`
    /// that does not form `{n}`, `{n,}` or `{n,m}` is a literal).
    private func repetition(at position: Int) -> (Int, Int?, Int)? {
        guard position < scalars.count else { return nil }
        switch scalars[position] {
        case "*": return (0, nil, 1)
        case "+": return (1, nil, 1)
        case "?": return (0, 1, 1)
        case "{":
            guard let (min, max) = repeatCount(at: position) else { return nil }
            return (min, max, repeatLength(at: position))
        default: return nil
        }
    }

    private func repeatLength(at position: Int) -> Int {
        var end = position
        while end < scalars.count, scalars[end] != "}" { end += 1 }
        return end - position + 1
    }

    private func repeatCount(at position: Int) -> (Int, Int?)? {
        var i = position + 1
        func number() -> Int? {
            let start = i
            var value = 0
            while i < scalars.count, let digit = scalars[i].properties.numericType == .decimal && scalars[i].isASCII ? Int(scalars[i].value) - 48 : nil {
                // Large counts stay large (refused as invalid), without overflow.
                value = Swift.min(value * 10 + digit, 1_000_000)
                i += 1
            }
            return i > start ? value : nil
        }
        guard let min = number() else { return nil }
        var max: Int? = min
        if i < scalars.count, scalars[i] == "," {
            i += 1
            max = i < scalars.count && scalars[i] == "}" ? nil : number()
            if max == nil, !(i < scalars.count && scalars[i] == "}") { return nil }
        }
        guard i < scalars.count, scalars[i] == "}" else { return nil }
        return (min, max)
    }

    /// One atom, or nil for a flag group (`(?i)`), which only changes the flags.
    private mutating func atom(depth: Int) throws(GoRegexError) -> GoRegexNode? {
        let c = scalars[index]
        switch c {
        case "(":
            return try group(depth: depth)
        case "[":
            return .set(try characterClass())
        case ".":
            index += 1
            return .any(newline: flags.dotNewline)
        case "^":
            index += 1
            return .assertion(flags.multiLine ? .beginLine : .beginText)
        case "$":
            index += 1
            return .assertion(flags.multiLine ? .endLine : .endText)
        case "\\":
            return try escapeOutsideClass()
        default:
            index += 1
            return .scalar(c, foldCase: flags.foldCase)
        }
    }

    private mutating func group(depth: Int) throws(GoRegexError) -> GoRegexNode? {
        let open = index
        index += 1
        var captureIndex: Int? = nil
        let saved = flags
        if peek == "?" {
            index += 1
            if peek == "P" || peek == "<" {
                if peek == "P" { index += 1 }
                guard peek == "<" else { throw error("invalid or unsupported Perl syntax", at: open, length: 3) }
                index += 1
                let nameStart = index
                while let s = peek, s != ">" { index += 1; _ = s }
                guard peek == ">" else { throw error("invalid named capture", at: open) }
                let name = String(String.UnicodeScalarView(scalars[nameStart..<index]))
                index += 1
                guard !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "_") }) else {
                    throw error("invalid named capture", at: open, length: index - open)
                }
                // Go (unlike RE2) lets a name be used twice; `${name}` takes the first that matched.
                groupNames.append(name)
                captureIndex = groupNames.count - 1
            } else {
                // Flags: `(?i)` for the rest of the group, `(?i:re)` for re.
                var negate = false, sawFlag = false
                var newFlags = flags
                loop: while let f = peek {
                    index += 1
                    switch f {
                    case "i": newFlags.foldCase = !negate; sawFlag = true
                    case "m": newFlags.multiLine = !negate; sawFlag = true
                    case "s": newFlags.dotNewline = !negate; sawFlag = true
                    case "U": newFlags.ungreedy = !negate; sawFlag = true
                    case "-":
                        guard !negate else { throw error("invalid or unsupported Perl syntax", at: open, length: index - open) }
                        negate = true; sawFlag = false
                    case ")":
                        guard sawFlag || !negate else { throw error("invalid or unsupported Perl syntax", at: open, length: index - open) }
                        flags = newFlags
                        return nil
                    case ":":
                        guard sawFlag || !negate else { throw error("invalid or unsupported Perl syntax", at: open, length: index - open) }
                        flags = newFlags
                        break loop
                    default:
                        throw error("invalid or unsupported Perl syntax", at: open, length: index - open)
                    }
                }
                if index >= scalars.count, scalars.last != ":" { throw error("missing closing )", at: open) }
            }
        } else {
            groupNames.append(nil)
            captureIndex = groupNames.count - 1
        }
        let inner = try alternation(depth: depth + 1)
        guard peek == ")" else { throw error("missing closing )", at: open) }
        index += 1
        flags = saved
        if let captureIndex { return .capture(index: captureIndex, node: inner) }
        return inner
    }

    private mutating func escapeOutsideClass() throws(GoRegexError) -> GoRegexNode {
        let start = index
        guard index + 1 < scalars.count else { throw error("trailing backslash at end of expression") }
        let c = scalars[index + 1]
        switch c {
        case "A": index += 2; return .assertion(.beginText)
        case "z": index += 2; return .assertion(.endText)
        case "b": index += 2; return .assertion(.wordBoundary)
        case "B": index += 2; return .assertion(.notWordBoundary)
        default:
            if let set = try perlOrUnicodeClass() { return .set(set) }
            index = start
            return .scalar(try escapedScalar(), foldCase: flags.foldCase)
        }
    }

    /// The literals of `\Q...\E` (to the end of the pattern when there is no `\E`).
    private mutating func quotedLiterals() throws(GoRegexError) -> [GoRegexNode] {
        index += 2
        var items: [GoRegexNode] = []
        while index < scalars.count {
            if scalars[index] == "\\", index + 1 < scalars.count, scalars[index + 1] == "E" { index += 2; break }
            items.append(.scalar(scalars[index], foldCase: flags.foldCase))
            index += 1
        }
        return items
    }

    /// `\d \s \w` (and their negations) or `\pL \p{Lu} \PL`, at `index`; nil when it is neither.
    private mutating func perlOrUnicodeClass() throws(GoRegexError) -> GoRegexSet? {
        guard index + 1 < scalars.count, scalars[index] == "\\" else { return nil }
        let start = index
        var set = GoRegexSet()
        switch scalars[index + 1] {
        case "d": set.ranges = group(GoRegexSet.digit, negated: false)
        case "D": set.ranges = group(GoRegexSet.digit, negated: true)
        case "s": set.ranges = group(GoRegexSet.space, negated: false)
        case "S": set.ranges = group(GoRegexSet.space, negated: true)
        case "w": set.ranges = group(GoRegexSet.word, negated: false)
        case "W": set.ranges = group(GoRegexSet.word, negated: true)
        case "p", "P":
            var negated = scalars[index + 1] == "P"
            index += 2
            var name: String
            if peek == "{" {
                let nameStart = index + 1
                while let s = peek, s != "}" { index += 1 }
                guard peek == "}" else { throw error("invalid character class range", at: start) }
                name = String(String.UnicodeScalarView(scalars[nameStart..<index]))
                index += 1
            } else {
                guard let s = peek else { throw error("invalid character class range", at: start) }
                name = String(s)
                index += 1
            }
            if name.hasPrefix("^") { negated.toggle(); name.removeFirst() }
            guard let ranges = GoRegexUnicode.ranges(name) else {
                throw error("invalid character class range", at: start, length: index - start)
            }
            set.ranges = group(ranges, negated: negated)
            return set
        default: return nil
        }
        index += 2
        return set
    }

    /// A class item as Go's `appendGroup` adds it: folded under `(?i)`, then negated.
    private func group(_ ranges: [ClosedRange<UInt32>], negated: Bool) -> [ClosedRange<UInt32>] {
        let base = flags.foldCase ? GoRegexSet.folded(ranges) : ranges
        return negated ? GoRegexSet.complement(base) : base
    }

    /// One escaped scalar (`\n`, `\x41`, `\x{263a}`, `\101`, `\.`), Go's rules.
    private mutating func escapedScalar() throws(GoRegexError) -> Unicode.Scalar {
        let start = index
        index += 1
        guard let c = peek else { throw error("trailing backslash at end of expression") }
        index += 1
        func octal(_ s: Unicode.Scalar?) -> UInt32? {
            guard let s, ("0"..."7").contains(s) else { return nil }
            return s.value - 48
        }
        func hex(_ s: Unicode.Scalar?) -> UInt32? {
            guard let s, s.isASCII, let digit = Int(String(s), radix: 16) else { return nil }
            return UInt32(digit)
        }
        switch c {
        case "1"..."7" where octal(peek) != nil, "0":
            var value = c.value - 48
            for _ in 0..<2 {
                guard let digit = octal(peek) else { break }
                value = value * 8 + digit
                index += 1
            }
            return Unicode.Scalar(value)!
        case "x":
            if peek == "{" {
                index += 1
                var value: UInt32 = 0, digits = 0
                while let digit = hex(peek) {
                    value = value * 16 + digit
                    digits += 1
                    index += 1
                    if value > 0x10FFFF { break }
                }
                guard digits > 0, peek == "}", let scalar = Unicode.Scalar(value) else {
                    throw error("invalid escape sequence", at: start, length: index - start + 1)
                }
                index += 1
                return scalar
            }
            guard let high = hex(peek), let low = hex(index + 1 < scalars.count ? scalars[index + 1] : nil) else {
                throw error("invalid escape sequence", at: start, length: index - start + 1)
            }
            index += 2
            return Unicode.Scalar(high * 16 + low)!
        case "a": return "\u{07}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        default:
            if c.isASCII, !c.properties.isAlphabetic, c.properties.numericType == nil { return c }
            throw error("invalid escape sequence", at: start, length: index - start)
        }
    }

    private mutating func characterClass() throws(GoRegexError) -> GoRegexSet {
        let open = index
        index += 1
        var set = GoRegexSet()
        if peek == "^" { set.negated = true; index += 1 }
        var first = true
        while first || peek != "]" {
            guard peek != nil else { throw error("missing closing ]", at: open) }
            first = false
            // [:alpha:] and [:^alpha:]
            if peek == "[", index + 1 < scalars.count, scalars[index + 1] == ":" {
                var end = index + 2
                while end + 1 < scalars.count, !(scalars[end] == ":" && scalars[end + 1] == "]") { end += 1 }
                if end + 1 < scalars.count {
                    var name = String(String.UnicodeScalarView(scalars[(index + 2)..<end]))
                    let negated = name.hasPrefix("^")
                    if negated { name.removeFirst() }
                    guard let ranges = GoRegexSet.posix(name) else {
                        throw error("invalid character class range", at: index, length: end + 2 - index)
                    }
                    set.ranges += group(ranges, negated: negated)
                    index = end + 2
                    continue
                }
            }
            if let inner = try perlOrUnicodeClass() {
                set.ranges += inner.ranges
                continue
            }
            let rangeStart = index
            let low = try classScalar()
            var high = low
            if peek == "-", index + 1 < scalars.count, scalars[index + 1] != "]" {
                index += 1
                high = try classScalar()
                guard high.value >= low.value else { throw error("invalid character class range", at: rangeStart, length: index - rangeStart) }
            }
            set.ranges += flags.foldCase ? GoRegexSet.folded([low.value...high.value]) : [low.value...high.value]
        }
        index += 1
        return set
    }

    private mutating func classScalar() throws(GoRegexError) -> Unicode.Scalar {
        guard let c = peek else { throw error("missing closing ]") }
        if c == "\\" { return try escapedScalar() }
        index += 1
        return c
    }
}
