import Dispatch
import SluiceGit
import Synchronization
import SluiceYAML

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
    /// What was built of a file (a cluster, a release...), of an add-on's folder or of a whole
    /// commit (a planner's index of its inputs), by type, path and content id: a commit after
    /// another builds only what changed. Only what was read without a diagnostic is kept,
    /// so an error is reported again.
    private let models = Mutex<[ModelKey: any Sendable]>([:])

    private struct ModelKey: Hashable {
        var type: ObjectIdentifier
        var key: Key
    }

    public init() {}

    public func model<T: Sendable>(_ type: T.Type, path: String, contentID: String) -> T? {
        models.withLock { $0[ModelKey(type: ObjectIdentifier(type), key: Key(path: path, contentID: contentID))] } as? T
    }

    public func remember<T: Sendable>(model: T, path: String, contentID: String) {
        models.withLock { $0[ModelKey(type: ObjectIdentifier(T.self), key: Key(path: path, contentID: contentID))] = model }
    }

    func documents(path: String, contentID: String) -> [YAMLNode]? {
        documents.withLock { $0[Key(path: path, contentID: contentID)] }
    }

    func remember(_ parsed: [YAMLNode], path: String, contentID: String) {
        documents.withLock { $0[Key(path: path, contentID: contentID)] = parsed }
    }

    /// Parses `paths` on every core into the cache: the tree is read on this thread (a Git
    /// handle is for one thread), only parsing runs in parallel. Files that are not plain,
    /// too large, unreadable or invalid are skipped: the loader reads them again and reports.
    func prefetch(_ paths: [String], from tree: SourceTree, parser: YAMLParser, maxFileSize: Int, parallelism: Int) {
        var work: [(path: String, id: String, bytes: [UInt8])] = []
        for path in paths {
            guard let id = tree.contentID(path), documents(path: path, contentID: id) == nil,
                  let size = try? tree.size(of: path), size <= maxFileSize, let bytes = try? tree.read(path) else { continue }
            work.append((path, id, bytes))
        }
        let workers = max(1, min(parallelism, work.count))
        guard !work.isEmpty else { return }
        let items = work
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: items.count, by: workers) {
                let item = items[index]
                if let parsed = try? parser.parse(item.bytes, file: item.path) {
                    remember(parsed, path: item.path, contentID: item.id)
                }
            }
        }
    }
}
