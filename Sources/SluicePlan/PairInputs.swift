import SluiceGit
import SluiceModel
import SluiceRender

/// What a (cluster, add-on) pair is rendered from (DESIGN §2 step 2): its add-on folder, its
/// cluster file, its release's entry for the add-on (and the release's name and version),
/// the policies and `sluice.yaml`. Built once per commit from the tree's content ids, so
/// deciding that a pair did not change between its recorded commit and the target costs a
/// few dictionary lookups, not a render.
final class PairInputs: Sendable {
    /// Content id of every file.
    private let ids: [String: String]
    /// Digest of every (path, content id) under a folder: `addons/<name>`, `policies`.
    private let folderDigests: [String: String]
    /// False when the tree has no content ids (a plain directory): nothing can be compared.
    let comparable: Bool
    /// The release files of the commit, read up front (a handful of files) so that no Git
    /// access happens later, from several threads.
    private let releases: [String: AddonRelease]

    init(tree: any SourceTree, loader: FleetLoader) {
        var lists: [String: [UInt8]] = [:]
        var ids: [String: String] = [:]
        var comparable = tree.commit != nil
        var releasePaths: [String] = []
        for entry in tree.entries() where comparable {
            guard let id = tree.contentID(entry.path) else { comparable = false; break }
            ids[entry.path] = id
            let parts = entry.path.split(separator: "/", maxSplits: 2)
            if parts.count >= 2 && parts[0] == "addons" {
                lists["addons/\(parts[1])", default: []] += Array("\(entry.path)\0\(id)\n".utf8)
            } else if parts.count >= 2 && parts[0] == "policies" {
                lists["policies", default: []] += Array("\(entry.path)\0\(id)\n".utf8)
            } else if parts.count == 2 && parts[0] == "releases" {
                releasePaths.append(entry.path)
            }
        }
        self.ids = ids
        folderDigests = lists.mapValues(SHA256Digest.hex)
        self.comparable = comparable
        var releases: [String: AddonRelease] = [:]
        for path in releasePaths {
            if let release = loader.loadRelease(path, from: tree) { releases[path] = release }
        }
        self.releases = releases
    }

    /// The inputs of a commit, built once per commit where the loader keeps a cache (a commit
    /// never changes): the controller plans the same few commits again and again. `tree` is
    /// asked for only when they are not known yet.
    static func of<E: Error>(commit: String?, loader: FleetLoader, tree: () throws(E) -> any SourceTree) throws(E) -> PairInputs {
        guard let cache = loader.cache, let commit else { return PairInputs(tree: try tree(), loader: loader) }
        if let known = cache.model(PairInputs.self, path: "", contentID: commit) { return known }
        let inputs = PairInputs(tree: try tree(), loader: loader)
        cache.remember(model: inputs, path: "", contentID: commit)
        return inputs
    }

    /// The release file at `path` as this commit has it (nil: absent or unreadable).
    func release(at path: String) -> AddonRelease? { releases[path] }

    /// Whether the commit has a file at `path`.
    func has(_ path: String) -> Bool { ids[path] != nil }

    /// What differs between `old` and this commit, worked out once for the pair of commits;
    /// nil when the trees cannot be compared (a plain directory).
    func changes(since old: PairInputs) -> InputChanges? {
        guard comparable, old.comparable else { return nil }
        var changedFiles = Set<String>()
        for (path, id) in ids where old.ids[path] != id { changedFiles.insert(path) }
        for path in old.ids.keys where ids[path] == nil { changedFiles.insert(path) }
        var changedFolders = Set<String>()
        for (folder, digest) in folderDigests where old.folderDigests[folder] != digest { changedFolders.insert(folder) }
        for folder in old.folderDigests.keys where folderDigests[folder] == nil { changedFolders.insert(folder) }
        var releases: [String: Set<String>?] = [:]
        for path in changedFiles where path.hasPrefix("releases/") {
            releases[path] = Self.changedEntries(old.releases[path], now: self.releases[path])
        }
        let addons = Set(changedFolders.filter { $0.hasPrefix("addons/") }.map { String($0.dropFirst("addons/".count)) })
        return InputChanges(files: changedFiles, addons: addons,
                            everything: changedFiles.contains("sluice.yaml") || changedFolders.contains("policies"),
                            releaseEntries: releases)
    }

    /// The add-ons whose entries differ between two versions of a release file; nil when the
    /// release itself changed (name, version) or one side does not read.
    private static func changedEntries(_ before: AddonRelease?, now: AddonRelease?) -> Set<String>? {
        guard let before, let now, before.name == now.name, before.version.value == now.version.value else { return nil }
        var changed = Set<String>()
        for entry in now.entries where !sameEntry(before.entry(for: entry.addon.value), entry) { changed.insert(entry.addon.value) }
        for entry in before.entries where now.entry(for: entry.addon.value) == nil { changed.insert(entry.addon.value) }
        return changed
    }

    private static func sameEntry(_ a: AddonRelease.Entry?, _ b: AddonRelease.Entry?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        // A chart add-on's entry carries values too: a change of them is a change of its input.
        return a.version.value == b.version.value && a.images.mapValues(\.value) == b.images.mapValues(\.value)
            && a.values?.value == b.values?.value
    }
}

/// How two commits' inputs differ, for deciding pair by pair, with set lookups only, that a
/// pair renders the same at both (given the same binary).
struct InputChanges: Sendable {
    /// Files whose content differs, or that exist in one commit only.
    let files: Set<String>
    /// Add-ons whose folder's content differs.
    let addons: Set<String>
    /// `sluice.yaml` or the policies changed: every pair may render differently.
    let everything: Bool
    /// For each changed release file, the add-ons whose entries changed; nil: all of them.
    let releaseEntries: [String: Set<String>?]

    /// What is the same for every add-on of one cluster, worked out once per cluster.
    func forCluster(_ cluster: Cluster, release: AddonRelease) -> ClusterInputChanges {
        if everything || files.contains(cluster.header.file) { return ClusterInputChanges(all: true, addons: []) }
        var changed = addons
        if files.contains(release.header.file) {
            guard let entries = releaseEntries[release.header.file], let entryChanges = entries else {
                return ClusterInputChanges(all: true, addons: [])
            }
            changed.formUnion(entryChanges)
        }
        return ClusterInputChanges(all: false, addons: changed)
    }
}

/// Which add-ons of one cluster may render differently than at a recorded commit.
struct ClusterInputChanges: Sendable {
    /// Every add-on (the cluster file, `sluice.yaml`, the policies or the release changed).
    let all: Bool
    /// Add-ons whose folder or release entry changed.
    let addons: Set<String>

    func unchanged(_ addon: String) -> Bool {
        !all && (addons.isEmpty || !addons.contains(addon))
    }
}
