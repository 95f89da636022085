import CGit2

/// What to say when a revision does not resolve: `HEAD~5` past the first commit in words,
/// and for a name, the closest branch or tag (`--rev mian`: did you mean "main"?).
extension GitRepository {
    /// The names of local branches, tags and remote-tracking branches (without `origin/`).
    public func referenceNames() -> [String] {
        var array = git_strarray()
        guard git_reference_list(&array, handle) == 0 else { return [] }
        defer { git_strarray_dispose(&array) }
        var names = Set<String>()
        for index in 0..<array.count {
            guard let raw = array.strings[index] else { continue }
            let name = String(cString: raw)
            for prefix in ["refs/heads/", "refs/tags/", "refs/remotes/origin/"] where name.hasPrefix(prefix) {
                let short = String(name.dropFirst(prefix.count))
                if short != "HEAD" { names.insert(short) }
            }
        }
        return names.sorted()
    }

    /// Whether `.gitignore` rules (and `.git/info/exclude`) ignore this repo-relative path (a
    /// folder ends in "/").
    public func isIgnored(_ path: String) -> Bool {
        var ignored: Int32 = 0
        return git_ignore_path_is_ignored(&ignored, handle, path) == 0 && ignored == 1
    }

    /// The error for a revision that was not found, said for a person.
    func explained(_ error: GitError, revision: String) -> GitError {
        guard error.isNotFound else { return error }
        // `base~N` or `base^^`: how far back the history goes from base.
        if let (base, steps) = Self.ancestry(revision), let start = try? peelToCommit(base) {
            var depth = 0
            var current = start
            // Bounded: the answer only needs to reach `steps`.
            while depth < steps, let parent = (try? commitInfo(current))?.parents.first {
                current = parent
                depth += 1
            }
            if depth < steps {
                let earlier = depth == 1 ? "1 commit" : "\(depth) commits"
                return GitError(operation: "resolve \(revision)", message: "goes back past the first commit (\(base) has \(earlier) before it)",
                                code: error.code)
            }
        }
        let hint = Suggestion.hint(for: revision, in: referenceNames())
        return GitError(operation: "resolve \(revision)", message: "no branch, tag or commit of that name\(hint)", code: error.code)
    }

    /// `HEAD~3` → ("HEAD", 3); `main^^` → ("main", 2); else nil.
    static func ancestry(_ revision: String) -> (String, Int)? {
        if let tilde = revision.lastIndex(of: "~") {
            let base = String(revision[..<tilde]), count = revision[revision.index(after: tilde)...]
            guard !base.isEmpty else { return nil }
            if count.isEmpty { return (base, 1) }
            guard let steps = Int(count), steps >= 0, steps <= 1_000_000 else { return nil }
            return (base, steps)
        }
        let carets = revision.reversed().prefix { $0 == "^" }.count
        guard carets > 0, carets < revision.count else { return nil }
        return (String(revision.dropLast(carets)), carets)
    }
}
