import SluiceModel
@testable import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// `fromToml`'s reader beyond what `FunctionDifferentialTests` compares with Helm: its bound
/// on nesting, and mutated documents, which end with a map or an error, never a crash.
@Suite struct TOMLReaderTests {
    static let seeds = [
        "a = 1\nb = 'x'\nc = [1, 2.5, \"s\"]\n[d]\ne = true\n[d.f]\ng = 0x1F\n[[h]]\ni = 1\n[[h]]\ni = 2\n",
        "x.y.z = 1_000\n\"q k\".w = 'lit'\nn = inf\nm = 1e3\nr = { s = 1, t.u = [] }\n",
        "s = \"\"\"\nline one\\\n    two\\tend\\u00e9\"\"\"\nl = '''\nraw\\n'''\nt = 1979-05-27T07:32:00Z\n",
    ]

    @Test func nestingIsBounded() {
        let deep = "a = " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        #expect(throws: TOMLReader.Failure.self) { try TOMLReader.read(deep) }
        let inline = "a = " + String(repeating: "{b = ", count: 5_000) + "1" + String(repeating: "}", count: 5_000)
        #expect(throws: TOMLReader.Failure.self) { try TOMLReader.read(inline) }
    }

    @Test func mutatedDocumentsEndWithAMapOrAnError() {
        var random = SplitMix64(seed: 2024)
        let pieces = ["[", "]", "[[", "=", "\"", "'''", "\"\"\"", "\\", ".", ",", "{", "}", "\n", "#", "0x", "_", "1979-05-27", "inf", " "]
        var outcomes = (read: 0, refused: 0)
        for _ in 0..<3_000 {
            var bytes = Array(random.pick(Self.seeds).utf8)
            for _ in 0..<(1 + random.below(4)) {
                switch random.below(3) {
                case 0 where !bytes.isEmpty: bytes.remove(at: random.below(bytes.count))
                case 1 where !bytes.isEmpty: bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8))
                default: bytes.insert(contentsOf: Array(random.pick(pieces).utf8), at: random.below(bytes.count + 1))
                }
            }
            do {
                _ = try TOMLReader.read(String(decoding: bytes, as: UTF8.self))
                outcomes.read += 1
            } catch {
                #expect(error.message.hasPrefix("toml: line "))
                outcomes.refused += 1
            }
        }
        #expect(outcomes.read > 0 && outcomes.refused > 0, "\(outcomes)")
    }
}
