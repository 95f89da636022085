import Foundation
import SluiceModel
import SluiceYAML
import SluiceRender

/// Renders sampled pairs both ways and times them side by side: sluice's in-process render,
/// and `kubectl kustomize` of an equivalent base (the add-on rendered with its default
/// meta-config) plus a per-cluster overlay (images, replicas, JSON patches for the cluster's
/// values, Sluice's labels and annotation).
struct KustomizeComparison {
    let renderer: FleetRenderer
    let root: String

    struct Result {
        /// Median in-process render of one pair, the renderer's memos warm (as when a whole
        /// fleet renders: the first cluster of a release pays for what the others reuse).
        var sluiceMilliseconds: Double
        /// Median first render of one pair by a fresh renderer: nothing to reuse.
        var sluiceColdMilliseconds: Double
        /// Median `kubectl kustomize overlay` per pair, process start-up included.
        var kustomizeMilliseconds: Double
        /// All sampled overlays built by one `kubectl kustomize`, less one start-up, per pair.
        var kustomizeInProcessMilliseconds: Double
    }

    func run(pairs: [(String, String)], defaultCluster: String) throws -> Result {
        var sluiceTimes: [Double] = [], coldTimes: [Double] = [], kustomizeTimes: [Double] = []
        for (index, (cluster, addon)) in pairs.enumerated() {
            let overlay = try writeKustomization(index: index, cluster: cluster, addon: addon, baseCluster: defaultCluster)
            var runs: [Double] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                _ = try renderer.render(cluster: cluster, addon: addon)
                runs.append(milliseconds(since: start))
            }
            sluiceTimes.append(median(runs))
            let fresh = try FleetRenderer(repository: renderer.repository)
            let start = ContinuousClock.now
            _ = try fresh.render(cluster: cluster, addon: addon)
            coldTimes.append(milliseconds(since: start))
            runs = []
            for _ in 0..<3 { runs.append(try timeProcess("/usr/bin/kubectl", ["kustomize", overlay])) }
            kustomizeTimes.append(median(runs))
        }
        // Every overlay under one kustomization: one process does all the work.
        let all = "\(root)/all"
        try FileManager.default.createDirectory(atPath: all, withIntermediateDirectories: true)
        try write(all + "/kustomization.yaml", "resources:\n" + pairs.indices.map { "  - ../\($0)/overlay\n" }.joined())
        let startup = median(try (0..<3).map { _ in try timeProcess("/usr/bin/kubectl", ["version", "--client"]) })
        let together = median(try (0..<3).map { _ in try timeProcess("/usr/bin/kubectl", ["kustomize", all]) })
        return Result(sluiceMilliseconds: median(sluiceTimes), sluiceColdMilliseconds: median(coldTimes), kustomizeMilliseconds: median(kustomizeTimes),
                      kustomizeInProcessMilliseconds: max(0, together - startup) / Double(pairs.count))
    }

    private func writeKustomization(index: Int, cluster: String, addon: String, baseCluster: String) throws -> String {
        let target = try renderer.render(cluster: cluster, addon: addon)
        let base = try renderer.render(cluster: baseCluster, addon: addon)
        let baseDir = "\(root)/\(index)/base", overlayDir = "\(root)/\(index)/overlay"
        try FileManager.default.createDirectory(atPath: baseDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: overlayDir, withIntermediateDirectories: true)
        // The base: plain manifests, without the labels the overlay adds.
        let plain = base.objects.map { object -> Value in
            var value = object.object
            value.set(["metadata", "labels", SluiceLabels.managedBy], to: .null)
            value.set(["metadata", "labels", SluiceLabels.addon], to: .null)
            value.set(["metadata", "annotations"], to: .null)
            return value
        }
        try write(baseDir + "/resources.yaml", YAMLEmitter.emitStream(plain))
        try write(baseDir + "/kustomization.yaml", "resources: [resources.yaml]\n")
        // The overlay: everything that differs for this cluster, as JSON patches.
        var patches = ""
        for (baseObject, targetObject) in zip(base.objects, target.objects) {
            let ops = JSONPatch.between(baseObject.object, targetObject.object, ignoring: ["metadata"])
            guard !ops.isEmpty else { continue }
            patches += "  - target: {kind: \(targetObject.key.kind), name: \(targetObject.key.name)}\n    patch: |-\n"
            for op in ops { patches += "      - \(op)\n" }
        }
        let commit = target.objects.first?.object.at("metadata.annotations")?[SluiceLabels.commit]?.stringValue ?? ""
        try write(overlayDir + "/kustomization.yaml", """
            resources: [../base]
            namePrefix: s\(index)-
            labels:
              - pairs: {\(SluiceLabels.managedBy): sluice, \(SluiceLabels.addon): \(addon)}
            commonAnnotations: {\(SluiceLabels.commit): "\(commit)"}
            patches:
            \(patches.isEmpty ? "  []\n" : patches)
            """)
        return overlayDir
    }

    private func write(_ path: String, _ text: String) throws { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }

    private func timeProcess(_ program: String, _ args: [String]) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = args
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ComparisonError(message: "\(program) \(args.joined(separator: " ")) exited \(process.terminationStatus)")
        }
        return milliseconds(since: start)
    }

    private func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return GoDuration.seconds(d) * 1000
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

struct ComparisonError: Error { let message: String }

/// RFC 6902 `replace`/`add`/`remove` operations turning one object into another (leaf level).
enum JSONPatch {
    static func between(_ a: Value, _ b: Value, ignoring: Set<String>, path: String = "") -> [String] {
        switch (a, b) {
        case (.map(let x), .map(let y)):
            var ops: [String] = []
            for key in Set(x.keys).union(y.keys).sorted() where !(path.isEmpty && ignoring.contains(key)) {
                let child = path + "/" + key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                switch (x[key], y[key]) {
                case let (old?, new?): ops += between(old, new, ignoring: ignoring, path: child)
                case (nil, let new?): ops.append("{op: add, path: \(child), value: \(JSONEmitter.emit(new))}")
                case (_?, nil): ops.append("{op: remove, path: \(child)}")
                default: break
                }
            }
            return ops
        case (.list(let x), .list(let y)) where x.count == y.count:
            return zip(x, y).enumerated().flatMap { between($1.0, $1.1, ignoring: ignoring, path: path + "/\($0)") }
        default:
            return a == b ? [] : ["{op: replace, path: \(path), value: \(JSONEmitter.emit(b))}"]
        }
    }
}
