import SluiceModel
import SluiceYAML
@testable import SluiceRender
import Testing

/// Hostile templates and values stop at a limit with an error at their place, never with a
/// trap, a stack overflow or gigabytes of memory (issue 9). Asserted on the limit's kind.
@Suite(.timeLimit(.minutes(10))) struct RenderLimitsTests {
    func values(_ extra: [String: Value]) -> Value {
        .map(["Values": .map(extra), "Cluster": .map(["name": .string("c1")])])
    }

    /// The limit the template ran into (nil: it rendered), and its output when it rendered.
    func outcome(_ template: String, data: Value = .map([:])) -> (limit: RenderLimits.Kind?, output: String?) {
        do {
            let library = try TemplateLibrary(folder: "addons/a", sources: [TemplateSource(path: "addons/a/templates/t.yaml", text: template)])
            guard let manifest = library.manifests.first else { return (nil, nil) }
            var evaluator = TemplateEvaluator(library: library, file: manifest.file)
            return (nil, try evaluator.render(manifest, data: data))
        } catch let error as TemplateError {
            return (error.limit, nil)
        } catch let error as ValidationFailure {
            return (error.diagnostics.first?.code.flatMap { RenderLimits.Kind(rawValue: String($0.dropFirst("limit.".count))) }, nil)
        } catch {
            return (nil, nil)
        }
    }

    @Test(arguments: [Double.infinity, -Double.infinity, Double.nan, 1e19, 9_223_372_036_854_775_808, 1e300])
    func intOfAFloatOutsideTheIntegersIsAnError(value: Double) {
        #expect(outcome("{{ int .Values.x }}", data: values(["x": .double(value)])).limit == .integerRange)
        // An error either way (not an integer, or out of range), never a trap.
        #expect(outcome("{{ indent .Values.x \"y\" }}", data: values(["x": .double(value)])).output == nil)
    }

    @Test func intOfAFloatInRangeGoesTowardZero() {
        #expect(outcome("{{ int .Values.x }}", data: values(["x": .double(-2.9)])).output == "-2")
        #expect(outcome("{{ int 1e300 }}").limit == .integerRange)
    }

    @Test func widthsAndCountsAreBounded() {
        #expect(outcome("{{ indent 9223372036854775807 \"y\" }}").limit == .width)
        #expect(outcome("{{ nindent 1000000000 \"y\" }}").limit == .width)
        #expect(outcome("{{ printf \"%99999999999999999999d\" 1 }}").limit == .width)
        #expect(outcome("{{ printf \"%.999999999f\" 1.0 }}").limit == .width)
        #expect(outcome("{{ printf \"%10000d\" 1 }}").output?.count == 10_000)
        // `indent` of a large text by a width within the limit is bounded by the output limit.
        let big = String(repeating: "a\n", count: 10_000)
        #expect(outcome("{{ indent 9000 .Values.x }}", data: values(["x": .string(big)])).limit == .templateOutputBytes)
    }

    @Test func truncOfTheSmallestIntegerIsTheString() {
        #expect(outcome("{{ trunc -9223372036854775808 \"yes\" }}").output == "yes")
        #expect(outcome("{{ trunc -2 \"yes\" }}").output == "es")
    }

    @Test func rangeOverAHugeIntegerStopsAtTheIterationLimit() {
        #expect(outcome("{{ range 1000000000 }}x{{ end }}").limit == .rangeIterations)
        #expect(outcome("{{ range 3 }}{{ . }}{{ end }}").output == "012")
        // Includes count against the same budget.
        let nested = "{{ define \"l\" }}{{ range 1000 }}.{{ end }}{{ end }}{{ range 200 }}{{ include \"l\" . }}{{ end }}"
        #expect(outcome(nested).limit == .rangeIterations)
    }

    @Test func deepNestingIsRefusedNotOverflowed() {
        #expect(outcome("{{ " + String(repeating: "(", count: 20_000) + " }}").limit == .templateNesting)
        let balanced = String(repeating: "(", count: 50_000) + "1" + String(repeating: ")", count: 50_000)
        #expect(outcome("{{ " + balanced + " }}").limit == .templateNesting)
        let ifs = String(repeating: "{{ if true }}", count: 5_000) + String(repeating: "{{ end }}", count: 5_000)
        #expect(outcome(ifs).limit == .templateNesting)
        // Within the limit: parsed and evaluated.
        #expect(outcome("{{ " + String(repeating: "(", count: 50) + "1" + String(repeating: ")", count: 50) + " }}").output == "1")
    }

    @Test func valuesBuiltInALoopCannotNestWithoutBound() {
        #expect(outcome("{{ $x := list 1 }}{{ range 100000 }}{{ $x = list $x }}{{ end }}{{ len $x }}").limit == .valueNesting)
        #expect(outcome("{{ $x := dict }}{{ range 1000 }}{{ $x = dict \"a\" $x }}{{ end }}").limit == .valueNesting)
        #expect(outcome("{{ $x := list 1 }}{{ range 10 }}{{ $x = list $x }}{{ end }}{{ len $x }}").output == "1")
    }

    @Test func outputAndStringsAreBounded() {
        #expect(outcome("{{ $s := \"ab\" }}{{ range 40 }}{{ $s = printf \"%s%s\" $s $s }}{{ end }}{{ len $s }}").limit == .templateOutputBytes)
        #expect(outcome("{{ $s := \"ab\" }}{{ range 40 }}{{ $s = print $s $s }}{{ end }}").limit == .templateOutputBytes)
        let chunk = String(repeating: "x", count: 1 << 20)
        #expect(outcome("{{ range 9 }}{{ $.Values.x }}{{ end }}", data: values(["x": .string(chunk)])).limit == .templateOutputBytes)
    }

    /// Found by fuzz-template: `range $i, $e = ...` (assignment, not declaration) trapped.
    @Test func rangeAssigningTwoVariablesSetsThem() {
        let template = "{{ $i := 0 }}{{ $e := 0 }}{{ range $i, $e = .Values.l }}{{ end }}{{ $i }}{{ $e }}"
        #expect(outcome(template, data: values(["l": .list([.string("a"), .string("b")])])).output == "1b")
        #expect(outcome("{{ range $i, $e = .Values.l }}{{ end }}", data: values(["l": .list([.int(1)])])).output == nil)
        #expect(outcome("{{ $a, $b := 1 }}").output == nil)
    }

    @Test func requiredWithAnEmptyMessageSaysSomething() throws {
        do {
            let library = try TemplateLibrary(folder: "addons/a", sources: [TemplateSource(path: "addons/a/templates/t.yaml", text: "{{ required \"\" .Values.x }}")])
            var evaluator = TemplateEvaluator(library: library, file: "addons/a/templates/t.yaml")
            _ = try evaluator.render(try #require(library.manifests.first), data: values([:]))
            Issue.record("rendered without the required value")
        } catch let error as TemplateError {
            #expect(!error.message.isEmpty)
        }
    }

    /// A value doubled in a loop shares its halves, so it is cheap to build and exponential to
    /// walk: stopped at the node budget, at once (these hung, or took minutes, before).
    @Test(arguments: [
        "{{ $s := list 1 }}{{ range 40 }}{{ $s = list $s $s }}{{ end }}",
        "{{ $s := list 1 }}{{ range 40 }}{{ $s = list $s $s }}{{ end }}{{ $s }}",
        "{{ $d := dict \"a\" 1 }}{{ range 40 }}{{ $d = dict \"a\" $d \"b\" $d }}{{ end }}{{ toJson $d }}",
        "{{ $s := list 1 }}{{ range 18 }}{{ $s = list $s $s $s }}{{ end }}{{ toYaml $s }}",
    ])
    func aValueDoubledInALoopIsStoppedAtTheNodeBudget(template: String) {
        #expect(outcome(template).limit == .valueNodes)
    }

    @Test func valuesUnderTheBudgetStillRender() {
        let output = outcome("{{ $s := list 1 }}{{ range 10 }}{{ $s = list $s $s }}{{ end }}{{ len (toJson $s) }}").output
        #expect(output == String(Self.jsonLength(depth: 10)))
    }

    /// `[[1],[1]]`-style nesting of `depth` levels: its JSON length.
    static func jsonLength(depth: Int) -> Int {
        depth == 0 ? 3 : 2 * jsonLength(depth: depth - 1) + 3
    }
}
