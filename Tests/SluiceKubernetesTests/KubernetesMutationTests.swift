import Foundation
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluiceTestSupport
import Testing

/// The readers of what an API server or a kubeconfig says, fed mutated copies of real
/// documents (seeded, bounded: SLUICE_FUZZ_SEED, SLUICE_FUZZ_CASES): each must answer with a
/// value or a typed error, never trap; and the mutations must reach the readers (some
/// mutated documents still parse) and what they answer must be sane (counts in range, text
/// bounded and free of control characters).
@Suite(.timeLimit(.minutes(10))) struct KubernetesMutationTests {
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

    /// Half the cases mutate the document's values, not its bytes, so that they reach past
    /// the JSON parser into the readers' own rules.
    static func mutateValues(_ value: Value, _ random: inout SplitMix64, depth: Int = 0) -> Value {
        let atoms: [Value] = [.null, .bool(true), .int(Int.max), .int(-1), .double(1e300), .double(-0.5), .string(""),
                              .string("\u{1b}[2J"), .list([]), .map([:])]
        if depth > 0 && random.below(15) == 0 { return random.pick(atoms) }
        switch value {
        case .map(var map) where depth < 40:
            for key in map.keys.sorted() where random.below(3) == 0 {
                if random.below(8) == 0 { map[key] = nil } else { map[key] = mutateValues(map[key] ?? .null, &random, depth: depth + 1) }
            }
            return .map(map)
        case .list(var items) where depth < 40:
            for index in items.indices where random.below(3) == 0 { items[index] = mutateValues(items[index], &random, depth: depth + 1) }
            if !items.isEmpty && random.below(6) == 0 { items.append(random.pick(items)) }
            return .list(items)
        default:
            return value
        }
    }

    static func mutateEither(_ bytes: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        guard random.below(2) == 0, let value = try? JSONReader.read(String(decoding: bytes, as: UTF8.self)) else {
            return mutate(bytes, &random)
        }
        return Array(JSONEmitter.emit(mutateValues(value, &random)).utf8)
    }

    @Test func discoveryStatusAndWorkloadReadersSurviveMutatedDocuments() throws {
        var random = SplitMix64(seed: Self.seed)
        let documents = try ["aggregated-apis.json", "aggregated-api.json", "api-v1.json", "exchanges/11-create-invalid.json",
                             "exchanges/19-server-side-apply-conflict.json"].map { Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + $0))) }
        var indexed = 0, parsed = 0, statuses = 0
        for _ in 0..<Self.cases {
            let bytes = Self.mutateEither(random.pick(documents), &random)
            var index = ResourceIndex()
            // A mutated document may be refused (a typed error): counted when it is not.
            if (try? index.addAggregated(bytes)) != nil || (try? index.addResourceList(bytes)) != nil { indexed += 1 }
            #expect(index.count >= 0)
            let code = 400 + random.below(200)
            let status = APIStatus(response: HTTPResponse(status: code, headers: ["retry-after": String(decoding: bytes.prefix(8), as: UTF8.self)], body: bytes))
            #expect(status.code == code)
            #expect(status.isTransient == (code == 429 || code >= 500 || status.reason == "ServerTimeout" || status.reason == "Timeout"))
            #expect(status.message.count <= UntrustedText.defaultLimit + 40)
            #expect(!status.description.unicodeScalars.contains { $0.value < 0x20 })
            if let wait = status.retryAfter { #expect(!wait.isNaN) }
            if let value = try? JSONReader.read(String(decoding: bytes, as: UTF8.self)) {
                parsed += 1
                for key in [ObjectKey(group: "apps", kind: "Deployment", namespace: "a", name: "b"), ObjectKey(group: "apps.kruise.io", kind: "CloneSet", namespace: "a", name: "b")] {
                    guard let workload = RolloutStatusReader.status(key, value) else { continue }
                    statuses += 1
                    #expect(workload.desired >= 0 && workload.updated >= 0 && workload.ready >= 0 && workload.updatedReady >= 0)
                    #expect(workload.partition >= 0 && workload.partition <= max(workload.desired, 0))
                }
            }
        }
        // The mutations reached the readers: some documents still parsed and indexed.
        #expect(indexed > Self.cases / 20, "only \(indexed) of \(Self.cases) mutated documents were indexed")
        #expect(parsed > Self.cases / 20, "only \(parsed) of \(Self.cases) mutated documents were JSON")
        #expect(statuses > 0)
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
        var read = 0, resolved = 0
        for index in 0..<Self.cases {
            let path = folder + "/config-\(index)"
            try Data(Self.mutate(original, &random)).write(to: URL(fileURLWithPath: path))
            if let config = try? KubeconfigLoader.read(path) {
                read += 1
                for context in config.contexts.keys {
                    guard let access = try? config.access(context: context) else { continue }
                    resolved += 1
                    #expect(access.context == context)
                }
            }
        }
        // The mutations reached the reader: some files still read, and some contexts resolved.
        #expect(read > Self.cases / 20, "only \(read) of \(Self.cases) mutated kubeconfigs were read")
        #expect(resolved > 0)
    }
}
