import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceYAML

/// A live workload's progress read as `kubectl rollout status` judges it, for the kinds
/// Sluice waits on: Deployment, StatefulSet, DaemonSet, OpenKruise's Advanced DaemonSet,
/// StatefulSet and CloneSet; a Job counts as one pod, ready once `Complete`; a
/// CustomResourceDefinition as one, ready once `Established`. Other kinds: nil (healthy
/// once they exist). Pure: the driver reads the object, this reads its fields.
public enum RolloutStatusReader {
    /// Where a kind holds pods at the old revision; nil: it cannot step (a Deployment).
    public static func partitionPath(_ key: ObjectKey) -> [String]? {
        switch (key.group, key.kind) {
        case ("apps", "StatefulSet"), ("apps.kruise.io", "StatefulSet"), ("apps.kruise.io", "DaemonSet"):
            return ["spec", "updateStrategy", "rollingUpdate", "partition"]
        case ("apps.kruise.io", "CloneSet"):
            return ["spec", "updateStrategy", "partition"]
        default:
            return nil
        }
    }

    /// Whether Sluice waits on the kind's status at all: the kinds `status` reads.
    public static func isWorkload(_ key: ObjectKey) -> Bool { status(key, .map([:])) != nil }

    public static func status(_ key: ObjectKey, _ object: Value) -> WorkloadStatus? {
        let generation = integer(object.at(["metadata", "generation"])) ?? 1
        let observed = integer(object.at(["status", "observedGeneration"])) ?? 0
        func count(_ field: String) -> Int { max(0, min(1 << 40, integer(object.at(["status", field])) ?? 0)) }
        let replicas: Int = max(0, min(1 << 40, integer(object.at(["spec", "replicas"])) ?? 1))
        func partition(of desired: Int) -> Int {
            guard let path = partitionPath(key), let value = object.at(path) else { return 0 }
            return min(desired, max(0, amount(value, of: desired)))
        }
        switch (key.group, key.kind) {
        case ("apps", "Deployment"):
            let updated = count("updatedReplicas"), available = count("availableReplicas")
            // Status counts ready pods of both templates: the old ones are taken to be the
            // ready ones first, so an update is never judged ready on old pods' readiness.
            let old: Int = max(0, count("replicas") - updated)
            var updatedReady: Int = min(updated, available - old)
            if progressDeadlineExceeded(object) { updatedReady = min(updatedReady, replicas - 1) }
            return WorkloadStatus(generation: generation, observedGeneration: observed, desired: replicas, updated: updated,
                                  ready: available, updatedReady: max(0, updatedReady), partition: 0)
        case ("apps", "StatefulSet"), ("apps.kruise.io", "StatefulSet"):
            let held = partition(of: replicas)
            let updated = count("updatedReplicas"), ready = count("readyReplicas")
            let old: Int = max(0, count("replicas") - updated)
            var updatedReady: Int = min(updated, ready - old)
            if key.group == "apps.kruise.io", object.at(["status", "updatedReadyReplicas"]) != nil { updatedReady = count("updatedReadyReplicas") }
            // Without a partition kubectl waits for currentRevision to reach updateRevision.
            let current = object.at(["status", "currentRevision"])?.stringValue
            let update = object.at(["status", "updateRevision"])?.stringValue
            if held == 0, let current, let update, current != update { updatedReady = min(updatedReady, replicas - 1) }
            return WorkloadStatus(generation: generation, observedGeneration: observed, desired: replicas, updated: updated,
                                  ready: ready, updatedReady: max(0, updatedReady), partition: held)
        case ("apps", "DaemonSet"), ("apps.kruise.io", "DaemonSet"):
            let desired = count("desiredNumberScheduled")
            let updated = count("updatedNumberScheduled")
            var ready: Int = count("numberAvailable")
            if key.group == "apps.kruise.io" { ready = max(ready, count("numberReady")) }
            let old: Int = max(0, desired - updated)
            var updatedReady: Int = min(updated, ready - old)
            if key.group == "apps.kruise.io", object.at(["status", "updatedNumberReady"]) != nil { updatedReady = count("updatedNumberReady") }
            return WorkloadStatus(generation: generation, observedGeneration: observed, desired: desired, updated: updated,
                                  ready: ready, updatedReady: max(0, updatedReady), partition: partition(of: desired))
        case ("apps.kruise.io", "CloneSet"):
            return WorkloadStatus(generation: generation, observedGeneration: observed, desired: replicas,
                                  updated: count("updatedReplicas"), ready: count("readyReplicas"),
                                  updatedReady: count("updatedReadyReplicas"), partition: partition(of: replicas))
        case ("batch", "Job"):
            let done = condition(object, "Complete") ? 1 : 0
            // A Job has no observedGeneration: it is current once it exists.
            return WorkloadStatus(generation: 1, observedGeneration: 1, desired: 1, updated: done, ready: done, updatedReady: done, partition: 0)
        case ("apiextensions.k8s.io", "CustomResourceDefinition"):
            let done = condition(object, "Established") ? 1 : 0
            return WorkloadStatus(generation: 1, observedGeneration: 1, desired: 1, updated: done, ready: done, updatedReady: done, partition: 0)
        default:
            return nil
        }
    }

    /// A custom kind, read through the fields its add-on names (`spec.workloads`).
    public static func status(_ kind: WorkloadKind, _ object: Value) -> WorkloadStatus {
        func count(_ path: [String]) -> Int { max(0, min(1 << 40, integer(object.at(path)) ?? 0)) }
        let desired = count(kind.desiredPath)
        let partition = object.at(kind.partitionPath).map { min(desired, max(0, amount($0, of: desired))) } ?? 0
        return WorkloadStatus(generation: integer(object.at(["metadata", "generation"])) ?? 1,
                              observedGeneration: integer(object.at(kind.observedGenerationPath)) ?? 0, desired: desired,
                              updated: count(kind.updatedPath), ready: count(kind.readyPath), updatedReady: count(kind.updatedReadyPath),
                              partition: partition)
    }

    static func condition(_ object: Value, _ type: String) -> Bool {
        (object.at(["status", "conditions"])?.listValue ?? []).contains {
            $0.at("type")?.stringValue == type && $0.at("status")?.stringValue == "True"
        }
    }

    static func progressDeadlineExceeded(_ object: Value) -> Bool {
        (object.at(["status", "conditions"])?.listValue ?? []).contains {
            $0.at("type")?.stringValue == "Progressing" && $0.at("reason")?.stringValue == "ProgressDeadlineExceeded"
        }
    }

    /// An int, or a percentage of `total` rounded up (as OpenKruise reads a partition).
    static func amount(_ value: Value, of total: Int) -> Int {
        if case .string(let text) = value, text.hasSuffix("%"), let percent = Int(text.dropLast()), (0...100).contains(percent) {
            return (min(total, 1 << 40) * percent + 99) / 100
        }
        if case .string(let text) = value { return Int(text) ?? 0 }
        return integer(value) ?? 0
    }

    static func integer(_ value: Value?) -> Int? {
        switch value {
        case .int(let n): return n
        case .double(let d) where d.isFinite && d.rounded() == d && abs(d) < 1e15: return Int(d)
        default: return nil
        }
    }
}
