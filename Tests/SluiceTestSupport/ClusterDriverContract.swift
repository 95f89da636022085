import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceYAML
import Testing

/// Behaviour every `ClusterDriver` must have, written against the protocol only so that the
/// Kubernetes driver (against a test API server) can run the same checks. `passTime` lets the
/// cluster's controllers work for that many seconds (virtual for the simulated driver).
public struct ClusterDriverContract {
    public let driver: any ClusterDriver
    public let passTime: @Sendable (Double) async throws -> Void

    public init(driver: any ClusterDriver, passTime: @escaping @Sendable (Double) async throws -> Void) {
        self.driver = driver
        self.passTime = passTime
    }

    public static let deployment = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
    public static let configMap = ObjectKey(group: "", kind: "ConfigMap", namespace: "kube-system", name: "coredns")
    public static let statefulSet = ObjectKey(group: "apps", kind: "StatefulSet", namespace: "db", name: "etcd")

    public static func workload(_ key: ObjectKey, replicas: Int, image: String, labels: [String: String] = [:]) -> Value {
        .map([
            "apiVersion": .string("apps/v1"), "kind": .string(key.kind),
            "metadata": .map(["name": .string(key.name), "namespace": .string(key.namespace),
                              "labels": .map(labels.mapValues(Value.string))]),
            "spec": .map([
                "replicas": .int(replicas),
                "template": .map(["spec": .map(["containers": .list([.map(["name": .string("main"), "image": .string(image)])])])]),
            ]),
        ])
    }

    public static func configMapObject(_ data: [String: String], labels: [String: String]) -> Value {
        .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
              "metadata": .map(["name": .string(configMap.name), "namespace": .string(configMap.namespace),
                                "labels": .map(labels.mapValues(Value.string))]),
              "data": .map(data.mapValues(Value.string))])
    }

    public func objectsCanBeCreatedReadListedPatchedAndDeleted() async throws {
        // The labels Sluice puts on everything it applies.
        let owned = ["app.kubernetes.io/managed-by": "sluice", "sluice.dev/addon": "coredns"]
        #expect(try await driver.get(Self.configMap) == nil)
        _ = try await driver.create(Self.configMapObject(["a": "1", "b": "2"], labels: owned), key: Self.configMap)
        await #expect(throws: DriverError.conflict(Self.configMap)) {
            try await driver.create(Self.configMapObject([:], labels: owned), key: Self.configMap)
        }
        #expect(try await driver.get(Self.configMap)?.at("data") == .map(["a": .string("1"), "b": .string("2")]))
        #expect(try await driver.list(labels: owned).keys.sorted() == [Self.configMap])
        #expect(try await driver.list(labels: ["app.kubernetes.io/managed-by": "sluice", "sluice.dev/addon": "other"]).isEmpty)

        // A merge patch: `null` removes a field, others merge.
        let patched = try await driver.patch(Self.configMap, mergePatch: .map(["data": .map(["a": .null, "c": .string("3")])]))
        #expect(patched.at("data") == .map(["b": .string("2"), "c": .string("3")]))
        #expect(try await driver.workloadStatus(Self.configMap, kinds: Self.kinds) == nil)

        try await driver.delete(Self.configMap)
        #expect(try await driver.get(Self.configMap) == nil)
        try await driver.delete(Self.configMap)  // pruning twice is not an error
        await #expect(throws: DriverError.notFound(Self.configMap)) {
            try await driver.patch(Self.configMap, mergePatch: .map([:]))
        }
    }

    public func aSpecChangeIsANewGenerationALabelChangeIsNot() async throws {
        _ = try await driver.create(Self.workload(Self.deployment, replicas: 2, image: "dns:1"), key: Self.deployment)
        let first = try #require(try await driver.workloadStatus(Self.deployment, kinds: Self.kinds)).generation
        _ = try await driver.patch(Self.deployment, mergePatch: .map(["metadata": .map(["labels": .map(["team": .string("net")])])]))
        #expect(try await driver.workloadStatus(Self.deployment, kinds: Self.kinds)?.generation == first)
        _ = try await driver.patch(Self.deployment, mergePatch: .map(["spec": .map(["replicas": .int(3)])]))
        #expect(try await driver.workloadStatus(Self.deployment, kinds: Self.kinds)?.generation == first + 1)
    }

    /// A new template reaches every pod, never more than maxUnavailable unready at once.
    public func aRolloutRespectsMaxUnavailableAndFinishes() async throws {
        var object = Self.workload(Self.deployment, replicas: 8, image: "dns:1")
        object.set(["spec", "strategy", "rollingUpdate", "maxUnavailable"], to: .int(2))
        _ = try await driver.create(object, key: Self.deployment)
        try await waitUntilHealthy(Self.deployment)

        _ = try await driver.patch(Self.deployment, mergePatch: Self.imagePatch("dns:2"))
        var sawProgress = false
        for _ in 0..<200 {
            let status = try #require(try await driver.workloadStatus(Self.deployment, kinds: Self.kinds))
            #expect(status.desired - status.ready <= 2, "more than maxUnavailable pods unready: \(status)")
            if status.updated > 0 && status.updated < status.desired { sawProgress = true }
            if status.isHealthy { break }
            try await passTime(1)
        }
        let done = try #require(try await driver.workloadStatus(Self.deployment, kinds: Self.kinds))
        #expect(done.isHealthy && done.updated == 8 && done.ready == 8)
        #expect(sawProgress, "the update happened in one step")
    }

    /// With a partition, only the pods above it move; lowering it releases the rest.
    public func aPartitionHoldsPodsAtTheOldRevision() async throws {
        _ = try await driver.create(Self.workload(Self.statefulSet, replicas: 4, image: "etcd:1"), key: Self.statefulSet)
        try await waitUntilHealthy(Self.statefulSet)
        try await driver.setPartition(Self.statefulSet, to: 3, kinds: Self.kinds)
        _ = try await driver.patch(Self.statefulSet, mergePatch: Self.imagePatch("etcd:2"))
        try await waitUntilStepComplete(Self.statefulSet)
        let step = try #require(try await driver.workloadStatus(Self.statefulSet, kinds: Self.kinds))
        #expect(step.updated == 1 && step.updatedReady == 1 && step.partition == 3 && !step.isHealthy)

        try await driver.setPartition(Self.statefulSet, to: 0, kinds: Self.kinds)
        try await waitUntilHealthy(Self.statefulSet)
        #expect(try await driver.workloadStatus(Self.statefulSet, kinds: Self.kinds)?.updated == 4)
    }

    /// An image matching the fault rule never gets ready: the workload stays unhealthy and
    /// the rollout stops at maxUnavailable broken pods.
    public func aFaultyImageNeverBecomesReady() async throws {
        _ = try await driver.create(Self.workload(Self.statefulSet, replicas: 3, image: "etcd:1"), key: Self.statefulSet)
        try await waitUntilHealthy(Self.statefulSet)
        _ = try await driver.patch(Self.statefulSet, mergePatch: Self.imagePatch("etcd:2-broken"))
        try await passTime(3600)
        let status = try #require(try await driver.workloadStatus(Self.statefulSet, kinds: Self.kinds))
        #expect(!status.isHealthy && !status.isStepComplete)
        #expect(status.updated == 1 && status.updatedReady == 0 && status.ready == 2)
    }

    /// KubeNode's MachineComponentSet as an add-on describes it (`spec.workloads`): node
    /// components installed machine by machine, stepping through `spec.updateStrategy.partition`.
    public static let machineComponents = WorkloadKind(
        group: "kubenode.alibabacloud.com", kind: "MachineComponentSet", partitionPath: ["spec", "updateStrategy", "partition"],
        maxUnavailablePath: ["spec", "updateStrategy", "maxUnavailable"], replicas: .perNode,
        observedGenerationPath: ["status", "observedGeneration"], desiredPath: ["status", "desiredNumber"],
        updatedPath: ["status", "updatedNumber"], readyPath: ["status", "readyNumber"], updatedReadyPath: ["status", "updatedReadyNumber"])
    /// The custom kinds the contract's calls pass, as a commit that describes them would.
    public static let kinds = WorkloadKinds([machineComponents])
    public static let kubelet = ObjectKey(group: "kubenode.alibabacloud.com", kind: "MachineComponentSet", namespace: "", name: "akubelet")

    public static func machineComponentSet(version: String) -> Value {
        .map(["apiVersion": .string("kubenode.alibabacloud.com/v1"), "kind": .string("MachineComponentSet"),
              "metadata": .map(["name": .string(kubelet.name)]),
              // The simulated cluster reads a version's readiness from its "image".
              "spec": .map(["componentName": .string("akubelet"), "version": .string(version), "selector": .map([:]),
                            "template": .map(["spec": .map(["containers": .list([.map(["name": .string("akubelet"), "image": .string(version)])])])]),
                            "updateStrategy": .map(["maxUnavailable": .string("20%"), "partition": .int(0)])])])
    }

    /// A custom kind its add-on describes steps and is judged like a built-in one; the driver
    /// must have been given `machineComponents` in its workload kinds.
    public func aCustomWorkloadStepsThroughItsNamedPartition() async throws {
        let key = Self.kubelet
        #expect(driver.canPartition(key, kinds: Self.kinds))
        _ = try await driver.create(Self.machineComponentSet(version: "akubelet:1.18.6"), key: key)
        try await waitUntilHealthy(key)
        let nodes = try #require(try await driver.workloadStatus(key, kinds: Self.kinds)).desired
        #expect(nodes >= 3)
        try await driver.setPartition(key, to: nodes - 1, kinds: Self.kinds)
        _ = try await driver.patch(key, mergePatch: .map(["spec": .map(["version": .string("akubelet:1.18.7"),
            "template": .map(["spec": .map(["containers": .list([.map(["name": .string("akubelet"), "image": .string("akubelet:1.18.7")])])])])])]))
        try await waitUntilStepComplete(key)
        let step = try #require(try await driver.workloadStatus(key, kinds: Self.kinds))
        #expect(step.updated == 1 && step.partition == nodes - 1 && step.isStepComplete && !step.isHealthy)
        #expect(try await driver.get(key)?.at(["spec", "updateStrategy", "partition"]) == .int(nodes - 1))
        try await driver.setPartition(key, to: 0, kinds: Self.kinds)
        try await waitUntilHealthy(key)
        #expect(try await driver.workloadStatus(key, kinds: Self.kinds)?.updated == nodes)
    }

    public static func imagePatch(_ image: String) -> Value {
        .map(["spec": .map(["template": .map(["spec": .map(["containers": .list([
            .map(["name": .string("main"), "image": .string(image)]),
        ])])])])])
    }

    public func waitUntilHealthy(_ key: ObjectKey) async throws {
        for _ in 0..<1000 where try await driver.workloadStatus(key, kinds: Self.kinds)?.isHealthy != true { try await passTime(5) }
        #expect(try await driver.workloadStatus(key, kinds: Self.kinds)?.isHealthy == true, "\(key) never became healthy")
    }

    public func waitUntilStepComplete(_ key: ObjectKey) async throws {
        for _ in 0..<1000 where try await driver.workloadStatus(key, kinds: Self.kinds)?.isStepComplete != true { try await passTime(5) }
    }
}
