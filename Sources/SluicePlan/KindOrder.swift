import SluiceModel

/// The order objects are applied in within an add-on: Helm's install order (a Namespace
/// before what lives in it, a ServiceAccount and ConfigMap before the workload that mounts
/// them, webhooks last so they cannot reject their own add-on's objects); kinds it does not
/// name go last, each group in template order. Prunes go in the reverse order.
public enum KindOrder {
    static let install: [String] = [
        "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy", "PodDisruptionBudget",
        "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
        "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
        "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
        "ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
        "IngressClass", "Ingress", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    ]
    private static let rank = Dictionary(uniqueKeysWithValues: install.enumerated().map { ($1, $0) })

    static func rank(of kind: String) -> Int { rank[kind] ?? install.count }

    /// Stable: objects of one kind keep their template order.
    public static func forInstall<T>(_ items: [T], kind: (T) -> String) -> [T] {
        items.enumerated().sorted { a, b in
            let x = rank(of: kind(a.element)), y = rank(of: kind(b.element))
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
    }

    /// Kinds in reverse install order (a Namespace last); within a kind, by key.
    static func forPrune(_ keys: [ObjectKey]) -> [ObjectKey] {
        keys.sorted { a, b in
            let x = rank(of: a.kind), y = rank(of: b.kind)
            return x != y ? x > y : a < b
        }
    }
}
