import CCrypto

/// SHA-256, HMAC-SHA256 and comparisons that take the same time wherever two values differ
/// (a token or a signature compared byte by byte with an early exit leaks how much of it a
/// guess got right), through the system's libcrypto.
enum Digests {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = bytes.withUnsafeBytes { sluice_sha256($0.baseAddress, $0.count, &digest) }
        precondition(ok == 1, "libcrypto could not compute SHA-256")
        return digest
    }

    static func hmacSHA256(key: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBytes { key in
            bytes.withUnsafeBytes { data in sluice_hmac_sha256(key.baseAddress, key.count, data.baseAddress, data.count, &digest) }
        }
        precondition(ok == 1, "libcrypto could not compute HMAC-SHA256")
        return digest
    }

    /// Equal in length and content; the time taken depends only on the lengths.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { a in b.withUnsafeBytes { b in sluice_equal_constant_time(a.baseAddress, b.baseAddress, a.count) == 1 } }
    }

    /// Lower-case hex, as signature headers carry it.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }

    /// The bytes of a hex string (either case); nil when it is not one.
    static func bytes(hex: some StringProtocol) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
