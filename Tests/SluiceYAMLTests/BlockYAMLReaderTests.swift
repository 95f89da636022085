import Foundation
import SluiceYAML
import SluiceTestSupport
import Testing

/// `BlockYAMLReader` must give exactly libyaml's result (values and document positions)
/// whenever it does not decline: checked on hand-picked cases, on every YAML file of the
/// example fleet, and on thousands of mutations of them.
@Suite(.timeLimit(.minutes(10))) struct BlockYAMLReaderTests {
    /// libyaml's reading, or nil where libyaml rejects the text.
    static func libyaml(_ text: String) -> [(value: Value, mark: Mark)]? {
        try? YAMLParser(usesBlockReader: false).parseValues(Array(text.utf8), file: "t.yaml")
    }

    /// Equal values (NaN equal to itself) and equal document positions.
    static func same(_ a: [(value: Value, mark: Mark)], _ b: [(value: Value, mark: Mark)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { sameValue($0.value, $1.value) && $0.mark == $1.mark }
    }

    static func sameValue(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameValue($0, $1) }
        case (.map(let x), .map(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameValue(value, $0) } ?? false }
        default: return a == b
        }
    }

    /// Fails the test if the reader accepts `text` and disagrees with libyaml; returns whether it accepted.
    @discardableResult
    static func agrees(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard let fast = BlockYAMLReader.read(Array(text.utf8)) else { return false }
        let reference = libyaml(text)
        #expect(reference.map { same(fast, $0) } == true, "reader and libyaml differ on:\n\(text)", sourceLocation: sourceLocation)
        return true
    }

    static let accepted: [String] = [
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"1\"\n",
        "# comment\n\na: 1 # trailing\nb:   two words  \nc: 'it''s'\nd: \"q\\\"\\n\\u00e9\\x41\"\n",
        "a:\n- x\n- y\nb:\n  - 1\n  -   2\nc: []\nd: {}\n",
        "items:\n- name: a\n  value: b\n-   name: c\n    value: d\n- - nested\n  - list\n-\n  late: item\n- \n",
        "flow: {a: 1, b: [x, y, {c: d}], 'e f': \"g\"}\nlist: [1, 2.5, true, null, ~, -3, 0x1F, 0777, .inf]\n",
        "script: |\n  #!/bin/sh\n  echo \"a: b\"\n\n  exit 0\n\nafter: 1\n",
        "strip: |-\n    keep  \n      deeper\nnext: x\n",
        "---\na: 1\n---\n---\nb: 2\n...\n".replacingOccurrences(of: "...\n", with: ""),
        "a: 1\n---\n",
        "  indented: root\n  second: key\n",
        "empty:\nnull-ish: ~\nkey with spaces: v\n\"quoted key\": v\n'single': v\nurl: http://example.com:8080/x\nimage: repo:5000/a/b:v1\n",
        "a:\n  b:\n    c:\n      d: deep\n  e: back\nf: top\n",
        "values: [yes, no, on, off, y, n, True, FALSE, 1e3, 1_000, +12, -0.5, .5, 1., 0o17]\n",
    ]

    static let declined: [String] = [
        "a: &anchor 1\nb: *anchor\n",
        "a: !!str 1\n",
        "a: >\n  folded\n",
        "a: multi\n  line plain\n",
        "a: \"multi\n  line quoted\"\n",
        "a: 1\na: 2\n",
        "<<: {a: 1}\n",
        "a:\tb\n",
        "- just\n- a list\n",
        "plain scalar\n",
        "a: {b: 1,\n  c: 2}\n",
        "a: 1\n  b: 2\n",
        "a: b: c\n",
        "é: 1\n",
        "a: 1\r\n",
        "%YAML 1.2\n---\na: 1\n",
        "? complex\n: key\n",
        "a: |2\n   x\n",
        "a: [b, c,]\n",
    ]

    @Test func acceptsTheCommonSubsetAndAgreesWithLibyaml() {
        for text in Self.accepted {
            #expect(Self.agrees(text), "declined:\n\(text)")
        }
    }

    @Test func declinesWhatItDoesNotHandle() {
        for text in Self.declined {
            #expect(BlockYAMLReader.read(Array(text.utf8)) == nil, "accepted:\n\(text)")
        }
    }

    @Test func documentPositionsMatchLibyaml() throws {
        let text = "# leading comment\n\n  a: 1\n---\nb: 2\n---\n\n# only a comment\n---\nc: 3\n"
        let fast = try #require(BlockYAMLReader.read(Array(text.utf8)))
        #expect(fast.map(\.mark) == [Mark(line: 3, column: 3), Mark(line: 4, column: 1), Mark(line: 6, column: 1), Mark(line: 9, column: 1)])
        Self.agrees(text)
    }

    /// Every YAML file of the example fleet, then random small edits of it: wherever the
    /// reader accepts the text, libyaml must read the same.
    @Test func agreesWithLibyamlOnMutatedFleetFiles() throws {
        var seeds = Self.accepted
        let root = ProjectPaths.exampleRepo
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") } ?? []
        for file in files.sorted() {
            if let text = try? String(contentsOfFile: root + "/" + file, encoding: .utf8), !text.contains("{{") { seeds.append(text) }
        }
        #expect(seeds.count > 30)
        var random = SplitMix64(seed: 0x5EED)
        let edits: [String] = [" ", "  ", "\n", ":", ": ", "-", "- ", "#", " #", "'", "\"", "{", "}", "[", "]", ",", "|", "|-", "a", "\\", "---\n", "~"]
        var accepted = 0, total = 0
        for seed in seeds {
            if Self.agrees(seed) { accepted += 1 }
            total += 1
            for _ in 0..<150 {
                var bytes = Array(seed.utf8)
                for _ in 0..<(1 + Int(random.next() % 3)) {
                    let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 3 {
                    case 0 where !bytes.isEmpty: bytes.remove(at: position)
                    default: bytes.insert(contentsOf: edits[Int(random.next() % UInt64(edits.count))].utf8, at: position)
                    }
                }
                let text = String(decoding: bytes, as: UTF8.self)
                if Self.agrees(text) { accepted += 1 }
                total += 1
            }
        }
        // The reader must still be doing the work: most edits keep the text in the subset.
        #expect(accepted * 4 > total, "accepted \(accepted) of \(total)")
    }
}
