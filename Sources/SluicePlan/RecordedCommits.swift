import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceRender
import Synchronization

/// The fleet at the commits the store records as applied: each one's inputs (to decide that a
/// pair did not change) and its renderer (to re-render a last-applied spec), loaded once per
/// commit on first use. All Git access goes through one lock: libgit2 handles are for one
/// thread at a time.
final class RecordedCommits: Sendable {
    /// What one recorded commit offers, each part read on first use.
    struct Snapshot: Sendable {
        var inputs: Result<PairInputs, RecordedCommitError>?
        /// How the planned commit's inputs differ from this one's.
        var changes: InputChanges??
        var renderer: Result<FleetRenderer, RecordedCommitError>?
    }

    private struct State {
        /// Opened on first use: a handle of its own, as libgit2 handles are not shared.
        var repository: Result<GitRepository, RecordedCommitError>?
        var snapshots: [String: Snapshot] = [:]
        /// The planned commit's renderer, whose model and parsed templates an older commit reuses.
        var base: FleetRenderer?
    }

    private let state: Mutex<State>
    private let loader: FleetLoader

    private let gitPath: String?

    /// `gitPath` is the fleet repo's Git repository (nil for a plain directory). `target` is
    /// the commit being planned, whose inputs are already indexed.
    init(gitPath: String?, loader: FleetLoader, target: (commit: String, inputs: PairInputs)?) {
        var initial = State()
        if let target { initial.snapshots[target.commit] = Snapshot(inputs: .success(target.inputs)) }
        state = Mutex(initial)
        self.gitPath = gitPath
        self.loader = loader
    }

    /// The planned commit's renderer: it serves that commit, and older ones build on it.
    func adopt(_ renderer: FleetRenderer, for commit: String?) {
        state.withLock { state in
            state.base = renderer
            if let commit { state.snapshots[commit, default: Snapshot()].renderer = .success(renderer) }
        }
    }

    /// How `target`'s inputs differ from those of a recorded commit, worked out once per
    /// commit; nil when the commit cannot be read or compared.
    func changes(since commit: String, target: PairInputs) -> InputChanges? {
        state.withLock { state in
            if let known = state.snapshots[commit]?.changes { return known }
            let changes = loadedInputs(commit, in: &state).flatMap { target.changes(since: $0) }
            state.snapshots[commit, default: Snapshot()].changes = .some(changes)
            return changes
        }
    }

    /// A recorded commit's inputs (its release files among them, read up front: safe to use
    /// from any thread afterwards); nil when the commit cannot be read.
    func inputs(_ commit: String) -> PairInputs? {
        state.withLock { state in loadedInputs(commit, in: &state) }
    }

    private func loadedInputs(_ commit: String, in state: inout State) -> PairInputs? {
        if state.snapshots[commit]?.inputs == nil {
            state.snapshots[commit, default: Snapshot()].inputs = Result { () throws(RecordedCommitError) in
                try PairInputs.of(commit: commit, loader: loader) { () throws(RecordedCommitError) in try tree(commit, in: &state) }
            }
        }
        return try? state.snapshots[commit]?.inputs?.get()
    }

    /// The renderer of a commit (loads the whole fleet there, once), or why there is none.
    func renderer(_ commit: String) -> Result<FleetRenderer, RecordedCommitError> {
        state.withLock { state in
            if let known = state.snapshots[commit]?.renderer { return known }
            let result = Result { () throws(RecordedCommitError) in
                let tree = try tree(commit, in: &state)
                if let derived = derived(commit, tree: tree, snapshot: state.snapshots[commit], base: state.base) { return derived }
                do throws(ValidationFailure) {
                    // Validated when it was applied: templates are parsed as renders need them.
                    return try FleetRenderer(repository: try loader.load(tree), reusing: state.base, parsing: [])
                } catch {
                    throw RecordedCommitError(commit: commit, reason:
                        "it no longer loads: \(error.diagnostics.first?.description ?? "invalid")")
                }
            }
            state.snapshots[commit, default: Snapshot()].renderer = result
            return result
        }
    }

    /// The recorded commit's renderer built from the planned commit's model when the two
    /// differ only in release and cluster files (the usual bump or override change): those
    /// files are read at the recorded commit and everything else, parsed templates included,
    /// is shared. Nil when anything else differs; the caller then loads the whole commit.
    /// The recorded commit passed validation when it was applied, so it is not validated again.
    private func derived(_ commit: String, tree: GitTree, snapshot: Snapshot?, base: FleetRenderer?) -> FleetRenderer? {
        guard let base, let changes = snapshot?.changes ?? nil, let old = try? snapshot?.inputs?.get(), !changes.everything,
              let id = ObjectID(hex: commit) else { return nil }
        var model = base.repository
        model.commit = id
        for path in changes.files {
            let parts = path.split(separator: "/")
            guard parts.count == 2, path.hasSuffix(".yaml") || path.hasSuffix(".yml") else { return nil }
            switch parts[0] {
            case "releases":
                model.releases = model.releases.filter { $0.value.header.file != path }
                if old.has(path) {
                    guard let release = old.release(at: path) else { return nil }
                    model.releases[release.name] = release
                }
            case "clusters":
                model.clusters = model.clusters.filter { $0.value.header.file != path }
                if old.has(path) {
                    guard let cluster = loader.loadCluster(path, from: tree) else { return nil }
                    model.clusters[cluster.name] = cluster
                }
            default:
                return nil
            }
        }
        return try? FleetRenderer(repository: model, reusing: base, parsing: [])
    }

    private func tree(_ commit: String, in state: inout State) throws(RecordedCommitError) -> GitTree {
        if state.repository == nil {
            state.repository = Result { () throws(RecordedCommitError) in
                guard let gitPath else {
                    throw RecordedCommitError(commit: commit, reason: "the fleet repo is not a Git repository")
                }
                do throws(GitError) { return try GitRepository.open(gitPath) } catch {
                    throw RecordedCommitError(commit: commit, reason: error.description)
                }
            }
        }
        guard let repository = state.repository else { throw RecordedCommitError(commit: commit, reason: "no repository") }
        let opened = try repository.get()
        do {
            return try opened.tree(at: try opened.resolve(commit))
        } catch {
            throw RecordedCommitError(commit: commit, reason: "not found in the fleet repo (\(error.message))")
        }
    }
}

/// A recorded commit that cannot be read (rewritten history, a shallow clone...). The pair is
/// then planned against the live objects alone, with a warning.
struct RecordedCommitError: Error, Sendable, CustomStringConvertible {
    var commit: String
    var reason: String
    var description: String { "recorded commit \(String(commit.prefix(12))) cannot be read: \(reason)" }
}
