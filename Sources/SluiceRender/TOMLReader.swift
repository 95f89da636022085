import SluiceYAML

/// TOML 1.0 into values, for Helm's `fromToml`: tables, arrays of tables, dotted and quoted
/// keys, the four kinds of strings, integers (int64; hex, octal, binary, underscores), floats
/// (`inf`, `nan`), booleans, arrays and inline tables; a key defined twice is an error. An
/// offset date-time becomes the text Go prints for it; local dates and times are refused.
/// Bounded: nesting at most 100 levels.
struct TOMLReader {
    struct Failure: Error {
        let message: String
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var root: [String: Value] = [:]
    /// Tables made by a header (`[a]`), which another header may not make again; and the
    /// arrays of tables (`[[a]]`), by their path.
    private var explicitTables = Set<[String]>()
    private var tableArrays = Set<[String]>()
    /// Tables closed to dotted keys and headers: inline tables, and values.
    private var sealed = Set<[String]>()

    static func read(_ text: String) throws(Failure) -> [String: Value] {
        var reader = TOMLReader(bytes: Array(text.utf8))
        try reader.document()
        return reader.root
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func fail(_ message: String) -> Failure { Self.failure(line, message) }

    private static func failure(_ line: Int, _ message: String) -> Failure { Failure(message: "toml: line \(line): \(message)") }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

    private mutating func skipSpaces() {
        while let c = current, c == 0x20 || c == 0x09 { index += 1 }
    }

    /// Spaces, a comment, and the end of the line (or of the text).
    private mutating func endOfLine() throws(Failure) {
        skipSpaces()
        if current == UInt8(ascii: "#") { while let c = current, c != 0x0A { index += 1 } }
        if current == 0x0D, peek(1) == 0x0A { index += 1 }
        guard let c = current else { return }
        guard c == 0x0A else { throw fail("expected the end of the line, found \(GoPrint.quote(String(decoding: [c], as: UTF8.self)))") }
        index += 1
        line += 1
    }

    private mutating func document() throws(Failure) {
        var table: [String] = []
        while true {
            while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: "#") {
                if c == UInt8(ascii: "#") { while let c = current, c != 0x0A { index += 1 } } else {
                    if c == 0x0A { line += 1 }
                    index += 1
                }
            }
            guard let c = current else { return }
            if c == UInt8(ascii: "[") {
                let array = peek(1) == UInt8(ascii: "[")
                index += array ? 2 : 1
                skipSpaces()
                let path = try key()
                skipSpaces()
                guard current == UInt8(ascii: "]"), !array || peek(1) == UInt8(ascii: "]") else { throw fail("expected ']' after a table's name") }
                index += array ? 2 : 1
                try endOfLine()
                table = path
                if array { try appendTable(path) } else { try defineTable(path) }
            } else {
                let path = try key()
                skipSpaces()
                guard current == UInt8(ascii: "=") else { throw fail("expected '=' after a key") }
                index += 1
                skipSpaces()
                let item = try value(depth: 0)
                try endOfLine()
                try assign(table, path, item)
            }
        }
    }

    /// A dotted key: bare, "basic" or 'literal' parts.
    private mutating func key() throws(Failure) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            switch current {
            case UInt8(ascii: "\"")?: parts.append(try basicString(multiline: false))
            case UInt8(ascii: "'")?: parts.append(try literalString(multiline: false))
            default:
                let start = index
                while let c = current, TOMLEncoder.isBareKeyByte(c) { index += 1 }
                guard index > start else { throw fail("expected a key") }
                parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            skipSpaces()
            guard current == UInt8(ascii: ".") else { return parts }
            index += 1
        }
    }

    // MARK: Tables

    /// The table at `path` under `map`, made where missing; nil when a value is in the way.
    private static func table(_ map: inout [String: Value], _ path: ArraySlice<String>, _ body: (inout [String: Value]) throws(Failure) -> Void) throws(Failure) -> Bool {
        guard let first = path.first else {
            try body(&map)
            return true
        }
        var child: [String: Value]
        var inArray = false
        switch map[first] {
        case nil: child = [:]
        case .map(let existing)?: child = existing
        case .list(let items)? where !items.isEmpty:
            // An array of tables: its last table.
            guard case .map(let last) = items[items.count - 1] else { return false }
            child = last
            inArray = true
        default: return false
        }
        guard try table(&child, path.dropFirst(), body) else { return false }
        if inArray, case .list(var items)? = map[first] {
            items[items.count - 1] = .map(child)
            map[first] = .list(items)
        } else {
            map[first] = .map(child)
        }
        return true
    }

    private mutating func defineTable(_ path: [String]) throws(Failure) {
        guard !explicitTables.contains(path), !tableArrays.contains(path), !sealed.contains(path) else {
            throw fail("table \(path.joined(separator: ".")) is defined twice")
        }
        explicitTables.insert(path)
        guard try Self.table(&root, path[...], { _ throws(Failure) in }) else { throw fail("key \(path.joined(separator: ".")) is not a table") }
    }

    private mutating func appendTable(_ path: [String]) throws(Failure) {
        guard !explicitTables.contains(path), !sealed.contains(path) else { throw fail("key \(path.joined(separator: ".")) is not an array of tables") }
        let line = self.line
        if !tableArrays.contains(path), try Self.table(&root, path.dropLast(), { map throws(Failure) in
            if map[path[path.count - 1]] != nil { throw Self.failure(line, "key \(path.joined(separator: ".")) is defined twice") }
        }) == false {
            throw fail("key \(path.joined(separator: ".")) is not a table")
        }
        tableArrays.insert(path)
        // A new table starts: what was defined under the old one may be defined again.
        explicitTables = explicitTables.filter { !($0.count > path.count && Array($0.prefix(path.count)) == path) }
        let made = try Self.table(&root, path.dropLast()) { map throws(Failure) in
            var items = map[path[path.count - 1]]?.listValue ?? []
            items.append(.map([:]))
            map[path[path.count - 1]] = .list(items)
        }
        guard made else { throw fail("key \(path.joined(separator: ".")) is not a table") }
    }

    private mutating func assign(_ table: [String], _ key: [String], _ item: Value) throws(Failure) {
        let full = table + key
        for length in (table.count + 1)..<full.count where sealed.contains(Array(full.prefix(length))) {
            throw fail("key \(full.joined(separator: ".")) extends a value")
        }
        for length in (table.count + 1)..<full.count where explicitTables.contains(Array(full.prefix(length))) {
            throw fail("key \(full.joined(separator: ".")) extends a table defined by a header")
        }
        let name = full[full.count - 1]
        let line = self.line
        let made = try Self.table(&root, full.dropLast()) { map throws(Failure) in
            if map[name] != nil { throw Self.failure(line, "key \(full.joined(separator: ".")) is defined twice") }
            map[name] = item
        }
        guard made else { throw fail("key \(full.joined(separator: ".")) is under a value that is not a table") }
        sealed.insert(full)
    }

    // MARK: Values

    private mutating func value(depth: Int) throws(Failure) -> Value {
        guard depth < 100 else { throw fail("values nest more than 100 levels") }
        guard let c = current else { throw fail("expected a value") }
        switch c {
        case UInt8(ascii: "\""):
            let multiline = peek(1) == c && peek(2) == c
            return .string(try basicString(multiline: multiline))
        case UInt8(ascii: "'"):
            let multiline = peek(1) == c && peek(2) == c
            return .string(try literalString(multiline: multiline))
        case UInt8(ascii: "["):
            index += 1
            var items: [Value] = []
            while true {
                try skipBlank()
                if current == UInt8(ascii: "]") { index += 1; return .list(items) }
                items.append(try value(depth: depth + 1))
                try skipBlank()
                if current == UInt8(ascii: ",") { index += 1; continue }
                guard current == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in an array") }
                index += 1
                return .list(items)
            }
        case UInt8(ascii: "{"):
            index += 1
            var map: [String: Value] = [:]
            skipSpaces()
            if current == UInt8(ascii: "}") { index += 1; return .map(map) }
            while true {
                let path = try key()
                guard current == UInt8(ascii: "=") else { throw fail("expected '=' in an inline table") }
                index += 1
                skipSpaces()
                let item = try value(depth: depth + 1)
                let made = try Self.table(&map, path.dropLast()) { inner throws(Failure) in
                    if inner[path[path.count - 1]] != nil { throw fail("key \(path.joined(separator: ".")) is defined twice in an inline table") }
                    inner[path[path.count - 1]] = item
                }
                guard made else { throw fail("key \(path.joined(separator: ".")) is under a value in an inline table") }
                skipSpaces()
                if current == UInt8(ascii: ",") { index += 1; skipSpaces(); continue }
                guard current == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an inline table") }
                index += 1
                return .map(map)
            }
        default:
            let start = index
            while let c = current, !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ",") || c == UInt8(ascii: "]")
                                     || c == UInt8(ascii: "}") || c == UInt8(ascii: "#")) { index += 1 }
            // A date-time may hold one space between its date and its time.
            if current == 0x20, index - start == 10, let next = peek(1), next >= UInt8(ascii: "0"), next <= UInt8(ascii: "9") {
                index += 1
                while let c = current, !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ",") || c == UInt8(ascii: "]")
                                         || c == UInt8(ascii: "}") || c == UInt8(ascii: "#")) { index += 1 }
            }
            return try scalar(String(decoding: bytes[start..<index], as: UTF8.self))
        }
    }

    /// Spaces, newlines and comments inside an array.
    private mutating func skipBlank() throws(Failure) {
        while let c = current {
            if c == 0x20 || c == 0x09 || c == 0x0D { index += 1 } else if c == 0x0A { index += 1; line += 1 } else if c == UInt8(ascii: "#") {
                while let c = current, c != 0x0A { index += 1 }
            } else { return }
        }
    }

    private func scalar(_ text: String) throws(Failure) -> Value {
        switch text {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "inf", "+inf": return .double(.infinity)
        case "-inf": return .double(-.infinity)
        case "nan", "+nan", "-nan": return .double(.nan)
        default: break
        }
        if let date = Self.dateTime(text) {
            guard let date else { throw fail("local dates and times are not supported (\(text))") }
            return .string(date.description)
        }
        let unsigned = text.hasPrefix("+") || text.hasPrefix("-") ? String(text.dropFirst()) : text
        let negative = text.hasPrefix("-")
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            let digits = text.dropFirst(2)
            guard Self.underscoresValid(digits), let n = Int(digits.replacingOccurrences(of: "_", with: ""), radix: radix) else {
                throw fail("invalid number \(GoPrint.quote(text))")
            }
            return .int(n)
        }
        guard let first = unsigned.first, first.isASCII, first.isNumber, Self.underscoresValid(Substring(unsigned)) else {
            throw fail("invalid value \(GoPrint.quote(text))")
        }
        let plain = unsigned.replacingOccurrences(of: "_", with: "")
        if plain.count > 1, plain.hasPrefix("0"), plain.dropFirst().first?.isNumber == true { throw fail("invalid number \(GoPrint.quote(text)): leading zero") }
        if plain.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let n = Int(negative ? "-" + plain : plain) else { throw fail("integer \(GoPrint.quote(text)) is out of range of int64") }
            return .int(n)
        }
        guard plain.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-") }),
              !plain.hasSuffix("."), !plain.contains(".e"), !plain.contains(".E"), let d = Double(negative ? "-" + plain : plain) else {
            throw fail("invalid number \(GoPrint.quote(text))")
        }
        return .double(d)
    }

    private static func underscoresValid(_ digits: Substring) -> Bool {
        let parts = digits.split(separator: "_", omittingEmptySubsequences: false)
        return parts.allSatisfy { !$0.isEmpty && $0.last!.isHexDigit && $0.first!.isHexDigit }
    }

    /// A date-time with an offset (`1979-05-27T07:32:00Z`); `.some(nil)` for a local date,
    /// time or date-time; nil for text that is none.
    private static func dateTime(_ text: String) -> GoTime?? {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= bytes.count && bytes[range].allSatisfy { $0 >= 48 && $0 <= 57 } }
        let isDate = digits(0..<4) && bytes.count >= 10 && bytes[4] == UInt8(ascii: "-") && digits(5..<7) && bytes[7] == UInt8(ascii: "-") && digits(8..<10)
        let isTime = digits(0..<2) && bytes.count >= 8 && bytes[2] == UInt8(ascii: ":") && digits(3..<5) && bytes[5] == UInt8(ascii: ":")
        if isTime { return .some(nil) }
        guard isDate else { return nil }
        if bytes.count == 10 { return .some(nil) }
        var normal = text.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "t", with: "T")
        if normal.hasSuffix("z") { normal = String(normal.dropLast()) + "Z" }
        guard normal.hasSuffix("Z") || normal.dropFirst(19).contains("+") || normal.dropFirst(19).contains("-") else { return .some(nil) }
        guard let time = try? GoTime.parse("2006-01-02T15:04:05.999999999Z07:00", normal) else { return nil }
        return .some(time)
    }

    // MARK: Strings

    private mutating func basicString(multiline: Bool) throws(Failure) -> String {
        index += multiline ? 3 : 1
        if multiline, current == 0x0A { index += 1; line += 1 } else if multiline, current == 0x0D, peek(1) == 0x0A { index += 2; line += 1 }
        var out: [UInt8] = []
        while true {
            guard let c = current else { throw fail("unterminated string") }
            if c == UInt8(ascii: "\"") {
                if !multiline { index += 1; return String(decoding: out, as: UTF8.self) }
                if peek(1) == c, peek(2) == c {
                    // Up to two quotes may end the content: `""""` is `"` then the end.
                    var run = 3
                    while peek(run) == c, run < 5 { run += 1 }
                    out += [UInt8](repeating: c, count: run - 3)
                    index += run
                    return String(decoding: out, as: UTF8.self)
                }
                out.append(c)
                index += 1
                continue
            }
            if c == UInt8(ascii: "\\") {
                index += 1
                guard let e = current else { throw fail("unterminated string") }
                index += 1
                switch e {
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "e"): out.append(0x1B)
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = e == UInt8(ascii: "u") ? 4 : 8
                    guard index + count <= bytes.count, let code = UInt32(String(decoding: bytes[index..<(index + count)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(code) else { throw fail("invalid escape in a string") }
                    out += Array(String(Character(scalar)).utf8)
                    index += count
                case 0x20, 0x09, 0x0A, 0x0D:
                    // A backslash at the end of a line trims the whitespace that follows.
                    guard multiline else { throw fail("invalid escape in a string") }
                    index -= 1
                    while let w = current, w == 0x20 || w == 0x09 { index += 1 }
                    guard current == 0x0A || current == 0x0D else { throw fail("invalid escape in a string") }
                    while let w = current, w == 0x20 || w == 0x09 || w == 0x0A || w == 0x0D {
                        if w == 0x0A { line += 1 }
                        index += 1
                    }
                default: throw fail("invalid escape \\\(String(decoding: [e], as: UTF8.self)) in a string")
                }
                continue
            }
            if c == 0x0A {
                guard multiline else { throw fail("a string ends at the end of its line") }
                line += 1
            }
            out.append(c)
            index += 1
        }
    }

    private mutating func literalString(multiline: Bool) throws(Failure) -> String {
        index += multiline ? 3 : 1
        if multiline, current == 0x0A { index += 1; line += 1 } else if multiline, current == 0x0D, peek(1) == 0x0A { index += 2; line += 1 }
        let start = index
        while true {
            guard let c = current else { throw fail("unterminated string") }
            if c == UInt8(ascii: "'") && (!multiline || (peek(1) == c && peek(2) == c)) {
                var run = multiline ? 3 : 1
                if multiline { while peek(run) == c, run < 5 { run += 1 } }
                let end = index + run - (multiline ? 3 : 1)
                index += run
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            if c == 0x0A {
                guard multiline else { throw fail("a string ends at the end of its line") }
                line += 1
            }
            index += 1
        }
    }
}
