import CGit2

/// How to authenticate to a remote. Secrets are never put into error messages.
public enum GitCredentials: Sendable {
    case none
    /// HTTPS basic auth; for tokens use the token as password.
    case userPassword(user: String, password: String)
    /// An SSH key pair on disk, with an optional passphrase.
    case sshKey(user: String, publicKeyPath: String?, privateKeyPath: String, passphrase: String?)
    /// Keys held by the running ssh-agent.
    case sshAgent(user: String)

    /// Credentials from the environment, so secrets never sit in command lines (visible in
    /// `ps`) or files Sluice writes: `SLUICE_GIT_TOKEN` (HTTPS, with `SLUICE_GIT_USER`,
    /// default `git`), else `SLUICE_GIT_SSH_KEY` (a private key path, with optional
    /// `SLUICE_GIT_SSH_PUBLIC_KEY` and `SLUICE_GIT_SSH_PASSPHRASE`), else
    /// `SLUICE_GIT_SSH_AGENT=1`; none of them means anonymous access.
    public static func fromEnvironment(_ environment: [String: String]) -> GitCredentials {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let user = value("SLUICE_GIT_USER") ?? "git"
        if let token = value("SLUICE_GIT_TOKEN") { return .userPassword(user: user, password: token) }
        if let key = value("SLUICE_GIT_SSH_KEY") {
            return .sshKey(user: user, publicKeyPath: value("SLUICE_GIT_SSH_PUBLIC_KEY"), privateKeyPath: key,
                           passphrase: value("SLUICE_GIT_SSH_PASSPHRASE"))
        }
        if value("SLUICE_GIT_SSH_AGENT") == "1" { return .sshAgent(user: user) }
        return .none
    }
}

/// Keeps the credentials alive for libgit2's C callback and limits its retries.
final class CredentialContext {
    let credentials: GitCredentials
    var attempts = 0

    init(_ credentials: GitCredentials) { self.credentials = credentials }

    /// The caller keeps `self` alive (withExtendedLifetime) while libgit2 may call back.
    func install(in callbacks: inout git_remote_callbacks) {
        if case .none = credentials { return }
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = credentialCallback
    }

    func make(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>?, allowed: UInt32) -> Int32 {
        attempts += 1
        // libgit2 asks again after a rejected credential; give up rather than loop forever.
        guard attempts <= 3 else { return GIT_EAUTH.rawValue }
        switch credentials {
        case .none:
            return GIT_PASSTHROUGH.rawValue
        case let .userPassword(user, password):
            guard allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_userpass_plaintext_new(out, user, password)
        case let .sshKey(user, publicKey, privateKey, passphrase):
            guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_ssh_key_new(out, user, publicKey, privateKey, passphrase)
        case let .sshAgent(user):
            guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
            return git_credential_ssh_key_from_agent(out, user)
        }
    }
}

private let credentialCallback: git_credential_acquire_cb = { out, _, _, allowed, payload in
    guard let payload else { return GIT_PASSTHROUGH.rawValue }
    return Unmanaged<CredentialContext>.fromOpaque(payload).takeUnretainedValue().make(out, allowed: allowed)
}
