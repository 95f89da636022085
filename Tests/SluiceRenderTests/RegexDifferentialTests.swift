import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// Sprig's regex functions in Sluice against real Helm (Go's `regexp`): seeded patterns and
/// inputs, every function on each; the texts rendered must be equal, and a pattern Sluice
/// refuses must be one Go refuses.
@Suite(.timeLimit(.minutes(5))) struct RegexDifferentialTests {
    static let template = """
    {{- range $i, $c := .Values.cases }}
    #{{ $i }} m={{ regexMatch $c.p $c.s }} f=[{{ regexFind $c.p $c.s }}] n={{ len (regexFindAll $c.p $c.s -1) }} \
    a={{ range (regexFindAll $c.p $c.s -1) }}[{{ . }}]{{ end }} a2={{ range (regexFindAll $c.p $c.s 2) }}[{{ . }}]{{ end }} \
    r=[{{ regexReplaceAll $c.p $c.s "<$1|${n}|$0|$$|$1x>" }}] l=[{{ regexReplaceAllLiteral $c.p $c.s "<$1>" }}] \
    s={{ range (regexSplit $c.p $c.s -1) }}[{{ . }}]{{ end }} s2={{ range (regexSplit $c.p $c.s 2) }}[{{ . }}]{{ end }} \
    q=[{{ regexQuoteMeta $c.p }}]
    {{- end }}

    """

    static let atoms = ["a", "b", "c", "A", ".", "[abc]", "[^a]", "[a-c]", "[[:alpha:]]", "[^[:digit:]_]", "\\d", "\\w", "\\s", "\\W",
                        "\\b", "\\B", "^", "$", "\\.", "\\-", "é", "\\x41", "\\pL", "\\p{Lu}", "[\\d-]", "x*", "", "\\n", "\\A", "\\z", "\\Q.*\\E", "(?P<m>b)"]
    static let quantifiers = ["", "", "", "*", "+", "?", "{1,2}", "{2}", "{0,}", "*?", "+?", "??", "{1,3}?"]
    static let broken = ["(", ")", "[", "*", "\\q", "a{2,1}", "a**", "(?P<n>x)(?P<n>y)", "[z-a]", "\\", "(?z)", "\\p{Nope}", "x{1001}"]

    static func pattern(_ random: inout SeededRandom, depth: Int = 0) -> String {
        var out = ""
        for _ in 0..<(1 + random.next(upTo: 4)) {
            var atom: String
            switch random.next(upTo: 10) {
            case 0 where depth < 3: atom = "(" + pattern(&random, depth: depth + 1) + ")"
            case 1 where depth < 3: atom = "(?:" + pattern(&random, depth: depth + 1) + "|" + pattern(&random, depth: depth + 1) + ")"
            case 2 where depth < 3: atom = "(?P<n>" + pattern(&random, depth: depth + 1) + ")"
            case 3 where depth < 3: atom = "(?i:" + pattern(&random, depth: depth + 1) + ")"
            default: atom = atoms[random.next(upTo: atoms.count)]
            }
            out += atom + quantifiers[random.next(upTo: quantifiers.count)]
        }
        if random.next(upTo: 8) == 0 { out = ["(?i)", "(?m)", "(?s)", "(?U)"][random.next(upTo: 4)] + out }
        if random.next(upTo: 6) == 0 { out += "|" + pattern(&random, depth: depth + 1) }
        if random.next(upTo: 12) == 0 { out.insert(contentsOf: broken[random.next(upTo: broken.count)], at: out.index(out.startIndex, offsetBy: random.next(upTo: out.count + 1))) }
        return out
    }

    static func input(_ random: inout SeededRandom) -> String {
        let alphabet = Array("aabbcAB1 _-.\né")
        return String((0..<random.next(upTo: 12)).map { _ in alphabet[random.next(upTo: alphabet.count)] })
    }

    @Test func sluiceAndGoAgreeOnSeededPatterns() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-regex-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/regex/templates", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        try "apiVersion: v2\nname: regex\nversion: 1.0.0\n".write(toFile: root + "/regex/Chart.yaml", atomically: true, encoding: .utf8)
        try Self.template.write(toFile: root + "/regex/templates/cases.txt", atomically: true, encoding: .utf8)
        let chart = try FleetLoader().chart(in: try DirectoryTree(root: root), folder: "regex")

        var random = SeededRandom(seed: 21)
        var accepted: [Value] = [], refused: [String] = []
        for _ in 0..<700 {
            let p = Self.pattern(&random)
            let cases = (0..<3).map { _ in Value.map(["p": .string(p), "s": .string(Self.input(&random))]) }
            if (try? GoRegex(p)) != nil { accepted += cases } else { refused.append(p) }
        }
        #expect(accepted.count > 900 && refused.count > 100, "accepted \(accepted.count), refused \(refused.count)")

        func ours(_ values: [String: Value]) -> String? {
            try? ChartRenderer(chart: chart).render(values: values, context: ChartContext(releaseName: "regex", namespace: "default")).first?.text
        }
        var requests = [RealHelm.Request(chartFolder: root + "/regex", values: .map(["cases": .list(accepted)]), name: "regex")]
        requests += refused.map { RealHelm.Request(chartFolder: root + "/regex", values: .map(["cases": .list([.map(["p": .string($0), "s": .string("a")])])]), name: "regex") }
        let answers = try RealHelm.render(requests)

        let theirs = try #require(answers[0]["outputs"]?.mapValue?.values.first?.stringValue, "Go refused a pattern Sluice accepts: \(answers[0]["error"]?.stringValue ?? "")")
        let mine = try #require(ours(["cases": .list(accepted)]))
        // One record per case: inputs hold newlines but never `#`.
        let theirRecords = theirs.components(separatedBy: "\n#"), myRecords = mine.components(separatedBy: "\n#")
        #expect(theirRecords.count == myRecords.count)
        var differences = 0
        for (index, (a, b)) in zip(myRecords.dropFirst(), theirRecords.dropFirst()).enumerated() where a != b {
            differences += 1
            if differences <= 10 {
                Issue.record("pattern \((accepted[index]["p"]?.stringValue ?? "").debugDescription) on \((accepted[index]["s"]?.stringValue ?? "").debugDescription):\nSluice: \(a)\nGo:     \(b)")
            }
        }
        #expect(differences == 0)
        for (pattern, answer) in zip(refused, answers.dropFirst()) {
            #expect(answer["error"] != nil, "Go compiles \(pattern.debugDescription), which Sluice refuses")
        }
    }
}
