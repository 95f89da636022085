/// Go's `path/filepath.Match` on `/`-separated paths, as Helm uses it for `.helmignore`:
/// `*` is any run of characters but `/`, `?` one character but `/`, `[a-z]` and `[^a-z]`
/// classes, `\` escapes the next character. A pattern Go would call malformed is `nil` at
/// `init` (`ErrBadPattern`). Matching backtracks only within one `*` at a time, as Go's does:
/// at worst the pattern's length times the name's.
public struct GoPathMatch: Sendable, Hashable {
    public let pattern: String
    private let scalars: [Unicode.Scalar]

    public init?(_ pattern: String) {
        self.pattern = pattern
        scalars = Array(pattern.unicodeScalars)
        // Go reports a bad pattern when matching reaches it; checking every chunk against an
        // empty name at once reaches them all.
        var rest = scalars[...]
        while !rest.isEmpty {
            let (_, chunk, after) = Self.scanChunk(rest)
            rest = after
            if case .bad = Self.matchChunk(chunk, [][...]) { return nil }
        }
    }

    public func matches(_ name: String) -> Bool {
        var pattern = scalars[...]
        var name = Array(name.unicodeScalars)[...]
        outer: while !pattern.isEmpty {
            let (star, chunk, after) = Self.scanChunk(pattern)
            pattern = after
            if star && chunk.isEmpty { return !name.contains("/") }
            if case .matched(let rest) = Self.matchChunk(chunk, name), rest.isEmpty || !pattern.isEmpty {
                name = rest
                continue
            }
            if star {
                var index = name.startIndex
                while index < name.endIndex && name[index] != "/" {
                    if case .matched(let rest) = Self.matchChunk(chunk, name[(index + 1)...]) {
                        // The last chunk must use up the name.
                        if pattern.isEmpty && !rest.isEmpty { index += 1; continue }
                        name = rest
                        continue outer
                    }
                    index += 1
                }
            }
            return false
        }
        return name.isEmpty
    }

    private enum ChunkMatch { case matched(ArraySlice<Unicode.Scalar>), failed, bad }

    /// Leading stars, then the pattern up to the next star outside a class.
    private static func scanChunk(_ pattern: ArraySlice<Unicode.Scalar>) -> (star: Bool, chunk: ArraySlice<Unicode.Scalar>, rest: ArraySlice<Unicode.Scalar>) {
        var pattern = pattern
        var star = false
        while pattern.first == "*" { pattern = pattern.dropFirst(); star = true }
        var inRange = false
        var index = pattern.startIndex
        scan: while index < pattern.endIndex {
            switch pattern[index] {
            case "\\": if index + 1 < pattern.endIndex { index += 1 }
            case "[": inRange = true
            case "]": inRange = false
            case "*": if !inRange { break scan }
            default: break
            }
            index += 1
        }
        return (star, pattern[pattern.startIndex..<index], pattern[index...])
    }

    private static func matchChunk(_ chunk: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> ChunkMatch {
        var chunk = chunk, name = name
        var failed = false
        while let first = chunk.first {
            if !failed && name.isEmpty { failed = true }
            switch first {
            case "[":
                var scalar: Unicode.Scalar = "\0"
                if !failed { scalar = name.removeFirst() }
                chunk = chunk.dropFirst()
                var negated = false
                if chunk.first == "^" { negated = true; chunk = chunk.dropFirst() }
                var matched = false, ranges = 0
                while true {
                    if chunk.first == "]" && ranges > 0 { chunk = chunk.dropFirst(); break }
                    guard let low = escaped(&chunk) else { return .bad }
                    var high = low
                    if chunk.first == "-" {
                        chunk = chunk.dropFirst()
                        guard let upper = escaped(&chunk) else { return .bad }
                        high = upper
                    }
                    if low <= scalar && scalar <= high { matched = true }
                    ranges += 1
                }
                if matched == negated { failed = true }
            case "?":
                if !failed {
                    if name.first == "/" { failed = true }
                    name = name.dropFirst()
                }
                chunk = chunk.dropFirst()
            default:
                if first == "\\" {
                    chunk = chunk.dropFirst()
                    if chunk.isEmpty { return .bad }
                }
                if !failed {
                    if chunk.first != name.first { failed = true }
                    name = name.dropFirst()
                }
                chunk = chunk.dropFirst()
            }
        }
        return failed ? .failed : .matched(name)
    }

    /// One character of a class, `\` escaping it; nil where Go says ErrBadPattern (a class
    /// that ends early, or an unescaped `-` or `]` where a character belongs).
    private static func escaped(_ chunk: inout ArraySlice<Unicode.Scalar>) -> Unicode.Scalar? {
        guard let first = chunk.first, first != "-", first != "]" else { return nil }
        if first == "\\" { chunk = chunk.dropFirst() }
        guard let scalar = chunk.first else { return nil }
        chunk = chunk.dropFirst()
        return chunk.isEmpty ? nil : scalar
    }
}
