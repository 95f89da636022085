import Foundation
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import Synchronization
import Testing

/// Credentials from a resolved context: tokens, token files re-read, basic auth, and exec
/// plugins cached until their expiry and asked again after a 401 (issue 10).
@Suite(.timeLimit(.minutes(10))) struct ClientCredentialsTests {
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

    func script(_ name: String, _ body: String) throws -> Kubeconfig.ExecPlugin {
        let path = folder + "/" + name
        try ChildProcess.writeExecutable(Array("#!/bin/sh\n\(body)\n".utf8), to: path)
        return Kubeconfig.ExecPlugin(apiVersion: "client.authentication.k8s.io/v1", command: path)
    }

    func kind(_ body: () async throws(KubeconfigError) -> Void) async -> KubeconfigError? {
        do { try await body(); return nil } catch { return error }
    }

    /// A plugin that hangs is killed at its timeout, and that is worth trying again (the
    /// cluster is unreachable for now, not refused).
    @Test func aHangingPluginTimesOut() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let plugin = try script("hang.sh", "exec sleep 600")
        let error = await kind { () async throws(KubeconfigError) in
            _ = try await ExecPluginRunner.run(plugin, cluster: Kubeconfig.ClusterEntry(server: "https://x"), environment: [:], timeout: 0.5)
        }
        guard case .pluginUnfinished? = error else { Issue.record("not a timeout: \(String(describing: error))"); return }
        #expect(error?.isTransient == true)
    }

    /// A plugin that floods standard error and fails, or prints megabytes, does not deadlock
    /// or exhaust Sluice: a typed error, with only the start of standard error quoted.
    @Test func aFloodingPluginIsBoundedAndRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let noisy = try script("noisy.sh", "yes failure | head -c 30000000 >&2; exit 1")
        let failed = await kind { () async throws(KubeconfigError) in
            _ = try await ExecPluginRunner.run(noisy, cluster: Kubeconfig.ClusterEntry(server: "https://x"), environment: ["PATH": "/usr/bin:/bin"])
        }
        guard case .invalid(_, let reason)? = failed else { Issue.record("not refused: \(String(describing: failed))"); return }
        #expect(reason.count < 400)
        let chatty = try script("chatty.sh", "yes token | head -c 30000000; exit 0")
        let big = await kind { () async throws(KubeconfigError) in
            _ = try await ExecPluginRunner.run(chatty, cluster: Kubeconfig.ClusterEntry(server: "https://x"), environment: ["PATH": "/usr/bin:/bin"])
        }
        guard case .invalid? = big else { Issue.record("not refused: \(String(describing: big))"); return }
    }

    /// A token with a line break would add HTTP headers of its own: refused, from any source,
    /// and the token is never quoted.
    @Test func aTokenWithALineBreakIsRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var user = Kubeconfig.UserEntry()
        user.token = "abc\r\nX-Injected: yes"
        let inline = await kind { () async throws(KubeconfigError) in _ = try await ClientCredentials(access: access(user)).authorization() }
        guard case .invalid(_, let reason)? = inline else { Issue.record("not refused: \(String(describing: inline))"); return }
        #expect(!reason.contains("Injected"))
        user.token = nil
        user.tokenFile = folder + "/token"
        try "abc\nX-Injected: yes\n".write(toFile: folder + "/token", atomically: true, encoding: .utf8)
        guard case .invalid? = await kind({ () async throws(KubeconfigError) in _ = try await ClientCredentials(access: access(user)).authorization() }) else {
            Issue.record("a token file with a line break was not refused")
            return
        }
    }

    /// A certificate file of 2 MiB (and a kubeconfig of 17 MiB) is refused, not read whole.
    @Test func oversizedFilesAreRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let big = folder + "/big.crt"
        FileManager.default.createFile(atPath: big, contents: Data(count: 2 << 20))
        var user = Kubeconfig.UserEntry()
        user.clientCertificate = big
        user.clientKey = big
        guard case .invalid? = await kind({ () async throws(KubeconfigError) in _ = try await ClientCredentials(access: access(user)).tls() }) else {
            Issue.record("a 2 MiB certificate was not refused")
            return
        }
        let config = folder + "/config"
        FileManager.default.createFile(atPath: config, contents: Data(count: 17 << 20))
        #expect(throws: KubeconfigError.self) { _ = try KubeconfigLoader.read(config) }
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
