import Foundation
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceTestSupport
import Testing

/// From a kubeconfig file on disk to requests the API test server accepts (issue 10): TLS
/// with the CA and a client certificate, tls-server-name, an exec credential plugin; and a
/// context that does not exist named with its cluster file.
@Suite(.timeLimit(.minutes(10))) struct KubeconfigConnectionsTests {
    func connections(_ yaml: String, folder: String) throws -> KubeconfigConnections {
        let path = folder + "/kubeconfig"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return KubeconfigConnections(loader: KubeconfigLoader(explicitPath: path, environment: [:]), clock: VirtualClock())
    }

    static let configMap = ObjectKey(group: "", kind: "ConfigMap", namespace: "default", name: "probe")

    @Test func aClientCertificateOverTLSIsAccepted() async throws {
        let server = try KubeAPITestServer(tls: true, tokens: [])
        let certificates = try #require(server.certificates)
        let connections = try connections("""
            apiVersion: v1
            kind: Config
            clusters:
            - name: test
              cluster: {server: "\(server.url)", certificate-authority: ca.crt}
            users:
            - name: cert
              user: {client-certificate: client.crt, client-key: client.key}
            - name: none
              user: {}
            contexts:
            - {name: prod-eu-1, context: {cluster: test, user: cert}}
            - {name: anonymous, context: {cluster: test, user: none}}
            """, folder: certificates.folder)
        let driver = try await connections.open(cluster: "prod-eu-1", file: "clusters/prod-eu-1.yaml", context: "prod-eu-1")
        #expect(try await driver.get(Self.configMap) == nil)
        // Without a certificate or token the server says 401: refused, not unreachable.
        let anonymous = try await connections.open(cluster: "prod-eu-1", file: "clusters/prod-eu-1.yaml", context: "anonymous")
        await #expect(throws: DriverError.self) { try await anonymous.get(Self.configMap) }
        do { _ = try await anonymous.get(Self.configMap) } catch {
            guard case .refused = error else { Issue.record("\(error)"); return }
        }
    }

    @Test func tlsServerNameIsTheNameTheCertificateIsCheckedAgainst() async throws {
        let server = try KubeAPITestServer(tls: true)
        let certificates = try #require(server.certificates)
        // The server's certificate names 127.0.0.1 and kube.test; reached as localhost it
        // verifies only because tls-server-name says which name to check.
        let url = server.url.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let connections = try connections("""
            apiVersion: v1
            kind: Config
            clusters:
            - {name: named, cluster: {server: "\(url)", certificate-authority: ca.crt, tls-server-name: kube.test}}
            - {name: unnamed, cluster: {server: "\(url)", certificate-authority: ca.crt}}
            users:
            - {name: token, user: {token: \(KubeAPITestServer.token)}}
            contexts:
            - {name: named, context: {cluster: named, user: token}}
            - {name: unnamed, context: {cluster: unnamed, user: token}}
            """, folder: certificates.folder)
        let named = try await connections.open(cluster: "c", file: "clusters/c.yaml", context: "named")
        #expect(try await named.get(Self.configMap) == nil)
        let unnamed = try await connections.open(cluster: "c", file: "clusters/c.yaml", context: "unnamed")
        do {
            _ = try await unnamed.get(Self.configMap)
            Issue.record("a certificate for another name was accepted")
        } catch {
            #expect(!error.isTransient)
        }
    }

    @Test func anExecPluginsTokenIsSentAndATokenNeverShowsInAnError() async throws {
        let server = try KubeAPITestServer(tokens: ["from-plugin"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            #!/bin/sh
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'
            """.write(toFile: folder + "/plugin", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder + "/plugin")
        let connections = try connections("""
            apiVersion: v1
            kind: Config
            clusters:
            - {name: test, cluster: {server: "\(server.url)"}}
            users:
            - name: exec
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1, command: "\(folder)/plugin"}
            - {name: stale, user: {token: secret-token-value}}
            contexts:
            - {name: exec, context: {cluster: test, user: exec}}
            - {name: stale, context: {cluster: test, user: stale}}
            """, folder: folder)
        let driver = try await connections.open(cluster: "c", file: "clusters/c.yaml", context: "exec")
        let (key, object) = KubernetesClusterTests.configMap("via-plugin")
        _ = try await driver.create(object, key: key)
        let stale = try await connections.open(cluster: "c", file: "clusters/c.yaml", context: "stale")
        do {
            _ = try await stale.get(key)
            Issue.record("a wrong token was accepted")
        } catch {
            #expect(!error.description.contains("secret-token-value"))
        }
    }

    @Test func aMissingContextNamesTheClusterFileAndTheContext() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ctx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connections = try connections("""
            apiVersion: v1
            kind: Config
            clusters: [{name: test, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: prod-eu-1, context: {cluster: test, user: u}}]
            """, folder: folder)
        do {
            _ = try await connections.open(cluster: "prod-eu-2", file: "clusters/prod-eu-2.yaml", context: "prod-eu-2")
            Issue.record("a missing context was opened")
        } catch {
            guard case .refused(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.hasPrefix("clusters/prod-eu-2.yaml: cluster \"prod-eu-2\", context \"prod-eu-2\"") && why.contains("prod-eu-1"))
        }
        // A kubeconfig that cannot be read at all is refused the same way.
        let unreadable = KubeconfigConnections(loader: KubeconfigLoader(explicitPath: folder + "/nope", environment: [:]), clock: VirtualClock())
        await #expect(throws: DriverError.self) {
            try await unreadable.open(cluster: "a", file: "clusters/a.yaml", context: "a")
        }
    }
}
