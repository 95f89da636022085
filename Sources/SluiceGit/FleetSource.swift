import Foundation

/// Opens what `--repo` and `--rev` name: a local repository, a URL to clone (kept in a
/// cache folder and fetched on later runs), or a plain directory when it is not a Git
/// repository and no revision is asked for.
public enum FleetSource {
    public struct Opened {
        public let tree: SourceTree
        /// Nil for a plain directory.
        public let repository: GitRepository?
    }

    public static func isURL(_ location: String) -> Bool {
        location.hasPrefix("https://") || location.hasPrefix("http://") || location.hasPrefix("ssh://")
            || location.hasPrefix("file://") || location.hasPrefix("git@")
    }

    /// Where `location` is read from on this machine: the folder itself, or a URL's clone.
    public static func localPath(_ location: String, cacheDirectory: String = ".sluice/cache") -> String {
        isURL(location) ? cacheDirectory + "/" + cacheName(for: location) : location
    }

    /// Opens `location` at `revision` (default `HEAD`).
    public static func open(_ location: String, revision: String?, cacheDirectory: String = ".sluice/cache",
                            credentials: GitCredentials = .none) throws -> Opened {
        let repository: GitRepository
        if isURL(location) {
            let folder = cacheDirectory + "/" + cacheName(for: location)
            if GitRepository.isRepository(folder) {
                repository = try GitRepository.open(folder)
                try repository.fetch(credentials: credentials)
            } else {
                try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
                repository = try GitRepository.clone(from: location, to: folder, credentials: credentials)
            }
        } else {
            do { repository = try GitRepository.open(location) } catch {
                // A `.git` that cannot be opened (emptied, objects gone, a `.git` file pointing
                // nowhere) is a broken repository, never read as a plain directory.
                if FileManager.default.fileExists(atPath: location + "/.git") {
                    throw GitError(operation: "open \(location)", message: "its .git cannot be read as a Git repository (\(error.message))",
                                   code: error.code)
                }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw SourceTreeError(path: location, message: "no such directory")
                }
                guard revision == nil else {
                    throw SourceTreeError(path: location, message: "is not a Git repository, so --rev cannot be used")
                }
                return Opened(tree: try DirectoryTree(root: location), repository: nil)
            }
        }
        let commit = try repository.resolve(revision ?? "HEAD")
        return Opened(tree: try repository.tree(at: commit), repository: repository)
    }

    /// The working tree of a local Git repository, uncommitted changes included (for
    /// pre-commit hooks and editors): its files as Git sees them, ignored ones left out. The
    /// tree has no commit, so nothing read this way can be applied or recorded.
    public static func openWorkingTree(_ location: String) throws -> Opened {
        guard !isURL(location) else { throw SourceTreeError(path: location, message: "--worktree needs a local repository, not a URL") }
        let repository: GitRepository
        do { repository = try GitRepository.open(location) } catch {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: location, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SourceTreeError(path: location, message: "no such directory")
            }
            throw SourceTreeError(path: location, message: "is not a Git repository: without --worktree a directory is read as it is")
        }
        return Opened(tree: try DirectoryTree(root: repository.path, ignoring: repository), repository: repository)
    }

    /// A folder name for a URL's clone, without its credentials.
    static func cacheName(for url: String) -> String {
        var cleaned = url
        if let at = cleaned.firstIndex(of: "@"), let scheme = cleaned.range(of: "://"), scheme.upperBound < at {
            cleaned.removeSubrange(scheme.upperBound...at)
        }
        return String(cleaned.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }.suffix(100))
    }
}
