import SluiceGit
import Testing

/// The CLI takes Git credentials from the environment only; which variables mean what.
@Suite(.timeLimit(.minutes(10))) struct GitCredentialsTests {
    @Test func tokenWinsThenKeyThenAgentThenNothing() {
        guard case .userPassword("git", "s3cret") = GitCredentials.fromEnvironment(["SLUICE_GIT_TOKEN": "s3cret", "SLUICE_GIT_SSH_KEY": "/k"]) else {
            Issue.record("a token means HTTPS basic auth with user git")
            return
        }
        guard case .userPassword("bot", "t") = GitCredentials.fromEnvironment(["SLUICE_GIT_TOKEN": "t", "SLUICE_GIT_USER": "bot"]) else {
            Issue.record("SLUICE_GIT_USER names the user")
            return
        }
        guard case .sshKey("git", "/k.pub", "/k", "p") = GitCredentials.fromEnvironment(
            ["SLUICE_GIT_SSH_KEY": "/k", "SLUICE_GIT_SSH_PUBLIC_KEY": "/k.pub", "SLUICE_GIT_SSH_PASSPHRASE": "p"]) else {
            Issue.record("an SSH key path means key authentication")
            return
        }
        guard case .sshKey("git", nil, "/k", nil) = GitCredentials.fromEnvironment(["SLUICE_GIT_SSH_KEY": "/k", "SLUICE_GIT_TOKEN": ""]) else {
            Issue.record("empty variables count as unset")
            return
        }
        guard case .sshAgent("git") = GitCredentials.fromEnvironment(["SLUICE_GIT_SSH_AGENT": "1"]) else {
            Issue.record("SLUICE_GIT_SSH_AGENT=1 means the agent")
            return
        }
        guard case .none = GitCredentials.fromEnvironment(["HOME": "/root"]) else {
            Issue.record("no variables means anonymous")
            return
        }
    }
}
