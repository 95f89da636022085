import Foundation
import SluiceModel
import SluiceYAML

/// Finds and reads the kubeconfig as kubectl does: `--kubeconfig PATH` alone; else every file
/// of `KUBECONFIG` (`:`-separated; missing ones skipped), merged; else `~/.kube/config`; else,
/// in a pod, the service account's token and CA (`InClusterConfig`).
public struct KubeconfigLoader: Sendable {
    public var explicitPath: String?
    public var environment: [String: String]
    /// Where the service account is mounted (a test points it elsewhere).
    public var serviceAccountFolder = "/var/run/secrets/kubernetes.io/serviceaccount"

    public init(explicitPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.explicitPath = explicitPath
        self.environment = environment
    }

    public func load() throws(KubeconfigError) -> Kubeconfig {
        if let explicitPath { return try Self.read(explicitPath) }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            let present = paths.filter { FileManager.default.fileExists(atPath: $0) }
            if !present.isEmpty {
                var configs: [Kubeconfig] = []
                for path in present { configs.append(try Self.read(path)) }
                return Kubeconfig.merged(configs)
            }
        }
        if let home = environment["HOME"], FileManager.default.fileExists(atPath: home + "/.kube/config") {
            return try Self.read(home + "/.kube/config")
        }
        if let inCluster = try InClusterConfig.load(environment: environment, folder: serviceAccountFolder) { return inCluster }
        throw .noConfiguration
    }

    /// One kubeconfig file.
    public static func read(_ path: String) throws(KubeconfigError) -> Kubeconfig {
        let data = try BoundedFile.read(path, limit: BoundedFile.kubeconfigLimit)
        let documents: [(value: Value, mark: Mark)]
        do { documents = try YAMLParser().parseValues(data, file: path) } catch {
            throw .invalid(path: path, reason: (error.mark.map { "\($0.line):\($0.column): " } ?? "") + error.message)
        }
        guard let root = documents.first?.value.mapValue else {
            if documents.isEmpty { return Kubeconfig() }
            throw .invalid(path: path, reason: "not a mapping")
        }
        return try KubeconfigReader(path: path).config(root)
    }
}

/// Turns one file's parsed YAML into a `Kubeconfig`.
struct KubeconfigReader {
    let path: String
    var folder: String { (path as NSString).deletingLastPathComponent }

    func config(_ root: [String: Value]) throws(KubeconfigError) -> Kubeconfig {
        var config = Kubeconfig()
        config.currentContext = root["current-context"]?.stringValue
        for (name, entry) in try named(root["clusters"], "cluster") {
            guard let server = entry["server"]?.stringValue, !server.isEmpty else { throw invalid("cluster \"\(name)\" has no server") }
            config.clusters[name] = Kubeconfig.ClusterEntry(
                server: server, certificateAuthority: file(entry["certificate-authority"]),
                certificateAuthorityData: try base64(entry["certificate-authority-data"], "certificate-authority-data of cluster \"\(name)\""),
                insecureSkipTLSVerify: entry["insecure-skip-tls-verify"] == .bool(true),
                tlsServerName: entry["tls-server-name"]?.stringValue, proxyURL: entry["proxy-url"]?.stringValue)
        }
        for (name, entry) in try named(root["users"], "user") {
            var user = Kubeconfig.UserEntry()
            user.clientCertificate = file(entry["client-certificate"])
            user.clientCertificateData = try base64(entry["client-certificate-data"], "client-certificate-data of user \"\(name)\"")
            user.clientKey = file(entry["client-key"])
            user.clientKeyData = try base64(entry["client-key-data"], "client-key-data of user \"\(name)\"")
            user.token = entry["token"]?.stringValue
            user.tokenFile = file(entry["tokenFile"])
            user.username = entry["username"]?.stringValue
            user.password = entry["password"]?.stringValue
            if let exec = entry["exec"]?.mapValue {
                guard let command = exec["command"]?.stringValue, !command.isEmpty else { throw invalid("the exec plugin of user \"\(name)\" has no command") }
                let apiVersion = exec["apiVersion"]?.stringValue ?? ""
                guard ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"].contains(apiVersion) else {
                    throw invalid("the exec plugin of user \"\(name)\" has apiVersion \"\(apiVersion)\"; client.authentication.k8s.io/v1 or v1beta1 is supported")
                }
                var plugin = Kubeconfig.ExecPlugin(apiVersion: apiVersion, command: command)
                plugin.args = (exec["args"]?.listValue ?? []).compactMap(\.stringValue)
                for variable in exec["env"]?.listValue ?? [] {
                    if let key = variable.at("name")?.stringValue { plugin.env[key] = variable.at("value")?.stringValue ?? "" }
                }
                user.exec = plugin
            }
            config.users[name] = user
        }
        for (name, entry) in try named(root["contexts"], "context") {
            guard let cluster = entry["cluster"]?.stringValue, let user = entry["user"]?.stringValue else {
                throw invalid("context \"\(name)\" needs a cluster and a user")
            }
            config.contexts[name] = Kubeconfig.ContextEntry(cluster: cluster, user: user, namespace: entry["namespace"]?.stringValue)
        }
        return config
    }

    private func invalid(_ reason: String) -> KubeconfigError { .invalid(path: path, reason: reason) }

    /// `[{name: x, cluster: {...}}]` as name -> the inner map; the first of a name wins.
    private func named(_ list: Value?, _ field: String) throws(KubeconfigError) -> [(String, [String: Value])] {
        var seen = Set<String>(), result: [(String, [String: Value])] = []
        for item in list?.listValue ?? [] {
            guard let name = item.at("name")?.stringValue, let inner = item.at(field)?.mapValue else {
                throw invalid("every entry of \(field)s needs a name and a \(field)")
            }
            if seen.insert(name).inserted { result.append((name, inner)) }
        }
        return result
    }

    /// A path, absolute against this file's folder.
    private func file(_ value: Value?) -> String? {
        guard let path = value?.stringValue, !path.isEmpty else { return nil }
        return path.hasPrefix("/") ? path : folder + "/" + path
    }

    private func base64(_ value: Value?, _ what: String) throws(KubeconfigError) -> [UInt8]? {
        guard let text = value?.stringValue else { return nil }
        guard let data = Data(base64Encoded: text.filter { !$0.isWhitespace }) else { throw invalid("\(what) is not valid base64") }
        guard data.count <= BoundedFile.credentialLimit else { throw invalid("\(what) is larger than \(BoundedFile.credentialLimit >> 20) MiB") }
        return Array(data)
    }
}

/// The configuration of a pod's service account: the API server from the environment, the
/// token and CA from the mounted secret (the token file is read again when it rotates).
public enum InClusterConfig {
    public static let context = "in-cluster"

    /// Nil when not in a pod (no `KUBERNETES_SERVICE_HOST` or no token).
    public static func load(environment: [String: String], folder: String) throws(KubeconfigError) -> Kubeconfig? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              FileManager.default.fileExists(atPath: folder + "/token") else { return nil }
        let port = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "443"
        // An IPv6 address goes in brackets in a URL.
        let server = "https://" + (host.contains(":") ? "[\(host)]" : host) + ":" + port
        var config = Kubeconfig()
        config.clusters[context] = Kubeconfig.ClusterEntry(server: server, certificateAuthority: folder + "/ca.crt")
        var user = Kubeconfig.UserEntry()
        user.tokenFile = folder + "/token"
        config.users[context] = user
        let namespace = try? String(contentsOfFile: folder + "/namespace", encoding: .utf8)
        config.contexts[context] = Kubeconfig.ContextEntry(cluster: context, user: context,
                                                           namespace: namespace?.trimmingCharacters(in: .whitespacesAndNewlines))
        config.currentContext = context
        return config
    }
}
