import Foundation
import SluiceYAML

/// A kind in one version of its group, as `x-kubernetes-group-version-kind` names it.
public struct GroupVersionKind: Hashable, Sendable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    /// From an object's `apiVersion` (`apps/v1`, `v1`) and kind.
    public init(apiVersion: String, kind: String) {
        if let slash = apiVersion.firstIndex(of: "/") {
            self.init(group: String(apiVersion[..<slash]), version: String(apiVersion[apiVersion.index(after: slash)...]), kind: kind)
        } else {
            self.init(group: "", version: apiVersion, kind: kind)
        }
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var description: String { "\(kind) \(apiVersion)" }
}

/// The schemas of the built-in kinds, from OpenAPI v3 documents as the API server serves
/// them under `/openapi/v3/<group path>` (`kubectl get --raw /openapi/v3/apis/apps/v1`).
/// Every named schema of every document is compiled into one graph: the names are Go
/// package paths, the same schema wherever it appears.
public struct KubernetesSchemas: Sendable {
    let graph: SchemaGraph
    let kinds: [GroupVersionKind: Int]
    let objectMeta: SchemaRoot?

    /// Why the documents could not be read; names the file.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public let file: String
        public let message: String
        public var description: String { file.isEmpty ? message : "\(file): \(message)" }
    }

    /// The kinds the documents define.
    public var kindCount: Int { kinds.count }

    /// Reads every `*.json` file of a folder. A JSON file that is not an OpenAPI document
    /// (the `/openapi/v3` index, `/version`) is passed over; a folder without a single
    /// kind is an error, since checking against nothing would pass everything.
    public static func load(directory: String) throws(LoadError) -> KubernetesSchemas {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw LoadError(file: directory, message: "cannot read the folder: \(error.localizedDescription)")
        }
        var documents: [(file: String, text: String)] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LoadError(file: path, message: "cannot read the file")
            }
            guard data.count <= maxDocumentBytes else {
                throw LoadError(file: path, message: "larger than \(maxDocumentBytes / 1_000_000) MB")
            }
            documents.append((path, String(decoding: data, as: UTF8.self)))
        }
        let schemas = try KubernetesSchemas(documents: documents)
        guard !schemas.kinds.isEmpty else {
            throw LoadError(file: directory, message: "no OpenAPI v3 document with Kubernetes kinds (x-kubernetes-group-version-kind) in the folder")
        }
        return schemas
    }

    /// A real API server's largest document (`api/v1`) is about 1.3 MB.
    static let maxDocumentBytes = 64_000_000

    public init(documents: [(file: String, text: String)]) throws(LoadError) {
        var components: [String: Value] = [:]
        var definedIn: [String: String] = [:]
        for document in documents {
            let value: Value
            do { value = try JSONReader.read(document.text) } catch {
                throw LoadError(file: document.file, message: "not JSON: \(error)")
            }
            guard value["openapi"]?.stringValue?.hasPrefix("3.") == true else { continue }
            guard case .map(let schemas)? = value.at(["components", "schemas"]) else { continue }
            for (name, schema) in schemas.sorted(by: { $0.key < $1.key }) {
                // Every document of a server repeats the schemas it shares (ObjectMeta, ...);
                // the same name with another content is a conflict, never settled by file order.
                if let known = components[name] {
                    guard known == schema else {
                        throw LoadError(file: document.file, message: "schema \(name) is defined differently in \(definedIn[name] ?? "another document")")
                    }
                    continue
                }
                components[name] = schema
                definedIn[name] = document.file
            }
        }
        var compiler = SchemaCompiler(origin: .builtIn, components: components)
        var kinds: [GroupVersionKind: Int] = [:]
        var kindNames: [GroupVersionKind: String] = [:]
        for name in components.keys.sorted() {
            guard let declared = components[name]?["x-kubernetes-group-version-kind"] else { continue }
            guard let gvks = declared.listValue else {
                throw LoadError(file: definedIn[name] ?? "", message: "schema \(name): x-kubernetes-group-version-kind must be a list")
            }
            let index: Int
            do { index = try compiler.compileNamed(name) } catch {
                throw LoadError(file: definedIn[name] ?? "", message: "schema \(name): \(error)")
            }
            for gvk in gvks {
                guard let version = gvk["version"]?.stringValue, let kind = gvk["kind"]?.stringValue else {
                    throw LoadError(file: definedIn[name] ?? "", message: "schema \(name): an x-kubernetes-group-version-kind entry needs a version and a kind")
                }
                let key = GroupVersionKind(group: gvk["group"]?.stringValue ?? "", version: version, kind: kind)
                if let other = kindNames[key], other != name {
                    throw LoadError(file: definedIn[name] ?? "", message: "\(kind) (\(key.group.isEmpty ? "" : key.group + "/")\(version)) is defined twice: by schema \(other) and by \(name)")
                }
                kinds[key] = index
                kindNames[key] = name
            }
        }
        let metaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        var meta: Int?
        if components[metaName] != nil {
            do { meta = try compiler.compileNamed(metaName) } catch {
                throw LoadError(file: definedIn[metaName] ?? "", message: "schema \(metaName): \(error)")
            }
        }
        let graph = compiler.graph
        self.graph = graph
        self.kinds = kinds
        objectMeta = meta.map { SchemaRoot(graph: graph, node: $0) }
    }

    func root(for kind: GroupVersionKind) -> SchemaRoot? {
        kinds[kind].map { SchemaRoot(graph: graph, node: $0) }
    }
}
