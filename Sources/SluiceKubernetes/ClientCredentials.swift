import Foundation

/// What a request to one API server is sent with: TLS settings and an `Authorization`
/// header, from a resolved kubeconfig context. A token file is read for every use (a
/// service-account token rotates); an exec plugin runs once and its credential is kept until
/// its `expirationTimestamp`, or until the server answers 401 (`invalidate`).
public actor ClientCredentials {
    public let access: ClusterAccess
    private let environment: [String: String]
    private let now: @Sendable () -> Date
    private var cached: ExecCredential?

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
    public func tls() throws(KubeconfigError) -> TLSSettings {
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
        if access.user.exec != nil, let credential = try execCredential(), credential.clientCertificate != nil {
            tls.clientCertificate = credential.clientCertificate
            tls.clientKey = credential.clientKey
        }
        return tls
    }

    /// The `Authorization` header value, or nil when the user authenticates by certificate.
    public func authorization() throws(KubeconfigError) -> String? {
        let user = access.user
        if let token = user.token, !token.isEmpty { return "Bearer \(token)" }
        if let file = user.tokenFile {
            let token = String(decoding: try Self.read(file), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return "Bearer \(token)"
        }
        if let username = user.username, let password = user.password {
            return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
        }
        if user.exec != nil, let token = try execCredential()?.token { return "Bearer \(token)" }
        return nil
    }

    /// The server said 401: the plugin's credential is asked for again on the next request.
    public func invalidate() { cached = nil }

    private func execCredential() throws(KubeconfigError) -> ExecCredential? {
        guard let plugin = access.user.exec else { return nil }
        if let cached, cached.expires.map({ $0 > now() }) ?? true { return cached }
        let credential = try ExecPluginRunner.run(plugin, cluster: access.cluster, environment: environment)
        cached = credential
        return credential
    }

    private static func read(_ path: String) throws(KubeconfigError) -> [UInt8] {
        do { return Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// Runs a client-go credential plugin and reads the `ExecCredential` it prints.
enum ExecPluginRunner {
    static func run(_ plugin: Kubeconfig.ExecPlugin, cluster: Kubeconfig.ClusterEntry,
                    environment: [String: String]) throws(KubeconfigError) -> ClientCredentials.ExecCredential {
        let process = Process()
        let command = plugin.command
        if command.contains("/") {
            process.executableURL = URL(fileURLWithPath: command)
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        }
        process.arguments = command.contains("/") ? plugin.args : [command] + plugin.args
        var env = environment
        for (key, value) in plugin.env { env[key] = value }
        // What the plugin may need to know about the request (client-go passes the same).
        let info: [String: Any] = ["apiVersion": plugin.apiVersion, "kind": "ExecCredential",
                                   "spec": ["interactive": false, "cluster": ["server": cluster.server]]]
        env["KUBERNETES_EXEC_INFO"] = (try? JSONSerialization.data(withJSONObject: info)).map { String(decoding: $0, as: UTF8.self) }
        process.environment = env
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .unreadable(path: command, reason: "the credential plugin cannot be started: \((error as NSError).localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let failure = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            // Its standard error, not its output (which may hold a partial credential).
            let why = String(decoding: failure.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .invalid(path: command, reason: "the credential plugin exited \(process.terminationStatus)\(why.isEmpty ? "" : ": \(why)")")
        }
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
