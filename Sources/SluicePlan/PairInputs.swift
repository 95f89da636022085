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

    /// True when the pair renders to the same objects here as in `old` (given the same
    /// binary): every input is byte-for-byte the same, or the release file changed only in
    /// other add-ons' entries.
    func unchanged(cluster: Cluster, addon: String, release: AddonRelease, since old: PairInputs) -> Bool {
        guard comparable, old.comparable else { return false }
        let addonFolder = "addons/\(addon)"
        guard folderDigests[addonFolder] != nil, folderDigests[addonFolder] == old.folderDigests[addonFolder],
              folderDigests["policies"] == old.folderDigests["policies"],
              same("sluice.yaml", as: old), same(cluster.header.file, as: old) else { return false }
        if same(release.header.file, as: old) { return true }
        guard let before = old.releases[release.header.file] else { return false }
        return before.name == release.name && before.version.value == release.version.value
            && Self.sameEntry(before.entry(for: addon), release.entry(for: addon))
    }

    private func same(_ path: String, as old: PairInputs) -> Bool {
        guard let id = ids[path] else { return false }
        return id == old.ids[path]
    }

    private static func sameEntry(_ a: AddonRelease.Entry?, _ b: AddonRelease.Entry?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.version.value == b.version.value && a.images.mapValues(\.value) == b.images.mapValues(\.value)
    }
}
