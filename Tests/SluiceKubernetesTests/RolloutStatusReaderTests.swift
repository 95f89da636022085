import Foundation
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceYAML
import Testing

/// Health as `kubectl rollout status` judges it, on status bodies shaped as the controllers
/// write them (issue 10): each rule that keeps a rollout waiting.
@Suite(.timeLimit(.minutes(10))) struct RolloutStatusReaderTests {
    static let deployment = ObjectKey(group: "apps", kind: "Deployment", namespace: "demo", name: "web")
    static let statefulSet = ObjectKey(group: "apps", kind: "StatefulSet", namespace: "demo", name: "db")

    static func object(generation: Int = 2, spec: [String: Value] = ["replicas": .int(3)], status: [String: Value]) -> Value {
        .map(["metadata": .map(["generation": .int(generation)]), "spec": .map(spec), "status": .map(status)])
    }

    @Test func aDeploymentIsDoneWhenItsStatusIsCurrentAndEveryPodUpdatedAndAvailable() throws {
        let done = Self.object(status: ["observedGeneration": .int(2), "replicas": .int(3), "updatedReplicas": .int(3), "availableReplicas": .int(3)])
        #expect(RolloutStatusReader.status(Self.deployment, done)?.isHealthy == true)
        // The controller has not seen the new generation yet.
        let stale = Self.object(status: ["observedGeneration": .int(1), "replicas": .int(3), "updatedReplicas": .int(3), "availableReplicas": .int(3)])
        #expect(RolloutStatusReader.status(Self.deployment, stale)?.isHealthy == false)
        // Old replicas are pending termination: the available ones may be old.
        let old = Self.object(status: ["observedGeneration": .int(2), "replicas": .int(4), "updatedReplicas": .int(3), "availableReplicas": .int(3)])
        let status = try #require(RolloutStatusReader.status(Self.deployment, old))
        #expect(!status.isHealthy && status.updatedReady == 2)
        // Past its progress deadline it never counts as done.
        var failed = done
        failed.set(["status", "conditions"], to: .list([.map(["type": .string("Progressing"), "status": .string("False"),
                                                              "reason": .string("ProgressDeadlineExceeded")])]))
        #expect(RolloutStatusReader.status(Self.deployment, failed)?.isHealthy == false)
    }

    @Test func aStatefulSetWaitsForItsRevisionUnlessAPartitionHoldsPods() throws {
        let rolling = Self.object(status: ["observedGeneration": .int(2), "replicas": .int(3), "updatedReplicas": .int(3), "readyReplicas": .int(3),
                                           "currentRevision": .string("db-1"), "updateRevision": .string("db-2")])
        #expect(RolloutStatusReader.status(Self.statefulSet, rolling)?.isHealthy == false)
        var done = rolling
        done.set(["status", "currentRevision"], to: .string("db-2"))
        #expect(RolloutStatusReader.status(Self.statefulSet, done)?.isHealthy == true)
        // Partition 2 of 3: the step is done once the one pod above it is updated and ready.
        var held = Self.object(spec: ["replicas": .int(3), "updateStrategy": .map(["rollingUpdate": .map(["partition": .int(2)])])],
                               status: ["observedGeneration": .int(2), "replicas": .int(3), "updatedReplicas": .int(1), "readyReplicas": .int(3),
                                        "currentRevision": .string("db-1"), "updateRevision": .string("db-2")])
        let step = try #require(RolloutStatusReader.status(Self.statefulSet, held))
        #expect(step.partition == 2 && step.isStepComplete && !step.isHealthy)
        held.set(["status", "readyReplicas"], to: .int(2))
        #expect(RolloutStatusReader.status(Self.statefulSet, held)?.isStepComplete == false)
    }

    @Test func daemonSetsCloneSetsJobsAndCRDs() throws {
        let daemonSet = ObjectKey(group: "apps", kind: "DaemonSet", namespace: "kube-system", name: "proxy")
        let partial = Self.object(status: ["observedGeneration": .int(2), "desiredNumberScheduled": .int(5), "updatedNumberScheduled": .int(4),
                                           "numberAvailable": .int(5)])
        #expect(RolloutStatusReader.status(daemonSet, partial)?.isHealthy == false)
        let cloneSet = ObjectKey(group: "apps.kruise.io", kind: "CloneSet", namespace: "demo", name: "web")
        let percent = Self.object(spec: ["replicas": .int(10), "updateStrategy": .map(["partition": .string("25%")])],
                                  status: ["observedGeneration": .int(2), "updatedReplicas": .int(7), "readyReplicas": .int(10), "updatedReadyReplicas": .int(7)])
        let step = try #require(RolloutStatusReader.status(cloneSet, percent))
        #expect(step.partition == 3 && step.isStepComplete)  // 25% of 10 rounded up, as OpenKruise reads it
        let job = ObjectKey(group: "batch", kind: "Job", namespace: "demo", name: "migrate")
        #expect(RolloutStatusReader.status(job, Self.object(status: [:]))?.isHealthy == false)
        #expect(RolloutStatusReader.status(job, Self.object(status: ["conditions": .list([.map(["type": .string("Complete"), "status": .string("True")])])]))?.isHealthy == true)
        let crd = ObjectKey(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition", namespace: "", name: "x.example.com")
        #expect(RolloutStatusReader.status(crd, Self.object(status: ["conditions": .list([.map(["type": .string("Established"), "status": .string("True")])])]))?.isHealthy == true)
        #expect(RolloutStatusReader.status(ObjectKey(group: "", kind: "ConfigMap", namespace: "a", name: "b"), Self.object(status: [:])) == nil)
    }

    @Test func hostileNumbersNeitherTrapNorCount() {
        let huge = Self.object(spec: ["replicas": .double(1e300), "updateStrategy": .map(["rollingUpdate": .map(["partition": .string("100%")])])],
                               status: ["observedGeneration": .int(Int.max), "replicas": .int(Int.min), "updatedReplicas": .int(Int.max), "readyReplicas": .double(.nan)])
        for key in [Self.deployment, Self.statefulSet, ObjectKey(group: "apps.kruise.io", kind: "CloneSet", namespace: "a", name: "b")] {
            let status = RolloutStatusReader.status(key, huge)
            #expect(status != nil, "\(key)")
            // Counts are clamped to what a cluster can have, and never negative; such a
            // status is never complete (a NaN ready count is no pod ready).
            guard let status else { continue }
            #expect(status.desired >= 0 && status.desired <= 1 << 40)
            #expect(status.updated >= 0 && status.updated <= 1 << 40 && status.ready >= 0 && status.updatedReady >= 0)
            #expect(status.partition >= 0 && status.partition <= status.desired)
            #expect(!status.isHealthy)
        }
    }
}
