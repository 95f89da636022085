import CGit2

/// A Git repository opened through libgit2.
///
/// libgit2 handles are not thread-safe, so a repository is used by one task at a time;
/// open a second `GitRepository` for concurrent readers. Every libgit2 object is freed
/// before the call that created it returns, except the repository itself (freed in `deinit`).
public final class GitRepository {
    let handle: OpaquePointer
    /// The repository's working directory, or its Git directory when bare.
    public let path: String

    init(handle: OpaquePointer) {
        self.handle = handle
        if let workdir = git_repository_workdir(handle) {
            path = String(cString: workdir)
        } else {
            path = String(cString: git_repository_path(handle))
        }
    }

    deinit { git_repository_free(handle) }

    /// Opens the repository at exactly `path` (no search in parent folders).
    public static func open(_ path: String) throws(GitError) -> GitRepository {
        _ = LibGit2.initialized
        var repo: OpaquePointer?
        let flags = GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue
        try check("open \(path)", git_repository_open_ext(&repo, path, flags, nil))
        guard let repo else { throw GitError(operation: "open \(path)", message: "no repository", code: -1) }
        return GitRepository(handle: repo)
    }

    /// True when `path` is the top of a Git repository.
    public static func isRepository(_ path: String) -> Bool {
        (try? open(path)) != nil
    }

    /// Clones `url` (a local path, `file://`, `https://` or `ssh://` URL) into `path`.
    public static func clone(
        from url: String, to path: String, credentials: GitCredentials = .none
    ) throws(GitError) -> GitRepository {
        _ = LibGit2.initialized
        var options = git_clone_options()
        try check("clone options", git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)))
        let context = CredentialContext(credentials)
        var repo: OpaquePointer?
        context.install(in: &options.fetch_opts.callbacks)
        let code = withExtendedLifetime(context) { git_clone(&repo, url, path, &options) }
        try check("clone \(url)", code)
        guard let repo else { throw GitError(operation: "clone \(url)", message: "no repository", code: -1) }
        return GitRepository(handle: repo)
    }

    /// Fetches the remote's default refspecs (all branches and tags) into remote-tracking refs.
    public func fetch(remote name: String = "origin", credentials: GitCredentials = .none) throws(GitError) {
        var remote: OpaquePointer?
        try check("remote \(name)", git_remote_lookup(&remote, handle, name))
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try check("fetch options", git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)))
        let context = CredentialContext(credentials)
        context.install(in: &options.callbacks)
        let code = withExtendedLifetime(context) { git_remote_fetch(remote, nil, &options, nil) }
        try check("fetch \(name)", code)
    }

    /// Resolves a branch, tag, remote-tracking branch, `HEAD~2`-style expression or (short) SHA
    /// to the commit it names. A branch missing locally is looked up as `origin/<branch>`.
    public func resolve(_ revision: String) throws(GitError) -> ObjectID {
        do {
            return try peelToCommit(revision)
        } catch let error where error.isNotFound {
            if !revision.hasPrefix("origin/"), let remote = try? peelToCommit("origin/" + revision) { return remote }
            throw explained(error, revision: revision)
        }
    }


    func peelToCommit(_ revision: String) throws(GitError) -> ObjectID {
        var object: OpaquePointer?
        try check("resolve \(revision)", git_revparse_single(&object, handle, revision))
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try check("resolve \(revision) to a commit", git_object_peel(&commit, object, GIT_OBJECT_COMMIT))
        defer { git_object_free(commit) }
        return ObjectID(git_object_id(commit).pointee)
    }

    /// The metadata of one commit.
    public func commitInfo(_ id: ObjectID) throws(GitError) -> CommitInfo {
        var oid = id.raw
        var commit: OpaquePointer?
        try check("lookup commit \(id.short)", git_commit_lookup(&commit, handle, &oid))
        defer { git_commit_free(commit) }
        let author = git_commit_author(commit).pointee
        var parents: [ObjectID] = []
        for index in 0..<git_commit_parentcount(commit) {
            if let parent = git_commit_parent_id(commit, index) { parents.append(ObjectID(parent.pointee)) }
        }
        return CommitInfo(
            id: id,
            summary: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            author: author.name.map { String(cString: $0) } ?? "",
            authorEmail: author.email.map { String(cString: $0) } ?? "",
            time: Int64(git_commit_time(commit)),
            parents: parents
        )
    }

    /// A snapshot of the tree at `commit`, read without a checkout.
    public func tree(at commit: ObjectID) throws(GitError) -> GitTree {
        try GitTree(repository: self, commit: commit)
    }

    /// Reads one file at a commit without a checkout.
    public func readFile(_ path: String, at commit: ObjectID) throws(GitError) -> [UInt8] {
        try withTree(of: commit) { tree throws(GitError) in
            var entry: OpaquePointer?
            try check("\(path) at \(commit.short)", git_tree_entry_bypath(&entry, tree, path))
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else {
                throw GitError(operation: "\(path) at \(commit.short)", message: "not a file", code: -1)
            }
            return try readBlob(git_tree_entry_id(entry).pointee, path: path)
        }
    }

    /// The paths (old and new names) that differ between two commits, sorted.
    public func changedPaths(from old: ObjectID, to new: ObjectID) throws(GitError) -> [String] {
        try withTree(of: old) { oldTree throws(GitError) in
            try withTree(of: new) { newTree throws(GitError) in
                var options = git_diff_options()
                try check("diff options", git_diff_options_init(&options, UInt32(GIT_DIFF_OPTIONS_VERSION)))
                var diff: OpaquePointer?
                try check("diff \(old.short)..\(new.short)",
                          git_diff_tree_to_tree(&diff, handle, oldTree, newTree, &options))
                defer { git_diff_free(diff) }
                var paths = Set<String>()
                for index in 0..<git_diff_num_deltas(diff) {
                    guard let delta = git_diff_get_delta(diff, index)?.pointee else { continue }
                    if let path = delta.old_file.path { paths.insert(String(cString: path)) }
                    if let path = delta.new_file.path { paths.insert(String(cString: path)) }
                }
                return paths.sorted()
            }
        }
    }

    /// Whether `commit` is `descendant` or one of its ancestors (it is "on" that branch).
    public func isAncestor(_ commit: ObjectID, of descendant: ObjectID) throws(GitError) -> Bool {
        if commit == descendant { return true }
        var a = descendant.raw, b = commit.raw
        let result = git_graph_descendant_of(handle, &a, &b)
        guard result >= 0 else { try check("is \(commit.short) an ancestor of \(descendant.short)", result); return false }
        return result == 1
    }

    /// First-parent history from `start`, newest first, at most `limit` commits.
    public func firstParentHistory(from start: ObjectID, limit: Int = .max) throws(GitError) -> [ObjectID] {
        var walk: OpaquePointer?
        try check("revwalk", git_revwalk_new(&walk, handle))
        defer { git_revwalk_free(walk) }
        try check("revwalk sort", git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL.rawValue))
        try check("revwalk first parent", git_revwalk_simplify_first_parent(walk))
        var oid = start.raw
        try check("revwalk push \(start.short)", git_revwalk_push(walk, &oid))
        var result: [ObjectID] = []
        var next = git_oid()
        while result.count < limit {
            let code = git_revwalk_next(&next, walk)
            if code == GIT_ITEROVER.rawValue { break }
            try check("revwalk", code)
            result.append(ObjectID(next))
        }
        return result
    }

    // MARK: - Internals shared with GitTree

    func withTree<T>(of commit: ObjectID, _ body: (OpaquePointer?) throws(GitError) -> T) throws(GitError) -> T {
        try withTree(of: commit) { tree, _ throws(GitError) in try body(tree) }
    }

    /// `body` with the commit's tree and its committer's time.
    func withTree<T>(of commit: ObjectID, _ body: (OpaquePointer?, Int64) throws(GitError) -> T) throws(GitError) -> T {
        var oid = commit.raw
        var commitHandle: OpaquePointer?
        try check("lookup commit \(commit.short)", git_commit_lookup(&commitHandle, handle, &oid))
        defer { git_commit_free(commitHandle) }
        var tree: OpaquePointer?
        try check("tree of \(commit.short)", git_commit_tree(&tree, commitHandle))
        defer { git_tree_free(tree) }
        return try body(tree, Int64(git_commit_time(commitHandle)))
    }

    func readBlob(_ oid: git_oid, path: String) throws(GitError) -> [UInt8] {
        var oid = oid
        var blob: OpaquePointer?
        try check("read \(path)", git_blob_lookup(&blob, handle, &oid))
        defer { git_blob_free(blob) }
        let size = Int(git_blob_rawsize(blob))
        guard size > 0, let raw = git_blob_rawcontent(blob) else { return [] }
        return Array(UnsafeRawBufferPointer(start: raw, count: size))
    }

    func objectSize(_ oid: git_oid, path: String) throws(GitError) -> Int {
        var odb: OpaquePointer?
        try check("odb", git_repository_odb(&odb, handle))
        defer { git_odb_free(odb) }
        var oid = oid
        var length = 0
        var type = GIT_OBJECT_ANY
        try check("size of \(path)", git_odb_read_header(&length, &type, odb, &oid))
        return length
    }
}

/// One commit's metadata.
public struct CommitInfo: Sendable, Hashable {
    public let id: ObjectID
    public let summary: String
    public let author: String
    public let authorEmail: String
    /// Seconds since 1970 (committer time).
    public let time: Int64
    public let parents: [ObjectID]
}
