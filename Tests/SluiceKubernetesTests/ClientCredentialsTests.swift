import Foundation
@testable import SluiceKubernetes
import Synchronization
import Testing

/// Credentials from a resolved context: tokens, token files re-read, basic auth, and exec
/// plugins cached until their expiry and asked again after a 401 (issue 10).
@Suite struct ClientCredentialsTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cred-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func access(_ user: Kubeconfig.UserEntry) -> ClusterAccess {
        ClusterAccess(context: "c", cluster: Kubeconfig.ClusterEntry(server: "https://127.0.0.1:6443"), user: user, namespace: nil)
    }

    /// A plugin that counts its runs in a file and prints a token expiring at `expiry`.
    func plugin(expiry: String?) throws -> Kubeconfig.ExecPlugin {
        let script = folder + "/plugin.sh"
        let expires = expiry.map { #","expirationTimestamp":"\#($0)""# } ?? ""
        try """
            #!/bin/sh
            n=$(cat "\(folder)/runs" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "\(folder)/runs"
            [ -n "$KUBERNETES_EXEC_INFO" ] || exit 3
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s"%s}}' "$n" '\(expires)'
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        return Kubeconfig.ExecPlugin(apiVersion: "client.authentication.k8s.io/v1", command: script)
    }

    @Test func tokensTokenFilesAndBasicAuth() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var user = Kubeconfig.UserEntry()
        user.token = "abc"
        #expect(try await ClientCredentials(access: access(user)).authorization() == "Bearer abc")
        user.token = nil
        user.tokenFile = folder + "/token"
        try "first\n".write(toFile: folder + "/token", atomically: true, encoding: .utf8)
        let rotating = ClientCredentials(access: access(user))
        #expect(try await rotating.authorization() == "Bearer first")
        try "second\n".write(toFile: folder + "/token", atomically: true, encoding: .utf8)
        #expect(try await rotating.authorization() == "Bearer second")
        var basic = Kubeconfig.UserEntry()
        basic.username = "admin"
        basic.password = "pw"
        #expect(try await ClientCredentials(access: access(basic)).authorization() == "Basic YWRtaW46cHc=")
    }

    @Test func anExecCredentialIsKeptUntilItExpiresOrTheServerRefusesIt() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var user = Kubeconfig.UserEntry()
        user.exec = try plugin(expiry: "2030-01-01T00:00:00Z")
        let clock = Mutex(Date(timeIntervalSince1970: 1_800_000_000))  // 2027
        let credentials = ClientCredentials(access: access(user), now: { clock.withLock { $0 } })
        #expect(try await credentials.authorization() == "Bearer tok-1")
        #expect(try await credentials.authorization() == "Bearer tok-1")
        await credentials.invalidate()  // a 401
        #expect(try await credentials.authorization() == "Bearer tok-2")
        clock.withLock { $0 = Date(timeIntervalSince1970: 1_900_000_000) }  // 2030-03: expired
        #expect(try await credentials.authorization() == "Bearer tok-3")
    }

    @Test func aFailingPluginIsATypedError() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var user = Kubeconfig.UserEntry()
        user.exec = Kubeconfig.ExecPlugin(apiVersion: "client.authentication.k8s.io/v1", command: "/bin/false")
        await #expect(throws: KubeconfigError.self) { try await ClientCredentials(access: access(user)).authorization() }
        user.exec = Kubeconfig.ExecPlugin(apiVersion: "client.authentication.k8s.io/v1", command: "/bin/echo", args: ["not json"])
        await #expect(throws: KubeconfigError.self) { try await ClientCredentials(access: access(user)).authorization() }
    }
}
