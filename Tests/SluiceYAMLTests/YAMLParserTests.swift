import SluiceYAML
import Testing

@Suite struct YAMLParserTests {
    let parser = YAMLParser()

    func parse(_ text: String) throws(Diagnostic) -> [YAMLNode] {
        try parser.parse(Array(text.utf8), file: "t.yaml")
    }

    @Test func keepsLineAndColumnOfEveryNode() throws {
        let doc = try #require(try parse("a:\n  b: [1, two]\n  c: |\n    text\n").first)
        #expect(doc.mark == Mark(line: 1, column: 1))
        let b = try #require(doc["a"]?["b"])
        #expect(b.mark == Mark(line: 2, column: 6))
        #expect(b.sequence?[1].mark == Mark(line: 2, column: 10))
        #expect(doc["a"]?["c"]?.scalar == YAMLScalar("text\n", style: .literal))
    }

    @Test func multipleDocumentsAndEmptyOnes() throws {
        let docs = try parse("---\na: 1\n---\n---\nb: 2\n...\n")
        #expect(docs.count == 3)
        #expect(docs[1].isNull)
        #expect(docs[2]["b"]?.scalar?.text == "2")
        #expect(try parse("").isEmpty)
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let doc = try #require(try parse("base: &b {x: 1, y: 2}\ncopy: *b\nmerged:\n  <<: *b\n  y: 3\n").first)
        #expect(Value(doc)["copy"] == Value.map(["x": .int(1), "y": .int(2)]))
        #expect(Value(doc)["merged"] == Value.map(["x": .int(1), "y": .int(3)]))
    }

    @Test func aliasBombIsRejected() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (previous, name) in zip("abcdefgh", "bcdefghi") {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect { try parse(text) } throws: { error in
            (error as? Diagnostic)?.message.contains("alias bomb") == true
        }
    }

    @Test func duplicateKeysAreErrors() {
        #expect { try parse("a: 1\nb: 2\na: 3\n") } throws: { error in
            (error as? Diagnostic)?.description == "t.yaml:3:1: duplicate key \"a\" (first at line 1, column 1)"
        }
    }

    @Test func tabIndentationIsExplained() {
        #expect { try parse("a:\n\tb: 1\n") } throws: { error in
            let d = error as? Diagnostic
            return d?.mark == Mark(line: 2, column: 1) && d?.message.hasPrefix("tab character used for indentation") == true
        }
    }

    @Test func invalidUTF8IsPinpointed() {
        let bytes = Array("a: ok\nb: caf".utf8) + [0xE9] + Array("\n".utf8)
        #expect { try parser.parse(bytes, file: "t.yaml") } throws: { error in
            (error as? Diagnostic)?.description == "t.yaml:2:7: file is not valid UTF-8 text"
        }
    }

    @Test func unknownAliasIsAnError() {
        #expect(throws: Diagnostic.self) { try parse("a: *nope\n") }
    }

    /// YAML 1.1's surprises do not happen: `on`, `yes`, `no` are strings in values; quoted
    /// scalars are strings; `0777` is octal as Kubernetes reads it; `1e3` is a float.
    @Test func untypedValuesFollowTheDocumentedSchema() throws {
        let doc = try #require(try parse("""
            a: on
            b: yes
            c: "true"
            d: true
            e: 0777
            f: "0777"
            g: 1e3
            h: ~
            i: 0x1F
            j: 1.10
            k: '42'
            l: !!str 12
            m: -7
            n: .inf
            o: 12abc
            """).first)
        let v = Value(doc)
        #expect(v["a"] == .string("on"))
        #expect(v["b"] == .string("yes"))
        #expect(v["c"] == .string("true"))
        #expect(v["d"] == .bool(true))
        #expect(v["e"] == .int(0o777))
        #expect(v["f"] == .string("0777"))
        #expect(v["g"] == .double(1000))
        #expect(v["h"] == .null)
        #expect(v["i"] == .int(31))
        #expect(v["j"] == .double(1.1))
        #expect(v["k"] == .string("42"))
        #expect(v["l"] == .string("12"))
        #expect(v["m"] == .int(-7))
        #expect(v["n"] == .double(.infinity))
        #expect(v["o"] == .string("12abc"))
    }
}
