import Foundation
import SluiceKubernetes
import Testing

/// Discovery as a real kube-apiserver (v1.28) served it (`Fixtures/`, bodies copied from
/// `../shared/k8s-api/discovery`): kinds to resources, scope from the server (issue 10).
@Suite(.timeLimit(.minutes(10))) struct ResourceIndexTests {
    static func fixture(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return Array(try Data(contentsOf: url))
    }

    @Test func aggregatedDiscoveryGivesEveryBuiltInKindItsResourceAndScope() throws {
        var index = ResourceIndex()
        try index.addAggregated(try Self.fixture("aggregated-api.json"))
        try index.addAggregated(try Self.fixture("aggregated-apis.json"))
        let deployment = try #require(index.resource(group: "apps", kind: "Deployment"))
        #expect(deployment == ResourceIndex.Resource(group: "apps", version: "v1", resource: "deployments", namespaced: true,
                                                     verbs: deployment.verbs))
        #expect(deployment.verbs.contains("patch"))
        #expect(deployment.path(namespace: "kube-system") == "/apis/apps/v1/namespaces/kube-system/deployments")
        let role = try #require(index.resource(group: "rbac.authorization.k8s.io", kind: "ClusterRole"))
        #expect(!role.namespaced && role.path(namespace: "ignored") == "/apis/rbac.authorization.k8s.io/v1/clusterroles")
        #expect(index.resource(group: "", kind: "ConfigMap")?.path(namespace: "a") == "/api/v1/namespaces/a/configmaps")
        #expect(index.resource(group: "", kind: "Namespace")?.namespaced == false)
        // The preferred version wins where a group serves several.
        #expect(index.resource(group: "autoscaling", kind: "HorizontalPodAutoscaler")?.version == "v2")
        #expect(index.resource(group: "apps.kruise.io", kind: "DaemonSet") == nil)
    }

    @Test func legacyResourceListsGiveTheSameAnswers() throws {
        var legacy = ResourceIndex(), aggregated = ResourceIndex()
        try legacy.addResourceList(try Self.fixture("api-v1.json"))
        try legacy.addResourceList(try Self.fixture("apis-apps-v1.json"))
        try aggregated.addAggregated(try Self.fixture("aggregated-api.json"))
        try aggregated.addAggregated(try Self.fixture("aggregated-apis.json"))
        for (group, kind) in [("", "Service"), ("", "Namespace"), ("", "ServiceAccount"), ("apps", "DaemonSet"), ("apps", "StatefulSet")] {
            let a = try #require(legacy.resource(group: group, kind: kind)), b = try #require(aggregated.resource(group: group, kind: kind))
            #expect(a.resource == b.resource && a.namespaced == b.namespaced && a.version == b.version, "\(kind)")
        }
        // Subresources are not kinds of their own.
        #expect(legacy.resource(group: "apps", kind: "Scale") == nil)
        #expect(throws: DiscoveryError.self) { try legacy.addAggregated(Array("{}".utf8)) }
    }
}
