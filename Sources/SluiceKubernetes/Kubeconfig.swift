import Foundation
import SluiceModel

/// A kubeconfig as kubectl reads it: named clusters, users and contexts, and the current
/// context. File paths inside it (`certificate-authority`, `client-key`, `tokenFile`) are made
/// absolute against the folder of the file that names them, as kubectl does; `*-data` fields
/// are decoded from base64 when read. Credentials come only from here (the machine Sluice runs
/// on), never from the fleet repo.
public struct Kubeconfig: Sendable, Equatable {
    public struct ClusterEntry: Sendable, Equatable {
        public var server: String
        public var certificateAuthority: String?
        public var certificateAuthorityData: [UInt8]?
        public var insecureSkipTLSVerify = false
        public var tlsServerName: String?
        public var proxyURL: String?
    }

    /// A client-go credential plugin (`client.authentication.k8s.io/v1` or `v1beta1`).
    public struct ExecPlugin: Sendable, Equatable {
        public var apiVersion: String
        public var command: String
        public var args: [String] = []
        public var env: [String: String] = [:]
    }

    public struct UserEntry: Sendable, Equatable {
        public var clientCertificate: String?
        public var clientCertificateData: [UInt8]?
        public var clientKey: String?
        public var clientKeyData: [UInt8]?
        public var token: String?
        public var tokenFile: String?
        public var username: String?
        public var password: String?
        public var exec: ExecPlugin?

        public init() {}
    }

    public struct ContextEntry: Sendable, Equatable {
        public var cluster: String
        public var user: String
        public var namespace: String?

        public init(cluster: String, user: String, namespace: String? = nil) {
            self.cluster = cluster
            self.user = user
            self.namespace = namespace
        }
    }

    public var clusters: [String: ClusterEntry] = [:]
    public var users: [String: UserEntry] = [:]
    public var contexts: [String: ContextEntry] = [:]
    public var currentContext: String?

    public init() {}

    /// Several files merged as kubectl merges `KUBECONFIG`: for every named cluster, user and
    /// context, and for the current context, the first file that sets it wins.
    public static func merged(_ configs: [Kubeconfig]) -> Kubeconfig {
        var merged = Kubeconfig()
        for config in configs {
            merged.clusters.merge(config.clusters) { first, _ in first }
            merged.users.merge(config.users) { first, _ in first }
            merged.contexts.merge(config.contexts) { first, _ in first }
            if merged.currentContext?.isEmpty ?? true { merged.currentContext = config.currentContext }
        }
        return merged
    }

    /// What connecting through `context` takes; an error names what is missing.
    public func access(context name: String) throws(KubeconfigError) -> ClusterAccess {
        guard let context = contexts[name] else { throw .contextNotFound(name, known: contexts.keys.sorted()) }
        guard let cluster = clusters[context.cluster] else { throw .clusterNotFound(context.cluster, context: name) }
        guard let user = users[context.user] else { throw .userNotFound(context.user, context: name) }
        return ClusterAccess(context: name, cluster: cluster, user: user, namespace: context.namespace)
    }
}

extension Kubeconfig.ClusterEntry {
    public init(server: String) {
        self.init(server: server, certificateAuthority: nil)
    }
}

/// A context resolved: the cluster to reach and who to be there.
public struct ClusterAccess: Sendable, Equatable {
    public var context: String
    public var cluster: Kubeconfig.ClusterEntry
    public var user: Kubeconfig.UserEntry
    public var namespace: String?

    public init(context: String, cluster: Kubeconfig.ClusterEntry, user: Kubeconfig.UserEntry, namespace: String?) {
        self.context = context
        self.cluster = cluster
        self.user = user
        self.namespace = namespace
    }
}

/// Why a kubeconfig cannot be used; none of them carries a credential.
public enum KubeconfigError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)
    case contextNotFound(String, known: [String])
    case clusterNotFound(String, context: String)
    case userNotFound(String, context: String)
    /// Neither a kubeconfig nor the in-cluster service account was found.
    case noConfiguration
    /// A credential plugin did not finish (its timeout, or sluice stopping): worth trying again.
    case pluginUnfinished(path: String, reason: String)

    /// Worth trying again as it is; the others need an operator.
    public var isTransient: Bool {
        if case .pluginUnfinished = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "kubeconfig \(path) cannot be read: \(reason)"
        case .invalid(let path, let reason): return "kubeconfig \(path): \(reason)"
        case .contextNotFound(let name, let known):
            return "no context \"\(name)\" in the kubeconfig\(Suggestion.hint(for: name, in: known))"
                + (known.isEmpty ? " (it has no contexts)" : "; it has \(known.joined(separator: ", "))")
        case .clusterNotFound(let cluster, let context): return "context \"\(context)\" names cluster \"\(cluster)\", which the kubeconfig does not have"
        case .userNotFound(let user, let context): return "context \"\(context)\" names user \"\(user)\", which the kubeconfig does not have"
        case .pluginUnfinished(let path, let reason): return "credential plugin \(path): \(reason)"
        case .noConfiguration:
            return "no kubeconfig: pass --kubeconfig PATH, set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account"
        }
    }
}
