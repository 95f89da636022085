import Foundation
import SluiceCore
import SluiceGit
import SluiceModel
import Synchronization

/// The fleet repo as the read models see it: HEAD's environments and the models of the
/// commits records name (usually a handful), each loaded once and kept for the next request
/// (a server asks for the same few commits every second). Git is read on a thread of its own
/// (`BlockingWork`), never on the cooperative pool. Versions and images are for people: a
/// commit that cannot be loaded shows its id instead of failing the view.
public final class CommitModels: Sendable {
    public let location: String
    private let capacity: Int
    private struct Shelf {
        var models: [String: FleetRepository?] = [:]
        /// Oldest first: the one let go when the shelf is full.
        var order: [String] = []
    }
    private let shelf = Mutex(Shelf())
    /// HEAD's notification routes as last read: by HEAD's commit id.
    private let routes = Mutex<(commit: String, routes: [NotificationRoute]?)?>(nil)

    public init(location: String, capacity: Int = 8) {
        self.location = location
        self.capacity = max(1, capacity)
    }

    /// HEAD's commit id and environments.
    public struct Head: Sendable {
        public var commit: String
        public var environments: [(name: String, branch: String)]
    }

    public func head() async throws -> Head {
        let location = self.location
        return try await BlockingWork.run { () throws -> Head in
            let git = try GitRepository.open(location)
            let id = try git.resolve("HEAD")
            let environments = try FleetLoader().environments(in: try git.tree(at: id))
            return Head(commit: id.hex, environments: environments.map { ($0.name.value, $0.branch.value) })
        }
    }

    /// The commit a branch points at (a local branch, or any revision); nil when missing.
    public func resolve(_ branch: String) async -> String? {
        let location = self.location
        return await BlockingWork.run { () -> String? in
            guard let git = try? GitRepository.open(location) else { return nil }
            return (try? git.resolve("refs/heads/" + branch))?.hex ?? (try? git.resolve(branch))?.hex
        }
    }

    /// The models of `commits`, loaded where not kept yet.
    public func models(_ commits: Set<String>) async -> [String: FleetRepository] {
        var found: [String: FleetRepository] = [:]
        var missing: [String] = []
        shelf.withLock { shelf in
            for commit in commits {
                if let kept = shelf.models[commit] { if let kept { found[commit] = kept } } else { missing.append(commit) }
            }
        }
        guard !missing.isEmpty else { return found }
        let location = self.location, wanted = missing
        let loaded = await BlockingWork.run { () -> [(String, FleetRepository?)] in
            let git = try? GitRepository.open(location)
            return wanted.map { commit in
                guard let git, let id = try? git.resolve(commit), let tree = try? git.tree(at: id) else { return (commit, nil) }
                return (commit, try? FleetLoader().load(tree))
            }
        }
        shelf.withLock { shelf in
            for (commit, model) in loaded where shelf.models[commit] == nil {
                shelf.models[commit] = .some(model)
                shelf.order.append(commit)
            }
            while shelf.order.count > capacity { shelf.models[shelf.order.removeFirst()] = nil }
        }
        for case (let commit, let model?) in loaded { found[commit] = model }
        return found
    }

    public func model(_ commit: String) async -> FleetRepository? {
        await models([commit])[commit]
    }

    /// HEAD's `spec.notifications` (nil: sluice.yaml names no routes). Read again only when
    /// HEAD moves. A HEAD whose sluice.yaml cannot be read keeps the routes last read, so a
    /// broken commit does not silence (or widen) the notifications of the rollouts that run;
    /// `lastRead` false says it could not be read and none was before.
    public func notificationRoutes() async -> (routes: [NotificationRoute]?, lastRead: Bool) {
        let location = self.location
        let kept = routes.withLock { $0 }
        let read = await BlockingWork.run { () -> (commit: String, routes: [NotificationRoute]?)? in
            guard let git = try? GitRepository.open(location), let id = try? git.resolve("HEAD") else { return nil }
            if let kept, kept.commit == id.hex { return kept }
            guard let tree = try? git.tree(at: id), let fleet = try? FleetLoader().fleet(in: tree) else { return nil }
            return (id.hex, fleet.notifications)
        }
        guard let read else { return (kept?.routes, kept != nil) }
        routes.withLock { $0 = read }
        return (read.routes, true)
    }
}

extension FleetRepository {
    /// The release entry (version, images) of `addon` on `cluster`.
    func entry(of addon: String, cluster: String) -> AddonRelease.Entry? {
        clusters[cluster].flatMap { releases[$0.release.value] }?.entry(for: addon)
    }
}
