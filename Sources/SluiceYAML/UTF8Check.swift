/// Where text stops being UTF-8, as a place an editor can jump to: the parser and the
/// fleet loader refuse such files at that place.
public enum UTF8Check {
    /// The position of the first byte that is not valid UTF-8, or nil.
    public static func firstInvalidByte(_ bytes: [UInt8]) -> Mark? {
        if String(validating: bytes, as: UTF8.self) != nil { return nil }
        var line = 1, column = 1, index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return Mark(line: line, column: column)
            }
            guard index + length <= bytes.count,
                  String(validating: bytes[index..<index + length], as: UTF8.self) != nil else {
                return Mark(line: line, column: column)
            }
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
            index += length
        }
        return nil
    }
}
