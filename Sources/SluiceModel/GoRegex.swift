/// A regular expression as Go's `regexp` package compiles and runs it: RE2 syntax, leftmost-
/// first matches, and `FindAllString`, `ReplaceAllString`, `Split` with Go's rules for empty
/// matches and `$1`/`${name}` expansion. Sprig's `regex*` functions and a values schema's
/// `pattern` use it. Matching is linear (a Pike VM), and each call is bounded by `stepLimit`.
public struct GoRegex: Sendable {
    /// Steps one call may take (about a second of work); more is `GoRegexError.Kind.workLimit`.
    public static let stepLimit = 50_000_000

    public let pattern: String
    private let program: GoRegexProgram
    /// The name of each group, by index (nil for group 0 and unnamed groups).
    let groupNames: [String?]

    public init(_ pattern: String) throws(GoRegexError) {
        var parser = GoRegexParser(pattern)
        let node = try parser.parse()
        do {
            program = try GoRegexProgram(node, groups: parser.groupNames.count)
        } catch {
            throw GoRegexError(message: error.message, pattern: pattern)
        }
        self.pattern = pattern
        self.groupNames = parser.groupNames
    }

    /// Go's `MatchString`.
    public func matches(_ text: String) throws(GoRegexError) -> Bool {
        var budget = Self.stepLimit
        return try program.firstMatch(Array(text.unicodeScalars), from: 0, budget: &budget) != nil
    }

    /// Go's `FindString`: the leftmost match, "" when none.
    public func find(_ text: String) throws(GoRegexError) -> String {
        let input = Array(text.unicodeScalars)
        var budget = Self.stepLimit
        guard let slots = try program.firstMatch(input, from: 0, budget: &budget) else { return "" }
        return Self.text(input, slots[0], slots[1])
    }

    /// Go's `FindAllString(s, n)`: at most `n` matches (all when n < 0).
    public func findAll(_ text: String, limit: Int) throws(GoRegexError) -> [String] {
        let input = Array(text.unicodeScalars)
        return try allMatches(input, limit: limit).map { Self.text(input, $0[0], $0[1]) }
    }

    /// Go's `ReplaceAllString` (`literal: false`: `$1`, `${name}` expand) and
    /// `ReplaceAllLiteralString`.
    public func replaceAll(_ text: String, with replacement: String, literal: Bool) throws(GoRegexError) -> String {
        let input = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var budget = Self.stepLimit
        var lastEnd = 0, searchFrom = 0
        while searchFrom <= input.count {
            guard let slots = try program.firstMatch(input, from: searchFrom, budget: &budget) else { break }
            out.append(contentsOf: input[lastEnd..<slots[0]])
            // No replacement for an empty match right after another match.
            if slots[1] > lastEnd || slots[0] == 0 {
                if literal { out.append(contentsOf: replacement.unicodeScalars) } else { expand(replacement, slots, input, into: &out) }
            }
            lastEnd = slots[1]
            searchFrom = searchFrom + 1 > slots[1] ? searchFrom + 1 : slots[1]
        }
        out.append(contentsOf: input[min(lastEnd, input.count)...])
        return String(out)
    }

    /// Go's `Split(s, n)`.
    public func split(_ text: String, limit: Int) throws(GoRegexError) -> [String] {
        if limit == 0 { return [] }
        if !pattern.isEmpty, text.isEmpty { return [""] }
        let input = Array(text.unicodeScalars)
        var pieces: [String] = []
        var begin = 0, end = 0
        for slots in try allMatches(input, limit: limit) {
            if limit > 0, pieces.count == limit - 1 { break }
            end = slots[0]
            if slots[1] != 0 { pieces.append(Self.text(input, begin, end)) }
            begin = slots[1]
        }
        if end != input.count { pieces.append(Self.text(input, begin, input.count)) }
        return pieces
    }

    /// Go's `QuoteMeta`.
    public static func quoteMeta(_ text: String) -> String {
        var out = ""
        for c in text.unicodeScalars {
            if "\\.+*?()|[]{}^$".unicodeScalars.contains(c) { out.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// Go's `allMatches`: an empty match right after the previous match is skipped, and the
    /// search always moves on by at least one scalar.
    private func allMatches(_ input: [Unicode.Scalar], limit: Int) throws(GoRegexError) -> [[Int]] {
        var out: [[Int]] = []
        var budget = Self.stepLimit
        var position = 0, previousEnd = -1
        while (limit < 0 || out.count < limit), position <= input.count {
            guard let slots = try program.firstMatch(input, from: position, budget: &budget) else { break }
            var accept = true
            if slots[1] == position {
                if slots[0] == previousEnd { accept = false }
                position += 1
            } else {
                position = slots[1]
            }
            previousEnd = slots[1]
            if accept { out.append(slots) }
        }
        return out
    }

    private static func text(_ input: [Unicode.Scalar], _ start: Int, _ end: Int) -> String {
        guard start >= 0, end >= start else { return "" }
        return String(String.UnicodeScalarView(input[start..<end]))
    }

    /// Go's `Regexp.expand`: `$$` is a dollar, `$name`/`${name}` a group (by number when the
    /// name is all digits without a leading zero), an unknown group empty, a malformed `$` raw.
    private func expand(_ template: String, _ slots: [Int], _ input: [Unicode.Scalar], into out: inout String.UnicodeScalarView) {
        let t = Array(template.unicodeScalars)
        var i = 0
        func isNameScalar(_ c: Unicode.Scalar) -> Bool {
            c == "_" || (c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c)))
        }
        while i < t.count {
            guard t[i] == "$" else { out.append(t[i]); i += 1; continue }
            i += 1
            if i < t.count, t[i] == "$" { out.append("$"); i += 1; continue }
            var name: [Unicode.Scalar] = []
            var j = i
            let braced = j < t.count && t[j] == "{"
            if braced { j += 1 }
            while j < t.count, isNameScalar(t[j]) { name.append(t[j]); j += 1 }
            if braced {
                guard j < t.count, t[j] == "}" else { out.append("$"); continue }
                j += 1
            }
            guard !name.isEmpty else { out.append("$"); continue }
            i = j
            var number: Int? = 0
            for c in name {
                guard let n = number, ("0"..."9").contains(c), n < 100_000_000 else { number = nil; break }
                number = n * 10 + Int(c.value - 48)
            }
            if name.count > 1, name[0] == "0" { number = nil }
            let group: Int?
            if let number { group = number } else {
                let wanted = String(String.UnicodeScalarView(name))
                group = groupNames.indices.first { groupNames[$0] == wanted && 2 * $0 + 1 < slots.count && slots[2 * $0] >= 0 }
            }
            if let group, 2 * group + 1 < slots.count, slots[2 * group] >= 0 {
                out.append(contentsOf: input[slots[2 * group]..<slots[2 * group + 1]])
            }
        }
    }
}
