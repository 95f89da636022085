import Foundation
@testable import SluiceKubernetes
import Testing

/// The kubeconfig as kubectl reads it: fields, relative paths, base64 data, exec plugins,
/// `KUBECONFIG` merging (first file wins), contexts, in-cluster config (issue 10).
@Suite(.timeLimit(.minutes(10))) struct KubeconfigTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-kube-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/certs", withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let full = """
        apiVersion: v1
        kind: Config
        current-context: prod-eu-1
        clusters:
        - name: eu
          cluster:
            server: https://eu.example.com:6443
            certificate-authority-data: \(Data("CA PEM".utf8).base64EncodedString())
            tls-server-name: api.eu
            proxy-url: http://proxy:3128
        - name: lab
          cluster:
            server: https://10.0.0.1
            certificate-authority: certs/ca.crt
            insecure-skip-tls-verify: true
        users:
        - name: admin
          user:
            client-certificate-data: \(Data("CERT".utf8).base64EncodedString())
            client-key: certs/admin.key
        - name: bot
          user:
            tokenFile: /var/run/token
        - name: cloud
          user:
            exec:
              apiVersion: client.authentication.k8s.io/v1
              command: gke-gcloud-auth-plugin
              args: [--verbose]
              env: [{name: REGION, value: eu}]
        contexts:
        - name: prod-eu-1
          context: {cluster: eu, user: cloud, namespace: kube-system}
        - name: lab
          context: {cluster: lab, user: admin}
        """

    @Test func everyFieldIsRead() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try KubeconfigLoader.read(try write("config", Self.full))
        #expect(config.currentContext == "prod-eu-1")
        let eu = try config.access(context: "prod-eu-1")
        #expect(eu.cluster.server == "https://eu.example.com:6443")
        #expect(eu.cluster.certificateAuthorityData == Array("CA PEM".utf8))
        #expect(eu.cluster.tlsServerName == "api.eu" && eu.cluster.proxyURL == "http://proxy:3128")
        #expect(eu.user.exec == Kubeconfig.ExecPlugin(apiVersion: "client.authentication.k8s.io/v1", command: "gke-gcloud-auth-plugin",
                                                      args: ["--verbose"], env: ["REGION": "eu"]))
        #expect(eu.namespace == "kube-system")
        let lab = try config.access(context: "lab")
        // Relative paths are against the kubeconfig's folder, as kubectl resolves them.
        #expect(lab.cluster.certificateAuthority == folder + "/certs/ca.crt")
        #expect(lab.cluster.insecureSkipTLSVerify)
        #expect(lab.user.clientKey == folder + "/certs/admin.key")
        #expect(lab.user.clientCertificateData == Array("CERT".utf8))
        #expect(config.users["bot"]?.tokenFile == "/var/run/token")
    }

    @Test func aMissingContextNamesTheKnownOnes() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try KubeconfigLoader.read(try write("config", Self.full))
        #expect(throws: KubeconfigError.contextNotFound("prod-eu-2", known: ["lab", "prod-eu-1"])) { try config.access(context: "prod-eu-2") }
    }

    @Test func kubeconfigListsMergeTheFirstFileWinning() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try write("a", """
            clusters: [{name: eu, cluster: {server: https://first}}]
            users: [{name: u, user: {token: one}}]
            contexts: [{name: c, context: {cluster: eu, user: u}}]
            """)
        let second = try write("b", """
            current-context: c
            clusters: [{name: eu, cluster: {server: https://second}}, {name: us, cluster: {server: https://us}}]
            users: [{name: u, user: {token: two}}]
            contexts: [{name: d, context: {cluster: us, user: u}}]
            """)
        let loader = KubeconfigLoader(environment: ["KUBECONFIG": "\(first):\(folder)/missing:\(second)"])
        let config = try loader.load()
        #expect(config.clusters["eu"]?.server == "https://first")
        #expect(config.clusters["us"]?.server == "https://us")
        #expect(config.users["u"]?.token == "one")
        #expect(config.currentContext == "c")
        #expect(Set(config.contexts.keys) == ["c", "d"])
        // --kubeconfig is read alone.
        #expect(try KubeconfigLoader(explicitPath: second, environment: ["KUBECONFIG": first]).load().clusters["eu"]?.server == "https://second")
    }

    @Test func badFilesAreTypedErrorsWithoutCredentials() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: KubeconfigError.self) { try KubeconfigLoader.read(folder + "/nope") }
        let bad = try write("bad", "users: [{name: u, user: {token: s3cr3t, client-key-data: '%%%'}}]\n")
        do {
            _ = try KubeconfigLoader.read(bad)
            Issue.record("invalid base64 was read")
        } catch {
            guard case .invalid = error else { Issue.record("\(error)"); return }
            #expect(!error.description.contains("s3cr3t"))
        }
        let plugin = try write("plugin", "users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: x}}}]\n")
        #expect(throws: KubeconfigError.self) { try KubeconfigLoader.read(plugin) }
        #expect(throws: KubeconfigError.noConfiguration) {
            try KubeconfigLoader(environment: ["HOME": folder + "/no-home"]).load()
        }
    }

    @Test func inAPodTheServiceAccountIsTheConfiguration() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let account = folder + "/sa"
        try FileManager.default.createDirectory(atPath: account, withIntermediateDirectories: true)
        try "token".write(toFile: account + "/token", atomically: true, encoding: .utf8)
        try "sluice-system\n".write(toFile: account + "/namespace", atomically: true, encoding: .utf8)
        var loader = KubeconfigLoader(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443", "HOME": folder])
        loader.serviceAccountFolder = account
        let access = try loader.load().access(context: InClusterConfig.context)
        #expect(access.cluster.server == "https://[fd00::1]:443")
        #expect(access.cluster.certificateAuthority == account + "/ca.crt")
        #expect(access.user.tokenFile == account + "/token")
        #expect(access.namespace == "sluice-system")
    }
}
