import Synchronization

/// Parsed YAML documents by path and content id (a Git blob id), shared by the loads of
/// several commits of one repository in one process: a commit that differs from another in a
/// few files parses only those. A file read error or a parse error is never cached, so it
/// is reported again with the commit that has it.
public final class ParsedDocumentCache: Sendable {
    private struct Key: Hashable {
        var path: String
        var contentID: String
    }

    private let documents = Mutex<[Key: [YAMLNode]]>([:])

    public init() {}

    func documents(path: String, contentID: String) -> [YAMLNode]? {
        documents.withLock { $0[Key(path: path, contentID: contentID)] }
    }

    func remember(_ parsed: [YAMLNode], path: String, contentID: String) {
        documents.withLock { $0[Key(path: path, contentID: contentID)] = parsed }
    }
}
