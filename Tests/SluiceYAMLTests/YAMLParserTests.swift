import SluiceYAML
import Testing

@Suite(.timeLimit(.minutes(10))) struct YAMLParserTests {
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
            (error as? Diagnostic)?.code == "yaml.aliasBomb"
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
            return d?.mark == Mark(line: 2, column: 1) && d?.code == "yaml.tabIndentation"
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

    /// The error parsing `text` as nodes, or (`values`) as values through libyaml; nil when it parses.
    func diagnostic(_ text: String, values: Bool) -> Diagnostic? {
        do {
            if values {
                _ = try YAMLParser(usesBlockReader: false).parseValues(Array(text.utf8), file: "t.yaml")
            } else {
                _ = try parser.parse(Array(text.utf8), file: "t.yaml")
            }
            return nil
        } catch {
            return error
        }
    }

    /// libyaml's reader reports a control character by byte offset only: the place is worked
    /// out from it (it was printed at 1:1).
    @Test func aControlCharacterIsReportedWhereItIs() {
        var lines = (1...12).map { "key\($0): value" }
        lines[9] = "key10: value with \u{01} in it"  // line 10, column 19
        let text = lines.joined(separator: "\n") + "\n"
        for values in [false, true] {
            let error = diagnostic(text, values: values)
            #expect(error?.mark == Mark(line: 10, column: 19))
            #expect(error?.code == "yaml.reader")
        }
    }

    /// A value that starts with `*` and is not quoted reads as an alias: the error never
    /// quotes it (it may be a Secret's).
    @Test func anUnknownAliasIsNotQuoted() {
        let text = "kind: Secret\nstringData:\n  password: *hunter2-secret\n"
        for values in [false, true] {
            let error = diagnostic(text, values: values)
            #expect(error?.description.contains("hunter2") == false)
            #expect(error?.code == "yaml.unknownAlias")
            #expect(error?.mark == Mark(line: 3, column: 13))
        }
    }

    /// Long lists and many keys parse in linear time (a 40,000-item list took 14 s, 600,000
    /// over an hour: each item copied the open list, each key scanned the earlier keys).
    @Test func longListsAndManyKeysAreLinear() throws {
        let count = 300_000
        var list = "items:\n"
        for i in 0..<count { list += "  - \(i)\n" }
        let parsed = try parser.parse(Array(list.utf8), file: "t.yaml")
        #expect(parsed.first?["items"]?.sequence?.count == count)
        var map = ""
        for i in 0..<count { map += "k\(i): \(i)\n" }
        #expect(try parser.parse(Array(map.utf8), file: "t.yaml").first?.mapping?.count == count)
        // The duplicate is still found, with where the key was first.
        do {
            _ = try parser.parse(Array((map + "k7: again\n").utf8), file: "t.yaml")
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.mark == Mark(line: count + 1, column: 1))
            #expect(error.code == "yaml.duplicateKey")
        }
    }
}
