import CCrypto

/// bcrypt as Go's golang.org/x/crypto/bcrypt makes it (`$2a$`, the key's trailing NUL
/// included, 23 of the 24 bytes encoded), on Blowfish whose initial state is pi's fraction
/// (computed once: libcrypto's table is not exported). Sprig's `bcrypt` and `htpasswd`.
enum Bcrypt {
    /// 18 + 1024 words: P-array, then the four S-boxes.
    private static let initial: [UInt32] = {
        var bytes = [UInt8](repeating: 0, count: 1042 * 4)
        precondition(sluice_pi_fraction(&bytes, Int32(bytes.count)) == 1, "libcrypto could not compute pi")
        return (0..<1042).map { i in (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[i * 4 + $1]) } }
    }()

    /// Blowfish's first P word (a check that the table is pi's).
    static var firstWord: UInt32 { initial[0] }

    private struct Blowfish {
        var state = Bcrypt.initial

        @inline(__always) func f(_ x: UInt32) -> UInt32 {
            state.withUnsafeBufferPointer { s in
                ((s[18 + Int(x >> 24)] &+ s[274 + Int((x >> 16) & 0xFF)]) ^ s[530 + Int((x >> 8) & 0xFF)]) &+ s[786 + Int(x & 0xFF)]
            }
        }

        func encrypt(_ l: UInt32, _ r: UInt32) -> (UInt32, UInt32) {
            var (l, r) = (l, r)
            for i in 0..<16 {
                l ^= state[i]
                r ^= f(l)
                swap(&l, &r)
            }
            swap(&l, &r)
            return (l ^ state[17], r ^ state[16])
        }

        static func word(_ bytes: [UInt8], _ position: inout Int) -> UInt32 {
            var word: UInt32 = 0
            for _ in 0..<4 {
                word = word << 8 | UInt32(bytes[position])
                position = (position + 1) % bytes.count
            }
            return word
        }

        /// Go's `expandKeyWithSalt` (an empty `salt`: `ExpandKey`).
        mutating func expand(key: [UInt8], salt: [UInt8]) {
            var j = 0
            for i in 0..<18 { state[i] ^= Self.word(key, &j) }
            j = 0
            var (l, r): (UInt32, UInt32) = (0, 0)
            for i in stride(from: 0, to: 1042, by: 2) {
                if !salt.isEmpty {
                    l ^= Self.word(salt, &j)
                    r ^= Self.word(salt, &j)
                }
                (l, r) = encrypt(l, r)
                state[i] = l
                state[i + 1] = r
            }
        }
    }

    static let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// bcrypt's base64: its alphabet, no padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)]) + [0, 0]
            let bits = UInt32(chunk[0]) << 16 | UInt32(chunk[1]) << 8 | UInt32(chunk[2])
            for i in 0..<(min(3, bytes.count - index) + 1) { out.append(alphabet[Int((bits >> (18 - 6 * UInt32(i))) & 63)]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The hash of `password` (at most 72 bytes) with a 16-byte `salt` at `cost`.
    static func hash(_ password: [UInt8], salt: [UInt8], cost: Int) -> String {
        let key = password + [0]
        var cipher = Blowfish()
        cipher.expand(key: key, salt: salt)
        for _ in 0..<(1 << cost) {
            cipher.expand(key: key, salt: [])
            cipher.expand(key: salt, salt: [])
        }
        var text = Array("OrpheanBeholderScryDoubt".utf8)
        for block in stride(from: 0, to: 24, by: 8) {
            var l = text[block..<(block + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            var r = text[(block + 4)..<(block + 8)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            for _ in 0..<64 { (l, r) = cipher.encrypt(l, r) }
            for i in 0..<4 {
                text[block + i] = UInt8(truncatingIfNeeded: l >> (24 - 8 * UInt32(i)))
                text[block + 4 + i] = UInt8(truncatingIfNeeded: r >> (24 - 8 * UInt32(i)))
            }
        }
        let costText = cost < 10 ? "0\(cost)" : "\(cost)"
        return "$2a$\(costText)$" + encode(salt) + encode(Array(text.prefix(23)))
    }
}
