import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// Sluice against real Helm (helm-python-sdk, which `make deps` installs) on the shared charts
/// with seeded values: strings, numbers, booleans, lists and maps put where the chart's own
/// values are, keys deleted with null. Both render the same objects, or both refuse.
@Suite(.timeLimit(.minutes(10))) struct HelmDifferentialTests {
    static let charts = ["metrics-server", "node-problem-detector", "fluent-bit", "ingress-nginx"]
    static let variantsPerChart = 40

    /// User values that change one to three places of the chart's values.
    static func variant(of defaults: [String: Value], random: inout SeededRandom) -> [String: Value] {
        var user: [String: Value] = [:]
        for _ in 0..<(1 + random.next(upTo: 3)) {
            var path: [String] = []
            var current: Value = .map(defaults)
            while case .map(let map) = current, !map.isEmpty, path.count < 4 {
                let keys = map.keys.sorted()
                let key = keys[random.next(upTo: keys.count)]
                path.append(key)
                current = map[key] ?? .null
                if case .map = current, random.next(upTo: 3) > 0 { continue }
                break
            }
            guard !path.isEmpty else { continue }
            user = set(user, path[...], mutated(current, random: &random))
        }
        return user
    }

    static func mutated(_ value: Value, random: inout SeededRandom) -> Value {
        if random.next(upTo: 10) == 0 { return .null }
        func pick(_ choices: [Value]) -> Value { choices[random.next(upTo: choices.count)] }
        switch value {
        case .string: return pick([.string(""), .string("x"), .string("a-b"), .string("1"), .string("true"), .string("v1.2.3"), .string("two words")])
        case .double, .int: return pick([.double(0), .double(1), .double(3), .double(80), .double(1.5), .double(-1)])
        case .bool(let b): return .bool(!b)
        case .map(let map):
            var extended = map
            extended["extra"] = .string("x")
            return pick([.map([:]), .map(extended)])
        case .list: return pick([.list([]), .list([.string("x")]), .list([.map(["name": .string("a")])])])
        case .null: return pick([.string("x"), .double(2), .bool(true), .map(["a": .string("b")])])
        }
    }

    static func set(_ map: [String: Value], _ path: ArraySlice<String>, _ value: Value) -> [String: Value] {
        var out = map
        guard let key = path.first else { return out }
        if path.count == 1 { out[key] = value; return out }
        out[key] = .map(set(out[key]?.mapValue ?? [:], path.dropFirst(), value))
        return out
    }

    /// The objects of the outputs, or nil when one does not parse.
    static func objects(_ outputs: [(name: String, text: String)]) -> [String: Value]? {
        var objects: [String: Value] = [:]
        for output in outputs where !output.name.hasSuffix("NOTES.txt") {
            guard let documents = try? YAMLParser().parse(Array(output.text.utf8), file: output.name) else { return nil }
            for document in documents where !document.isNull {
                guard case .map(let map) = Value(document), !map.isEmpty else { continue }
                let metadata = map["metadata"]?.mapValue ?? [:]
                objects["\(map["kind"]?.stringValue ?? "")/\(metadata["namespace"]?.stringValue ?? "")/\(metadata["name"]?.stringValue ?? "")"] = .map(map)
            }
        }
        return objects
    }

    @Test func sluiceAndHelmAgreeOnSeededValues() throws {
        let tree = try DirectoryTree(root: ProjectPaths.sharedHelm + "/charts")
        var random = SeededRandom(seed: 21)
        var cases: [(chart: HelmChart, values: [String: Value])] = []
        var requests: [RealHelm.Request] = []
        for name in Self.charts {
            let chart = try FleetLoader().chart(in: tree, folder: name)
            for index in 0...Self.variantsPerChart {
                // The first variant of each chart is its own values.
                let values = index == 0 ? [:] : Self.variant(of: chart.values.mapValue ?? [:], random: &random)
                cases.append((chart, values))
                requests.append(RealHelm.Request(chartFolder: ProjectPaths.sharedHelm + "/charts/" + name, values: .map(values), name: name))
            }
        }
        let answers = try RealHelm.render(requests)
        try #require(answers.count == cases.count)

        var agreed = (rendered: 0, refused: 0)
        // One renderer per chart, as a fleet's plan has: its template memo reuses what a
        // variant reads the same as an earlier one, and must still agree with Helm.
        var renderers: [String: ChartRenderer] = [:]
        for ((chart, values), answer) in zip(cases, answers) {
            let ours: [String: Value]?
            do {
                let renderer = try renderers[chart.name] ?? ChartRenderer(chart: chart)
                renderers[chart.name] = renderer
                let outputs = try renderer.render(values: values, context: ChartContext(releaseName: chart.name, namespace: "kube-system"))
                ours = Self.objects(outputs.map { ($0.name, $0.text) })
            } catch {
                ours = nil
            }
            let theirs = answer["outputs"]?.mapValue.flatMap { Self.objects($0.sorted { $0.key < $1.key }.map { ($0.key, $0.value.stringValue ?? "") }) }
            let case_ = "\(chart.name) with \(JSONEmitter.emit(.map(values)))"
            switch (ours, theirs) {
            case (nil, nil):
                agreed.refused += 1
            case (let ours?, let theirs?):
                #expect(Set(ours.keys) == Set(theirs.keys), "\(case_): objects differ: only Sluice \(Set(ours.keys).subtracting(theirs.keys).sorted()), only Helm \(Set(theirs.keys).subtracting(ours.keys).sorted())")
                for (key, object) in theirs where ours[key] != nil && ours[key] != object {
                    Issue.record("\(case_): \(key) differs:\nSluice: \(JSONEmitter.emit(ours[key]!))\nHelm:   \(JSONEmitter.emit(object))")
                }
                agreed.rendered += 1
            case (nil, _?):
                Issue.record("\(case_): Sluice refused what Helm rendered")
            case (_?, nil):
                Issue.record("\(case_): Sluice rendered what Helm refused: \(answer["error"]?.stringValue ?? "")")
            }
        }
        // Most variants render: the comparison is not all refusals.
        #expect(agreed.rendered > cases.count / 2, "rendered by both: \(agreed.rendered), refused by both: \(agreed.refused)")
        // The memo was used: templates of later variants came from it.
        #expect(renderers.values.map(\.memoHits).reduce(0, +) > 100)
    }
}
