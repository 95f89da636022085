import SluiceYAML
import Testing

/// Expected texts are what Helm's `toYaml` (sigs.k8s.io/yaml over go-yaml v2) prints.
@Suite(.timeLimit(.minutes(10))) struct YAMLEmitterTests {
    @Test func mapsSortedListsUnindentedUnderTheirKey() {
        let value = Value.map([
            "resources": .map(["limits": .map(["memory": .string("128Mi"), "cpu": .string("200m")])]),
            "args": .list([.string("--v=2"), .string("--port=80")]),
            "containers": .list([.map(["name": .string("a"), "ports": .list([.map(["containerPort": .int(80)])])])]),
            "empty": .map([:]),
            "none": .list([]),
            "nested": .list([.list([.string("x"), .string("y")])]),
        ])
        #expect(YAMLEmitter.emit(value) == """
            args:
            - --v=2
            - --port=80
            containers:
            - name: a
              ports:
              - containerPort: 80
            empty: {}
            nested:
            - - x
              - "y"
            none: []
            resources:
              limits:
                cpu: 200m
                memory: 128Mi

            """)
    }

    @Test(arguments: [
        ("plain", "plain"), ("on", "\"on\""), ("yes", "\"yes\""), ("y", "\"y\""), ("true", "\"true\""), ("null", "\"null\""),
        ("", "\"\""), ("0777", "\"0777\""), ("1e3", "\"1e3\""), ("123", "\"123\""), ("1.5", "\"1.5\""), ("0x1F", "\"0x1F\""),
        ("1_000", "\"1_000\""), ("12:30", "\"12:30\""), ("2026-11-24", "\"2026-11-24\""), ("*", "'*'"), ("- a", "'- a'"),
        ("a: b", "'a: b'"), ("a #b", "'a #b'"), ("a#b", "a#b"), (" lead", "' lead'"), ("it's", "it's"), ("'quoted'", "'''quoted'''"),
        ("tab\there", "\"tab\\there\""), ("10.0.0.1", "10.0.0.1"), ("v1.2.3", "v1.2.3"), ("http://x:80/p", "http://x:80/p"),
        ("~", "\"~\""), ("-", "'-'"), ("{x}", "'{x}'"), ("@at", "'@at'"), ("caf\u{E9}", "caf\u{E9}"),
    ])
    func stringQuoting(input: String, expected: String) {
        #expect(YAMLEmitter.emit(.map(["k": .string(input)])) == "k: \(expected)\n")
    }

    @Test func multiLineStringsAreLiteralBlocks() {
        #expect(YAMLEmitter.emit(.map(["k": .string("a\nb")])) == "k: |-\n  a\n  b\n")
        #expect(YAMLEmitter.emit(.map(["k": .string("a\nb\n")])) == "k: |\n  a\n  b\n")
        #expect(YAMLEmitter.emit(.map(["k": .string("a\n\nb\n\n")])) == "k: |+\n  a\n\n  b\n\n")
        #expect(YAMLEmitter.emit(.list([.string("x\ny")])) == "- |-\n  x\n  y\n")
        // A space before a line break cannot be kept by a block: go-yaml falls back to quotes.
        #expect(YAMLEmitter.emit(.map(["k": .string("a \nb")])) == "k: \"a \\nb\"\n")
    }

    @Test func numbersPrintAsGoPrintsThem() {
        #expect(YAMLEmitter.emit(.map(["a": .int(3), "b": .double(0.5), "c": .double(1_000_000), "d": .double(1.5e-7),
                                       "e": .double(1234567.5), "f": .bool(false), "g": .null])) == """
            a: 3
            b: 0.5
            c: 1000000
            d: 1.5e-07
            e: 1.2345675e+06
            f: false
            g: null

            """)
    }

    @Test func jsonMatchesGoEncoding() {
        let value = Value.map(["b": .list([.int(1), .double(2.5), .null]), "a": .string("<tag> & \"q\"\n")])
        #expect(JSONEmitter.emit(value) == #"{"a":"\u003ctag\u003e \u0026 \"q\"\n","b":[1,2.5,null]}"#)
        #expect(JSONEmitter.emit(.double(1e21)) == "1e+21")
        #expect(JSONEmitter.emit(.double(0.000001)) == "0.000001")
        // encoding/json's output for each, across the fast paths' edges (whole numbers below
        // 1e15, Swift's plain form from 1e-4) and the general one.
        let expected: [(Double, String)] = [
            (1e15, "1000000000000000"), (999_999_999_999_999, "999999999999999"), (9_007_199_254_740_993, "9007199254740992"),
            (1e20, "100000000000000000000"), (-3, "-3"), (1_700_000_000.25, "1700000000.25"), (0.1, "0.1"),
            (123_456_789_012_345.6, "123456789012345.6"), (0.0001, "0.0001"), (0.00012, "0.00012"), (0.000015, "0.000015"),
            (1e-7, "1e-7"), (-2.5e-9, "-2.5e-9"), (1.5e300, "1.5e+300"), (-0.0, "0"),
        ]
        for (value, json) in expected { #expect(GoNumberFormat.json(value) == json, "\(value)") }
    }

    @Test func goFloatFormatting() {
        #expect(GoNumberFormat.g(1e6) == "1e+06")
        #expect(GoNumberFormat.g(123456) == "123456")
        #expect(GoNumberFormat.g(0.0001) == "0.0001")
        #expect(GoNumberFormat.g(0.00001) == "1e-05")
        #expect(GoNumberFormat.g(-2.5) == "-2.5")
        #expect(GoNumberFormat.g(100) == "100")
    }

    @Test func emittedYAMLReadsBackAsTheSameValue() throws {
        let value = Value.map(["s": .list([.string("on"), .string("0777"), .string("a: b"), .string("x\ny\n"), .string("it's")]),
                               "n": .int(-4), "m": .map(["k": .double(2.25)])])
        let parsed = try YAMLParser().parseSingle(Array(YAMLEmitter.emit(value).utf8), file: "t")
        #expect(Value(parsed) == value)
    }
}
