import SluiceGit
import SluiceModel
import SluiceYAML

/// A source tree held in memory, for tests that need a few files and no Git.
final class InMemoryTree: SourceTree {
    let files: [String: String]
    init(files: [String: String]) { self.files = files }
    var label: String { "memory" }
    var commit: ObjectID? { nil }
    func entries() -> [SourceEntry] { files.keys.sorted().map { SourceEntry(path: $0, kind: .file) } }
    func size(of path: String) throws -> Int { files[path]?.utf8.count ?? 0 }
    func read(_ path: String) throws -> [UInt8] { Array((files[path] ?? "").utf8) }
    func linkTarget(_ path: String) throws -> String { throw SourceTreeError(path: path, message: "not a link") }
}

/// A small fleet in memory: add-ons with dependencies, one release `r` holding `members`.
enum GraphFixture {
    static func load(_ addons: [(String, [String])], release members: [String]) throws(ValidationFailure) -> FleetRepository {
        var files: [String: String] = [
            "sluice.yaml": """
                apiVersion: sluice.dev/v1
                kind: Fleet
                metadata: {name: f}
                spec:
                  environments:
                    - {name: e, branch: main, clusters: {}, pipeline: p}
                """,
            "pipelines/p.yaml": """
                apiVersion: sluice.dev/v1
                kind: Pipeline
                metadata: {name: p}
                spec:
                  stages:
                    - {name: s, clusters: {}}
                """,
        ]
        for (name, deps) in addons {
            files["addons/\(name)/addon.yaml"] = """
                apiVersion: sluice.dev/v1
                kind: Addon
                metadata:
                  name: \(name)
                spec:
                  namespace: default
                  dependsOn: [\(deps.joined(separator: ", "))]
                """
            files["addons/\(name)/templates/t.yaml"] = "{}"
        }
        files["releases/r.yaml"] = "apiVersion: sluice.dev/v1\nkind: AddonRelease\nmetadata: {name: r}\nspec:\n  version: \"1\"\n  addons:\n"
            + members.map { "    \($0): {version: \"1\", images: {main: \"x/\($0):1\"}}\n" }.joined()
        return try FleetLoader(shippedPolicies: []).load(InMemoryTree(files: files))
    }
}
