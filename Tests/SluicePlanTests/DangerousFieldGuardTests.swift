import SluiceGit
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceRender
import SluiceTestSupport
import Testing

/// The shipped dangerous-field policies and an add-on's own, applied to planned updates.
@Suite(.timeLimit(.minutes(10))) struct DangerousFieldGuardTests {
    let repository: FleetRepository

    init() throws {
        repository = try FleetLoader().load(try DirectoryTree(root: ProjectPaths.exampleRepo))
    }

    func patch(_ yaml: String) throws -> Value {
        try #require(try YAMLParser().parseValues(Array(yaml.utf8), file: "patch.yaml").first?.value)
    }

    func guarded(_ addon: String) -> DangerousFieldGuard {
        DangerousFieldGuard(rules: repository.dangerousFields(for: addon))
    }

    let deployment = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")
    let service = ObjectKey(group: "", kind: "Service", namespace: "kube-system", name: "kube-dns")
    let job = ObjectKey(group: "batch", kind: "Job", namespace: "kube-system", name: "migrate")

    @Test func aSelectorChangeBlocksThePair() throws {
        let outcome = guarded("coredns").check(.update(patch: try patch("{spec: {selector: {matchLabels: {app: dns}}, replicas: 3}}")), key: deployment)
        #expect(outcome.action == nil)
        let message = try #require(outcome.blocked)
        #expect(message.contains("spec.selector") && message.contains("immutable") && message.contains("dangerous-fields.yaml"))
    }

    @Test func aClusterIPChangeIsDroppedWithAWarning() throws {
        let outcome = guarded("coredns").check(.update(patch: try patch("{spec: {clusterIP: 10.0.0.9, ports: [{port: 53}]}}")), key: service)
        #expect(outcome.action == .update(patch: try patch("{spec: {ports: [{port: 53}]}}")))
        #expect(outcome.warnings.count == 1 && outcome.warnings[0].contains("left out"))
        let only = guarded("coredns").check(.update(patch: try patch("{spec: {clusterIP: 10.0.0.9}}")), key: service)
        #expect(only.action == .unchanged)
    }

    @Test func aJobTemplateChangeRecreates() throws {
        let outcome = guarded("coredns").check(.update(patch: try patch("{spec: {template: {spec: {containers: []}}}}")), key: job)
        #expect(outcome.action == .recreate)
        #expect(outcome.blocked == nil && !outcome.warnings.isEmpty)
    }

    @Test func otherChangesAndOtherActionsPassThrough() throws {
        let update = ObjectAction.update(patch: try patch("{spec: {replicas: 3}}"))
        let passed = guarded("coredns").check(update, key: deployment)
        #expect(passed.action == update && passed.blocked == nil && passed.warnings.isEmpty)
        #expect(guarded("coredns").check(.delete, key: deployment).action == .delete)
        #expect(guarded("coredns").check(.create(.map([:])), key: deployment).action == .create(.map([:])))
    }

    @Test func anAddonsOwnRulesApplyToThatAddonOnly() throws {
        let configMap = ObjectKey(group: "", kind: "ConfigMap", namespace: "kube-system", name: "calico-config")
        let update = ObjectAction.update(patch: try patch("{data: {cni_network_config: '{}'}}"))
        let calico = guarded("calico").check(update, key: configMap)
        #expect(calico.action == nil)
        #expect(calico.blocked?.contains("breaks pod networking") == true)
        #expect(guarded("coredns").check(update, key: configMap).action == update)
    }
}
