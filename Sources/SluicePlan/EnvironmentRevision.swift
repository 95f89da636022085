import SluiceGit
import SluiceModel

/// Which commit a command acts on for an environment (the branch policy): `--rev`, or the
/// head of the environment's branch (what the controller would roll out there). A commit
/// applied to an environment must be on its branch: recording one the branch never had would
/// make the next rollout's three-way diff start from a commit nobody merged. The CLI and the
/// HTTP API both ask here.
public enum EnvironmentRevision {
    /// A revision refused by the branch policy.
    public struct NotOnBranch: Error, Sendable, Equatable, CustomStringConvertible {
        public var revision: String
        public var commit: String
        public var branch: String
        public var environment: String

        public init(revision: String, commit: String, branch: String, environment: String) {
            self.revision = revision
            self.commit = commit
            self.branch = branch
            self.environment = environment
        }

        public var description: String {
            "\(revision) (\(commit.prefix(12))) is not on branch \(branch), which environment \(environment) follows; apply it there by merging, or pass --force"
        }
    }

    /// The revision to act on in the local repository at `path`: `revision`, or with an
    /// environment and no revision its branch. With `requireOnBranch`, a revision that is
    /// not on the environment's branch is refused. Without a local Git repository, or an
    /// environment HEAD's `sluice.yaml` names, `revision` is returned as it is (opening it
    /// says what is wrong).
    public static func resolve(path: String, environment: String?, revision: String?,
                               requireOnBranch: Bool) throws(NotOnBranch) -> String? {
        guard let environment, !FleetSource.isURL(path), GitRepository.isRepository(path) else { return revision }
        guard let git = try? GitRepository.open(path), let head = try? git.tree(at: git.resolve("HEAD")),
              let found = (try? FleetLoader().environments(in: head))?.first(where: { $0.name.value == environment }) else { return revision }
        let branch = found.branch.value
        guard let revision else { return branch }
        if requireOnBranch {
            guard let commit = try? git.resolve(revision), let tip = try? git.resolve(branch) else { return revision }
            if (try? git.isAncestor(commit, of: tip)) != true {
                throw NotOnBranch(revision: revision, commit: commit.hex, branch: branch, environment: environment)
            }
        }
        return revision
    }
}
