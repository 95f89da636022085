import Foundation
import SluiceModel
import SluiceYAML
import Testing
@testable import SluiceRollout

/// The hand-written JSON of cluster rows (`ClusterProgress+JSON.swift`) against the
/// `Codable` conformances it must agree with.
@Suite(.timeLimit(.minutes(10))) struct ClusterProgressJSONTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func decoded(_ bytes: [UInt8]) throws -> ClusterProgress {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(ClusterProgress.self, from: Data(bytes))
    }

    /// Every phase of a cluster and of a pair, optionals set and not, strings to escape.
    var samples: [ClusterProgress] {
        let clusterPhases: [ClusterProgress.Phase] = [
            .queued, .applying, .done, .failed(.recorded("add-on \"dns\": <not> ready & \\ \u{2028}\n")),
            .unreachable(since: t0, reason: "connection refused", retryAt: t0.addingTimeInterval(30.25)), .skipped, .rolledBack,
            .failed(.addon("dns", .health(.noProgress(seconds: 300), detail: "DaemonSet/dns 1/3 \"ready\""))),
            .failed(.plan(ActionFailure(.refused, "cluster refused: forbidden"))),
            .failed(.check(CheckID(name: "errors", phase: .post, cluster: "prod-1"), detail: "ratio 0.2 > 0.01")),
            .failed(.check(CheckID(name: "window", phase: .pre, cluster: nil), detail: "closed")), .rollingBack,
        ]
        let pairPhases: [PairProgress.Phase] = [
            .waiting, .applying, .stepping(step: 2, deadline: t0.addingTimeInterval(300.5)), .baking(step: 0, until: t0.addingTimeInterval(600)),
            .retrying(at: t0.addingTimeInterval(7.75)), .recorded, .failed(.recorded("image é broken\t")),
            .failed(.action(ActionFailure(.rejected, "Deployment/x: invalid \u{1}"))), .failed(.health(.deadline(seconds: 1800.5), detail: "0/3")),
            .hooks(HookRun(moment: .pre, count: 3, index: 1, stage: .watching, deadline: t0.addingTimeInterval(45.5), timeout: 300)),
            .hooks(HookRun(moment: .post, count: 2, index: 2, stage: .cleaningUp, deadline: t0, timeout: 0.25)),
        ]
        var samples: [ClusterProgress] = []
        for (index, phase) in clusterPhases.enumerated() {
            var cluster = ClusterProgress(name: "prod-\(index)", phase: phase)
            cluster.noop = index % 2 == 0
            cluster.touched = index % 3 == 0
            cluster.rollbackRequested = index == 4
            cluster.settled = index % 2 == 0 ? [] : ["coredns", "cilium"]
            cluster.pairs = pairPhases.enumerated().map { offset, pairPhase in
                var pair = PairProgress(addon: "addon-\(offset)", dependsOn: offset % 2 == 0 ? [] : ["cni", "dns"], digest: "sha256:\(offset)",
                                        settled: offset == 1, removed: offset == 2, steps: 1 + offset % 4,
                                        stepBakeSeconds: offset % 3 == 0 ? nil : 300, healthTimeoutSeconds: 600.5)
                pair.phase = pairPhase
                pair.attempt = offset
                pair.retries = offset % 2
                pair.inFlight = offset % 2 == 1
                pair.nextPoll = offset % 2 == 0 ? nil : t0.addingTimeInterval(Double(offset) * 5)
                pair.progress = offset % 3 == 1 ? "2 of 3 pods updated and ready" : nil
                pair.preHooks = offset % 3
                pair.postHooks = offset % 2
                return pair
            }
            if index == 6 { cluster.pairs = [] }
            samples.append(cluster)
        }
        return samples
    }

    @Test func rowsReadBackEqual() throws {
        for cluster in samples { #expect(try decoded(cluster.json()) == cluster) }
    }

    @Test func rowsSayWhatTheEncodableConformanceSays() throws {
        for cluster in samples {
            let byHand = try JSONReader.read(String(decoding: cluster.json(), as: UTF8.self))
            let encoded = try JSONReader.read(String(decoding: try ValueEncoder.json(cluster), as: UTF8.self))
            #expect(byHand == encoded)
        }
    }

    /// Rows written before defaults were left out (every key of a pair present) read the same.
    @Test func rowsOfTheFirstEncodingReadBack() throws {
        let row = #"{"name":"c1","phase":{"applying":{}},"pairs":[{"addon":"dns","attempt":0,"dependsOn":[],"digest":"d","healthTimeoutSeconds":300,"inFlight":false,"phase":{"waiting":{}},"removed":false,"retries":0,"settled":false,"steps":1}]}"#
        let cluster = try decoded(Array(row.utf8))
        var expected = ClusterProgress(name: "c1", phase: .applying)
        expected.pairs = [PairProgress(addon: "dns", dependsOn: [], digest: "d", settled: false, removed: false, steps: 1,
                                       stepBakeSeconds: nil, healthTimeoutSeconds: 300)]
        #expect(cluster == expected)
    }

    @Test func writerSeparatesNestedContainers() throws {
        var w = JSONWriter()
        w.beginObject()
        w.key("a"); w.beginArray(); w.int(1); w.emptyObject(); w.beginArray(); w.endArray(); w.string("x"); w.endArray()
        w.key("b"); w.double(0.5)
        w.key("c"); w.bool(false)
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"a":[1,{},[],"x"],"b":0.5,"c":false}"#)
    }

    /// A row written before failure reasons were typed reads as the text it had.
    @Test func aFailureWrittenAsTextReadsAsRecordedText() throws {
        let row = #"{"name":"a","phase":{"failed":{"_0":"add-on dns: failed"}},"pairs":[{"addon":"dns","digest":"d","healthTimeoutSeconds":300,"phase":{"failed":{"_0":"image pull"}}}]}"#
        let cluster = try decoded(Array(row.utf8))
        #expect(cluster.phase == .failed(.recorded("add-on dns: failed")))
        #expect(cluster.pairs.first?.phase == .failed(.recorded("image pull")))
    }
}
