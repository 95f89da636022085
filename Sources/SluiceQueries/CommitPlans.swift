import SluiceCore
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceYAML

/// The plan of a commit for one environment, as `sluice plan --env E --rev R -o json` prints
/// it: what that commit would change, cluster by cluster, against what is recorded and live.
/// A commit need not be on the environment's branch (a pull request's is planned before it
/// is merged); without one, the head of the branch. Plans read every cluster of the
/// environment and render what changed, so few run at once (`concurrentPlans`) and a caller
/// beyond `waitingPlans` is told to come back (`busy`).
public struct CommitPlans: Sendable {
    public let location: String
    let store: any AppliedRecordSource
    let connector: any ClusterDrivers
    let slots: PlanSlots

    public enum Failure: Error, Sendable, Equatable {
        case unknownEnvironment(String)
        case unknownRevision(String)
        /// The commit is invalid; what is wrong, with files and lines.
        case invalid([Diagnostic])
        /// Git or the store could not be read: worth asking again.
        case unavailable(String)
        /// Plans enough are running or waiting already.
        case busy
    }

    public init(location: String, store: any AppliedRecordSource, connector: any ClusterDrivers,
                concurrentPlans: Int = 1, waitingPlans: Int = 4) {
        self.location = location
        self.store = store
        self.connector = connector
        self.slots = PlanSlots(free: max(1, concurrentPlans), maximumWaiting: max(0, waitingPlans))
    }

    public func plan(environment: String, revision: String?) async -> Result<FleetPlan, Failure> {
        // Option-like and oversized revisions are refused before Git sees them.
        if let revision, revision.isEmpty || revision.count > 256 || revision.hasPrefix("-") { return .failure(.unknownRevision(String(revision.prefix(100)))) }
        guard await slots.enter() else { return .failure(.busy) }
        let result = await planNow(environment: environment, revision: revision)
        await slots.leave()
        return result
    }

    private func planNow(environment: String, revision: String?) async -> Result<FleetPlan, Failure> {
        let location = self.location
        let opened: Result<GitTree, Failure> = await BlockingWork.run {
            guard let git = try? GitRepository.open(location) else { return .failure(.unavailable("the fleet repo cannot be opened")) }
            guard let head = try? git.tree(at: git.resolve("HEAD")), let environments = try? FleetLoader().environments(in: head) else {
                return .failure(.unavailable("HEAD's environments cannot be read"))
            }
            guard let found = environments.first(where: { $0.name.value == environment }) else { return .failure(.unknownEnvironment(environment)) }
            let wanted = revision ?? found.branch.value
            guard let commit = try? git.resolve(revision == nil ? "refs/heads/" + wanted : wanted) else { return .failure(.unknownRevision(wanted)) }
            do { return .success(try git.tree(at: commit)) } catch { return .failure(.unavailable("\(error)")) }
        }
        let tree: GitTree
        switch opened {
        case .success(let found): tree = found
        case .failure(let failure): return .failure(failure)
        }
        // One thread of rendering: a plan asked for over HTTP must leave the controller its CPU.
        let planner = FleetPlanner(store: store, connector: connector, parallelism: 1)
        do {
            return .success(try await planner.plan(tree, gitPath: location, selection: PlanSelection(environment: environment)).plan)
        } catch {
            switch error {
            case .invalid(let problems): return .failure(.invalid(problems))
            case .selection: return .failure(.unknownEnvironment(environment))
            case .store(let why): return .failure(.unavailable("state store: \(why)"))
            }
        }
    }
}

/// At most `free` plans at once, `maximumWaiting` more in line; the rest are refused.
actor PlanSlots {
    private var free: Int
    private let maximumWaiting: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(free: Int, maximumWaiting: Int) {
        self.free = free
        self.maximumWaiting = maximumWaiting
    }

    func enter() async -> Bool {
        if free > 0 {
            free -= 1
            return true
        }
        guard waiting.count < maximumWaiting else { return false }
        await withCheckedContinuation { waiting.append($0) }
        return true
    }

    var waitingCount: Int { waiting.count }

    /// Hands the slot to the first in line, or frees it.
    func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
