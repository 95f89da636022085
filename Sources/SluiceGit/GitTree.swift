import CGit2

/// The tree of one commit: every path listed once, blobs read on demand, no checkout.
public final class GitTree: SourceTree {
    let repository: GitRepository
    public let commit: ObjectID?
    public let commitTime: Int64?
    private var objects: [String: (oid: git_oid, kind: SourceEntry.Kind)] = [:]
    private var folders: [String: git_oid] = [:]
    private let sortedEntries: [SourceEntry]

    init(repository: GitRepository, commit: ObjectID) throws(GitError) {
        self.repository = repository
        self.commit = commit
        var found: [String: (oid: git_oid, kind: SourceEntry.Kind)] = [:]
        var folders: [String: git_oid] = [:]
        commitTime = try repository.withTree(of: commit) { tree, time throws(GitError) in
            try Self.walk(tree, prefix: "", repository: repository, into: &found, folders: &folders)
            return time
        }
        objects = found
        self.folders = folders
        sortedEntries = found.map { SourceEntry(path: $0.key, kind: $0.value.kind) }.sorted { $0.path < $1.path }
    }

    public var label: String { "commit \(commit?.short ?? "?")" }

    public func entries() -> [SourceEntry] { sortedEntries }

    public func size(of path: String) throws -> Int {
        let object = try lookup(path)
        return try repository.objectSize(object.oid, path: path)
    }

    public func read(_ path: String) throws -> [UInt8] {
        let object = try lookup(path)
        guard object.kind == .file else { throw SourceTreeError(path: path, message: "not a regular file") }
        return try repository.readBlob(object.oid, path: path)
    }

    public func linkTarget(_ path: String) throws -> String {
        let object = try lookup(path)
        guard object.kind == .symlink else { throw SourceTreeError(path: path, message: "not a symbolic link") }
        return String(decoding: try repository.readBlob(object.oid, path: path), as: UTF8.self)
    }

    public func contentID(_ path: String) -> String? {
        objects[path].map { ObjectID($0.oid).hex }
    }

    public func folderID(_ path: String) -> String? {
        folders[path].map { ObjectID($0).hex }
    }

    private func lookup(_ path: String) throws -> (oid: git_oid, kind: SourceEntry.Kind) {
        guard let object = objects[path] else {
            throw SourceTreeError(path: path, message: "no such file in \(label)")
        }
        return object
    }

    /// Lists a tree recursively by index (no C callback needed); entries are borrowed from
    /// their tree and need no freeing, subtrees are looked up and freed one by one.
    private static func walk(
        _ tree: OpaquePointer?, prefix: String, repository: GitRepository,
        into found: inout [String: (oid: git_oid, kind: SourceEntry.Kind)], folders: inout [String: git_oid]
    ) throws(GitError) {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let path = prefix + String(cString: git_tree_entry_name(entry))
            let oid = git_tree_entry_id(entry).pointee
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                folders[path] = oid
                var subtree: OpaquePointer?
                var id = oid
                try check("tree \(path)", git_tree_lookup(&subtree, repository.handle, &id))
                defer { git_tree_free(subtree) }
                try walk(subtree, prefix: path + "/", repository: repository, into: &found, folders: &folders)
            case GIT_OBJECT_BLOB:
                let isLink = git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK
                found[path] = (oid, isLink ? .symlink : .file)
            default:
                found[path] = (oid, .submodule)
            }
        }
    }
}
