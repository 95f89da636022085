import SluiceYAML
import Testing

/// YAML nesting is bounded (`ValueLimits.nesting`) in every reader: libyaml's node and value
/// builders and the fast block reader, for flow, block and alias nesting (issue 9).
@Suite(.timeLimit(.minutes(10))) struct YAMLNestingTests {
    func code(_ text: String) -> String? {
        do {
            _ = try YAMLParser().parse(Array(text.utf8), file: "f.yaml")
            return nil
        } catch {
            return error.code
        }
    }

    func valueCode(_ text: String) -> String? {
        do {
            _ = try YAMLParser().parseValues(Array(text.utf8), file: "f.yaml")
            return nil
        } catch {
            return error.code
        }
    }

    @Test func deepFlowAndBlockNestingIsAnError() {
        let cases = [
            "a: " + String(repeating: "[", count: 100_000),
            "a: " + String(repeating: "{a: ", count: 50_000),
            "a:\n  " + String(repeating: "- ", count: 40_000) + "x\n",
            "a: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n",
        ]
        for text in cases {
            #expect(code(text) == "limit.valueNesting")
            #expect(valueCode(text) == "limit.valueNesting")
            // The fast reader declines rather than recursing without bound.
            #expect(BlockYAMLReader.read(Array(text.utf8)) == nil)
        }
    }

    @Test func anAliasUsedDeepCountsItsOwnDepth() {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let text = "a: &deep \(deep)\nb: " + String(repeating: "[", count: 100) + "*deep" + String(repeating: "]", count: 100) + "\n"
        #expect(code(text) == "limit.valueNesting")
        #expect(valueCode(text) == "limit.valueNesting")
    }

    @Test func nestingWithinTheLimitReads() throws {
        let text = "a: " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        #expect(code(text) == nil)
        let block = "a:\n" + (0..<100).map { String(repeating: " ", count: 2 + $0 * 2) + "k\($0):\n" }.joined()
            + String(repeating: " ", count: 202) + "leaf: 1\n"
        #expect(try YAMLParser().parseValues(Array(block.utf8), file: "f.yaml").count == 1)
    }
}
