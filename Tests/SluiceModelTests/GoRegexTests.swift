import SluiceModel
import SluiceTestSupport
import Testing

/// Go's `regexp` semantics on cases whose answers Go gives (checked with Go 1.22 and through
/// real Helm in `RegexDifferentialTests`), and the bounds that keep a hostile pattern cheap.
@Suite struct GoRegexTests {
    @Test(arguments: [
        // pattern, input, FindAllString(-1) joined by |
        ("a+", "baaab aab", "aaa|aa"),
        ("x*", "ab", "||"),
        ("\\b", "ab cd", "|||"),
        ("(?i)k", "k K \u{212A}", "k|K|\u{212A}"),
        ("(?i)\\W", "k\u{212A}!", "!"),
        ("[^a]", "a\nb", "\n|b"),
        ("^a", "a\na", "a"),
        ("(?m)^a", "a\na", "a|a"),
        ("a$", "a\na", "a"),
        ("(a|ab)(c|bcd)", "abcd", "abcd"),
        ("a|ab", "ab", "a"),
        ("(a*)*", "b", "|"),
        ("a{2,3}?", "aaaa", "aa|aa"),
        ("(?U)a+", "aaa", "a|a|a"),
        ("\\pL+", "héllo wörld 42", "héllo|wörld"),
        ("[[:^alpha:]]+", "ab12cd", "12"),
        ("\\Q.*\\E+", ".**", ".**"),
        ("\\x{263a}|\\101", "A☺", "A|☺"),
    ] as [(String, String, String)])
    func findAllMatchesGo(pattern: String, input: String, expected: String) throws {
        let found = try GoRegex(pattern).findAll(input, limit: -1)
        #expect(found.joined(separator: "|") == expected)
    }

    @Test func replaceExpandsAsGoDoes() throws {
        let regex = try GoRegex("(?P<first>\\w+) (\\w+)")
        #expect(try regex.replaceAll("ab cd", with: "$2 ${first} $$ $1x ${9} $", literal: false) == "cd ab $   $")
        #expect(try regex.replaceAll("ab cd", with: "$2", literal: true) == "$2")
        #expect(try GoRegex("a*").replaceAll("baaac", with: "-", literal: false) == "-b-c-")
    }

    @Test func splitFollowsGo() throws {
        #expect(try GoRegex("a").split("banana", limit: -1) == ["b", "n", "n", ""])
        #expect(try GoRegex("a").split("banana", limit: 2) == ["b", "nana"])
        #expect(try GoRegex("x*").split("abc", limit: -1) == ["a", "b", "c"])
        #expect(try GoRegex("a").split("", limit: -1) == [""])
        #expect(try GoRegex("a").split("abc", limit: 0) == [])
    }

    @Test(arguments: ["(", ")", "[a", "*a", "a**", "a{2,1}", "x{1001}", "\\q", "\\1", "(?z)", "[z-a]", "\\p{Nope}", "a\\"])
    func goRefusesAndSoDoesSluice(pattern: String) {
        #expect(throws: GoRegexError.self) { try GoRegex(pattern) }
    }

    @Test func hostilePatternsAreBounded() throws {
        // Too large to build, too deep to parse: refused before any work.
        #expect { try GoRegex("(x{1000}){1000}") } throws: { ($0 as? GoRegexError)?.kind == .syntax }
        #expect { try GoRegex(String(repeating: "(", count: 500) + String(repeating: ")", count: 500)) } throws: { ($0 as? GoRegexError)?.kind == .syntax }
        // Linear, not exponential: a backtracking engine never ends on this one.
        #expect(try GoRegex("(a*)*b").matches(String(repeating: "a", count: 5_000)) == false)
        // Work beyond the step limit is an error, never a wrong answer.
        #expect { try GoRegex("(a?){1000}a{1000}").findAll(String(repeating: "a", count: 200_000), limit: -1) } throws: {
            ($0 as? GoRegexError)?.kind == .workLimit
        }
    }

    /// Bounded mutation fuzz: patterns from charts and from the corpus, bytes flipped, cut and
    /// doubled; every one compiles or is refused, and every run ends with an answer or an error.
    @Test func mutatedPatternsEndWithAnAnswerOrAnError() {
        let seeds = ["^\\s*(\\d+)\\.(\\d+)(?:\\.(\\d+))?(-[0-9A-Za-z.-]+)?$", "(?i)(?P<n>a+|b*?)\\b[[:alpha:]]{1,3}$",
                     "\\pL+|\\p{^Lu}|\\Q.*\\E+|[^\\x{263a}-\\x{2640}]", "(a*)*b|x{2,5}?|(?U)y+|(?s).", "[[:^digit:]_-]+(?m:^$)"]
        let punctuation = Array("()[]{}*+?|^$\\.-,:<>PQEpbBAzdDsSwWxi0129")
        var random = SeededRandom(seed: 7)
        var compiled = 0, refused = 0
        for _ in 0..<3_000 {
            var pattern = Array(seeds[random.next(upTo: seeds.count)])
            for _ in 0..<(1 + random.next(upTo: 4)) {
                let at = random.next(upTo: pattern.count + 1)
                switch random.next(upTo: 3) {
                case 0: pattern.insert(punctuation[random.next(upTo: punctuation.count)], at: at)
                case 1: if at < pattern.count { pattern.remove(at: at) }
                default: pattern.insert(contentsOf: pattern[at...].prefix(6), at: at)
                }
            }
            guard let regex = try? GoRegex(String(pattern)) else { refused += 1; continue }
            compiled += 1
            let text = "v1.22.3-rc.1 Aa bb\nccc ☺ xxxx"
            _ = try? regex.findAll(text, limit: -1)
            _ = try? regex.replaceAll(text, with: "<$1${n}>", literal: false)
            _ = try? regex.split(text, limit: -1)
        }
        #expect(compiled > 500 && refused > 500, "compiled \(compiled), refused \(refused)")
    }
}
