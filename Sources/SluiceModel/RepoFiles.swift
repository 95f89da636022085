import SluiceGit
import SluiceYAML

/// The files of a tree as the loader sees them: size-capped, UTF-8 checked, symbolic links
/// resolved only inside the repository. Problems are reported to the sink, once per file.
struct RepoFiles {
    let tree: SourceTree
    let maxFileSize: Int
    let sink: DiagnosticSink
    var cache: ParsedDocumentCache?
    private let kinds: [String: SourceEntry.Kind]
    private let paths: [String]
    /// Paths by their top two folders (`addons/dns`), so an add-on's files are found without
    /// scanning the whole tree for each add-on.
    private let byFolder: [String: [String]]

    init(tree: SourceTree, maxFileSize: Int, sink: DiagnosticSink, cache: ParsedDocumentCache? = nil) {
        self.tree = tree
        self.cache = cache
        self.maxFileSize = maxFileSize
        self.sink = sink
        let entries = tree.entries()
        paths = entries.map(\.path)
        kinds = Dictionary(entries.map { ($0.path, $0.kind) }, uniquingKeysWith: { first, _ in first })
        var byFolder: [String: [String]] = [:]
        for path in paths {
            let parts = path.split(separator: "/", maxSplits: 2)
            if parts.count == 3 { byFolder["\(parts[0])/\(parts[1])", default: []].append(path) }
        }
        self.byFolder = byFolder
    }

    func exists(_ path: String) -> Bool { kinds[path] != nil }

    /// What the tree holds at `path` (nil: nothing).
    func kind(of path: String) -> SourceEntry.Kind? { kinds[path] }

    /// The content id of a regular file (nil for a link, whose target may change without it).
    func contentID(_ path: String) -> String? { kinds[path] == .file ? tree.contentID(path) : nil }

    /// The id of everything under `folder`, when nothing there is a link (one may lead out).
    func folderID(_ folder: String) -> String? {
        guard files(under: folder).allSatisfy({ kinds[$0] == .file }) else { return nil }
        return tree.folderID(folder)
    }

    /// Immediate sub-folders of `folder`, e.g. `addons/dns`.
    func folders(under folder: String) -> [String] {
        let prefix = folder + "/"
        var result: [String] = []
        for path in paths where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            guard let slash = rest.firstIndex(of: "/") else { continue }
            let child = prefix + rest[..<slash]
            if result.last != child { result.append(child) }
        }
        return Array(Set(result)).sorted()
    }

    /// `*.yaml` / `*.yml` directly in `folder`.
    func yamlFiles(directlyUnder folder: String) -> [String] {
        let prefix = folder + "/"
        return paths.filter { path in
            guard path.hasPrefix(prefix), !path.dropFirst(prefix.count).contains("/") else { return false }
            return path.hasSuffix(".yaml") || path.hasSuffix(".yml")
        }
    }

    /// Every file below `folder`, at any depth.
    func files(under folder: String) -> [String] {
        let prefix = folder + "/"
        let parts = folder.split(separator: "/", maxSplits: 2)
        let candidates = parts.count >= 2 ? byFolder["\(parts[0])/\(parts[1])"] ?? [] : paths
        return candidates.filter { $0.hasPrefix(prefix) }
    }

    /// The bytes of a file, following a symbolic link that stays inside the repository (and,
    /// given `folder`, inside that folder: an add-on's files are its own, never another's).
    func read(_ path: String, within folder: String? = nil) -> [UInt8]? {
        guard let target = resolve(path, hops: 0) else { return nil }
        if let folder, !RepoPath.isInside(target, folder: folder) {
            sink.error(path, "symbolic link to \(target), outside the add-on folder \(folder): an add-on reads only its own files",
                       code: "repo.linkLeavesAddon")
            return nil
        }
        guard kinds[target] == .file else {
            sink.error(path, kinds[target] == .submodule ? "is a Git submodule, not a file" : "is not a file")
            return nil
        }
        do {
            let size = try tree.size(of: target)
            guard size <= maxFileSize else {
                sink.error(path, "file is \(size) bytes, over the \(maxFileSize >> 20) MiB limit for fleet-repo files")
                return nil
            }
            return try tree.read(target)
        } catch {
            sink.error(path, "cannot read: \(error)")
            return nil
        }
    }

    func utf8(_ bytes: [UInt8], path: String) -> String? {
        if let mark = UTF8Check.firstInvalidByte(bytes) {
            sink.error(path, mark, "file is not valid UTF-8 text")
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads and parses a file holding one YAML document. A cached parse holding another
    /// number of documents is parsed again, so that the error is reported.
    func document(_ path: String, parser: YAMLParser) -> YAMLNode? {
        if let id = kinds[path] == .file ? tree.contentID(path) : nil,
           let known = cache?.documents(path: path, contentID: id), known.count == 1 {
            return known[0]
        }
        guard let bytes = read(path) else { return nil }
        do {
            return try parser.parseSingle(bytes, file: path)
        } catch {
            sink.append(error)
            return nil
        }
    }

    /// Reads and parses a file holding any number of YAML documents.
    func documents(_ path: String, parser: YAMLParser, within folder: String? = nil) -> [YAMLNode]? {
        cached(path, within: folder) { bytes throws(Diagnostic) in try parser.parse(bytes, file: path) }
    }

    /// Parsed documents from the cache when the file's content was parsed before (in this
    /// or another commit), else read and parsed here.
    private func cached(_ path: String, within folder: String? = nil, parse: ([UInt8]) throws(Diagnostic) -> [YAMLNode]) -> [YAMLNode]? {
        let id = kinds[path] == .file ? tree.contentID(path) : nil
        if let cache, let id, let known = cache.documents(path: path, contentID: id) { return known }
        guard let bytes = read(path, within: folder) else { return nil }
        do {
            let parsed = try parse(bytes)
            if let cache, let id { cache.remember(parsed, path: path, contentID: id) }
            return parsed
        } catch {
            sink.append(error)
            return nil
        }
    }

    private func resolve(_ path: String, hops: Int) -> String? {
        guard let kind = kinds[path] else {
            sink.error(path, "no such file")
            return nil
        }
        guard kind == .symlink else { return path }
        guard hops < 8 else {
            sink.error(path, "too many levels of symbolic links")
            return nil
        }
        guard let target = try? tree.linkTarget(path) else {
            sink.error(path, "cannot read symbolic link")
            return nil
        }
        guard let resolved = RepoPath.join(RepoPath.directory(of: path), target) else {
            sink.error(path, "symbolic link to \"\(target)\" leaves the repository; links must stay inside it")
            return nil
        }
        guard kinds[resolved] != nil else {
            sink.error(path, "symbolic link to \"\(target)\" points to nothing in the repository")
            return nil
        }
        return resolve(resolved, hops: hops + 1)
    }
}

/// Repo-relative path arithmetic that never leaves the root.
public enum RepoPath {
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// `base` + `relative`, normalised; nil when it is absolute or climbs above the root.
    public static func join(_ base: String, _ relative: String) -> String? {
        guard !relative.hasPrefix("/") else { return nil }
        var parts = base.split(separator: "/").map(String.init)
        for part in relative.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.joined(separator: "/")
    }

    /// True when `path` (repo-relative, normalised) is `folder` or inside it.
    public static func isInside(_ path: String, folder: String) -> Bool {
        path == folder || path.hasPrefix(folder + "/")
    }
}
