import Foundation
import SluiceModel
import SluiceRender
import SluiceYAML
import Testing

/// Sprig's random functions in chart add-ons: Sprig's alphabets, lengths and formats, drawn
/// from a stream of the pair's seed (the store's render secret, the cluster, the add-on), so
/// that one seed renders the same values every time and each call draws its own.
@Suite struct ChartRandomTests {
    static let template = """
        a: {{ randAlphaNum 24 | quote }}
        b: {{ randAlpha 8 | quote }}
        n: {{ randNumeric 6 | quote }}
        s: {{ randAscii 12 | quote }}
        u: {{ uuidv4 | quote }}
        i: {{ randInt 10 20 }}
        f: {{ shuffle "abcdef" | quote }}
        e: {{ randAlphaNum -3 | quote }}
        loop: [{{ range until 3 }}{{ randAlphaNum 8 | quote }}, {{ end }}]
        inc: {{ include "x" . | quote }}
        {{ define "x" }}{{ randAlphaNum 8 }}{{ end }}
        """

    func render(seed: [UInt8], template: String = ChartRandomTests.template, name: String = "t.yaml") throws -> [String: Value] {
        let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: r\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "templates/" + name, bytes: Array(template.utf8))]
        let chart = try #require(HelmChart.load(files, folder: "addons/r", sink: DiagnosticSink()))
        var context = ChartContext(releaseName: "r", namespace: "ns")
        context.randomSeed = seed
        let text = try #require(try ChartRenderer(chart: chart).render(values: [:], context: context).first?.text)
        return try #require(Value(try YAMLParser().parseSingle(Array(text.utf8), file: name)).mapValue)
    }

    @Test func sprigsAlphabetsLengthsAndFormats() throws {
        let out = try render(seed: Array(repeating: 1, count: 32))
        func text(_ key: String) -> String { out[key]?.stringValue ?? "" }
        #expect(text("a").count == 24 && text("a").allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
        #expect(text("b").count == 8 && text("b").allSatisfy { $0.isASCII && $0.isLetter })
        #expect(text("n").count == 6 && text("n").allSatisfy(\.isNumber))
        #expect(text("s").count == 12 && text("s").unicodeScalars.allSatisfy { (32...126).contains($0.value) })
        #expect(try GoRegex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").matches(text("u")))
        #expect(out["i"].flatMap { if case .int(let n) = $0 { return n } else { return nil } }.map { (10..<20).contains($0) } == true)
        #expect(text("f").sorted() == Array("abcdef"))
        #expect(text("e") == "")
        // Each call draws its own: the loop's three and the include's differ.
        let drawn = (out["loop"]?.listValue ?? []).compactMap(\.stringValue) + [text("inc")]
        #expect(Set(drawn).count == 4)
    }

    @Test func oneSeedRendersTheSameValuesAnotherSeedOthers() throws {
        let seed = Array(repeating: UInt8(7), count: 32)
        #expect(try render(seed: seed) == render(seed: seed))
        #expect(try render(seed: seed)["a"] != render(seed: Array(repeating: 8, count: 32))["a"])
        // Another template draws another stream.
        #expect(try render(seed: seed)["a"] != render(seed: seed, name: "other.yaml")["a"])
        // A pair's seed is the cluster's and the add-on's: prod-1's coredns is not prod-2's.
        let secret = Array(repeating: UInt8(3), count: 32)
        var one = ChartContext(releaseName: "r", namespace: "ns"), two = one
        one.randomSeed = ChartContext.randomSeed(secret: secret, cluster: "prod-1", addon: "coredns")
        two.randomSeed = ChartContext.randomSeed(secret: secret, cluster: "prod-2", addon: "coredns")
        #expect(one.randomSeed != two.randomSeed && one.randomSeed.count == 32)
    }

    @Test func aHugeDrawIsRefusedNotMade() throws {
        #expect(throws: Diagnostic.self) { try render(seed: [1], template: "{{ randAlphaNum 1000000000 }}") }
        #expect(throws: Diagnostic.self) { try render(seed: [1], template: "{{ randInt 5 5 }}") }
    }
}
