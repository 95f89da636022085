/// Reads the plain, block-style YAML that templates emit, several times faster than libyaml
/// plus `YAMLValueBuilder`, with the same result. Rendering parses every cluster's output of
/// every template, so this is the hot path of validating and planning a large fleet.
///
/// It handles a strict subset: printable ASCII; block mappings and sequences (including a
/// sequence at its key's indentation and compact `- key: value` items); single-line plain,
/// single- and double-quoted scalars; single-line flow collections; `|` and `|-` literal
/// blocks; comments; `---` between documents. On anything else (anchors, aliases, tags,
/// folded or multi-line scalars, tabs, duplicate keys, `<<`, a document that is not a
/// mapping, anything malformed) it declines by returning nil, and the caller parses with
/// libyaml, which also writes the error messages. It never reports errors of its own.
/// `BlockYAMLReaderTests` checks it against libyaml on rendered fleets and on mutated text.
public struct BlockYAMLReader {
    private struct Decline: Error {}

    private struct Line {
        var start: Int
        var end: Int  // exclusive, without the newline
        var indent: Int
        /// Blank, or only a comment.
        var isBlank: Bool
        var isDocumentStart: Bool
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var lines: [Line] = []
    /// Nodes open around the one being read: past `ValueLimits.nesting` it declines, and
    /// libyaml's reading reports the error (and no recursion here runs out of stack).
    private final class Nesting { var open = 0 }
    private let nesting = Nesting()

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Every document of the stream with its position, or nil when the text is outside the subset.
    public static func read(_ text: [UInt8]) -> [(value: Value, mark: Mark)]? {
        text.withUnsafeBufferPointer { buffer in
            var reader = BlockYAMLReader(bytes: buffer)
            return try? reader.documents()
        }
    }

    // MARK: - Lines and documents

    private mutating func splitLines() throws(Decline) {
        var start = 0
        lines.reserveCapacity(bytes.count / 24)
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != 0x0A {
                let byte = bytes[end]
                guard byte >= 0x20 && byte < 0x7F else { throw Decline() }  // tabs, CR, control, non-ASCII
                end += 1
            }
            var indent = start
            while indent < end, bytes[indent] == 0x20 { indent += 1 }
            let isBlank = indent == end || bytes[indent] == UInt8(ascii: "#")
            var isDocumentStart = false
            if indent == start, end - start >= 3, bytes[start] == UInt8(ascii: "-"),
               bytes[start + 1] == UInt8(ascii: "-"), bytes[start + 2] == UInt8(ascii: "-") {
                guard isSpaces(start + 3, end) else { throw Decline() }
                isDocumentStart = true
            }
            if indent == start, end > start, bytes[start] == UInt8(ascii: "%") || startsWith("...", at: start, end: end) {
                throw Decline()
            }
            lines.append(Line(start: start, end: end, indent: indent - start, isBlank: isBlank, isDocumentStart: isDocumentStart))
            start = end + 1
        }
    }

    private mutating func documents() throws(Decline) -> [(value: Value, mark: Mark)] {
        try splitLines()
        var result: [(value: Value, mark: Mark)] = []
        var index = nextContent(0)
        while index < lines.count {
            let mark: Mark
            if lines[index].isDocumentStart {
                mark = Mark(line: index + 1, column: 1)
                index = nextContent(index + 1)
                if index >= lines.count || lines[index].isDocumentStart {
                    result.append((.null, mark))
                    continue
                }
            } else {
                mark = Mark(line: index + 1, column: lines[index].indent + 1)
            }
            let line = lines[index]
            let (value, next) = try node(line: index, at: line.start + line.indent, parentIndent: -1)
            guard case .map = value else { throw Decline() }  // libyaml words the error
            index = nextContent(next)
            guard index >= lines.count || lines[index].isDocumentStart else { throw Decline() }
            result.append((value, mark))
        }
        return result
    }

    private func nextContent(_ from: Int) -> Int {
        var index = from
        while index < lines.count, lines[index].isBlank, !lines[index].isDocumentStart { index += 1 }
        return index
    }

    // MARK: - Block nodes

    /// The node starting at byte `position` of line `line`; returns it and the index of the
    /// first line after it.
    private func node(line: Int, at position: Int, parentIndent: Int) throws(Decline) -> (Value, Int) {
        nesting.open += 1
        defer { nesting.open -= 1 }
        guard nesting.open <= ValueLimits.nesting else { throw Decline() }
        let end = lines[line].end
        let column = position - lines[line].start
        guard column > parentIndent else { throw Decline() }
        let first = bytes[position]
        if first == UInt8(ascii: "-"), position + 1 == end || bytes[position + 1] == 0x20 {
            return try sequence(line: line, indent: column)
        }
        if try mappingKeyEnd(position, end) != nil {
            return try mapping(line: line, indent: column)
        }
        return try inlineValue(line: line, at: position, parentIndent: parentIndent)
    }

    private func mapping(line start: Int, indent: Int) throws(Decline) -> (Value, Int) {
        // Entries are gathered first so the dictionary is built at its final size.
        var entries: [(key: String, value: Value)] = []
        var index = start
        var position = lines[start].start + indent
        while true {
            let end = lines[index].end
            guard let (key, colon) = try mappingKeyEnd(position, end) else { throw Decline() }
            guard key != "<<", key.utf8.count <= 1024 else { throw Decline() }
            let valueStart = skipSpaces(colon + 1, end)
            let value: Value
            var next: Int
            if valueStart == end || bytes[valueStart] == UInt8(ascii: "#") {
                next = nextContent(index + 1)
                if next < lines.count, !lines[next].isDocumentStart, lines[next].indent > indent {
                    (value, next) = try node(line: next, at: lines[next].start + lines[next].indent, parentIndent: indent)
                } else if next < lines.count, !lines[next].isDocumentStart, lines[next].indent == indent, isDash(lines[next]) {
                    (value, next) = try sequence(line: next, indent: indent)
                } else {
                    value = .null
                }
            } else {
                (value, next) = try inlineValue(line: index, at: valueStart, parentIndent: indent)
            }
            entries.append((key, value))
            next = nextContent(next)
            guard next < lines.count, !lines[next].isDocumentStart, lines[next].indent >= indent else {
                return (.map(try Self.dictionary(entries)), next)
            }
            guard lines[next].indent == indent, !isDash(lines[next]) else { throw Decline() }
            index = next
            position = lines[index].start + indent
        }
    }

    /// The entries as a dictionary; a duplicate key is libyaml's to report.
    private static func dictionary(_ entries: [(key: String, value: Value)]) throws(Decline) -> [String: Value] {
        var map = [String: Value](minimumCapacity: entries.count)
        for (key, value) in entries {
            guard map.updateValue(value, forKey: key) == nil else { throw Decline() }
        }
        return map
    }

    private func sequence(line start: Int, indent: Int) throws(Decline) -> (Value, Int) {
        var items: [Value] = []
        var index = start
        while true {
            let line = lines[index]
            let contentStart = skipSpaces(line.start + indent + 1, line.end)
            var next: Int
            if contentStart == line.end || bytes[contentStart] == UInt8(ascii: "#") {
                next = nextContent(index + 1)
                if next < lines.count, !lines[next].isDocumentStart, lines[next].indent > indent {
                    let item: Value
                    (item, next) = try node(line: next, at: lines[next].start + lines[next].indent, parentIndent: indent)
                    items.append(item)
                } else {
                    items.append(.null)
                }
            } else {
                let item: Value
                (item, next) = try node(line: index, at: contentStart, parentIndent: indent)
                items.append(item)
            }
            next = nextContent(next)
            guard next < lines.count, !lines[next].isDocumentStart, lines[next].indent >= indent else { return (.list(items), next) }
            guard lines[next].indent == indent else { throw Decline() }
            guard isDash(lines[next]) else { return (.list(items), next) }  // the parent mapping's next key
            index = next
        }
    }

    private func isDash(_ line: Line) -> Bool {
        let position = line.start + line.indent
        return bytes[position] == UInt8(ascii: "-") && (position + 1 == line.end || bytes[position + 1] == 0x20)
    }

    /// A mapping key at `position`: its text and the position of its `:`, or nil when the
    /// line does not start a mapping entry there.
    private func mappingKeyEnd(_ position: Int, _ end: Int) throws(Decline) -> (String, Int)? {
        let first = bytes[position]
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            let (text, after) = try quoted(position, end)
            let colon = skipSpaces(after, end)
            guard colon < end, bytes[colon] == UInt8(ascii: ":") else { return nil }
            guard colon + 1 == end || bytes[colon + 1] == 0x20 else { throw Decline() }
            return (text, colon)
        }
        guard canStartPlain(position, end, inFlow: false) else { return nil }
        var index = position
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":"), index + 1 == end || bytes[index + 1] == 0x20 {
                var keyEnd = index
                while keyEnd > position, bytes[keyEnd - 1] == 0x20 { keyEnd -= 1 }
                return (string(position, keyEnd), index)
            }
            if byte == UInt8(ascii: "#"), bytes[index - 1] == 0x20 { return nil }
            index += 1
        }
        return nil
    }

    // MARK: - Values on one line

    /// A scalar, flow collection or literal block starting at `position`, the rest of the
    /// line being at most a comment; returns it and the index of the line after it.
    private func inlineValue(line: Int, at position: Int, parentIndent: Int) throws(Decline) -> (Value, Int) {
        let end = lines[line].end
        let first = bytes[position]
        var value: Value
        var after: Int
        switch first {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (text, next) = try quoted(position, end)
            (value, after) = (.string(text), next)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            (value, after) = try flow(position, end)
        case UInt8(ascii: "|"):
            return try literalBlock(line: line, at: position, parentIndent: parentIndent)
        default:
            guard canStartPlain(position, end, inFlow: false), !startsWith("---", at: position, end: end),
                  !startsWith("...", at: position, end: end) else { throw Decline() }
            var index = position
            var textEnd = position
            while index < end {
                let byte = bytes[index]
                if byte == UInt8(ascii: "#"), bytes[index - 1] == 0x20 { break }
                if byte == UInt8(ascii: ":"), index + 1 == end || bytes[index + 1] == 0x20 { throw Decline() }
                if byte != 0x20 { textEnd = index + 1 }
                index += 1
            }
            value = ScalarResolver.resolvePlain(string(position, textEnd))
            after = index
        }
        after = skipSpaces(after, end)
        guard after == end || bytes[after] == UInt8(ascii: "#") && bytes[after - 1] == 0x20 else { throw Decline() }
        return (value, line + 1)
    }

    /// `|`, `|-`: the lines indented deeper than the parent, kept as written.
    private func literalBlock(line: Int, at position: Int, parentIndent: Int) throws(Decline) -> (Value, Int) {
        let headerEnd = lines[line].end
        var index = position + 1
        var strip = false
        if index < headerEnd, bytes[index] == UInt8(ascii: "-") { strip = true; index += 1 }
        let rest = skipSpaces(index, headerEnd)
        guard rest == headerEnd || (rest > index && bytes[rest] == UInt8(ascii: "#")) else { throw Decline() }
        // The block's indentation is that of its first non-empty line.
        var first = line + 1
        var leadingEmpty = 0
        while first < lines.count, lines[first].indent == lines[first].end - lines[first].start {
            leadingEmpty = max(leadingEmpty, lines[first].indent)
            first += 1
        }
        guard first < lines.count, lines[first].indent > parentIndent, !lines[first].isDocumentStart,
              leadingEmpty <= lines[first].indent else { throw Decline() }
        let blockIndent = lines[first].indent
        var text: [UInt8] = []
        var pendingBreaks = 0
        var current = line + 1
        while current < lines.count {
            let candidate = lines[current]
            let isEmpty = candidate.indent == candidate.end - candidate.start
            if !isEmpty && candidate.indent < blockIndent { break }
            if candidate.isDocumentStart { break }
            if isEmpty && candidate.end - candidate.start <= blockIndent {
                pendingBreaks += 1
            } else {
                if !text.isEmpty || pendingBreaks > 0 {
                    text.append(contentsOf: repeatElement(0x0A, count: pendingBreaks + (text.isEmpty ? 0 : 1)))
                }
                pendingBreaks = 0
                text.append(contentsOf: bytes[(candidate.start + blockIndent)..<candidate.end])
            }
            current += 1
        }
        if !strip { text.append(0x0A) }
        return (.string(String(decoding: text, as: UTF8.self)), current)
    }

    /// A quoted scalar on one line: its text and the position after the closing quote.
    private func quoted(_ position: Int, _ end: Int) throws(Decline) -> (String, Int) {
        let quote = bytes[position]
        var index = position + 1
        var segmentStart = index
        var text: [UInt8] = []
        while index < end {
            let byte = bytes[index]
            if byte == quote {
                if quote == UInt8(ascii: "'"), index + 1 < end, bytes[index + 1] == quote {
                    text.append(contentsOf: bytes[segmentStart...index])
                    index += 2
                    segmentStart = index
                    continue
                }
                text.append(contentsOf: bytes[segmentStart..<index])
                return (String(decoding: text, as: UTF8.self), index + 1)
            }
            if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                text.append(contentsOf: bytes[segmentStart..<index])
                guard index + 1 < end else { throw Decline() }
                index = try escape(at: index + 1, end, into: &text)
                segmentStart = index
                continue
            }
            index += 1
        }
        throw Decline()  // continues on the next line
    }

    /// Appends the escape after a backslash; returns the position after it.
    private func escape(at index: Int, _ end: Int, into text: inout [UInt8]) throws(Decline) -> Int {
        let digits: Int
        switch bytes[index] {
        case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: " "):
            text.append(bytes[index])
            return index + 1
        case UInt8(ascii: "n"): text.append(0x0A); return index + 1
        case UInt8(ascii: "t"): text.append(0x09); return index + 1
        case UInt8(ascii: "r"): text.append(0x0D); return index + 1
        case UInt8(ascii: "0"): text.append(0x00); return index + 1
        case UInt8(ascii: "a"): text.append(0x07); return index + 1
        case UInt8(ascii: "b"): text.append(0x08); return index + 1
        case UInt8(ascii: "e"): text.append(0x1B); return index + 1
        case UInt8(ascii: "f"): text.append(0x0C); return index + 1
        case UInt8(ascii: "v"): text.append(0x0B); return index + 1
        case UInt8(ascii: "x"): digits = 2
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default: throw Decline()
        }
        guard index + digits < end, let number = UInt32(string(index + 1, index + 1 + digits), radix: 16),
              let scalar = Unicode.Scalar(number) else { throw Decline() }
        text.append(contentsOf: String(Character(scalar)).utf8)
        return index + 1 + digits
    }

    // MARK: - Flow collections on one line

    private func flow(_ position: Int, _ end: Int) throws(Decline) -> (Value, Int) {
        nesting.open += 1
        defer { nesting.open -= 1 }
        guard nesting.open <= ValueLimits.nesting else { throw Decline() }
        let open = bytes[position]
        let close = open == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
        var index = skipSpaces(position + 1, end)
        var items: [Value] = []
        var map: [String: Value] = [:]
        if index < end, bytes[index] == close { return (open == UInt8(ascii: "[") ? .list([]) : .map([:]), index + 1) }
        while true {
            guard index < end else { throw Decline() }
            if open == UInt8(ascii: "{") {
                let key: String
                let first = bytes[index]
                if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
                    (key, index) = try quoted(index, end)
                } else {
                    let keyStart = index
                    let keyEnd: Int
                    (keyEnd, index) = try flowPlainEnd(index, end)
                    key = string(keyStart, keyEnd)
                }
                index = skipSpaces(index, end)
                guard index + 1 < end, bytes[index] == UInt8(ascii: ":"), bytes[index + 1] == 0x20 else { throw Decline() }
                guard !key.isEmpty, key != "<<" else { throw Decline() }
                let value: Value
                (value, index) = try flowValue(skipSpaces(index + 1, end), end)
                guard map.updateValue(value, forKey: key) == nil else { throw Decline() }
            } else {
                let value: Value
                (value, index) = try flowValue(index, end)
                items.append(value)
            }
            index = skipSpaces(index, end)
            guard index < end else { throw Decline() }
            if bytes[index] == close {
                return (open == UInt8(ascii: "[") ? .list(items) : .map(map), index + 1)
            }
            guard bytes[index] == UInt8(ascii: ","), index + 1 < end, bytes[index + 1] == 0x20 else { throw Decline() }
            index = skipSpaces(index + 1, end)
            guard index < end, bytes[index] != close else { throw Decline() }  // a trailing comma
        }
    }

    /// A value inside a flow collection.
    private func flowValue(_ position: Int, _ end: Int) throws(Decline) -> (Value, Int) {
        guard position < end else { throw Decline() }
        switch bytes[position] {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (text, after) = try quoted(position, end)
            return (.string(text), after)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            return try flow(position, end)
        default:
            let (textEnd, after) = try flowPlainEnd(position, end)
            let after2 = skipSpaces(after, end)
            if after2 < end, bytes[after2] == UInt8(ascii: ":") { throw Decline() }  // a pair in a list
            return (ScalarResolver.resolvePlain(string(position, textEnd)), after)
        }
    }

    /// The end of a plain scalar in a flow collection (trailing spaces trimmed) and where
    /// scanning stopped.
    private func flowPlainEnd(_ position: Int, _ end: Int) throws(Decline) -> (Int, Int) {
        guard position < end, canStartPlain(position, end, inFlow: true) else { throw Decline() }
        var index = position
        var textEnd = position
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
                || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") { break }
            if byte == UInt8(ascii: ":") {
                // A key's end; a colon inside a flow scalar is left to libyaml.
                guard index + 1 < end, bytes[index + 1] == 0x20 else { throw Decline() }
                break
            }
            if byte == UInt8(ascii: "#"), bytes[index - 1] == 0x20 { throw Decline() }
            if byte != 0x20 { textEnd = index + 1 }
            index += 1
        }
        guard textEnd > position else { throw Decline() }
        return (textEnd, index)
    }

    // MARK: - Bytes

    /// Whether a plain scalar may start here: not on an indicator, except a `-` followed by
    /// something that makes it part of the text (`-3`, `-Xmx1g`).
    private func canStartPlain(_ position: Int, _ end: Int, inFlow: Bool) -> Bool {
        let first = bytes[position]
        guard first == UInt8(ascii: "-") else { return !Self.isIndicator(first) }
        guard position + 1 < end else { return false }
        let next = bytes[position + 1]
        if next == 0x20 { return false }
        return !inFlow || !(next == UInt8(ascii: ",") || next == UInt8(ascii: "[") || next == UInt8(ascii: "]")
                            || next == UInt8(ascii: "{") || next == UInt8(ascii: "}"))
    }

    /// Characters that cannot start a plain scalar here (or that this reader leaves to libyaml).
    private static func isIndicator(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"),
             UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"),
             UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
             UInt8(ascii: "`"), 0x20:
            return true
        default:
            return false
        }
    }

    private func skipSpaces(_ position: Int, _ end: Int) -> Int {
        var index = position
        while index < end, bytes[index] == 0x20 { index += 1 }
        return index
    }

    private func isSpaces(_ position: Int, _ end: Int) -> Bool { skipSpaces(position, end) == end }

    private func startsWith(_ word: StaticString, at position: Int, end: Int) -> Bool {
        let count = word.utf8CodeUnitCount
        guard end - position >= count else { return false }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return false }
        return true
    }

    private func string(_ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
