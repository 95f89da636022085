/// Writes `Value`s as Go's `encoding/json` does (what Helm's `toJson` prints): compact,
/// map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped.
/// Works on UTF-8 bytes: it is on the hot path (every rendered object is digested through it).
public enum JSONEmitter {
    /// `escapingHTML`: false for Go's `SetEscapeHTML(false)` (Sprig's `toRawJson`).
    public static func emit(_ value: Value, escapingHTML: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, into: &out, escapingHTML: escapingHTML)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the JSON of `value` to a byte buffer.
    public static func write(_ value: Value, into out: inout [UInt8], escapingHTML: Bool = true) {
        switch value {
        case .null: out += "null".utf8
        case .bool(let b): out += (b ? "true" : "false").utf8
        case .int(let i): out += String(i).utf8
        case .double(let d): out += (d.isFinite ? GoNumberFormat.json(d) : "null").utf8
        case .string(let s): quote(s, into: &out, escapingHTML: escapingHTML)
        case .list(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out, escapingHTML: escapingHTML)
            }
            out.append(UInt8(ascii: "]"))
        case .map(let map):
            out.append(UInt8(ascii: "{"))
            for (index, key) in map.keys.sorted().enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                quote(key, into: &out, escapingHTML: escapingHTML)
                out.append(UInt8(ascii: ":"))
                write(map[key] ?? .null, into: &out, escapingHTML: escapingHTML)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func quote(_ s: String, into out: inout String) {
        var bytes: [UInt8] = []
        quote(s, into: &bytes)
        out += String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func quote(_ s: String, into out: inout [UInt8], escapingHTML: Bool = true) {
        out.append(UInt8(ascii: "\""))
        // Most strings (names, digests, labels) need no escape: copied as they are.
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes in
            guard !bytes.contains(where: needsEscape) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        if plain == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        var utf8 = Array(s.utf8)[...]
        while let byte = utf8.popFirst() {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case UInt8(ascii: "\n"): out += #"\n"#.utf8
            case UInt8(ascii: "\r"): out += #"\r"#.utf8
            case UInt8(ascii: "\t"): out += #"\t"#.utf8
            case UInt8(ascii: "<") where escapingHTML: out += #"\u003c"#.utf8
            case UInt8(ascii: ">") where escapingHTML: out += #"\u003e"#.utf8
            case UInt8(ascii: "&") where escapingHTML: out += #"\u0026"#.utf8
            case 0x00..<0x20:
                out += #"\u00"#.utf8
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            case 0xE2 where utf8.count >= 2 && utf8[utf8.startIndex] == 0x80
                && (utf8[utf8.startIndex + 1] == 0xA8 || utf8[utf8.startIndex + 1] == 0xA9):
                // U+2028 / U+2029 (E2 80 A8 / E2 80 A9)
                out += (utf8[utf8.startIndex + 1] == 0xA8 ? #"\u2028"# : #"\u2029"#).utf8
                utf8 = utf8.dropFirst(2)
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Bytes `quote` writes otherwise than as they are (0xE2 may start U+2028 or U+2029).
    private static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x00..<0x20, UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), 0xE2: return true
        default: return false
        }
    }
}
