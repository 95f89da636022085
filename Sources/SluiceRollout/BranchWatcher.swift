import Foundation
import SluiceCore
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
    private var refreshedAt: Date?
    private var branches: [String] = []
    public private(set) var lastError: String?
    public private(set) var gitPath: String?
    /// The fleet repo's HEAD as of the last refresh (for a URL, the remote's default branch):
    /// the commit whose `sluice.yaml` says which environments there are.
    public private(set) var fleetHead: String?
    private var isClone: Bool { FleetSource.isURL(location) }
    /// Told how each read went (readiness).
    private let pulse: ControllerPulse?
    private let metrics: ControllerMetrics?

    public init(location: String, credentials: GitCredentials = .none, cacheDirectory: String = ".sluice/cache", pulse: ControllerPulse? = nil,
                metrics: ControllerMetrics? = nil) {
        self.location = location
        self.credentials = credentials
        self.cacheDirectory = cacheDirectory
        self.pulse = pulse
        self.metrics = metrics
    }

    /// Fetches (for a URL) and reads the heads of `branches`, on a thread of its own (a fetch
    /// waits for the network). One read at a time: a caller that comes while one runs waits
    /// for it; a read that started after the caller came, and read its branches, answers it
    /// (a burst of webhooks costs two reads, not one each); otherwise it reads again.
    @discardableResult
    public func refresh(branches wanted: [String]) async -> [String: String] {
        for branch in wanted where !branches.contains(branch) { branches.append(branch) }
        let arrival = readsStarted
        while let current = reading {
            let result = await current.task.value
            // That read is over; its caller may not have been back on the actor yet to say
            // so. Waiting on it again would return at once, forever, and keep that caller
            // (and a thread of the cooperative pool) out.
            if reading?.number == current.number { reading = nil }
            if current.number > arrival, Set(wanted).isSubset(of: current.branches) {
                apply(result, number: current.number)
                return heads
            }
        }
        let request = ReadRequest(location: location, isClone: isClone, credentials: credentials, cacheDirectory: cacheDirectory,
                                  branches: branches)
        readsStarted += 1
        let current = Reading(number: readsStarted, branches: Set(branches),
                              task: Task { await BlockingWork.run { () -> Result<HeadsRead, any Error> in Result { try request.perform() } } })
        reading = current
        let started = ContinuousClock.now
        let result = await current.task.value
        if reading?.number == current.number { reading = nil }
        apply(result, number: current.number)
        pulse?.repoRead(error: lastError)
        metrics?.gitRead(ContinuousClock.now - started, failed: lastError != nil)
        return heads
    }

    /// Takes in a read's result, unless a later read's was taken in already (its callers
    /// may come back to the actor in any order).
    private func apply(_ result: Result<HeadsRead, any Error>, number: Int) {
        guard number > appliedRead else { return }
        appliedRead = number
        switch result {
        case .success(let found):
            gitPath = found.gitPath
            heads.merge(found.heads) { _, new in new }
            if let head = found.fleetHead { fleetHead = head }
            lastError = nil
        case .failure(let error):
            lastError = "\(error)"
        }
    }

    /// The read under way, if any; reads are numbered in the order they start.
    private var reading: Reading?
    private var readsStarted = 0
    /// How many reads have started (tests).
    public var reads: Int { readsStarted }
    private var appliedRead = 0

    private struct Reading {
        var number: Int
        var branches: Set<String>
        var task: Task<Result<HeadsRead, any Error>, Never>
    }

    private struct HeadsRead: Sendable {
        var gitPath: String
        var heads: [String: String]
        var fleetHead: String?
    }

    private struct ReadRequest: Sendable {
        var location: String
        var isClone: Bool
        var credentials: GitCredentials
        var cacheDirectory: String
        var branches: [String]

        func perform() throws -> HeadsRead {
            let repository: GitRepository
            if isClone {
                let opened = try FleetSource.open(location, revision: nil, cacheDirectory: cacheDirectory, credentials: credentials)
                guard let clone = opened.repository else { throw SourceTreeError(path: location, message: "not a Git repository") }
                repository = clone
            } else {
                repository = try GitRepository.open(location)
            }
            var found = HeadsRead(gitPath: repository.path, heads: [:])
            for branch in branches {
                let names = isClone ? ["origin/" + branch, branch] : ["refs/heads/" + branch, branch]
                for name in names {
                    // No such branch under this name: the next name, or none (the runner
                    // reports a missing branch). Any other error fails the whole read.
                    if let commit = try BranchWatcher.resolveIfPresent(name, in: repository) {
                        found.heads[branch] = commit
                        break
                    }
                }
            }
            for name in isClone ? ["refs/remotes/origin/HEAD", "HEAD"] : ["HEAD"] {
                if let commit = try BranchWatcher.resolveIfPresent(name, in: repository) {
                    found.fleetHead = commit
                    break
                }
            }
            return found
        }
    }

    public func head(of branch: String) -> String? { heads[branch] }

    /// Refreshes every branch asked for so far unless that was done less than `maximumAge`
    /// ago: each environment's runner calls this when its poll is due, so a new commit is
    /// seen within one interval, and a remote is fetched once per interval however many
    /// environments follow it.
    public func refreshIfStale(branch: String?, now: Date, maximumAge: Double) async {
        if let branch, !branches.contains(branch) { branches.append(branch) }
        // A read under way answers this caller too.
        if let current = reading { apply(await current.task.value, number: current.number) }
        if let refreshedAt, now.timeIntervalSince(refreshedAt) < maximumAge, branch.map({ heads[$0] != nil }) ?? true { return }
        refreshedAt = now
        await refresh(branches: branches)
    }

    fileprivate static func resolveIfPresent(_ name: String, in repository: GitRepository) throws(GitError) -> String? {
        do { return try repository.resolve(name).hex } catch {
            if error.isNotFound { return nil }
            throw error
        }
    }
}
