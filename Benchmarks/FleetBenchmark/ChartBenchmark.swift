import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceYAML

/// Issue 21's chart figures: one upstream chart (ingress-nginx by default) rendered for
/// `clusters` clusters, each with values of its own (replicas, a label, a config entry), by
/// Sluice's engine, one render per pair on one core and on every core; then the same pairs
/// rendered by real Helm in one process (helm-python-sdk, one render per pair, the chart
/// loaded for each as Helm changes a loaded chart): the time per pair of each.
struct ChartBenchmark {
    let chartFolder: String
    let clusters: Int
    /// Pairs Helm renders (it is slow: a sample is enough for a time per pair).
    let helmSample: Int

    func values(_ index: Int) -> [String: Value] {
        ["controller": .map(["replicaCount": .int(1 + index % 5), "podLabels": .map(["cluster": .string("c\(index)")]),
                             "config": .map(["worker-processes": .string("\(1 + index % 8)")])])]
    }

    func run() throws {
        let parent = (chartFolder as NSString).deletingLastPathComponent, name = (chartFolder as NSString).lastPathComponent
        var start = ContinuousClock.now
        let chart = try FleetLoader().chart(in: try DirectoryTree(root: parent), folder: name)
        let renderer = try ChartRenderer(chart: chart)
        print(String(format: "chart %@ %@: loaded and parsed in %.1f ms", chart.name, chart.metadata.version, seconds(since: start) * 1000))

        start = ContinuousClock.now
        var objects = 0
        for index in 0..<clusters {
            let outputs = try renderer.render(values: values(index), context: ChartContext(releaseName: name, namespace: "ingress-nginx"))
            objects += outputs.count
        }
        let serial = seconds(since: start)
        start = ContinuousClock.now
        let cores = ProcessInfo.processInfo.activeProcessorCount
        DispatchQueue.concurrentPerform(iterations: cores) { worker in
            for index in stride(from: worker, to: clusters, by: cores) {
                _ = try? renderer.render(values: values(index), context: ChartContext(releaseName: name, namespace: "ingress-nginx"))
            }
        }
        let parallel = seconds(since: start)
        let perPair = serial / Double(clusters) * 1000
        print(String(format: "Sluice: %d pairs in %.2f s on one core (%.2f ms a pair, %d templates rendered), %.2f s on %d cores, peak memory %.0f MiB",
                     clusters, serial, perPair, objects, parallel, cores, peakMemoryMiB()))

        // Real Helm: the script's own time for 1 render and for the sample, so that Python's
        // start and the library's load are not counted.
        func helm(_ count: Int) throws -> Double {
            let folder = NSTemporaryDirectory() + "sluice-chart-bench-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let requests = Value.list((0..<count).map { index in
                .map(["chart": .string(chartFolder), "values": .map(values(index)), "name": .string(name), "namespace": .string("ingress-nginx")])
            })
            try JSONEmitter.emit(requests).write(toFile: folder + "/requests.json", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "Tests/Fixtures/helm-render.py", folder + "/requests.json", folder + "/answers.json"]
            let began = ContinuousClock.now
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw BenchmarkError("helm-render.py exited \(process.terminationStatus)") }
            return seconds(since: began)
        }
        // A first run loads Python and the library from a cold cache: not measured, or it can
        // take longer than the sample's run (once measured as Helm at 0.5 ms a pair).
        _ = try helm(1)
        let one = try helm(1), sample = try helm(helmSample + 1)
        let helmPerPair = (sample - one) / Double(helmSample) * 1000
        print(String(format: "Helm (helm-python-sdk, one render per pair): %d pairs in %.2f s after its start (%.2f ms a pair); Sluice is %.0fx faster a pair",
                     helmSample, sample - one, helmPerPair, helmPerPair / perPair))
    }
}
