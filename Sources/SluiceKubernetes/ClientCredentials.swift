import Foundation
import SluiceCore
import SluiceDrivers

/// What a request to one API server is sent with: TLS settings and an `Authorization`
/// header, from a resolved kubeconfig context. A token file is read for every use (a
/// service-account token rotates); an exec plugin runs once and its credential is kept until
/// its `expirationTimestamp`, or until the server answers 401 (`invalidate`).
public actor ClientCredentials {
    public let access: ClusterAccess
    private let environment: [String: String]
    private let now: @Sendable () -> Date
    private var cached: ExecCredential?
    /// The plugin run under way, shared by requests that need a credential meanwhile.
    private var running: Task<ExecCredential, any Error>?

    /// A credential plugin's answer (`ExecCredential.status`).
    struct ExecCredential {
        var token: String?
        var clientCertificate: [UInt8]?
        var clientKey: [UInt8]?
        var expires: Date?
    }

    public init(access: ClusterAccess, environment: [String: String] = ProcessInfo.processInfo.environment,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.access = access
        self.environment = environment
        self.now = now
    }

    /// TLS for the cluster: its CA and the user's client certificate, from data or files.
    public func tls() async throws(KubeconfigError) -> TLSSettings {
        func data(_ inline: [UInt8]?, _ path: String?) throws(KubeconfigError) -> [UInt8]? {
            if let inline { return inline }
            guard let path else { return nil }
            return try Self.read(path)
        }
        var tls = TLSSettings()
        tls.certificateAuthority = try data(access.cluster.certificateAuthorityData, access.cluster.certificateAuthority)
        tls.insecureSkipVerify = access.cluster.insecureSkipTLSVerify
        tls.proxyURL = access.cluster.proxyURL
        tls.clientCertificate = try data(access.user.clientCertificateData, access.user.clientCertificate)
        tls.clientKey = try data(access.user.clientKeyData, access.user.clientKey)
        if access.user.exec != nil, let credential = try await execCredential(), credential.clientCertificate != nil {
            tls.clientCertificate = credential.clientCertificate
            tls.clientKey = credential.clientKey
        }
        return tls
    }

    /// The `Authorization` header value, or nil when the user authenticates by certificate.
    public func authorization() async throws(KubeconfigError) -> String? {
        let user = access.user
        if let token = user.token, !token.isEmpty { return try Self.bearer(token, from: "the kubeconfig's token") }
        if let file = user.tokenFile {
            let token = String(decoding: try Self.read(file), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return try Self.bearer(token, from: file)
        }
        if let username = user.username, let password = user.password {
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        }
        if let plugin = user.exec, let token = try await execCredential()?.token { return try Self.bearer(token, from: plugin.command) }
        return nil
    }

    /// A token goes into an HTTP header: one with a line break or another control character
    /// would add headers of its own, so it is refused (the token itself is never quoted).
    static func bearer(_ token: String, from source: String) throws(KubeconfigError) -> String {
        guard !token.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw .invalid(path: source, reason: "the token holds a line break or another control character")
        }
        return "Bearer \(token)"
    }

    /// The server said 401: the plugin's credential is asked for again on the next request.
    public func invalidate() { cached = nil }

    private func execCredential() async throws(KubeconfigError) -> ExecCredential? {
        guard let plugin = access.user.exec else { return nil }
        if let cached, cached.expires.map({ $0 > now() }) ?? true { return cached }
        let task: Task<ExecCredential, any Error>
        if let running { task = running } else {
            let cluster = access.cluster, environment = self.environment
            task = Task { try await ExecPluginRunner.run(plugin, cluster: cluster, environment: environment) }
            running = task
        }
        defer { running = nil }
        do {
            let credential = try await task.value
            cached = credential
            return credential
        } catch {
            throw error as? KubeconfigError ?? .unreadable(path: plugin.command, reason: "\(error)")
        }
    }

    private static func read(_ path: String) throws(KubeconfigError) -> [UInt8] {
        try BoundedFile.read(path, limit: BoundedFile.credentialLimit)
    }
}

/// Runs a client-go credential plugin and reads the `ExecCredential` it prints: as a
/// `ChildProcess` (its own process group, killed whole at the timeout, output bounded), so
/// a plugin that hangs, floods its output or forks cannot wedge an environment or shutdown.
enum ExecPluginRunner {
    /// client-go waits as long as a plugin takes; an unattended controller cannot.
    static let timeoutSeconds = 60.0
    /// An ExecCredential is a few KiB (a certificate and key at most).
    static let maxOutput = 1 << 20

    static func run(_ plugin: Kubeconfig.ExecPlugin, cluster: Kubeconfig.ClusterEntry, environment: [String: String],
                    timeout: Double = timeoutSeconds) async throws(KubeconfigError) -> ClientCredentials.ExecCredential {
        let command = plugin.command
        let executable = command.contains("/") ? command : "/usr/bin/env"
        let arguments = command.contains("/") ? plugin.args : [command] + plugin.args
        var env = environment
        for (key, value) in plugin.env { env[key] = value }
        // What the plugin may need to know about the request (client-go passes the same).
        let info: [String: Any] = ["apiVersion": plugin.apiVersion, "kind": "ExecCredential",
                                   "spec": ["interactive": false, "cluster": ["server": cluster.server]]]
        env["KUBERNETES_EXEC_INFO"] = (try? JSONSerialization.data(withJSONObject: info)).map { String(decoding: $0, as: UTF8.self) }
        let output: ChildProcess.Output
        do {
            output = try await ChildProcess.run(executable, arguments, environment: env, timeout: timeout, maxOutput: maxOutput)
        } catch {
            throw .unreadable(path: command, reason: "the credential plugin cannot be started: \(error)")
        }
        switch output.status {
        case .exited(0): break
        case .timedOut: throw .pluginUnfinished(path: command, reason: "did not finish within \(timeout.formatted())s and was killed")
        case .stopped: throw .pluginUnfinished(path: command, reason: "stopped: sluice is shutting down")
        case .exited(let code), .signaled(let code):
            // Its standard error, not its output (which may hold a partial credential).
            let why = String(decoding: output.stderr.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            let how = output.status == .exited(code) ? "exited \(code)" : "was killed by signal \(code)"
            throw .invalid(path: command, reason: "the credential plugin \(how)\(why.isEmpty ? "" : ": \(why)")")
        }
        guard !output.truncated || output.stdout.count < maxOutput else {
            throw .invalid(path: command, reason: "the credential plugin printed more than \(maxOutput >> 20) MiB")
        }
        let data = Data(output.stdout)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["kind"] as? String == "ExecCredential", let status = object["status"] as? [String: Any] else {
            throw .invalid(path: command, reason: "the credential plugin did not print an ExecCredential")
        }
        var credential = ClientCredentials.ExecCredential()
        credential.token = status["token"] as? String
        credential.clientCertificate = (status["clientCertificateData"] as? String).map { Array($0.utf8) }
        credential.clientKey = (status["clientKeyData"] as? String).map { Array($0.utf8) }
        if let expiry = status["expirationTimestamp"] as? String {
            guard let date = ISO8601DateFormatter().date(from: expiry) else {
                throw .invalid(path: command, reason: "the credential's expirationTimestamp \(expiry) is not RFC 3339")
            }
            credential.expires = date
        }
        guard credential.token != nil || (credential.clientCertificate != nil && credential.clientKey != nil) else {
            throw .invalid(path: command, reason: "the ExecCredential has neither a token nor a client certificate and key")
        }
        return credential
    }
}
