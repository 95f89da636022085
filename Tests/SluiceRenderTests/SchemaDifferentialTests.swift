import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// `values.schema.json` in Sluice against real Helm (its validator, santhosh-tekuri/jsonschema):
/// seeded schemas (every keyword Sluice applies, nested, some not valid schemas) and seeded
/// values; both accept or both refuse.
@Suite(.timeLimit(.minutes(5))) struct SchemaDifferentialTests {
    static func value(_ random: inout SeededRandom, depth: Int = 0) -> Value {
        switch random.next(upTo: depth < 2 ? 9 : 6) {
        case 0: return .null
        case 1: return .bool(random.next(upTo: 2) == 0)
        case 2: return .double([0, 1, 2, 3, -1, 0.3, 1.5, 2.0, 10, 1e20][random.next(upTo: 10)])
        case 3, 4: return .string(["", "a", "abc", "héé", "1.2", "ab-1", "B"][random.next(upTo: 7)])
        case 5: return .double(Double(random.next(upTo: 5)))
        case 6: return .list((0..<random.next(upTo: 4)).map { _ in value(&random, depth: depth + 1) })
        default:
            var map: [String: Value] = [:]
            for _ in 0..<random.next(upTo: 4) { map[["a", "b", "ab", "c"][random.next(upTo: 4)]] = value(&random, depth: depth + 1) }
            return .map(map)
        }
    }

    static func schema(_ random: inout SeededRandom, depth: Int = 0) -> Value {
        if random.next(upTo: 12) == 0 { return .bool(random.next(upTo: 3) > 0) }
        var s: [String: Value] = [:]
        func sub() -> Value { depth < 2 ? schema(&random, depth: depth + 1) : .map(["type": .string("string")]) }
        func number() -> Value { .double([0, 1, 2, 3, 0.5, 1.5][random.next(upTo: 6)]) }
        for _ in 0..<(1 + random.next(upTo: 3)) {
            switch random.next(upTo: 24) {
            case 0: s["type"] = .string(["string", "integer", "number", "object", "array", "boolean", "null"][random.next(upTo: 7)])
            case 1: s["type"] = .list([.string("string"), .string(["null", "integer", "array"][random.next(upTo: 3)])])
            case 2: s["enum"] = .list([.double(1), .string("a"), .null, .list([]), .double(2.0)].filter { _ in random.next(upTo: 2) == 0 })
            case 3: s["const"] = [.double(2), .string("abc"), .bool(true), .map(["a": .double(1)])][random.next(upTo: 4)]
            case 4: s[["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"][random.next(upTo: 4)]] = number()
            case 5: s["multipleOf"] = .double([0.1, 0.5, 2, 3][random.next(upTo: 4)])
            case 6: s[["minLength", "maxLength"][random.next(upTo: 2)]] = .double(Double(random.next(upTo: 4)))
            case 7: s["pattern"] = .string(["^a", "\\d", "^[a-c]+$", "(?i)B", "é"][random.next(upTo: 5)])
            case 8: s["items"] = sub()
            case 9: s["prefixItems"] = .list([sub(), sub()])
            case 10: s[["minItems", "maxItems"][random.next(upTo: 2)]] = .double(Double(random.next(upTo: 3)))
            case 11: s["uniqueItems"] = .bool(true)
            case 12: s["contains"] = sub(); if random.next(upTo: 2) == 0 { s["minContains"] = .double(2) }
            case 13: s["properties"] = .map(["a": sub(), "b": sub()])
            case 14: s["required"] = .list([.string("a"), .string("c")].filter { _ in random.next(upTo: 2) == 0 })
            case 15: s["additionalProperties"] = random.next(upTo: 2) == 0 ? .bool(false) : sub()
            case 16: s["patternProperties"] = .map(["^a": sub()])
            case 17: s["propertyNames"] = .map(["maxLength": .double(1)])
            case 18: s["dependentRequired"] = .map(["a": .list([.string("b")])])
            case 19: s[["allOf", "anyOf", "oneOf"][random.next(upTo: 3)]] = .list([sub(), sub()])
            case 20: s["not"] = sub()
            case 21: s["if"] = sub(); s["then"] = sub(); if random.next(upTo: 2) == 0 { s["else"] = sub() }
            case 22: s["$ref"] = .string("#/$defs/d")
            default:
                // Not a schema: both must refuse the chart.
                s[["minLength", "type", "pattern", "required"][random.next(upTo: 4)]] = [.double(-1), .string("text"), .string("("), .string("a")][random.next(upTo: 4)]
            }
        }
        return .map(s)
    }

    @Test func sluiceAndHelmAgreeOnSeededSchemas() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-schema-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var random = SeededRandom(seed: 21)
        var cases: [(chart: HelmChart, values: [String: Value])] = []
        var requests: [RealHelm.Request] = []
        for index in 0..<300 {
            let folder = "c\(index)"
            try FileManager.default.createDirectory(atPath: root + "/\(folder)/templates", withIntermediateDirectories: true)
            try "apiVersion: v2\nname: c\nversion: 1.0.0\n".write(toFile: root + "/\(folder)/Chart.yaml", atomically: true, encoding: .utf8)
            try "x: 1\n".write(toFile: root + "/\(folder)/templates/a.yaml", atomically: true, encoding: .utf8)
            var top: [String: Value] = ["properties": .map(["v": Self.schema(&random)]), "$defs": .map(["d": Self.schema(&random, depth: 2)])]
            if random.next(upTo: 5) == 0 { top["$schema"] = .string("http://json-schema.org/draft-07/schema#") }
            try JSONEmitter.emit(HelmFunctionsJSON.numbers(.map(top))).write(toFile: root + "/\(folder)/values.schema.json", atomically: true, encoding: .utf8)
            let values: [String: Value] = ["v": Self.value(&random)]
            cases.append((try FleetLoader().chart(in: try DirectoryTree(root: root), folder: folder), values))
            requests.append(RealHelm.Request(chartFolder: root + "/" + folder, values: .map(values), name: "c"))
        }
        let answers = try RealHelm.render(requests)
        var agreed = (accepted: 0, refused: 0)
        for ((chart, values), answer) in zip(cases, answers) {
            let ours: Diagnostic?
            do { _ = try ChartRenderer(chart: chart).render(values: values, context: ChartContext(releaseName: "c", namespace: "n")); ours = nil } catch { ours = error as? Diagnostic }
            let schema = String(decoding: chart.schema?.bytes ?? [], as: UTF8.self)
            switch (ours, answer["error"]?.stringValue) {
            case (nil, nil): agreed.accepted += 1
            case (_?, _?): agreed.refused += 1
            case (let ours?, nil): Issue.record("Sluice refused what Helm accepts: \(schema) with \(JSONEmitter.emit(.map(values))): \(ours.message)")
            case (nil, let theirs?): Issue.record("Sluice accepted what Helm refuses: \(schema) with \(JSONEmitter.emit(.map(values))): \(theirs)")
            }
        }
        #expect(agreed.accepted > 50 && agreed.refused > 50, "accepted by both: \(agreed.accepted), refused by both: \(agreed.refused)")
    }
}
