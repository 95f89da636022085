import Foundation
import SluiceGit
import SluiceModel
import SluiceSchemas
import SluiceYAML
import SluicePlan
import SluiceRender
import SluiceTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct CommitValidatorTests {
    let repo: TestRepository
    let fleet: CommitValidator.ValidatedFleet

    init() throws {
        repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.commit("fleet")
        let git = try GitRepository.open(repo.path)
        fleet = try CommitValidator().validate(try git.tree(at: git.resolve("HEAD")))
    }

    /// Every pair, rendered again from the validated fleet's renderer.
    var rendered: [RenderedAddon] {
        fleet.pairs.compactMap { try? fleet.renderer.render(cluster: $0.cluster, addon: $0.addon) }
    }

    @Test func everyPairRendersWithSluiceLabelsAndCommit() throws {
        #expect(fleet.pairs.count == 232)
        #expect(rendered.count == 232)
        #expect(fleet.objectCount == rendered.reduce(0) { $0 + $1.objects.count })
        let commit = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        for pair in rendered {
            for object in pair.objects {
                #expect(object.object.at("metadata.labels")?["app.kubernetes.io/managed-by"] == .string("sluice"))
                #expect(object.object.at("metadata.labels")?["sluice.dev/addon"] == .string(pair.addon))
                #expect(object.object.at("metadata.annotations")?["sluice.dev/commit"] == .string(commit))
            }
        }
    }

    @Test func namespacesDefaultToTheAddonsButNotForClusterScopedKinds() throws {
        let dns = try fleet.renderer.render(cluster: "test-1", addon: "coredns")
        #expect(dns.objects.first { $0.key.kind == "Deployment" }?.key.namespace == "kube-system")
        #expect(dns.objects.first { $0.key.kind == "ClusterRole" }?.key.namespace == "")
        #expect(dns.objects.first { $0.key.kind == "ClusterRole" }?.object.at("metadata.namespace") == nil)
    }

    @Test func metaConfigOverridesReachTheObjects() throws {
        func replicas(_ cluster: String) -> Value? {
            (try? fleet.renderer.render(cluster: cluster, addon: "coredns"))?
                .objects.first { $0.key.kind == "Deployment" }?.object.at("spec.replicas")
        }
        #expect(replicas("test-1") == .int(1))
        #expect(replicas("canary-us-1") == .int(3))
        #expect(replicas("prod-eu-1") == .int(8))
        let test2 = Set(fleet.pairs.filter { $0.cluster == "test-2" }.map(\.addon))
        #expect(!test2.contains("ingress-nginx") && !test2.contains("cert-manager") && test2.count == 11)
    }

    /// The digest leaves the commit annotation out: a commit that changes nothing for a pair
    /// keeps its digest; one that changes it does not.
    @Test func digestsFollowContentNotCommit() throws {
        try repo.write("README.md", "docs only\n")
        try repo.commit("docs")
        try repo.write("clusters/test-1.yaml", try repo.read("clusters/test-1.yaml").replacingOccurrences(of: "      replicas: 1\n", with: "      replicas: 2\n"))
        try repo.commit("scale dns on test-1")
        let git = try GitRepository.open(repo.path)
        let after = try CommitValidator().validate(try git.tree(at: git.resolve("HEAD")))
        let before = Dictionary(uniqueKeysWithValues: fleet.pairs.map { ("\($0.cluster)/\($0.addon)", $0.digest) })
        for pair in after.pairs {
            let key = "\(pair.cluster)/\(pair.addon)"
            if key == "test-1/coredns" { #expect(pair.digest != before[key]) } else { #expect(pair.digest == before[key]) }
        }
    }

    @Test func outlineCutsCumulativeBatchesInOrder() throws {
        let outline = RolloutOutline(repository: fleet.repository, graphs: fleet.graphs)
        let production = try #require(outline.environments.last?.stages.last)
        #expect(production.batches.map { $0.clusters.map(\.name) } == [
            ["prod-ap-2"], ["prod-us-4", "prod-eu-3"], ["prod-us-1", "prod-ap-1", "prod-us-3"], ["prod-eu-2", "prod-eu-1", "prod-us-2"],
        ])
        let test2 = try #require(outline.environments.first?.stages.first?.batches.last?.clusters.first)
        #expect(test2.name == "test-2")
        #expect(test2.addonLevels.joined().contains("ingress-nginx") == false)
    }
}

@Suite(.timeLimit(.minutes(10))) struct ManifestRuleTests {
    func object(_ kind: String, namespace: String = "apps", pod: Value) -> RenderedObject {
        let spec: Value = kind == "Pod" ? pod : .map(["template": .map(["spec": pod])])
        return RenderedObject(key: ObjectKey(group: "apps", kind: kind, namespace: namespace, name: "x"), apiVersion: "apps/v1",
                              object: .map(["kind": .string(kind), "spec": spec]), template: "addons/a/templates/t.yaml")
    }

    func container(_ image: String, limits: [String: Value]? = nil) -> Value {
        var c: [String: Value] = ["name": .string("c"), "image": .string(image)]
        if let limits { c["resources"] = .map(["limits": .map(limits)]) }
        return .map(c)
    }

    func violations(_ objects: [RenderedObject], addon: String = "a") throws -> [String] {
        let repo = try FleetLoader().load(try DirectoryTree(root: ProjectPaths.exampleRepo))
        let checker = ManifestRuleChecker(rules: repo.policies.flatMap(\.manifestRules))
        return checker.violations(in: RenderedAddon(cluster: "c", addon: addon, objects: objects, digest: "")).map(\.message)
    }

    @Test func imagesMustBePinned() throws {
        let found = try violations([object("Deployment", pod: .map(["containers": .list([
            container("reg/a:latest"), container("reg/b"), container("reg/c:1.0"), container("reg/d@sha256:" + String(repeating: "0", count: 64)),
        ])]))])
        #expect(found.count == 2)
        #expect(found[0].hasPrefix("Deployment.apps apps/x: container \"c\" image \"reg/a:latest\" uses the tag \"latest\": pin every image"))
        #expect(found[1].contains("image \"reg/b\" has no tag"))
    }

    @Test func daemonSetsNeedLimitsOtherKindsDoNot() throws {
        let pod = Value.map(["containers": .list([container("reg/a:1", limits: ["cpu": .string("1")])])])
        #expect(try violations([object("DaemonSet", pod: pod)]) == [
            "DaemonSet.apps apps/x: container \"c\" sets no resources.limits.memory: a DaemonSet runs on every node; without limits one bad release can starve them all [rule \"daemonset-limits\" in sluice:policies/manifest-rules.yaml]",
        ])
        #expect(try violations([object("Deployment", pod: pod)]).isEmpty)
    }

    @Test func hostNetworkOnlyInKubeSystem() throws {
        let pod = Value.map(["hostNetwork": .bool(true), "containers": .list([container("reg/a:1")])])
        #expect(try violations([object("Deployment", namespace: "kube-system", pod: pod)]).isEmpty)
        #expect(try violations([object("Deployment", namespace: "web", pod: pod)]).first?.contains("uses hostNetwork in namespace \"web\"") == true)
    }

    @Test func shippedDangerousFieldsAreTyped() throws {
        let repo = try FleetLoader().load(try DirectoryTree(root: ProjectPaths.exampleRepo))
        let fields = repo.policies.first { $0.name == "dangerous-fields" }?.dangerousFields ?? []
        let selector = try #require(fields.first { $0.path == "spec.selector" && $0.applies(toKind: "Deployment", group: "apps") })
        #expect(selector.action == .block)
        #expect(fields.first { $0.path == "spec.clusterIP" }?.action == .drop)
        #expect(fields.first { $0.path == "spec.template" && $0.applies(toKind: "Job", group: "batch") }?.action == .recreate)
        #expect(fields.contains { $0.path == "spec.volumeClaimTemplates" && $0.applies(toKind: "StatefulSet", group: "apps") })
        #expect(!selector.applies(toKind: "Deployment", group: "extensions"))
    }
}

/// example-repo is documentation: every object it renders is one a real API server (v1.28)
/// accepts, and what objects refer to exists on the same cluster (issue 11).
@Suite(.timeLimit(.minutes(10))) struct ExampleFleetCompletenessTests {
    let repo: TestRepository
    let validator: CommitValidator

    init() throws {
        repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.commit("fleet")
        validator = CommitValidator(schemaCheck: SchemaCheck(schemas: SchemaValidationTests.schemas))
    }

    func validate(schemas: Bool = true) throws -> CommitValidator.ValidatedFleet {
        let git = try GitRepository.open(repo.path)
        return try (schemas ? validator : CommitValidator()).validate(try git.tree(at: git.resolve("HEAD")))
    }

    @Test func everyRenderedObjectOfEveryClusterMatchesTheAPIServersSchemas() throws {
        let fleet = try validate()
        #expect(fleet.pairs.count == 232)
        // Custom resources are checked against the CRDs their cluster renders: a partition
        // that is not a number is caught in the Advanced DaemonSet.
        try repo.write("addons/node-local-dns/templates/daemonset.yaml",
                       try repo.read("addons/node-local-dns/templates/daemonset.yaml").replacingOccurrences(of: "partition: 0", with: "partition: half"))
        try repo.commit("a partition that is not a number")
        let failure = try #require(throws: ValidationFailure.self) { try validate() }
        #expect(failure.diagnostics.map(\.code) == ["schema.wrongType"])
        #expect(failure.diagnostics.first?.file == "addons/node-local-dns/templates/daemonset.yaml")
        #expect(failure.diagnostics.first?.message.contains("spec.updateStrategy.rollingUpdate.partition") == true)
    }

    @Test func whatObjectsReferToExistsOnTheirCluster() throws {
        let fleet = try validate(schemas: false)
        var typha: [String] = []
        for name in fleet.repository.clusterNames {
            let objects = try fleet.pairs.filter { $0.cluster == name }.flatMap { try fleet.renderer.render(cluster: name, addon: $0.addon).objects }
            let keys = Set(objects.map(\.key))
            func has(_ group: String, _ kind: String, _ namespace: String, _ name: String) -> Bool {
                keys.contains(ObjectKey(group: group, kind: kind, namespace: namespace, name: name))
            }
            let crdKinds = Set(objects.filter { $0.key.kind == "CustomResourceDefinition" }.compactMap { crd in
                crd.object.at(["spec", "group"])?.stringValue.flatMap { group in crd.object.at(["spec", "names", "kind"])?.stringValue.map { "\(group)/\($0)" } }
            })
            for object in objects {
                let namespace = object.key.namespace
                let value = object.object
                if object.key.group.contains("."), !object.key.group.hasSuffix(".k8s.io") {
                    #expect(crdKinds.contains("\(object.key.group)/\(object.key.kind)"), "\(name): \(object.key) has no CRD")
                }
                if object.key.kind.hasSuffix("RoleBinding"), let role = value.at(["roleRef", "name"])?.stringValue, !role.hasPrefix("system:") {
                    let kind = value.at(["roleRef", "kind"])?.stringValue ?? ""
                    #expect(has("rbac.authorization.k8s.io", kind, kind == "Role" ? namespace : "", role), "\(name): \(object.key) binds a missing \(kind) \(role)")
                    for subject in value["subjects"]?.listValue ?? [] where subject["kind"]?.stringValue == "ServiceAccount" {
                        #expect(has("", "ServiceAccount", subject["namespace"]?.stringValue ?? "", subject["name"]?.stringValue ?? ""), "\(name): \(object.key) binds a missing ServiceAccount")
                    }
                }
                for webhook in value["webhooks"]?.listValue ?? [] {
                    if let service = webhook.at(["clientConfig", "service"]) {
                        #expect(has("", "Service", service["namespace"]?.stringValue ?? "", service["name"]?.stringValue ?? ""), "\(name): \(object.key) calls a missing Service")
                    }
                }
                guard let pod = value.at(["spec", "template", "spec"]) else { continue }
                if object.key.name == "calico-typha" { typha.append(name) }
                if let account = pod["serviceAccountName"]?.stringValue {
                    #expect(has("", "ServiceAccount", namespace, account), "\(name): \(object.key) runs as a missing ServiceAccount \(account)")
                }
                for volume in pod["volumes"]?.listValue ?? [] {
                    if let configMap = volume.at(["configMap", "name"])?.stringValue {
                        #expect(has("", "ConfigMap", namespace, configMap), "\(name): \(object.key) mounts a missing ConfigMap \(configMap)")
                    }
                }
                let containers = (pod["containers"]?.listValue ?? []) + (pod["initContainers"]?.listValue ?? [])
                let volumes = Set((pod["volumes"]?.listValue ?? []).compactMap { $0["name"]?.stringValue })
                let claims = Set((value.at(["spec", "volumeClaimTemplates"])?.listValue ?? []).compactMap { $0.at(["metadata", "name"])?.stringValue })
                for container in containers {
                    for mount in container["volumeMounts"]?.listValue ?? [] {
                        let volume = mount["name"]?.stringValue ?? ""
                        #expect(volumes.contains(volume) || claims.contains(volume), "\(name): \(object.key) mounts a missing volume \(volume)")
                    }
                    for env in container["env"]?.listValue ?? [] {
                        if let configMap = env.at(["valueFrom", "configMapKeyRef", "name"])?.stringValue {
                            #expect(has("", "ConfigMap", namespace, configMap), "\(name): \(object.key) reads a missing ConfigMap \(configMap)")
                        }
                    }
                }
            }
        }
        // Typha runs where typhaReplicas is set, and only there.
        let withTypha = fleet.repository.clusterNames.filter { fleet.repository.clusters[$0]?.addonValues["calico"]?.value["typhaReplicas"].map { $0 != .int(0) } ?? false }
        #expect(!withTypha.isEmpty && typha.sorted() == withTypha.sorted())
    }
}
