import Foundation
import SluiceGit

/// Follows the branches of the fleet repo: for a URL, a clone in a cache folder fetched on
/// every refresh; for a local repository, its branches as they are. Each refresh reads the
/// head commit of every branch asked for; a failure (an unreachable remote) keeps the last
/// heads and says why, so that environments go on with what they know.
public actor BranchWatcher {
    public let location: String
    private let credentials: GitCredentials
    private let cacheDirectory: String
    private var heads: [String: String] = [:]
    public private(set) var lastError: String?
    public private(set) var gitPath: String?
    private var isClone: Bool { FleetSource.isURL(location) }

    public init(location: String, credentials: GitCredentials = .none, cacheDirectory: String = ".sluice/cache") {
        self.location = location
        self.credentials = credentials
        self.cacheDirectory = cacheDirectory
    }

    /// Fetches (for a URL) and reads the heads of `branches`.
    @discardableResult
    public func refresh(branches: [String]) -> [String: String] {
        do {
            let repository: GitRepository
            if isClone {
                let opened = try FleetSource.open(location, revision: nil, cacheDirectory: cacheDirectory, credentials: credentials)
                guard let clone = opened.repository else { throw SourceTreeError(path: location, message: "not a Git repository") }
                repository = clone
            } else {
                repository = try GitRepository.open(location)
            }
            gitPath = repository.path
            var found: [String: String] = [:]
            for branch in branches {
                let names = isClone ? ["origin/" + branch, branch] : ["refs/heads/" + branch, branch]
                for name in names {
                    if let commit = try? repository.resolve(name) {
                        found[branch] = commit.hex
                        break
                    }
                }
            }
            heads.merge(found) { _, new in new }
            lastError = nil
        } catch {
            lastError = "\(error)"
        }
        return heads
    }

    public func head(of branch: String) -> String? { heads[branch] }
}
