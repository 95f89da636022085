import SluiceCore
import SluiceGit
import SluiceModel

/// The controller's one way into the fleet repo's commits: the repository opened, a commit's
/// tree walked, its model loaded or a file read, each on a Dispatch thread (`BlockingWork`),
/// never on the cooperative pool that runs every environment.
struct FleetCommits: Sendable {
    let gitPath: String

    /// The tree of `commit`, handed to the caller alone.
    func tree(at commit: String) async throws(GitError) -> sending GitTree {
        let path = gitPath
        return try await BlockingWork.run { () throws(GitError) -> sending GitTree in
            let git = try GitRepository.open(path)
            return try git.tree(at: try git.resolve(commit))
        }
    }

    /// The tree of `commit` and the fleet model it holds (`loader` keeps parsed files by blob
    /// id, so a commit after another parses only what changed). Throws `GitError` or
    /// `ValidationFailure`.
    func model(at commit: String, loader: FleetLoader) async throws -> sending (tree: GitTree, repository: FleetRepository) {
        let path = gitPath
        return try await BlockingWork.run { () throws -> sending (tree: GitTree, repository: FleetRepository) in
            let git = try GitRepository.open(path)
            let tree = try git.tree(at: try git.resolve(commit))
            return (tree, try loader.load(tree))
        }
    }

    /// A file as it is at `commit`.
    func file(_ path: String, at commit: String) async throws(GitError) -> [UInt8] {
        let gitPath = gitPath
        return try await BlockingWork.run { () throws(GitError) -> [UInt8] in
            let git = try GitRepository.open(gitPath)
            return try git.readFile(path, at: try git.resolve(commit))
        }
    }

    /// The environments `sluice.yaml` names at `commit`.
    func environments(at commit: String) async throws -> [Controller.EnvironmentBranch] {
        let gitPath = gitPath
        return try await BlockingWork.run { () throws -> [Controller.EnvironmentBranch] in
            let git = try GitRepository.open(gitPath)
            return try FleetLoader().environments(in: try git.tree(at: try git.resolve(commit))).map { ($0.name.value, $0.branch.value) }
        }
    }
}
