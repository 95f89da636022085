import Foundation
import SluiceCore
import SluiceSimulation
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceRender
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// `FleetPlanner` on real Git repositories copied from example-repo: cold plans, bumps,
/// reverts, prunes, what is rendered again and what is not.
@Suite(.timeLimit(.minutes(10))) struct FleetPlannerTests {
    static let oldImage = "registry.k8s.io/coredns/coredns:v1.11.4"
    static let newImage = "registry.k8s.io/coredns/coredns:v1.11.5"

    /// Bumps coredns in release 2026-11-2 (the release most clusters follow).
    static func bumpCoreDNS(_ scenario: FleetScenario) throws {
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns: {version: \"1.11.4\", images: {main: \"\(oldImage)\"}}",
                          with: "coredns: {version: \"1.11.5\", images: {main: \"\(newImage)\"}}")
        try scenario.repo.commit("coredns 1.11.5")
    }

    static func clusters(of plan: FleetPlan) -> [FleetPlan.ClusterPlan] {
        plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters)
    }

    static func changes(of plan: FleetPlan) -> [(cluster: String, addon: String, change: FleetPlan.ObjectChange)] {
        clusters(of: plan).flatMap { cluster in
            cluster.addons.flatMap { addon in addon.objects.map { (cluster.name, addon.name, $0) } }
        }
    }

    @Test func aColdPlanCreatesEverythingInRolloutOrder() async throws {
        let scenario = try FleetScenario()
        let result = try await scenario.plan(env: "staging")
        let plan = result.plan
        #expect(plan.commit == scenario.head)
        #expect(plan.environments.map(\.name) == ["staging"])
        // Grouped the way the pipeline rolls: stages, batches, clusters as the outline orders them.
        let outline = RolloutOutline(repository: result.repository, graphs: [:]).environments.first { $0.name == "staging" }
        #expect(plan.environments[0].stages.map(\.name) == outline?.stages.map(\.name))
        #expect(Self.clusters(of: plan).map(\.name) == outline?.stages.flatMap(\.batches).flatMap(\.clusters).map(\.name))
        #expect(Self.changes(of: plan).allSatisfy { $0.change.action == .create })
        #expect(plan.summary.create == Self.changes(of: plan).count && plan.summary.create > 100)
        #expect(plan.hasChanges)
        // The whole commit is validated, whatever the selection: every pair of the fleet.
        #expect(plan.statistics.pairsRendered == 232, "\(plan.statistics)")
        #expect(plan.statistics.pairsUnchanged == 0)
        // Add-ons of a cluster come in dependency order: calico's objects before coredns'.
        let test1 = Self.clusters(of: plan).first { $0.name == "test-1" }?.addons.map(\.name) ?? []
        #expect(try #require(test1.firstIndex(of: "calico")) < #require(test1.firstIndex(of: "coredns")))
        // Within an add-on, Helm's install order: the Namespace before what lives in it.
        let certManager = Self.clusters(of: plan).first?.addons.first { $0.name == "cert-manager" }?.objects.map(\.kind) ?? []
        #expect(certManager.first == "Namespace")
    }

    @Test func anAppliedCommitHasNoChangesAndIsNotRenderedAgain() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        let plan = try await scenario.plan().plan
        #expect(!plan.hasChanges)
        #expect(plan.summary.unchangedAddons == 232)
        #expect(plan.statistics.pairsRendered == 0)
        #expect(plan.statistics.pairsUnchanged == 232)
    }

    @Test func anImageBumpRendersAndUpdatesOnlyThatAddon() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        try Self.bumpCoreDNS(scenario)
        let result = try await scenario.plan(keepSteps: true)
        let following = result.repository.clusters.values.filter {
            $0.release.value == "2026-11-2" && result.repository.installedAddons(of: $0).contains("coredns")
        }
        #expect(following.count >= 4)
        // Incremental: one render per cluster of the bumped add-on, nothing else.
        #expect(result.plan.statistics.pairsRendered == following.count)
        #expect(result.plan.statistics.pairsUnchanged == 232 - following.count)
        // Last-applied specs re-rendered at the recorded commit, once per distinct digest at most.
        #expect(result.plan.statistics.lastAppliedRendered + result.plan.statistics.lastAppliedFromDigest == following.count)
        let changes = Self.changes(of: result.plan)
        #expect(Set(changes.map(\.cluster)) == Set(following.map(\.name)))
        #expect(changes.allSatisfy { $0.addon == "coredns" && $0.change.action == .update && $0.change.kind == "Deployment" })
        let diff = try #require(changes.first?.change.diff)
        #expect(diff.contains("-        image: \(Self.oldImage)\n+        image: \(Self.newImage)"))
        // The patch changes the containers and stamps the commit; it does not touch replicas.
        let step = try #require(result.pairs.first { $0.addon == "coredns" && !$0.steps.isEmpty }?.steps.first)
        guard case .update(let patch) = step.action else { Issue.record("expected an update"); return }
        #expect(patch.at(["spec", "template", "spec", "containers"]) != nil)
        #expect(patch.at(["spec", "replicas"]) == nil)
        #expect(patch.at(["metadata", "annotations", "sluice.dev/commit"]) == .string(scenario.head))
    }

    @Test func aRevertWalksBackAndConverges() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        try Self.bumpCoreDNS(scenario)
        try await scenario.applyAll()
        try scenario.repo.git("revert", "--no-edit", "HEAD")
        let plan = try await scenario.plan().plan
        let changes = Self.changes(of: plan)
        #expect(!changes.isEmpty && changes.allSatisfy { $0.addon == "coredns" && $0.change.action == .update })
        #expect(changes.first?.change.diff?.contains("-        image: \(Self.newImage)\n+        image: \(Self.oldImage)") == true)
        try await scenario.applyAll()
        #expect(!(try await scenario.plan().plan.hasChanges))
        let live = try await scenario.connector.driver(for: #require(try await scenario.plan().repository.clusters["test-1"]))
            .get(ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns"))
        #expect(live?.at(["spec", "template", "spec", "containers"])?.listValue?.first?.at("image") == .string(Self.oldImage))
    }

    @Test func anObjectThatLeavesTheTemplatesIsPruned() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        try scenario.repo.remove("addons/coredns/templates/rbac.yaml")
        try scenario.repo.commit("coredns without rbac")
        let plan = try await scenario.plan(env: "staging", cluster: "test-1").plan
        let deletes = Self.changes(of: plan).filter { $0.change.action == .delete }
        #expect(!deletes.isEmpty && deletes.allSatisfy { $0.addon == "coredns" })
        // Reverse install order: the binding goes before the account it binds.
        let kinds = deletes.map(\.change.kind)
        #expect(kinds.firstIndex(of: "ClusterRoleBinding")! < kinds.firstIndex(of: "ServiceAccount")!)
        try await scenario.apply(env: "staging")
        let cluster = try #require(try await scenario.plan().repository.clusters["test-1"])
        #expect(try await scenario.connector.driver(for: cluster).get(ObjectKey(group: "", kind: "ServiceAccount",
                                                                              namespace: "kube-system", name: "coredns")) == nil)
    }

    @Test func anAddonDisabledOnAClusterIsPrunedAndForgotten() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        try scenario.edit("clusters/test-1.yaml", replacing: "spec:\n", with: "spec:\n  disabledAddons: [node-problem-detector]\n")
        try scenario.repo.commit("no npd on test-1")
        let plan = try await scenario.plan(env: "staging", cluster: "test-1").plan
        let npd = try #require(Self.clusters(of: plan).first?.addons.first { $0.name == "node-problem-detector" })
        #expect(!npd.objects.isEmpty && npd.objects.allSatisfy { $0.action == .delete })
        #expect(npd.warnings.contains { $0.contains("left this cluster") })
        try await scenario.apply(env: "staging")
        #expect(try await scenario.store.applied(environment: "staging", cluster: "test-1", addon: "node-problem-detector") == nil)
        #expect(!(try await scenario.plan(env: "staging").plan.hasChanges))
    }

    @Test func sensitiveValuesNeverReachThePlan() async throws {
        let scenario = try FleetScenario()
        try scenario.repo.write("addons/coredns/templates/secret.yaml", """
            apiVersion: v1
            kind: Secret
            metadata:
              name: coredns-upstream
            stringData:
              token: {{ .Values.upstreamToken }}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: coredns-upstream
            data:
              endpoint: dns.example.com
              password: {{ .Values.upstreamToken }}
            """)
        try scenario.edit("addons/coredns/values.yaml", replacing: "replicas: 2", with: "replicas: 2\nupstreamToken: tok-first-9f8e7d")
        try scenario.repo.write("policies/secrets.yaml", """
            apiVersion: sluice.dev/v1
            kind: Policy
            metadata: {name: secrets}
            spec:
              sensitiveFields:
                - {kinds: [ConfigMap], path: data.password}
            """)
        try scenario.repo.commit("coredns upstream token")
        try await scenario.applyAll()
        try scenario.edit("addons/coredns/values.yaml", replacing: "tok-first-9f8e7d", with: "tok-second-1a2b3c")
        try scenario.repo.commit("rotate the token")
        let plan = try await scenario.plan(env: "staging").plan
        let changes = Self.changes(of: plan)
        #expect(Set(changes.map(\.change.kind)) == ["Secret", "ConfigMap"])
        #expect(changes.allSatisfy { $0.change.diff?.contains("(sensitive value changed)") == true })
        let json = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        let text = PlanTextFormatter(color: false).format(plan)
        for output in [json, text] {
            #expect(!output.contains("tok-first") && !output.contains("tok-second"))
        }
        // The key that did not change is still shown: only values are hidden.
        #expect(changes.first { $0.change.kind == "ConfigMap" }?.change.diff?.contains("endpoint: dns.example.com") == true)
    }

    @Test func aBlockedFieldFailsThePairAndNothingIsApplied() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        let before = try await scenario.store.applied(environment: "staging")
        try scenario.edit("addons/coredns/templates/deployment.yaml", replacing: "  selector:\n    matchLabels:\n      k8s-app: kube-dns",
                          with: "  selector:\n    matchLabels:\n      k8s-app: kube-dns\n      tier: dns")
        try scenario.repo.commit("change the selector")
        let result = try await scenario.plan(env: "staging", keepSteps: true)
        let coredns = try #require(Self.clusters(of: result.plan).first?.addons.first { $0.name == "coredns" })
        #expect(coredns.blocked.first?.contains("the pod selector of a workload is immutable") == true)
        #expect(result.plan.summary.blocked > 0 && result.plan.hasChanges)
        await #expect(throws: ApplyRefusal.self) {
            try await PlanApplier(store: scenario.store, connector: scenario.connector, clock: scenario.clock).apply(result)
        }
        #expect(try await scenario.store.applied(environment: "staging") == before)
    }

    @Test func fieldsOtherControllersSetSurviveAnUpdate() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        // A webhook injects a sidecar and an HPA owns a field the template leaves out.
        let cluster = try #require(try await scenario.plan().repository.clusters["test-1"])
        let driver = try await scenario.connector.driver(for: cluster)
        let key = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
        let live = try #require(try await driver.get(key))
        var containers = live.at(["spec", "template", "spec", "containers"])?.listValue ?? []
        containers.append(.map(["name": .string("istio-proxy"), "image": .string("istio/proxyv2:1.24.0")]))
        _ = try await driver.patch(key, mergePatch: .map([
            "spec": .map(["template": .map(["spec": .map(["containers": .list(containers)])]), "minReadySeconds": .int(7)]),
        ]))
        try Self.bumpCoreDNS(scenario)
        try await scenario.apply(env: "staging", cluster: "test-1")
        let after = try #require(try await driver.get(key))
        let images = after.at(["spec", "template", "spec", "containers"])?.listValue?.compactMap { $0.at("image")?.stringValue }
        #expect(images == [Self.newImage, "istio/proxyv2:1.24.0"])
        #expect(after.at(["spec", "minReadySeconds"]) == .int(7))
    }

    @Test func aRecordedCommitMissingFromGitIsPlannedAgainstLiveWithAWarning() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        var record = try await #require(try scenario.store.applied(environment: "staging", cluster: "test-1", addon: "coredns"))
        // Equal digests would let the target stand in for the last-applied spec; not here.
        record.commit = String(repeating: "ab", count: 20)
        record.digest = String(repeating: "0", count: 64)
        try await scenario.store.recordApply(record)
        let plan = try await scenario.plan(env: "staging", cluster: "test-1").plan
        let coredns = try #require(Self.clusters(of: plan).first?.addons.first { $0.name == "coredns" })
        #expect(coredns.warnings.first?.contains("cannot be read") == true)
        #expect(coredns.objects.isEmpty)  // live already matches: two-way finds nothing to do
        #expect(plan.statistics.pairsRendered >= 1)
    }

    @Test func anObjectClaimedByAnUnrenderedAddonIsStillCaught() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        // Only metrics-server's folder changes, so coredns is not rendered; its ConfigMap is
        // nevertheless rendered by it, and the commit must be rejected.
        try scenario.repo.write("addons/metrics-server/templates/stolen.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: coredns
              namespace: kube-system
            data: {}
            """)
        try scenario.repo.commit("metrics-server renders coredns' ConfigMap")
        await #expect {
            _ = try await scenario.plan(env: "staging")
        } throws: { error in
            guard case PlanError.invalid(let problems) = error else { return false }
            return problems.contains { $0.code == "plan.objectInTwoAddons" && $0.message.contains("ConfigMap kube-system/coredns") }
        }
    }

    @Test func anInvalidCommitIsRejectedWithItsPosition() async throws {
        let scenario = try FleetScenario()
        try scenario.edit("clusters/test-1.yaml", replacing: "release: 2026-11-2", with: "release: 2026-11-9")
        try scenario.repo.commit("unknown release")
        await #expect {
            _ = try await scenario.plan()
        } throws: { error in
            guard case PlanError.invalid(let problems) = error else { return false }
            return problems.map(\.description).contains { $0.hasPrefix("clusters/test-1.yaml:12:12: ") }
        }
    }

    @Test func anUnknownEnvironmentOrClusterIsAUsageError() async throws {
        let scenario = try FleetScenario()
        await #expect {
            _ = try await scenario.plan(env: "stagin")
        } throws: { error in
            guard case PlanError.selection(let why) = error else { return false }
            return why.contains("did you mean \"staging\"")
        }
        await #expect {
            _ = try await scenario.plan(env: "production", cluster: "test-1")
        } throws: { error in
            if case PlanError.selection = error { return true }
            return false
        }
    }

    @Test func aBumpReadsOnlyTheBumpedAddonsLiveObjects() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        try Self.bumpCoreDNS(scenario)
        // A fresh connector, as a new process has: nothing of the clusters is cached.
        let counting = CountingStore(scenario.store)
        let opened = try SluiceGit.FleetSource.open(scenario.repo.path, revision: "HEAD")
        let planner = FleetPlanner(store: counting, connector: ClusterConnector(objects: counting, clock: scenario.clock))
        let plan = try await planner.plan(opened.tree, gitPath: opened.repository?.path).plan
        #expect(plan.summary.update > 0)
        #expect(counting.clusterReads == 0)
        #expect(counting.addonReads("coredns") == plan.summary.update)
        #expect(counting.addonReadsTotal == counting.addonReads("coredns"))
    }

    @Test func aFieldLeavingAClusterOverrideIsRemovedLive() async throws {
        let scenario = try FleetScenario()
        try scenario.edit("clusters/test-1.yaml", replacing: "    coredns:\n      replicas: 1\n",
                          with: "    coredns:\n      replicas: 1\n      resources: {limits: {cpu: 500m}}\n")
        try scenario.repo.commit("cpu limit on test-1")
        try await scenario.applyAll()
        let cluster = try #require(try await scenario.plan().repository.clusters["test-1"])
        let key = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
        func limits() async throws -> Value? {
            try await scenario.connector.driver(for: cluster).get(key)?
                .at(["spec", "template", "spec", "containers"])?.listValue?.first?.at(["resources", "limits"])
        }
        #expect(try await limits() == .map(["cpu": .string("500m"), "memory": .string("170Mi")]))
        // Only the cluster file changes back: the last-applied spec (with the limit) comes from
        // the recorded commit, so the three-way patch removes the field.
        try scenario.edit("clusters/test-1.yaml", replacing: "      resources: {limits: {cpu: 500m}}\n", with: "")
        try scenario.repo.commit("no cpu limit")
        let result = try await scenario.plan(env: "staging", cluster: "test-1")
        #expect(result.plan.statistics.lastAppliedRendered == 1)
        try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(try await limits() == .map(["memory": .string("170Mi")]))
    }

    @Test func aTemplateErrorInAnAddonNoClusterRendersIsStillRejected() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        // An add-on in no release is rendered nowhere; its templates changed (it is new), so
        // they are parsed and the commit rejected, although every recorded pair is unchanged.
        try scenario.repo.write("addons/spare/addon.yaml", """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata: {name: spare}
            spec: {namespace: default}
            """)
        try scenario.repo.write("addons/spare/templates/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name \n")
        try scenario.repo.commit("a broken spare add-on")
        await #expect {
            _ = try await scenario.plan()
        } throws: { error in
            guard case PlanError.invalid(let problems) = error else { return false }
            return problems.contains { $0.file == "addons/spare/templates/cm.yaml" }
        }
    }
}
