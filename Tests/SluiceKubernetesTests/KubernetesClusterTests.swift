import Foundation
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluiceTestSupport
import Testing

/// The Kubernetes driver against the API test server (issue 10): the driver contract every
/// driver passes, then what only a real API has: discovery that learns new CRDs, namespaces
/// created first, pagination, background prune, dry runs, retries and typed failures.
@Suite(.timeLimit(.minutes(10))) struct KubernetesClusterTests {
    func contract() async throws -> (ClusterDriverContract, KubeAPITestServer) {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        return (ClusterDriverContract(driver: driver, passTime: { seconds in try await server.advance(seconds) }), server)
    }

    /// One case of the contract, with its server kept alive until the case ends.
    func withContract(_ body: (ClusterDriverContract) async throws -> Void) async throws {
        let (contract, server) = try await contract()
        try await body(contract)
        withExtendedLifetime(server) {}
    }

    @Test func objectsCanBeCreatedReadListedPatchedAndDeleted() async throws { try await withContract { try await $0.objectsCanBeCreatedReadListedPatchedAndDeleted() } }
    @Test func aSpecChangeIsANewGenerationALabelChangeIsNot() async throws { try await withContract { try await $0.aSpecChangeIsANewGenerationALabelChangeIsNot() } }
    @Test func aRolloutRespectsMaxUnavailableAndFinishes() async throws { try await withContract { try await $0.aRolloutRespectsMaxUnavailableAndFinishes() } }
    @Test func aPartitionHoldsPodsAtTheOldRevision() async throws { try await withContract { try await $0.aPartitionHoldsPodsAtTheOldRevision() } }
    @Test func aFaultyImageNeverBecomesReady() async throws { try await withContract { try await $0.aFaultyImageNeverBecomesReady() } }

    /// A real API server's LIST leaves each item's apiVersion and kind out (the list says them
    /// once): a driver that starts from a LIST puts them back, or every object would differ
    /// from its rendered target by `+apiVersion`/`+kind` (false drift on every re-sync).
    @Test func listedObjectsCarryTheirAPIVersionAndKind() async throws {
        let server = try KubeAPITestServer()
        let (key, object) = Self.configMap("listed")
        _ = try await server.driver().create(object, key: key)
        let fresh = try await server.driver(name: "kube-2")
        let listed = try await fresh.list(labels: [SluiceLabels.managedBy: "sluice", SluiceLabels.addon: "dns"])
        let found = try #require(listed[key])
        #expect(found.at("apiVersion") == .string("v1") && found.at("kind") == .string("ConfigMap"))
    }

    static func configMap(_ name: String, namespace: String = "default", addon: String = "dns") -> (ObjectKey, Value) {
        let key = ObjectKey(group: "", kind: "ConfigMap", namespace: namespace, name: name)
        let object: Value = .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                                  "metadata": .map(["name": .string(name), "namespace": .string(namespace),
                                                    "labels": .map([SluiceLabels.managedBy: .string("sluice"), SluiceLabels.addon: .string(addon)])]),
                                  "data": .map(["k": .string(name)])])
        return (key, object)
    }

    @Test func listReadsEveryPageOfEveryKindBySluicesLabel() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        await driver.setPageSize(2)
        var keys: [ObjectKey] = []
        for index in 0..<5 {
            let (key, object) = Self.configMap("cm-\(index)", namespace: index % 2 == 0 ? "default" : "kube-system")
            _ = try await driver.create(object, key: key)
            keys.append(key)
        }
        let (other, otherObject) = Self.configMap("other", addon: "proxy")
        _ = try await driver.create(otherObject, key: other)
        // A fresh driver reads the inventory from the server, page by page.
        let fresh = try await server.driver()
        await fresh.setPageSize(2)
        let listed = try await fresh.list(labels: [SluiceLabels.managedBy: "sluice", SluiceLabels.addon: "dns"])
        #expect(listed.keys.sorted() == keys.sorted())
        #expect(try await fresh.list(labels: [SluiceLabels.addon: "proxy"]).keys.sorted() == [other])
        let pages = try await server.requests().filter { $0.method == "GET" && $0.path == "/api/v1/configmaps" }
        #expect(pages.count == 3 && pages.dropFirst().allSatisfy { $0.query["continue"] != nil })
        #expect(pages.allSatisfy { $0.query["labelSelector"] == "\(SluiceLabels.managedBy)=sluice" && $0.query["limit"] == "2" })
    }

    @Test func pruneDeletesInTheBackgroundAndAMissingObjectIsDone() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        let (key, object) = Self.configMap("old")
        _ = try await driver.create(object, key: key)
        let uid = try await driver.get(key)?.at(["metadata", "uid"])?.stringValue
        try await driver.delete(key)
        try await driver.delete(key)
        #expect(try await driver.get(key) == nil)
        let deletes = try await server.requests().filter { $0.method == "DELETE" }
        #expect(deletes.count == 1)
        let options = try #require(try JSONSerialization.jsonObject(with: Data(deletes[0].body.utf8)) as? [String: Any])
        #expect(options["propagationPolicy"] as? String == "Background" && options["kind"] as? String == "DeleteOptions")
        #expect((options["preconditions"] as? [String: String])?["uid"] == uid)
    }

    /// What does not carry Sluice's label is never deleted, whoever asks.
    @Test func anObjectWithoutSluicesLabelIsNotDeleted() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        var (key, object) = Self.configMap("theirs")
        object.set(["metadata", "labels"], to: .map(["team": .string("net")]))
        _ = try await driver.create(object, key: key)
        await #expect(throws: DriverError.self) { try await driver.delete(key) }
        #expect(try await driver.get(key) != nil)
        #expect(try await server.requests().filter { $0.method == "DELETE" }.isEmpty)
    }

    @Test func theNamespaceAnAddonNeedsIsCreatedFirst() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        let (key, object) = Self.configMap("settings", namespace: "monitoring")
        _ = try await driver.create(object, key: key)
        #expect(try await driver.get(ObjectKey(group: "", kind: "Namespace", namespace: "", name: "monitoring")) != nil)
        #expect(try await driver.get(key)?.at(["data", "k"]) == .string("settings"))
    }

    static let cloneSetCRD: Value = .map([
        "apiVersion": .string("apiextensions.k8s.io/v1"), "kind": .string("CustomResourceDefinition"),
        "metadata": .map(["name": .string("clonesets.apps.kruise.io")]),
        "spec": .map(["group": .string("apps.kruise.io"), "scope": .string("Namespaced"),
                      "names": .map(["plural": .string("clonesets"), "singular": .string("cloneset"), "kind": .string("CloneSet")]),
                      "versions": .list([.map(["name": .string("v1alpha1"), "served": .bool(true), "storage": .bool(true),
                                               "schema": .map(["openAPIV3Schema": .map(["type": .string("object"),
                                                                                         "x-kubernetes-preserve-unknown-fields": .bool(true)])])])])]),
    ])

    /// A CRD an earlier add-on installed is found at once (discovery is read again after a
    /// CRD changes), and its workload steps through `spec.updateStrategy.partition`.
    @Test func aKindFromACRDJustCreatedIsFoundAndItsPartitionSteps() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        let key = ObjectKey(group: "apps.kruise.io", kind: "CloneSet", namespace: "default", name: "web")
        var object = ClusterDriverContract.workload(key, replicas: 4, image: "web:1")
        object.set(["apiVersion"], to: .string("apps.kruise.io/v1alpha1"))
        // Not served yet: nothing to read, and a create says the CRD is missing.
        #expect(try await driver.get(key) == nil)
        await #expect(throws: DriverError.self) { try await driver.create(object, key: key) }
        let crd = ObjectKey(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition", namespace: "", name: "clonesets.apps.kruise.io")
        _ = try await driver.create(Self.cloneSetCRD, key: crd)
        #expect(try await driver.workloadStatus(crd, kinds: .none)?.isHealthy == true)
        _ = try await driver.create(object, key: key)
        #expect(driver.canPartition(key, kinds: .none))
        let contract = ClusterDriverContract(driver: driver, passTime: { try await server.advance($0) })
        try await contract.waitUntilHealthy(key)
        try await driver.setPartition(key, to: 2, kinds: .none)
        _ = try await driver.patch(key, mergePatch: ClusterDriverContract.imagePatch("web:2"))
        try await contract.waitUntilStepComplete(key)
        let step = try #require(try await driver.workloadStatus(key, kinds: .none))
        #expect(step.updated == 2 && step.partition == 2 && !step.isHealthy)
        #expect(try await driver.get(key)?.at(["spec", "updateStrategy", "partition"]) == .int(2))
    }

    static let machineComponentSetCRD: Value = .map([
        "apiVersion": .string("apiextensions.k8s.io/v1"), "kind": .string("CustomResourceDefinition"),
        "metadata": .map(["name": .string("machinecomponentsets.kubenode.alibabacloud.com")]),
        "spec": .map(["group": .string("kubenode.alibabacloud.com"), "scope": .string("Cluster"),
                      "names": .map(["plural": .string("machinecomponentsets"), "singular": .string("machinecomponentset"),
                                     "kind": .string("MachineComponentSet")]),
                      "versions": .list([.map(["name": .string("v1"), "served": .bool(true), "storage": .bool(true),
                                               "schema": .map(["openAPIV3Schema": .map(["type": .string("object"),
                                                                                         "x-kubernetes-preserve-unknown-fields": .bool(true)])])])])]),
    ])

    @Test func aCustomWorkloadStepsThroughItsNamedPartition() async throws {
        let server = try KubeAPITestServer(nodes: 5)
        let client = try await server.client()
        let driver = KubernetesCluster(name: "kube-1", client: client, clock: VirtualClock())
        let crd = ObjectKey(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition", namespace: "", name: "machinecomponentsets.kubenode.alibabacloud.com")
        _ = try await driver.create(Self.machineComponentSetCRD, key: crd)
        try await ClusterDriverContract(driver: driver, passTime: { try await server.advance($0) }).aCustomWorkloadStepsThroughItsNamedPartition()
        // Without the kinds of a commit that describes it, the kind is no workload.
        #expect(!driver.canPartition(ClusterDriverContract.kubelet, kinds: .none))
        #expect(try await driver.workloadStatus(ClusterDriverContract.kubelet, kinds: .none) == nil)
    }

    /// An extension API whose server is down (503) leaves its kind out of the inventory; the
    /// rest of the cluster is still read.
    @Test func anExtensionAPIThatIsDownDoesNotMakeTheClusterUnreachable() async throws {
        let server = try KubeAPITestServer()
        let setup = try await server.driver()
        let crd = ObjectKey(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition", namespace: "", name: "clonesets.apps.kruise.io")
        _ = try await setup.create(Self.cloneSetCRD, key: crd)
        let (key, object) = Self.configMap("kept")
        _ = try await setup.create(object, key: key)
        try await server.inject("GET", path: "/apis/apps.kruise.io/v1alpha1/clonesets", status: 503, count: 10)
        let driver = try await server.driver(clock: VirtualClock())
        #expect(try await driver.list(labels: [SluiceLabels.managedBy: "sluice", SluiceLabels.addon: "dns"]).keys.sorted() == [key])
        // A built-in API answering 503 is the cluster's trouble: unreachable.
        try await server.inject("GET", path: "/api/v1/configmaps", status: 503, count: 10)
        let again = try await server.driver(clock: VirtualClock())
        await #expect(throws: DriverError.self) { try await again.list(labels: [SluiceLabels.addon: "dns"]) }
    }

    @Test func throttlingAndServerErrorsAreRetriedWithBackoffHonouringRetryAfter() async throws {
        let server = try KubeAPITestServer()
        let clock = VirtualClock()
        let driver = try await server.driver(clock: clock)
        let (key, object) = Self.configMap("retried")
        try await server.inject("POST", path: "/configmaps", status: 429, count: 2, retryAfter: 7)
        let start = await clock.now()
        _ = try await driver.create(object, key: key)
        #expect(await clock.now().timeIntervalSince(start) >= 14)
        #expect(try await server.requests().filter { $0.method == "POST" && $0.path.hasSuffix("/configmaps") }.count == 3)

        // Past the retries: transient, so the controller counts the cluster unreachable.
        try await server.inject("GET", path: "/configmaps/retried", status: 500, count: 10)
        do {
            _ = try await driver.get(key)
            Issue.record("a failing server was read")
        } catch {
            #expect(error.isTransient)
            guard case .unavailable = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func whatTheServerRejectsFailsThePairWithItsMessageAndIsNotRetried() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver(clock: VirtualClock())
        let key = ObjectKey(group: "apps", kind: "Deployment", namespace: "default", name: "web")
        var object = ClusterDriverContract.workload(key, replicas: 2, image: "web:1")
        object.set(["spec", "replicas"], to: .string("six"))
        do {
            _ = try await driver.create(object, key: key)
            Issue.record("replicas: six was accepted")
        } catch {
            guard case .invalid(let rejected, let message) = error else { Issue.record("\(error)"); return }
            #expect(rejected == key && message.contains("400") && !error.isTransient)
        }
        // An unknown field (strict validation), and nothing created by either.
        var unknown = ClusterDriverContract.workload(key, replicas: 2, image: "web:1")
        unknown.set(["spec", "template", "spec", "containers"], to: .list([.map(["name": .string("main"), "image": .string("web:1"),
                                                                                   "limits": .map(["cpu": .string("1")])])]))
        await #expect(throws: DriverError.self) { try await driver.create(unknown, key: key) }
        #expect(try await driver.get(key) == nil)
        #expect(try await server.requests().filter { $0.method == "POST" }.count == 2)
    }

    /// RBAC that does not let Sluice change a kind fails the pair with the server's message;
    /// a cluster-wide refusal (discovery itself) refuses the cluster.
    @Test func forbiddenFailsThePairAndIsNotRetried() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver(clock: VirtualClock())
        let (key, object) = Self.configMap("denied")
        try await server.inject("POST", path: "/configmaps", status: 403)
        do {
            _ = try await driver.create(object, key: key)
            Issue.record("a forbidden create succeeded")
        } catch {
            guard case .invalid(let failed, let message) = error else { Issue.record("\(error)"); return }
            #expect(failed == key && message.contains("403") && !error.isTransient)
        }
        #expect(try await server.requests().filter { $0.method == "POST" }.count == 1)
        let fresh = try await server.driver(clock: VirtualClock())
        try await server.inject("GET", path: "/api", status: 403)
        do {
            _ = try await fresh.get(key)
            Issue.record("a forbidden discovery succeeded")
        } catch {
            guard case .refused = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func aDryRunValidatesOnTheServerAndStoresNothing() async throws {
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        let key = ObjectKey(group: "apps", kind: "Deployment", namespace: "default", name: "web")
        let object = ClusterDriverContract.workload(key, replicas: 2, image: "web:1")
        let accepted = try #require(try await driver.dryRunCreate(object, key: key))
        #expect(accepted.at(["metadata", "generation"]) == .int(1))
        #expect(try await driver.get(key) == nil)
        _ = try await driver.create(object, key: key)
        await #expect(throws: DriverError.self) {
            try await driver.dryRunPatch(key, mergePatch: .map(["spec": .map(["replicas": .string("six")])]))
        }
        _ = try await driver.dryRunPatch(key, mergePatch: .map(["spec": .map(["replicas": .int(5)])]))
        #expect(try await driver.get(key)?.at(["spec", "replicas"]) == .int(2))
        let dryRuns = try await server.requests().filter { $0.query["dryRun"] == "All" }
        #expect(dryRuns.count == 3 && dryRuns.allSatisfy { $0.query["fieldValidation"] == "Strict" })
    }

    @Test func aRefusedTokenIsRefusedNotUnreachable() async throws {
        let server = try KubeAPITestServer()
        var user = Kubeconfig.UserEntry()
        user.token = "wrong"
        let driver = KubernetesCluster(name: "kube-1", client: try await server.client(user: user), clock: VirtualClock())
        do {
            _ = try await driver.get(Self.configMap("x").0)
            Issue.record("a wrong token was accepted")
        } catch {
            guard case .refused = error else { Issue.record("\(error)"); return }
            #expect(!error.isTransient && !error.description.contains("wrong"))
        }
    }
}

extension KubernetesCluster {
    func setPageSize(_ size: Int) { pageSize = size }
}

/// The ClusterRole the README tells operators to apply is accepted by the API server's
/// strict validation (a dry run against the captured rbac schema).
@Suite(.timeLimit(.minutes(10))) struct DeployManifestTests {
    @Test func theClusterRoleInDeployIsValid() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/clusterrole.yaml").path
        let documents = try YAMLParser().parseValues(Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path).map(\.value)
        #expect(documents.compactMap { $0.at("kind")?.stringValue } == ["ClusterRole", "ClusterRoleBinding"])
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        for document in documents {
            let key = ObjectKey(group: "rbac.authorization.k8s.io", kind: document.at("kind")?.stringValue ?? "", namespace: "",
                                name: document.at(["metadata", "name"])?.stringValue ?? "")
            #expect(try await driver.dryRunCreate(document, key: key) != nil)
        }
        // The same check refuses a rule with a misspelt field.
        var broken = try #require(documents.first)
        broken.set(["rules"], to: .list([.map(["apiGroup": .list([.string("*")]), "verbs": .list([.string("get")])])]))
        await #expect(throws: DriverError.self) {
            try await driver.dryRunCreate(broken, key: ObjectKey(group: "rbac.authorization.k8s.io", kind: "ClusterRole", namespace: "", name: "sluice"))
        }
    }

    /// Sluice's own manifests for a management cluster: each object accepted by a strict dry
    /// run against the captured schemas (in its namespace, created first, as `kubectl apply`
    /// would), and the shape the README promises: two replicas kept apart, probes on
    /// /healthz and /readyz, a disruption budget over the pods, no secret in the file.
    @Test func theManagementClusterManifestsAreValid() async throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/sluice.yaml").path
        let documents = try YAMLParser().parseValues(Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path).map(\.value)
        let kinds = documents.compactMap { $0.at("kind")?.stringValue }
        #expect(kinds == ["Namespace", "ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Service", "Deployment", "PodDisruptionBudget"])
        let server = try KubeAPITestServer()
        let driver = try await server.driver()
        for document in documents {
            let apiVersion = document.at("apiVersion")?.stringValue ?? ""
            let key = ObjectKey(group: apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : "",
                                kind: document.at("kind")?.stringValue ?? "", namespace: document.at(["metadata", "namespace"])?.stringValue ?? "",
                                name: document.at(["metadata", "name"])?.stringValue ?? "")
            if key.kind == "Namespace" {
                _ = try await driver.create(document, key: key)
            } else {
                #expect(try await driver.dryRunCreate(document, key: key) != nil, "\(key.kind)")
            }
        }
        let deployment = try #require(documents.first { $0.at("kind")?.stringValue == "Deployment" })
        #expect(deployment.at(["spec", "replicas"]) == .int(2))
        let pod = try #require(deployment.at(["spec", "template", "spec"]))
        #expect(pod.at(["affinity", "podAntiAffinity"]) != nil)
        let container = try #require(pod.at("containers")?.listValue?.first)
        #expect(container.at(["livenessProbe", "httpGet", "path"])?.stringValue == "/healthz")
        #expect(container.at(["readinessProbe", "httpGet", "path"])?.stringValue == "/readyz")
        let labels = deployment.at(["spec", "template", "metadata", "labels"])
        let budget = try #require(documents.first { $0.at("kind")?.stringValue == "PodDisruptionBudget" })
        #expect(budget.at(["spec", "selector", "matchLabels"]) == labels)
        // Secrets come from Secrets: the ConfigMap's store URL holds no password.
        let config = try #require(documents.first { $0.at("kind")?.stringValue == "ConfigMap" })
        let state = try #require(config.at(["data", "SLUICE_STATE"])?.stringValue)
        #expect(URLComponents(string: state)?.password == nil)
    }
}

