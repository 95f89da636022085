import Foundation
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluiceTestSupport
import Testing

/// The readers of what an API server or a kubeconfig says, fed mutated copies of real
/// documents (seeded, bounded: SLUICE_FUZZ_SEED, SLUICE_FUZZ_CASES): each must answer with a
/// value or a typed error, never trap.
@Suite struct KubernetesMutationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static var cases: Int { Int(ProcessInfo.processInfo.environment["SLUICE_FUZZ_CASES"] ?? "") ?? 200 }
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["SLUICE_FUZZ_SEED"] ?? "") ?? 10 }

    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<(1 + random.below(8)) {
            guard !bytes.isEmpty else { break }
            let at = random.below(bytes.count)
            switch random.below(5) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + random.below(64)))
            case 2: bytes.insert(contentsOf: random.pick([Array("[[[[".utf8), Array("1e999".utf8), Array("-9223372036854775809".utf8),
                                                          Array("\"\\u0000\"".utf8), Array("{}".utf8), Array("null".utf8)]), at: at)
            case 3: bytes = Array(bytes[..<at])
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + random.below(200))], at: random.below(bytes.count))
            }
        }
        return bytes
    }

    @Test func discoveryStatusAndWorkloadReadersSurviveMutatedDocuments() throws {
        var random = SplitMix64(seed: Self.seed)
        let documents = try ["aggregated-apis.json", "aggregated-api.json", "api-v1.json", "exchanges/11-create-invalid.json",
                             "exchanges/19-server-side-apply-conflict.json"].map { Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + $0))) }
        for _ in 0..<Self.cases {
            let bytes = Self.mutate(random.pick(documents), &random)
            var index = ResourceIndex()
            try? index.addAggregated(bytes)
            try? index.addResourceList(bytes)
            let status = APIStatus(response: HTTPResponse(status: 400 + random.below(200), headers: ["retry-after": String(decoding: bytes.prefix(8), as: UTF8.self)], body: bytes))
            _ = status.isTransient
            if let value = try? JSONReader.read(String(decoding: bytes, as: UTF8.self)) {
                for key in [ObjectKey(group: "apps", kind: "Deployment", namespace: "a", name: "b"), ObjectKey(group: "apps.kruise.io", kind: "CloneSet", namespace: "a", name: "b")] {
                    _ = RolloutStatusReader.status(key, value)
                }
            }
        }
    }

    @Test func theKubeconfigReaderSurvivesMutatedFiles() throws {
        var random = SplitMix64(seed: Self.seed &+ 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-kcfuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let original = Array("""
            apiVersion: v1
            kind: Config
            current-context: prod
            clusters:
            - name: prod
              cluster: {server: "https://10.0.0.1:6443", certificate-authority-data: "Y2E=", tls-server-name: api, proxy-url: "http://proxy:3128"}
            users:
            - name: admin
              user:
                token: abc
                exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true, args: [a, b], env: [{name: A, value: B}]}
            contexts:
            - {name: prod, context: {cluster: prod, user: admin, namespace: default}}
            """.utf8)
        for index in 0..<Self.cases {
            let path = folder + "/config-\(index)"
            try Data(Self.mutate(original, &random)).write(to: URL(fileURLWithPath: path))
            if let config = try? KubeconfigLoader.read(path) {
                for context in config.contexts.keys { _ = try? config.access(context: context) }
            }
        }
    }
}
