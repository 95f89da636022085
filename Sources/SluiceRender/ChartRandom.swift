import Synchronization

/// What chart add-ons' random functions (`randAlphaNum`, `uuidv4`, `randInt`, `shuffle`...)
/// draw from: not randomness but a stream derived from the state store's render secret, the
/// cluster, the add-on and the template, so that every plan and apply of one pair renders the
/// same values (a plan never shows a password "changing"), each call of a template its own
/// (a loop draws different values), and nothing in the fleet repo predicts them. A value
/// changes when its template draws more or fewer values before it.
final class ChartRandom: Sendable {
    private let key: [UInt8]
    private let calls = Mutex<UInt64>(0)
    private let keys = Mutex<Int>(0)

    /// `seed`: the pair's seed (`ChartRandom.seed`); `template`: Helm's name of the template.
    init(seed: [UInt8], template: String) {
        key = SHA256Digest.hmac(key: seed, Array("template\u{0}\(template)".utf8))
    }

    /// Counts a key made by this template's render; false past `RenderLimits.keysMade`.
    func spendKey() -> Bool {
        keys.withLock { made in
            made += 1
            return made <= RenderLimits.keysMade
        }
    }

    /// Whether any value was drawn (a render that drew none does not depend on the seed).
    var drawn: Bool { calls.withLock { $0 > 0 } }

    /// A pair's seed from the store's secret.
    static func seed(secret: [UInt8], cluster: String, addon: String) -> [UInt8] {
        SHA256Digest.hmac(key: secret, Array("sluice chart random\u{0}\(cluster)\u{0}\(addon)".utf8))
    }

    /// The bytes of the next call.
    func bytes(_ count: Int) -> [UInt8] {
        let call = calls.withLock { calls in
            defer { calls += 1 }
            return calls
        }
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        var block: UInt64 = 0
        while out.count < count {
            var input = withUnsafeBytes(of: call.bigEndian, Array.init)
            input += withUnsafeBytes(of: block.bigEndian, Array.init)
            out += SHA256Digest.hmac(key: key, input)
            block += 1
        }
        return Array(out.prefix(count))
    }

    /// `count` characters of `alphabet`, each drawn evenly (bytes past the last whole multiple
    /// of the alphabet's size are drawn again).
    func string(_ count: Int, from alphabet: [Character]) -> String {
        guard count > 0 else { return "" }
        let limit = 256 - 256 % alphabet.count
        var out = ""
        while out.count < count {
            for byte in bytes(2 * count) where Int(byte) < limit && out.count < count {
                out.append(alphabet[Int(byte) % alphabet.count])
            }
        }
        return out
    }

    /// A number in 0..<bound (bound > 0), evenly.
    func below(_ bound: UInt64) -> UInt64 {
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = bytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if value < limit { return value % bound }
        }
    }
}
