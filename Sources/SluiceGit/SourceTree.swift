/// What a fleet repo's files look like to the loader: the tree of one commit, or a directory.
///
/// Paths are relative to the repository root and use `/`. Nothing is ever read from outside
/// the tree: symbolic links are reported as links, never followed by the tree itself.
public protocol SourceTree {
    /// A human description such as `commit 1a2b3c4d5e6f` or `directory ./fleet`.
    var label: String { get }
    /// The commit this tree is, or nil for a working directory.
    var commit: ObjectID? { get }
    /// The commit's time (its committer's, seconds since 1970), or nil.
    var commitTime: Int64? { get }
    /// Every file, link and submodule, sorted by path.
    func entries() -> [SourceEntry]
    /// The size in bytes of a file, without reading it.
    func size(of path: String) throws -> Int
    /// The content of a file (not a link).
    func read(_ path: String) throws -> [UInt8]
    /// The target a symbolic link names, as written.
    func linkTarget(_ path: String) throws -> String
    /// An id that changes whenever the file's content does (a Git blob id), or nil when the
    /// tree has none to offer; lets a planner see that an input is unchanged without reading it.
    func contentID(_ path: String) -> String?
    /// An id that changes whenever anything under the folder does (a Git tree id), or nil.
    func folderID(_ path: String) -> String?
}

extension SourceTree {
    public var commitTime: Int64? { nil }
    public func contentID(_ path: String) -> String? { nil }
    public func folderID(_ path: String) -> String? { nil }
}

public struct SourceEntry: Hashable, Sendable {
    public enum Kind: Sendable { case file, symlink, submodule }
    public let path: String
    public let kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

public struct SourceTreeError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}
