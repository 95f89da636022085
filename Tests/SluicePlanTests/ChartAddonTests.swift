import Foundation
import SluiceCore
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// An upstream chart dropped into `addons/` as it is, beside Sluice's `addon.yaml`: it
/// validates with the fleet, renders with the release's values over the chart's and the
/// cluster's over those, and its objects are finished as any add-on's.
@Suite(.timeLimit(.minutes(10))) struct ChartAddonTests {
    static let release = ChartFleet.release

    /// The example fleet with its metrics-server replaced by the upstream chart.
    static func fleet(release: String = release, extra: [String: String] = [:]) throws -> TestRepository {
        try ChartFleet.make(release: release, extra: extra)
    }

    static func validate(_ repo: TestRepository) throws -> CommitValidator.ValidatedFleet {
        let git = try GitRepository.open(repo.path)
        return try CommitValidator().validate(try git.tree(at: git.resolve("HEAD")))
    }

    @Test func anUpstreamChartIsAnAddon() throws {
        let repo = try Self.fleet()
        let fleet = try Self.validate(repo)
        #expect(fleet.pairs.contains { $0.addon == "metrics-server" && $0.cluster == "test-1" })
        let pair = try fleet.renderer.render(cluster: "test-1", addon: "metrics-server")
        let deployment = try #require(pair.objects.first { $0.key.kind == "Deployment" })
        #expect(deployment.key == ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "metrics-server"))
        // `# Source:` names Helm's template, the repository's file stays for errors.
        #expect(deployment.helmSource == "metrics-server/templates/deployment.yaml" && deployment.template == "addons/metrics-server/templates/deployment.yaml")
        let container = deployment.object.at("spec.template.spec.containers")?.listValue?.first
        // The release's values over the chart's: its tag and limits; the chart's requests stay.
        #expect(container?["image"] == .string("registry.k8s.io/metrics-server/metrics-server:v0.8.1"))
        #expect(container?["resources"] == .map(["limits": .map(["cpu": .string("200m"), "memory": .string("256Mi")]),
                                                 "requests": .map(["cpu": .string("100m"), "memory": .string("200Mi")])]))
        // Helm's labels, and Sluice's beside them.
        let labels = deployment.object.at("metadata.labels")
        #expect(labels?["helm.sh/chart"] == .string("metrics-server-3.13.1") && labels?["app.kubernetes.io/instance"] == .string("metrics-server"))
        #expect(labels?["app.kubernetes.io/managed-by"] == .string("sluice") && labels?["sluice.dev/addon"] == .string("metrics-server"))
        // A cluster-scoped object keeps no namespace; the APIService is there.
        #expect(pair.objects.contains { $0.key.kind == "ClusterRole" && $0.key.namespace.isEmpty })
        #expect(pair.objects.contains { $0.key.kind == "APIService" })
    }

    @Test func theClustersValuesWinOverTheReleases() throws {
        let repo = try Self.fleet()
        let cluster = try repo.read("clusters/test-1.yaml")
        try repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "      kubeletInsecureTLS: true", with: "      replicas: 2\n      image: {tag: v0.8.2}"))
        try repo.commit("test-1 runs two")
        let fleet = try Self.validate(repo)
        let deployment = try #require(try fleet.renderer.render(cluster: "test-1", addon: "metrics-server").objects.first { $0.key.kind == "Deployment" })
        #expect(deployment.object.at("spec.replicas") == .int(2))
        #expect(deployment.object.at("spec.template.spec.containers")?.listValue?.first?["image"] == .string("registry.k8s.io/metrics-server/metrics-server:v0.8.2"))
        let other = try #require(try fleet.renderer.render(cluster: "test-2", addon: "metrics-server").objects.first { $0.key.kind == "Deployment" })
        #expect(other.object.at("spec.replicas") == .int(1))
    }

    @Test func aReleaseVersionThatIsNotTheChartsIsAnErrorAtItsLine() throws {
        let repo = try Self.fleet(release: Self.release.replacingOccurrences(of: "\"3.13.1\"", with: "\"0.8.1\""))
        do {
            _ = try Self.validate(repo)
            Issue.record("a wrong chart version validated")
        } catch let error as ValidationFailure {
            let problem = try #require(error.diagnostics.first { $0.message.contains("is chart metrics-server version 3.13.1") })
            #expect(problem.file == "releases/2026-11-1.yaml" || problem.file == "releases/2026-11-2.yaml")
            #expect(problem.mark != nil)
        }
    }

    static let schema = """
        {"type": "object", "properties": {
          "replicas": {"type": "integer", "minimum": 1},
          "image": {"type": "object", "properties": {"tag": {"type": "string", "pattern": "^v[0-9.]+$"}}}}}
        """

    /// values.schema.json: the coalesced values must meet it; a violation is an error at the
    /// file whose values set the value (the cluster's, else the release's), naming the path.
    @Test func valuesThatBreakTheChartsSchemaAreAnErrorAtTheFileThatSetThem() throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/values.schema.json": Self.schema])
        _ = try Self.validate(repo)
        let cluster = try repo.read("clusters/test-1.yaml")
        try repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "      kubeletInsecureTLS: true", with: "      replicas: 0"))
        try repo.commit("test-1 runs none")
        do {
            _ = try Self.validate(repo)
            Issue.record("replicas 0 validated against minimum 1")
        } catch let error as ValidationFailure {
            let problem = try #require(error.diagnostics.first { $0.code == "values.schema" })
            #expect(problem.file == "clusters/test-1.yaml" && problem.mark != nil)
            #expect(problem.message.contains("'/replicas'"))
        }
        let broken = try Self.fleet(release: Self.release.replacingOccurrences(of: "tag: v0.8.1", with: "tag: \"0.8.1\""),
                                    extra: ["addons/metrics-server/values.schema.json": Self.schema])
        do {
            _ = try Self.validate(broken)
            Issue.record("a tag against the pattern validated")
        } catch let error as ValidationFailure {
            let problem = try #require(error.diagnostics.first { $0.code == "values.schema" })
            #expect(problem.file.hasPrefix("releases/") && problem.mark != nil)
            #expect(problem.message.contains("'/image/tag'"))
        }
    }

    /// A schema that is not one is the chart's error, at its file; a reference outside the
    /// file is refused (Sluice reads nothing outside the repository for a chart).
    @Test(arguments: ["{\"type\": \"text\"}", "{\"properties\": {\"a\": {\"$ref\": \"https://example.com/s.json\"}}}", "{\"unevaluatedProperties\": false}"])
    func aSchemaThatIsNotOneIsAnErrorAtItsFile(schema: String) throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/values.schema.json": schema])
        do {
            _ = try Self.validate(repo)
            Issue.record("validated with \(schema)")
        } catch let error as ValidationFailure {
            #expect(error.diagnostics.contains { $0.file == "addons/metrics-server/values.schema.json" })
        }
    }

    /// `spec.kubernetesVersion` is the chart's `.Capabilities.KubeVersion`, and a chart whose
    /// `kubeVersion` it does not satisfy is refused as `helm template` refuses it.
    @Test func aClustersKubernetesVersionIsTheChartsCapabilities() throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/templates/version.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: kube-version}
            data: {version: {{ .Capabilities.KubeVersion.Version | quote }}, minor: {{ .Capabilities.KubeVersion.Minor | quote }}}
            """])
        func version(_ cluster: String) throws -> Value? {
            let fleet = try Self.validate(repo)
            return try fleet.renderer.render(cluster: cluster, addon: "metrics-server").objects.first { $0.key.name == "kube-version" }?.object.at("data")
        }
        #expect(try version("test-1") == .map(["version": .string(HelmDefaults.kubeVersion), "minor": .string("36")]))
        let cluster = try repo.read("clusters/test-1.yaml")
        try repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "  release:", with: "  kubernetesVersion: 1.29.4-gke.1\n  release:"))
        try repo.commit("test-1 runs 1.29")
        #expect(try version("test-1") == .map(["version": .string("v1.29.4-gke.1"), "minor": .string("29")]))
        // Another cluster with the same values keeps Helm's default (renders are shared by
        // values and capabilities together).
        #expect(try version("test-2") == .map(["version": .string(HelmDefaults.kubeVersion), "minor": .string("36")]))
        let chart = try repo.read("addons/metrics-server/Chart.yaml")
        try repo.write("addons/metrics-server/Chart.yaml", chart + "kubeVersion: \">=1.30.0-0\"\n")
        try repo.commit("the chart wants 1.30")
        do {
            _ = try Self.validate(repo)
            Issue.record("a chart for 1.30 validated on a 1.29 cluster")
        } catch let error as ValidationFailure {
            #expect(error.diagnostics.contains { $0.code == "chart.kubeVersion" && $0.file == "addons/metrics-server/Chart.yaml" })
        }
        try repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "  release:", with: "  kubernetesVersion: one-dot-thirty\n  release:"))
        try repo.commit("not a version")
        do {
            _ = try Self.validate(repo)
            Issue.record("a cluster with a kubernetesVersion that is not one validated")
        } catch let error as ValidationFailure {
            #expect(error.diagnostics.contains { $0.file == "clusters/test-1.yaml" && $0.mark != nil && $0.message.contains("kubernetesVersion") })
        }
    }

    /// Random functions draw from the store's render secret: two plans of one commit agree,
    /// a plan after the apply finds nothing to change, and another store draws other values.
    @Test func twoPlansOfOneCommitDrawTheSameRandomValues() async throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/templates/password.yaml": """
            apiVersion: v1
            kind: Secret
            metadata: {name: metrics-password}
            stringData: {password: {{ randAlphaNum 24 | quote }}, id: {{ uuidv4 | quote }}}
            """])
        func digests(_ result: PlanResult) -> [String: String] {
            Dictionary(uniqueKeysWithValues: result.pairs.filter { $0.addon == "metrics-server" }.map { ($0.cluster, $0.digest) })
        }
        // Clusters that share their values share a chart's render, but never its random values.
        let fleet = try Self.validate(repo)
        func password(_ cluster: String) throws -> Value? {
            try fleet.renderer.render(cluster: cluster, addon: "metrics-server").objects.first { $0.key.name == "metrics-password" }?.object.at("stringData.password")
        }
        let (one, two) = (try password("stg-eu-1"), try password("canary-eu-1"))
        #expect(one != nil && two != nil && one != two)
        #expect(try password("stg-eu-1") == one)
        let scenario = try FleetScenario(copying: repo.path)
        let first = digests(try await scenario.plan(env: "staging"))
        #expect(!first.isEmpty)
        #expect(digests(try await scenario.plan(env: "staging")) == first)
        try await scenario.apply(env: "staging")
        let after = try await scenario.plan(env: "staging")
        #expect(after.pairs.filter { $0.addon == "metrics-server" }.allSatisfy { $0.isSettled })
        #expect(digests(after) == first)
        // The secret is the store's: another store draws other values.
        let other = try FleetScenario(copying: repo.path)
        let otherDigests = digests(try await other.plan(env: "staging"))
        #expect(Set(otherDigests.keys) == Set(first.keys) && otherDigests.allSatisfy { first[$0.key] != $0.value })
    }

    /// `.Release.IsInstall` until the pair is recorded, `.Release.IsUpgrade` after, as Helm's
    /// install and upgrade see them.
    @Test func aPairAppliedBeforeRendersAsAnUpgrade() async throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/templates/mode.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: release-mode}
            data: {mode: {{ if .Release.IsInstall }}install{{ else if .Release.IsUpgrade }}upgrade{{ end }}, replicas: {{ .Values.replicas | quote }}}
            """])
        let scenario = try FleetScenario(copying: repo.path)
        func mode(_ result: PlanResult) -> Value? {
            let pair = result.pairs.first { $0.addon == "metrics-server" && $0.cluster == "test-1" }
            switch pair?.steps.first(where: { $0.key.name == "release-mode" })?.action {
            case .create(let object)?: return object.at("data.mode")
            case .update(let patch)?: return patch.at("data.mode")
            default: return nil
            }
        }
        #expect(mode(try await scenario.plan(env: "staging", keepSteps: true)) == .string("install"))
        try await scenario.apply(env: "staging")
        let cluster = try scenario.repo.read("clusters/test-1.yaml")
        try scenario.repo.write("clusters/test-1.yaml", cluster.replacingOccurrences(of: "      kubeletInsecureTLS: true", with: "      replicas: 2"))
        try scenario.repo.commit("test-1 runs two")
        #expect(mode(try await scenario.plan(env: "staging", keepSteps: true)) == .string("upgrade"))
    }

    /// `.Release.Revision` is 1 at install and one more with each apply that changes what
    /// the pair renders (Helm's release revision); a plan of a recorded pair renders at its
    /// recorded revision, so nothing shows a change until something else does.
    @Test func theRevisionCountsTheAppliesThatChangedThePair() async throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/templates/revision.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: release-revision}
            data: {revision: {{ .Release.Revision | quote }}, replicas: {{ .Values.replicas | quote }}}
            """])
        let scenario = try FleetScenario(copying: repo.path)
        let key = ObjectKey(group: "", kind: "ConfigMap", namespace: "kube-system", name: "release-revision")
        func live() async throws -> Value? {
            let cluster = try #require(try await scenario.plan(env: "staging", cluster: "test-1").repository.clusters["test-1"])
            return try await scenario.connector.driver(for: cluster).get(key)?.at("data.revision")
        }
        func record() async throws -> AppliedRecord? { try await scenario.store.applied(environment: "staging", cluster: "test-1", addon: "metrics-server") }
        func settled() async throws -> Bool {
            try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true).pairs.first { $0.addon == "metrics-server" }?.isSettled == true
        }
        try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(try await record()?.revision == 1)
        #expect(try await live() == .string("1"))
        #expect(try await settled())
        // A change of the pair: revision 2, applied and recorded; then settled again.
        try scenario.edit("clusters/test-1.yaml", replacing: "      kubeletInsecureTLS: true", with: "      kubeletInsecureTLS: true\n      replicas: 2")
        try scenario.repo.commit("test-1 runs two")
        #expect(try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true).pairs.first { $0.addon == "metrics-server" }?.revision == 2)
        try await scenario.apply(env: "staging", cluster: "test-1")
        #expect(try await record()?.revision == 2)
        #expect(try await live() == .string("2"))
        #expect(try await settled())
        // A commit that does not change the pair moves its record, not its revision.
        try scenario.edit("clusters/test-1.yaml", replacing: "    fluent-bit:\n      logLevel: debug", with: "    fluent-bit:\n      logLevel: info")
        try scenario.repo.commit("quieter logs")
        try await scenario.apply(env: "staging", cluster: "test-1")
        let moved = try #require(try await record())
        #expect(moved.commit == scenario.head && moved.revision == 2)
        #expect(try await live() == .string("2"))
    }

    /// A release entry's `values:` are an input of the pair: changing them re-renders it
    /// (they were once left out of the change check, and the record moved on with nothing sent).
    @Test func aChangeOfTheReleasesValuesIsAChangeOfThePair() async throws {
        let repo = try Self.fleet()
        let scenario = try FleetScenario(copying: repo.path)
        try await scenario.apply(env: "staging")
        try scenario.edit("releases/2026-11-2.yaml", replacing: "resources: {limits: {cpu: 200m, memory: 256Mi}}",
                          with: "resources: {limits: {cpu: 300m, memory: 256Mi}}")
        try scenario.repo.commit("more CPU for metrics-server")
        let plan = try await scenario.plan(env: "staging", cluster: "test-1", keepSteps: true)
        let pair = try #require(plan.pairs.first { $0.addon == "metrics-server" })
        #expect(!pair.isSettled)
        #expect(pair.steps.contains { step in
            if case .update(let patch) = step.action { return step.key.kind == "Deployment" && JSONEmitter.emit(patch).contains("300m") }
            return false
        })
    }

    /// `.Capabilities.APIVersions` holds Helm's list and the CRDs of the cluster's add-ons:
    /// a native add-on's rendered CRDs (cert-manager here) and a chart's `crds/` files.
    @Test func theCRDsOfTheClustersAddonsAreAPIVersions() throws {
        let repo = try Self.fleet(extra: [
            "addons/metrics-server/templates/capabilities.yaml": """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: capabilities}
                data:
                  apps: {{ .Capabilities.APIVersions.Has "apps/v1" | quote }}
                  certificate: {{ .Capabilities.APIVersions.Has "cert-manager.io/v1/Certificate" | quote }}
                  widget: {{ .Capabilities.APIVersions.Has "example.com/v1alpha1" | quote }}
                  nothing: {{ .Capabilities.APIVersions.Has "nothing.example.com/v1" | quote }}
                """,
            "addons/metrics-server/crds/widgets.yaml": """
                apiVersion: apiextensions.k8s.io/v1
                kind: CustomResourceDefinition
                metadata: {name: widgets.example.com}
                spec:
                  group: example.com
                  names: {kind: Widget, plural: widgets}
                  scope: Namespaced
                  versions: [{name: v1alpha1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
                """,
        ])
        let fleet = try Self.validate(repo)
        let data = try fleet.renderer.render(cluster: "test-1", addon: "metrics-server").objects.first { $0.key.name == "capabilities" }?.object.at("data")
        #expect(data == .map(["apps": .string("true"), "certificate": .string("true"), "widget": .string("true"), "nothing": .string("false")]))
    }

    /// The shipped manifest rules judge a chart's objects: an image at `latest` is refused.
    @Test func theManifestRulesJudgeTheChartsObjects() throws {
        let repo = try Self.fleet(release: Self.release.replacingOccurrences(of: "tag: v0.8.1", with: "tag: latest"))
        do {
            _ = try Self.validate(repo)
            Issue.record("a chart at :latest validated")
        } catch let error as ValidationFailure {
            #expect(error.diagnostics.contains { $0.message.contains("pin every image") && $0.file.hasPrefix("addons/metrics-server/templates/") })
        }
    }

    /// A chart's CRDs are objects of the add-on that Helm's annotation keeps from pruning.
    @Test func aChartsCRDsAreItsObjectsAndKept() throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/crds/widgets.yaml": ChartCRDTests.crd])
        let pair = try Self.validate(repo).renderer.render(cluster: "test-1", addon: "metrics-server")
        let crd = try #require(pair.objects.first { $0.key.kind == "CustomResourceDefinition" })
        #expect(crd.object.at("metadata.annotations")?[FleetRenderer.resourcePolicy] == .string("keep"))
        #expect(crd.object.at("metadata.labels")?["sluice.dev/addon"] == .string("metrics-server") && crd.key.namespace.isEmpty)
        #expect(pair.objects.filter { $0.object.at("metadata.annotations")?[FleetRenderer.resourcePolicy] != nil }.count == 1)
    }

    /// A chart add-on's `now` (Sprig's dates) is its commit's time: every plan of one commit
    /// renders the same dates.
    @Test func aChartAddOnsNowIsItsCommitsTime() throws {
        let repo = try Self.fleet(extra: ["addons/metrics-server/templates/stamp.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: stamp
            data:
              at: {{ now | unixEpoch | quote }}
            """])
        let time = try repo.git("log", "-1", "--format=%ct").trimmingCharacters(in: .whitespacesAndNewlines)
        func stamp() throws -> String? {
            let pair = try Self.validate(repo).renderer.render(cluster: "test-1", addon: "metrics-server")
            return pair.objects.first { $0.key.name == "stamp" }?.object["data"]?["at"]?.stringValue
        }
        #expect(try stamp() == time)
        #expect(try stamp() == stamp())
    }
}
