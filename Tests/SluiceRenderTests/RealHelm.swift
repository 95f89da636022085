import Foundation
import SluiceTestSupport
import SluiceYAML
import Testing

/// Real Helm (helm-python-sdk, which `make deps` installs) rendering charts in one process
/// through `Tests/Fixtures/helm-render.py`: one answer per request, `outputs` (template name to
/// text) or `error`.
enum RealHelm {
    struct Request {
        var chartFolder: String
        var values: Value
        var name: String
        var namespace = "kube-system"
    }

    static func render(_ requests: [Request]) throws -> [Value] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-helm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let list = Value.list(requests.map {
            .map(["chart": .string($0.chartFolder), "values": HelmFunctionsJSON.numbers($0.values),
                  "name": .string($0.name), "namespace": .string($0.namespace)])
        })
        try JSONEmitter.emit(list).write(toFile: folder + "/requests.json", atomically: true, encoding: .utf8)
        let helm = try ProcessResult.run("/usr/bin/env", ["python3", ProjectPaths.root + "/Tests/Fixtures/helm-render.py", folder + "/requests.json", folder + "/answers.json"])
        try #require(helm.status == 0, "real Helm did not run (make deps installs helm-python-sdk): \(helm.stderr.suffix(2_000))")
        let answers = try #require(Value(try YAMLParser().parseSingle(Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/answers.json"))), file: "answers.json")).listValue)
        try #require(answers.count == requests.count)
        return answers
    }
}

/// Values as JSON for Helm: Sluice's float64s with no fraction written as integers.
enum HelmFunctionsJSON {
    static func numbers(_ value: Value) -> Value {
        switch value {
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return .int(Int(d))
        case .list(let items): return .list(items.map(numbers))
        case .map(let map): return .map(map.mapValues(numbers))
        default: return value
        }
    }
}
