import Foundation
import SluiceGit
import SluiceYAML

/// Reads a fleet repo from a `SourceTree` (a commit or a directory) into typed values and
/// validates it. Reports every problem at once; returns nothing partial.
///
/// Safety: files larger than `maxFileSize` are refused before they are read; symbolic links
/// are followed only when they stay inside the repository; nothing outside the tree is read.
public struct FleetLoader: Sendable {
    public var maxFileSize: Int
    public var parser: YAMLParser
    /// Policies shipped with sluice, loaded before the repo's own `policies/`.
    public var shippedPolicies: [(path: String, text: String)]
    /// Documents parsed by earlier loads of the same repository (nil: parse everything).
    public var cache: ParsedDocumentCache?

    public init(maxFileSize: Int = 8 << 20, parser: YAMLParser = YAMLParser(),
                shippedPolicies: [(path: String, text: String)] = ShippedPolicies.files) {
        self.maxFileSize = maxFileSize
        self.parser = parser
        self.shippedPolicies = shippedPolicies
    }

    public func load(_ tree: SourceTree) throws(ValidationFailure) -> FleetRepository {
        let sink = DiagnosticSink()
        // Parse the YAML on every core first; the reading below then finds it in the cache.
        let cache = self.cache ?? ParsedDocumentCache()
        cache.prefetch(Self.yamlDocuments(in: tree), from: tree, parser: parser, maxFileSize: maxFileSize,
                       parallelism: ProcessInfo.processInfo.activeProcessorCount)
        let files = RepoFiles(tree: tree, maxFileSize: maxFileSize, sink: sink, cache: cache)

        var fleet: Fleet?
        if !files.exists("sluice.yaml") {
            sink.append(Diagnostic(message: "missing sluice.yaml (kind: Fleet) at the top of the repository"))
        } else if let node = files.document("sluice.yaml", parser: parser) {
            fleet = Fleet.read(node, file: "sluice.yaml", sink: sink)
        }

        var addons: [String: Addon] = [:]
        for folder in files.folders(under: "addons") {
            // Keyed by folder: a name that does not match its folder is reported once, and
            // references to the folder's add-on still resolve instead of cascading.
            if var addon = loadAddon(folder: folder, files: files, sink: sink) {
                let folderName = String(folder.dropFirst("addons/".count))
                addon.header.name.value = folderName
                addons[folderName] = addon
            }
        }
        let releases = loadAll(files, folder: "releases", sink: sink, read: AddonRelease.read, name: \.header)
        let clusters = loadAll(files, folder: "clusters", sink: sink, read: Cluster.read, name: \.header)
        let pipelines = loadAll(files, folder: "pipelines", sink: sink, read: Pipeline.read, name: \.header)

        var policies: [Policy] = []
        for shipped in shippedPolicies {
            if let node = try? parser.parseSingle(Array(shipped.text.utf8), file: shipped.path),
               let policy = Policy.read(node, file: shipped.path, sink: sink) {
                policies.append(policy)
            }
        }
        policies += loadAll(files, folder: "policies", sink: sink, read: Policy.read, name: \.header)
            .values.sorted { $0.header.file < $1.header.file }

        Self.checkCommands(policies: policies, pipelines: pipelines, files: files, sink: sink)
        guard let fleet else { throw ValidationFailure(sink.diagnostics) }
        let repository = FleetRepository(commit: tree.commit, commitTime: tree.commitTime, fleet: fleet, addons: addons, releases: releases,
                                         clusters: clusters, pipelines: pipelines, policies: policies)
        sink.append(contentsOf: FleetValidator.validate(repository))
        guard sink.isEmpty else { throw ValidationFailure(sink.diagnostics) }
        return repository
    }

    /// What `run` would refuse about programs, found by `validate`: an allowed program must be a
    /// file of the repo (not a link, not missing: the copy a check runs is read from the
    /// commit), and a `command` check of a repo program needs a policy that allows it.
    /// Programs outside the repo are allowed per machine (`sluice run --allow-command`).
    static func checkCommands(policies: [Policy], pipelines: [String: Pipeline], files: RepoFiles, sink: DiagnosticSink) {
        var allowed = Set<String>()
        for policy in policies {
            for command in policy.allowedCommands {
                allowed.insert(command.value)
                switch files.kind(of: command.value) {
                case .file?: break
                case .symlink?:
                    sink.error(policy.header.file, command.mark, "spec.allowedCommands: \"\(command.value)\" is a symbolic link; allow the program itself",
                               code: "policy.commandIsLink")
                case .submodule?, nil:
                    sink.error(policy.header.file, command.mark, "spec.allowedCommands: \"\(command.value)\" is not a file of the fleet repo",
                               code: "policy.commandMissing")
                }
            }
        }
        for (_, pipeline) in pipelines.sorted(by: { $0.key < $1.key }) {
            for (_, check) in pipeline.checks.sorted(by: { $0.key < $1.key }) {
                guard case .command(let program, _, _) = check.kind, !program.hasPrefix("/") else { continue }
                guard let path = RepoPath.join("", program), !path.isEmpty else { continue }  // reported where the check is read
                if !allowed.contains(path) {
                    sink.error(pipeline.header.file, check.name.mark,
                               "check \"\(check.name.value)\" runs \(program), which no policy's allowedCommands allows; add \"\(path)\" to a policy in policies/",
                               code: "pipeline.commandNotAllowed")
                }
            }
        }
    }

    /// The files `load` parses as YAML documents (plain files only).
    static func yamlDocuments(in tree: SourceTree) -> [String] {
        tree.entries().compactMap { entry in
            guard entry.kind == .file else { return nil }
            let path = entry.path
            guard path.hasSuffix(".yaml") || path.hasSuffix(".yml") else { return nil }
            let parts = path.split(separator: "/")
            switch (parts.count, parts.first) {
            case (1, _): return path == "sluice.yaml" ? path : nil
            case (2, "releases"), (2, "clusters"), (2, "pipelines"), (2, "policies"): return path
            case (3, "addons"): return parts[2] == "addon.yaml" || parts[2] == "values.yaml" ? path : nil
            default: return nil
            }
        }
    }

    /// One release file on its own (nil when it does not read as one), for comparing a
    /// release at an older commit without loading the whole fleet there.
    public func loadRelease(_ path: String, from tree: SourceTree) -> AddonRelease? {
        loadOne(path, from: tree, read: AddonRelease.read)
    }

    /// One cluster file on its own (nil when it does not read as one), for rebuilding an
    /// older commit's model from a newer one that differs in a few files.
    public func loadCluster(_ path: String, from tree: SourceTree) -> Cluster? {
        loadOne(path, from: tree, read: Cluster.read)
    }

    private func loadOne<T>(_ path: String, from tree: SourceTree, read: (YAMLNode, String, DiagnosticSink) -> T?) -> T? {
        let sink = DiagnosticSink()
        let files = RepoFiles(tree: tree, maxFileSize: maxFileSize, sink: sink, cache: cache)
        guard let node = files.document(path, parser: parser) else { return nil }
        let object = read(node, path, sink)
        return sink.isEmpty ? object : nil
    }

    private func loadAll<T: Sendable>(
        _ files: RepoFiles, folder: String, sink: DiagnosticSink,
        read: (YAMLNode, String, DiagnosticSink) -> T?, name: KeyPath<T, ObjectHeader>
    ) -> [String: T] {
        var result: [String: T] = [:]
        for path in files.yamlFiles(directlyUnder: folder) {
            guard let object = remembered(path, id: files.contentID(path), sink: sink, make: {
                files.document(path, parser: parser).flatMap { read($0, path, sink) }
            }) else { continue }
            let header = object[keyPath: name]
            if let existing = result[header.name.value] {
                let other = existing[keyPath: name]
                sink.error(path, header.name.mark, "duplicate name \"\(header.name.value)\": also defined in \(other.file):\(other.name.mark.line):\(other.name.mark.column)")
                continue
            }
            result[header.name.value] = object
        }
        return result
    }

    /// What `make` builds of `path`, or what it built of the same content before (only what
    /// was built without a diagnostic is kept).
    private func remembered<T: Sendable>(_ path: String, id: String?, sink: DiagnosticSink, make: () -> T?) -> T? {
        guard let cache, let id else { return make() }
        if let known = cache.model(T.self, path: path, contentID: id) { return known }
        let before = sink.count
        let made = make()
        if let made, sink.count == before { cache.remember(model: made, path: path, contentID: id) }
        return made
    }

    private func loadAddon(folder: String, files: RepoFiles, sink: DiagnosticSink) -> Addon? {
        // An add-on is its folder (addon.yaml, values.yaml, templates): one id says it changed.
        remembered(folder, id: files.folderID(folder), sink: sink) { readAddon(folder: folder, files: files, sink: sink) }
    }

    private func readAddon(folder: String, files: RepoFiles, sink: DiagnosticSink) -> Addon? {
        let file = folder + "/addon.yaml"
        guard files.exists(file) else {
            sink.error(folder, "add-on folder has no addon.yaml")
            return nil
        }
        guard let node = files.document(file, parser: parser),
              var addon = Addon.read(node, file: file, folder: folder, sink: sink) else { return nil }
        if files.exists(folder + "/Chart.yaml") {
            guard let chart = ChartReader(files: files).read(folder: folder, sink: sink) else { return nil }
            if chart.metadata.type == "library" {
                sink.error(folder + "/Chart.yaml", "a library chart renders nothing: it cannot be an add-on (a chart may use it as a subchart)")
                return nil
            }
            addon.chart = chart
            addon.templates = chart.templates
            addon.valuesFile = chart.valuesFile
            return addon
        }
        let valuesFile = folder + "/values.yaml"
        if files.exists(valuesFile) {
            addon.valuesFile = valuesFile
            if let documents = files.documents(valuesFile, parser: parser, within: folder) {
                if documents.count > 1 {
                    sink.error(valuesFile, documents[1].mark, "values.yaml must hold one document")
                } else if let root = documents.first, !root.isNull {
                    if root.mapping == nil {
                        sink.error(valuesFile, root.mark, "values.yaml must be a mapping, found \(root.kindDescription)")
                    } else {
                        addon.values = Value(root)
                    }
                }
            }
        }
        for path in files.files(under: folder + "/templates") {
            let name = path.split(separator: "/").last ?? ""
            guard name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".tpl") || name.hasSuffix(".json") else {
                if name != "NOTES.txt" && name != ".gitkeep" {
                    sink.error(path, "unexpected file in templates/: templates end in .yaml, .yml, .json or .tpl")
                }
                continue
            }
            if let bytes = files.read(path, within: folder), let text = files.utf8(bytes, path: path) {
                addon.templates.append(TemplateSource(path: path, text: text))
            }
        }
        if addon.templates.filter({ !$0.isHelper }).isEmpty {
            sink.error(file, addon.header.name.mark, "add-on \"\(addon.name)\" has no templates in \(folder)/templates")
        }
        return addon
    }
}

extension FleetLoader {
    /// Only `sluice.yaml`'s environments: what a controller needs to know which branches to
    /// follow, even when another file of the commit is broken (that commit is then rejected
    /// by its environment's rollout, not by the controller).
    public func environments(in tree: SourceTree) throws(ValidationFailure) -> [Fleet.Environment] {
        try fleet(in: tree).environments
    }

    /// `sluice.yaml` alone (its environments and notification routes).
    public func fleet(in tree: SourceTree) throws(ValidationFailure) -> Fleet {
        let sink = DiagnosticSink()
        let files = RepoFiles(tree: tree, maxFileSize: maxFileSize, sink: sink)
        var fleet: Fleet?
        if !files.exists("sluice.yaml") {
            sink.append(Diagnostic(message: "missing sluice.yaml (kind: Fleet) at the top of the repository"))
        } else if let node = files.document("sluice.yaml", parser: parser) {
            fleet = Fleet.read(node, file: "sluice.yaml", sink: sink)
        }
        guard let fleet, sink.isEmpty else { throw ValidationFailure(sink.diagnostics) }
        return fleet
    }
}
