import SluiceDrivers
import SluiceCore
import SluiceModel
import SluiceYAML

/// How the simulated driver moves a workload's pods to a new template over time (DESIGN §6).
/// Pods live in the object's `status.simulation` (so they persist with it); `advance` replays
/// every event from the last time it ran up to `now`: scale to the desired count, replace
/// old pods the partition lets go, at most `maxUnavailable` unready at once (an unready old
/// pod is replaced first, costing nothing), and mark pods ready `podReadySeconds` after they
/// start, unless an image matches a fault rule, in which case never.
struct WorkloadSimulation {
    enum Shape {
        case replicas   // Deployment, StatefulSet, CloneSet: spec.replicas pods
        case perNode    // DaemonSet, Advanced DaemonSet: one pod per node
    }

    struct Kind {
        var shape: Shape
        /// Where `.replicas` reads the desired count.
        var replicasPath = ["spec", "replicas"]
        /// Where the partition lives; nil: the `sluice.dev/partition` annotation (the
        /// simulated Deployment and DaemonSet, which have no native field).
        var partitionPath: [String]?
        var maxUnavailablePath: [String]
        var defaultMaxUnavailable: Value
    }

    static let partitionAnnotation = "sluice.dev/partition"

    /// A built-in kind, else one the fleet's add-ons describe.
    static func kind(of key: ObjectKey, custom: WorkloadKind?) -> Kind? {
        if let known = kind(of: key) { return known }
        guard let custom else { return nil }
        var kind = Kind(shape: .replicas, partitionPath: custom.partitionPath,
                        maxUnavailablePath: custom.maxUnavailablePath ?? ["spec", "updateStrategy", "maxUnavailable"], defaultMaxUnavailable: .int(1))
        switch custom.replicas {
        case .perNode: kind.shape = .perNode
        case .field(let path): kind.replicasPath = path
        }
        return kind
    }

    static func kind(of key: ObjectKey) -> Kind? {
        let rollingUpdate = ["spec", "updateStrategy", "rollingUpdate"]
        switch (key.group, key.kind) {
        case ("apps", "Deployment"):
            return Kind(shape: .replicas, partitionPath: nil, maxUnavailablePath: ["spec", "strategy", "rollingUpdate", "maxUnavailable"],
                        defaultMaxUnavailable: .string("25%"))
        case ("apps", "StatefulSet"), ("apps.kruise.io", "StatefulSet"):
            return Kind(shape: .replicas, partitionPath: rollingUpdate + ["partition"],
                        maxUnavailablePath: rollingUpdate + ["maxUnavailable"], defaultMaxUnavailable: .int(1))
        case ("apps", "DaemonSet"):
            return Kind(shape: .perNode, partitionPath: nil, maxUnavailablePath: rollingUpdate + ["maxUnavailable"],
                        defaultMaxUnavailable: .int(1))
        case ("apps.kruise.io", "DaemonSet"):
            return Kind(shape: .perNode, partitionPath: rollingUpdate + ["partition"],
                        maxUnavailablePath: rollingUpdate + ["maxUnavailable"], defaultMaxUnavailable: .int(1))
        case ("apps.kruise.io", "CloneSet"):
            return Kind(shape: .replicas, partitionPath: ["spec", "updateStrategy", "partition"],
                        maxUnavailablePath: ["spec", "updateStrategy", "maxUnavailable"], defaultMaxUnavailable: .string("20%"))
        default:
            return nil
        }
    }

    struct Pod: Equatable {
        var revision: String
        /// Seconds since 1970; nil: never ready (a fault rule matched its image).
        var readyAt: Double?
        func isReady(at time: Double) -> Bool { readyAt.map { $0 <= time } ?? false }
    }

    let kind: Kind
    let nodes: Int
    let faults: [GlobPattern]
    let podReadySeconds: Double

    /// The object with its pods advanced to `now` and its status written.
    func advance(_ object: Value, to now: Double) -> Value {
        var object = object
        var pods = Self.pods(of: object)
        var time = object.at(["status", "simulation", "at"]).flatMap(Self.number) ?? now
        let desired = desiredPods(object)
        let generation = object.at(["metadata", "generation"]).flatMap(Self.integer) ?? 1
        // The template's hash changes only with the generation (a spec change bumps it).
        let revision: String
        if let known = object.at(["status", "updateRevision"])?.stringValue,
           object.at(["status", "observedGeneration"]).flatMap(Self.integer) == generation {
            revision = known
        } else {
            revision = Self.revision(of: object)
        }
        let partition = min(desired, partitionValue(object))
        let budget = maxUnavailable(object, desired: desired)
        let faulty = images(of: object).contains { image in faults.contains { $0.matches(image) } }
        let readyDelay = podReadySeconds

        func start(at t: Double) -> Pod { Pod(revision: revision, readyAt: faulty ? nil : t + readyDelay) }

        while true {
            if pods.count > desired { pods.removeLast(pods.count - desired) }
            while pods.count < desired { pods.append(start(at: time)) }
            // Pods at index >= partition may move to the new revision (StatefulSet order:
            // the highest ordinals first); unready old pods go first, at no cost.
            let candidates = pods.indices.reversed().filter { $0 >= partition && pods[$0].revision != revision }
            for index in candidates where !pods[index].isReady(at: time) {
                pods[index] = start(at: time)
            }
            var unavailable = pods.filter { !$0.isReady(at: time) }.count
            for index in candidates where pods[index].revision != revision && unavailable < budget {
                pods[index] = start(at: time)
                unavailable += 1
            }
            guard let next = pods.compactMap(\.readyAt).filter({ $0 > time }).min(), next <= now else { break }
            time = next
        }
        time = max(time, now)

        let updated = pods.filter { $0.revision == revision }
        let ready = pods.filter { $0.isReady(at: time) }.count
        object.set(["status"], to: .map([
            "observedGeneration": .int(generation),
            "replicas": .int(pods.count),
            "updatedReplicas": .int(updated.count),
            "readyReplicas": .int(ready),
            "availableReplicas": .int(ready),
            "updatedReadyReplicas": .int(updated.filter { $0.isReady(at: time) }.count),
            "updateRevision": .string(revision),
            "simulation": .map(["at": .double(time), "pods": .list(pods.map(Self.value))]),
        ]))
        return object
    }

    func status(of object: Value) -> WorkloadStatus {
        let status = object.at("status")
        func count(_ field: String) -> Int { status?.at(field).flatMap(Self.integer) ?? 0 }
        let desired = desiredPods(object)
        return WorkloadStatus(
            generation: object.at(["metadata", "generation"]).flatMap(Self.integer) ?? 1,
            observedGeneration: count("observedGeneration"), desired: desired, updated: count("updatedReplicas"),
            ready: count("readyReplicas"), updatedReady: count("updatedReadyReplicas"),
            partition: min(desired, partitionValue(object)))
    }

    func setPartition(_ object: Value, to partition: Int) -> Value {
        var object = object
        if let path = kind.partitionPath {
            object.set(path, to: .int(partition))
        } else {
            object.set(["metadata", "annotations", Self.partitionAnnotation], to: .string(String(partition)))
        }
        return object
    }

    func desiredPods(_ object: Value) -> Int {
        switch kind.shape {
        case .perNode: return nodes
        case .replicas: return min(Self.maxPods, object.at(kind.replicasPath).flatMap(Self.integer).map { max(0, $0) } ?? 1)
        }
    }

    func partitionValue(_ object: Value) -> Int {
        let raw: Value?
        if let path = kind.partitionPath { raw = object.at(path) } else {
            raw = object.at(["metadata", "annotations", Self.partitionAnnotation])
        }
        return raw.flatMap(Self.integer).map { max(0, $0) } ?? 0
    }

    /// `maxUnavailable` as an int or a percentage of the desired pods (rounded down, as
    /// Kubernetes does), at least 1 so that a rollout can always move.
    func maxUnavailable(_ object: Value, desired: Int) -> Int {
        let raw = object.at(kind.maxUnavailablePath) ?? kind.defaultMaxUnavailable
        if case .string(let text) = raw, text.hasSuffix("%"), let percent = Int(text.dropLast()) {
            return max(1, desired * percent / 100)
        }
        return max(1, Self.integer(raw) ?? 1)
    }

    func images(of object: Value) -> [String] { Self.images(inPodSpec: object.at(["spec", "template", "spec"])) }

    /// The images of a pod spec's init and app containers.
    static func images(inPodSpec spec: Value?) -> [String] {
        ["initContainers", "containers"].flatMap { field in
            (spec?.at(field)?.listValue ?? []).compactMap { $0.at("image")?.stringValue }
        }
    }

    /// A short, stable name for the pod template (the role of a ReplicaSet's hash).
    static func revision(of object: Value) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in JSONEmitter.emit(object.at(["spec", "template"]) ?? .null).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(String(hash, radix: 16).prefix(10))
    }

    /// Whether two versions of an object have the same spec, status and pods, whatever
    /// time their simulation last ran (and whether a number came back from JSON as an
    /// integer or a double).
    static func sameState(_ a: Value, _ b: Value) -> Bool {
        func withoutSimulation(_ object: Value) -> Value {
            guard object.at(["status", "simulation"]) != nil else { return object }
            var copy = object
            copy.set(["status", "simulation"], to: .null)
            return copy
        }
        return pods(of: a) == pods(of: b) && withoutSimulation(a) == withoutSimulation(b)
    }

    static func pods(of object: Value) -> [Pod] {
        (object.at(["status", "simulation", "pods"])?.listValue ?? []).map { item in
            Pod(revision: item.at("revision")?.stringValue ?? "", readyAt: item.at("readyAt").flatMap(number))
        }
    }

    static func value(_ pod: Pod) -> Value {
        var map: [String: Value] = ["revision": .string(pod.revision)]
        if let readyAt = pod.readyAt { map["readyAt"] = .double(readyAt) }
        return .map(map)
    }

    /// Pods one simulated workload runs at most (a cluster file's `nodes` is bounded alike).
    static let maxPods = 5_000

    /// A whole number that fits an `Int` (an object may say `replicas: 1e300` or `.inf`).
    static func integer(_ value: Value) -> Int? {
        if case .int(let n) = value { return n }
        return number(value).flatMap { Int(exactly: $0.rounded(.towardZero)) }
    }

    /// Why the simulated cluster refuses the object as an API server would (nil: it takes it).
    func problem(with object: Value) -> String? {
        guard kind.shape == .replicas, let raw = object.at(["spec", "replicas"]) else { return nil }
        guard let replicas = Self.integer(raw), replicas >= 0 else { return "spec.replicas must be a whole number, at least 0" }
        guard replicas <= Self.maxPods else { return "spec.replicas \(replicas) is more than a simulated workload runs (\(Self.maxPods))" }
        return nil
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string(let s): return Double(s)
        default: return nil
        }
    }
}
