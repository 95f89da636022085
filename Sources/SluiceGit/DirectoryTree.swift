import Foundation

/// A working directory read as a tree: for `sluice validate` on files not yet committed.
/// Symbolic links are listed as links and never followed; `.git` is skipped.
public final class DirectoryTree: SourceTree {
    public let root: String
    public let commit: ObjectID? = nil
    private let sortedEntries: [SourceEntry]

    /// `ignoring`: a Git repository whose working tree this is; what its `.gitignore` rules
    /// ignore (the state folder, editor files, build output) is left out, as Git leaves it out.
    public init(root: String, ignoring repository: GitRepository? = nil) throws {
        let base = URL(fileURLWithPath: root).standardizedFileURL.path
        self.root = base
        var found: [SourceEntry] = []
        try Self.walk(base, relative: "", ignoring: repository, into: &found)
        sortedEntries = found.sorted { $0.path < $1.path }
    }

    public var label: String { "directory \(root)" }

    public func entries() -> [SourceEntry] { sortedEntries }

    public func size(of path: String) throws -> Int {
        var info = stat()
        guard lstat(absolute(path), &info) == 0 else { throw SourceTreeError(path: path, message: "cannot stat") }
        return Int(info.st_size)
    }

    public func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: absolute(path)) else {
            throw SourceTreeError(path: path, message: "cannot read")
        }
        return [UInt8](data)
    }

    public func linkTarget(_ path: String) throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: absolute(path))
        } catch {
            throw SourceTreeError(path: path, message: "not a symbolic link")
        }
    }

    private func absolute(_ path: String) -> String { root + "/" + path }

    private static func walk(_ directory: String, relative: String, ignoring repository: GitRepository?,
                             into found: inout [SourceEntry]) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        for name in names where name != ".git" {
            let full = directory + "/" + name
            let path = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let isDirectory = info.st_mode & S_IFMT == S_IFDIR
            if let repository, repository.isIgnored(isDirectory ? path + "/" : path) { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try walk(full, relative: path, ignoring: repository, into: &found)
            case S_IFLNK: found.append(SourceEntry(path: path, kind: .symlink))
            case S_IFREG: found.append(SourceEntry(path: path, kind: .file))
            default: continue
            }
        }
    }
}
