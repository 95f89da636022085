import CCrypto
import SluiceYAML

/// SHA-1 through the system's libcrypto (Sprig's `sha1sum`).
enum SHA1Digest {
    static func hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 20)
        _ = bytes.withUnsafeBytes { input in sluice_sha1(input.baseAddress, input.count, &digest) }
        return SHA256Digest.hexText(digest)
    }
}

/// RFC 4648 base32 with padding (Go's `base32.StdEncoding`).
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 5, bytes.count)])
            var buffer = [UInt8](repeating: 0, count: 5)
            for (i, byte) in chunk.enumerated() { buffer[i] = byte }
            let bits = buffer.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
            let symbols = [0, 2, 4, 5, 7, 8][chunk.count]
            for i in 0..<8 {
                out.append(i < symbols ? alphabet[Int((bits >> UInt64(35 - 5 * i)) & 31)] : UInt8(ascii: "="))
            }
            index += 5
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let symbols = Array(text.utf8)
        guard symbols.count % 8 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < symbols.count {
            var bits: UInt64 = 0, used = 0
            for symbol in symbols[index..<index + 8] {
                if symbol == UInt8(ascii: "=") { bits <<= 5; continue }
                guard let value = alphabet.firstIndex(of: symbol) else { return nil }
                bits = (bits << 5) | UInt64(value)
                used += 1
            }
            let bytes = [0, 0, 1, 1, 2, 3, 3, 4, 5][used]
            for i in 0..<bytes { out.append(UInt8((bits >> UInt64(32 - 8 * i)) & 0xFF)) }
            index += 8
        }
        return out
    }
}

/// Go's `json.MarshalIndent(v, "", "  ")` from compact JSON (which has no space outside
/// its strings).
enum JSONPretty {
    static func indent(_ compact: String) -> String {
        var out = ""
        var depth = 0, inString = false, escaped = false
        let characters = Array(compact)
        for (index, character) in characters.enumerated() {
            if inString {
                out.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"":
                inString = true
                out.append(character)
            case "{", "[":
                out.append(character)
                let closing: Character = character == "{" ? "}" : "]"
                if index + 1 < characters.count, characters[index + 1] == closing { continue }
                depth += 1
                out += "\n" + String(repeating: "  ", count: depth)
            case "}", "]":
                if index > 0, characters[index - 1] == "{" || characters[index - 1] == "[" { out.append(character); continue }
                depth -= 1
                out += "\n" + String(repeating: "  ", count: depth) + String(character)
            case ",":
                out += ",\n" + String(repeating: "  ", count: depth)
            case ":":
                out += ": "
            default:
                out.append(character)
            }
        }
        return out
    }
}
