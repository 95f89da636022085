import Foundation
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceSchemas
import SluiceRender

// Usage: FleetBenchmark [--clusters N] [--addons M] [--kustomize-sample K] [--keep DIR]
//                       [--parallelism P] [--no-render-passes] [--schemas DIR] [--plan [--repeat-bump N]] [--rollout] [--kubernetes]
//                       [--reaction N [--polled]] [--rollout --serve [--serve-uncompressed] [--serve-rate N]] [--postgres URL]
// Generates a synthetic fleet, commits it, then loads, validates and renders every
// (cluster, add-on) pair at that commit, printing wall times and peak memory. A sample of
// pairs is also rendered by `kubectl kustomize` (base + per-cluster overlay) for comparison.
// `--schemas DIR` validates again with every object checked against the OpenAPI documents
// in DIR (`validate --schemas`), and prints what that adds.
// `--plan` runs the planner benchmarks instead (PlanBenchmark): a cold plan, then the plan
// of a one-add-on image bump against a store that records the previous commit. `--rollout`
// runs the controller benchmarks (RolloutBenchmark): a release through the whole fleet on
// virtual time, then the reaction time from a commit to the first apply on real time; with the
// store transactions' p50/p99. `--postgres URL` runs it on an empty PostgreSQL database.
// `--chart DIR` renders a Helm chart for --clusters clusters and compares with real Helm.
// `--chart-addons DIR` makes every add-on of the synthetic fleet a copy of that chart (issue 21's
// 1,000 x 50 chart fleet) and validates it as the default run does.
// `--reaction N` bumps one add-on N times on a converged production and reports, per bump, the
// time from the commit to the rollout's start and to its first apply, the controller nudged as
// by a webhook (`--polled`: found by its 1 s poll instead) (ReactionBenchmark).
// `--kubernetes` runs the Kubernetes driver benchmarks (KubernetesBenchmark) against the tests'
// API test server: apply throughput of 32 clusters in parallel, and the cost of server-side
// validation in a plan.

var clusters = 100, addons = 50, sample = 20
var parallelism = ProcessInfo.processInfo.activeProcessorCount
var renderPasses = true
var planOnly = false
var rolloutOnly = false
var postgresURL: String?
var chartFolder: String?
/// `--chart-addons DIR`: the synthetic fleet's add-ons are each a copy of this chart.
var chartAddons: String?
var serveDuringRollout = false
var serveUncompressed = false
var serveRate: Int?
var reactionBumps = 0
var reactionPolled = false
var kubernetesOnly = false
var repeatBump = 0
var keep: String?
var schemaFolder: String?
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    switch flag {
    case "--clusters": clusters = Int(arguments.popFirst() ?? "") ?? clusters
    case "--addons": addons = Int(arguments.popFirst() ?? "") ?? addons
    case "--kustomize-sample": sample = Int(arguments.popFirst() ?? "") ?? sample
    case "--keep": keep = arguments.popFirst()
    case "--parallelism": parallelism = Int(arguments.popFirst() ?? "") ?? parallelism
    case "--no-render-passes": renderPasses = false
    case "--plan": planOnly = true
    case "--rollout": rolloutOnly = true
    case "--postgres": rolloutOnly = true; postgresURL = arguments.popFirst()
    case "--chart": chartFolder = arguments.popFirst()
    case "--chart-addons": chartAddons = arguments.popFirst()
    case "--serve": serveDuringRollout = true
    case "--serve-uncompressed": serveDuringRollout = true; serveUncompressed = true
    case "--serve-rate": serveDuringRollout = true; serveRate = Int(arguments.popFirst() ?? "")
    case "--reaction": reactionBumps = Int(arguments.popFirst() ?? "") ?? 5
    case "--polled": reactionPolled = true
    case "--kubernetes": kubernetesOnly = true
    case "--repeat-bump": repeatBump = Int(arguments.popFirst() ?? "") ?? 0
    case "--schemas": schemaFolder = arguments.popFirst()
    default:
        FileHandle.standardError.write(Data("unknown argument \(flag)\n".utf8))
        exit(2)
    }
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    GoDuration.seconds(ContinuousClock.now - start)
}

/// User + system CPU seconds of this process so far: steadier than wall time on a shared VM.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // ru_maxrss is in KiB on Linux
}

func git(_ directory: String, _ args: String...) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = ["-C", directory, "-c", "user.name=bench", "-c", "user.email=bench@example.com"] + args
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
}

// `--chart DIR` renders one chart for `--clusters` clusters (ChartBenchmark): no fleet is made.
if let chartFolder {
    do { try ChartBenchmark(chartFolder: chartFolder, clusters: clusters, helmSample: min(clusters, 100)).run() } catch {
        print("chart benchmark failed: \(error)")
        exit(1)
    }
    exit(0)
}

let root = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-\(UUID().uuidString)").path
defer { if keep == nil { try? FileManager.default.removeItem(atPath: root) } }
let fleet = SyntheticFleet(clusters: clusters, addons: addons, chart: chartAddons)
var start = ContinuousClock.now
try fleet.write(to: root)
try git(root, "init", "-q", "-b", "main")
try git(root, "add", "-A")
try git(root, "commit", "-q", "-m", "synthetic fleet")
print("fleet \(clusters) clusters x \(addons) add-ons: generated and committed in \(String(format: "%.2f", seconds(since: start))) s")
/// Runs one benchmark and exits (`exit` skips the `defer` above, so the fleet is removed here).
@MainActor func runAndExit(_ name: String, _ body: () async throws -> Void) async -> Never {
    var status: Int32 = 0
    do { try await body() } catch {
        print("\(name) benchmark failed: \(error)")
        status = 1
    }
    if keep == nil { try? FileManager.default.removeItem(atPath: root) }
    exit(status)
}
if kubernetesOnly { await runAndExit("kubernetes") { try await KubernetesBenchmark(root: root, fleet: fleet).run() } }
if rolloutOnly { await runAndExit("rollout") { try await RolloutBenchmark(root: root, fleet: fleet, serve: serveDuringRollout, uncompressed: serveUncompressed, rate: serveRate, postgres: postgresURL).run() } }
if reactionBumps > 0 {
    await runAndExit("reaction") { try await ReactionBenchmark(root: root, fleet: fleet, bumps: reactionBumps, nudge: !reactionPolled).run() }
}
if planOnly {
    await runAndExit("plan") { try await PlanBenchmark(root: root, fleet: fleet, parallelism: parallelism, repeatBump: repeatBump).run() }
}

start = ContinuousClock.now
let repository = try GitRepository.open(root)
let tree = try repository.tree(at: try repository.resolve("HEAD"))
let loaded = try FleetLoader().load(tree)
let loadSeconds = seconds(since: start)

start = ContinuousClock.now
let cpuBefore = cpuSeconds()
let validated: CommitValidator.ValidatedFleet
do {
    validated = try CommitValidator(parallelism: parallelism).validate(tree)
} catch {
    print(error.description.split(separator: "\n").prefix(10).joined(separator: "\n"))
    exit(1)
}
let totalSeconds = seconds(since: start)
let totalCPU = cpuSeconds() - cpuBefore
let objects = validated.objectCount
print(String(format: "load + model validation (libgit2 tree, %d files): %.2f s", tree.entries().count, loadSeconds))
print(String(format: "load + validate + render every pair: %.2f s wall, %.2f s CPU, %d pairs, %d objects, %.1f µs wall per pair", totalSeconds,
             totalCPU, validated.pairs.count, objects, totalSeconds / Double(max(1, validated.pairs.count)) * 1e6))
print(String(format: "peak memory (max RSS): %.0f MiB", peakMemoryMiB()))
if let schemaFolder {
    start = ContinuousClock.now
    let schemas = try KubernetesSchemas.load(directory: schemaFolder)
    let loadSchemas = seconds(since: start)
    start = ContinuousClock.now
    let cpu = cpuSeconds()
    do { _ = try CommitValidator(parallelism: parallelism, schemaCheck: SchemaCheck(schemas: schemas)).validate(tree) } catch {
        print(error.description.split(separator: "\n").prefix(10).joined(separator: "\n"))
        exit(1)
    }
    print(String(format: "validate --schemas: %.2f s wall, %.2f s CPU (%d kinds loaded in %.2f s), peak memory %.0f MiB", seconds(since: start),
                 cpuSeconds() - cpu, schemas.kindCount, loadSchemas, peakMemoryMiB()))
}
let allPairs = validated.pairs
func renderEveryPair(parallelism: Int) -> Double {
    let start = ContinuousClock.now
    _ = ParallelMap.map(allPairs.count, parallelism: parallelism) { index in
        (try? validated.renderer.render(cluster: allPairs[index].cluster, addon: allPairs[index].addon))?.objects.count ?? 0
    }
    return seconds(since: start)
}
if renderPasses {
    print(String(format: "of which rendering alone: %.2f s on all cores, %.2f s on one", renderEveryPair(parallelism: parallelism), renderEveryPair(parallelism: 1)))
}
_ = loaded

// Side by side with kustomize on a sample of pairs.
guard sample > 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") else { exit(0) }
let comparison = KustomizeComparison(renderer: validated.renderer, root: root + "-kustomize")
defer { if keep == nil { try? FileManager.default.removeItem(atPath: root + "-kustomize") } }
let pairs = stride(from: 0, to: validated.pairs.count, by: max(1, validated.pairs.count / sample)).prefix(sample)
    .map { (validated.pairs[$0].cluster, validated.pairs[$0].addon) }
let result = try comparison.run(pairs: pairs, defaultCluster: fleet.clusterName(0))
print(String(format: "per pair, %d sampled pairs: sluice %.3f ms (median, in process, memos warm), %.3f ms (first render, nothing reused)",
             pairs.count, result.sluiceMilliseconds, result.sluiceColdMilliseconds))
print(String(format: "  kubectl kustomize %.1f ms (median, one process per pair: %.0fx warm, %.0fx cold)",
             result.kustomizeMilliseconds, result.kustomizeMilliseconds / max(result.sluiceMilliseconds, 0.0001),
             result.kustomizeMilliseconds / max(result.sluiceColdMilliseconds, 0.0001)))
print(String(format: "  kustomize %.2f ms (all overlays in one process, start-up subtracted: %.1fx warm, %.1fx cold)",
             result.kustomizeInProcessMilliseconds, result.kustomizeInProcessMilliseconds / max(result.sluiceMilliseconds, 0.0001),
             result.kustomizeInProcessMilliseconds / max(result.sluiceColdMilliseconds, 0.0001)))
