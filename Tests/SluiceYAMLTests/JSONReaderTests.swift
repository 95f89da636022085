import Foundation
import SluiceYAML
import SluiceTestSupport
import Testing

/// The JSON reader of stored objects: what `JSONEmitter` writes comes back equal, and equal
/// to what the YAML parser (which read stored objects before) makes of the same text.
@Suite(.timeLimit(.minutes(10))) struct JSONReaderTests {
    static let sample: Value = .map([
        "apiVersion": .string("apps/v1"), "kind": .string("Deployment"),
        "metadata": .map(["name": .string("coredns"), "labels": .map(["sluice.dev/addon": .string("coredns")]),
                          "annotations": .map(["note": .string("a \"quoted\" <tag> & back\\slash\nnew line\ttab \u{1}")])]),
        "spec": .map(["replicas": .int(2), "paused": .bool(false), "ratio": .double(0.25), "big": .double(1.5e300),
                      "negative": .int(-7), "nothing": .null, "empty": .map([:]), "none": .list([]),
                      "containers": .list([.map(["name": .string("dns"), "image": .string("coredns:v1.11.4")])]),
                      "unicode": .string("ünïcødé 日本 😀 \u{2028}")]),
    ])

    @Test func whatTheEmitterWritesComesBackEqual() throws {
        #expect(try JSONReader.read(JSONEmitter.emit(Self.sample)) == Self.sample)
    }

    @Test func itAgreesWithTheYAMLParserOnTheExampleFleetsValues() throws {
        let parser = YAMLParser()
        var compared = 0
        let addons = ProjectPaths.exampleRepo + "/addons"
        for addon in try FileManager.default.contentsOfDirectory(atPath: addons) {
            let path = addons + "/" + addon + "/values.yaml"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let value = try parser.parseValues(Array(text.utf8), file: path).first?.value else { continue }
            let json = JSONEmitter.emit(value)
            let viaYAML = try parser.parseValues(Array(json.utf8), file: "json").first?.value
            #expect(try JSONReader.read(json) == viaYAML, "\(path)")
            compared += 1
        }
        #expect(compared >= 10)
        let json = JSONEmitter.emit(Self.sample)
        #expect(try JSONReader.read(json) == parser.parseValues(Array(json.utf8), file: "json").first?.value)
    }

    @Test func escapesSurrogatesAndWhitespace() throws {
        #expect(try JSONReader.read(#" { "a" : [ 1 , 2.5e1 , "\u00e9\ud83d\ude00\/" ] , "b" : true } "#)
                == .map(["a": .list([.int(1), .double(25), .string("é😀/")]), "b": .bool(true)]))
    }

    @Test func brokenJSONIsAnErrorWithItsOffset() {
        for text in ["{\"a\": }", "[1, 2", "\"open", "tru", "{\"a\" 1}", "[1] x", "\"\\ud800\"", "-"] {
            #expect(throws: JSONReader.Failure.self, "\(text)") { try JSONReader.read(text) }
        }
        #expect { try JSONReader.read("[1, 2") } throws: { ($0 as? JSONReader.Failure)?.offset == 5 }
    }
}
