import SluiceModel
import SluiceYAML

/// Turns rendered template text into Kubernetes objects: a `---`-separated YAML stream whose
/// non-empty documents must each be an object with `apiVersion`, `kind` and `metadata.name`.
/// A `kind: List` is unpacked into its items, as kubectl does.
public enum ManifestStream {
    public static func parse(_ text: String, template: String, parser: YAMLParser = YAMLParser())
        throws(Diagnostic) -> [(apiVersion: String, kind: String, object: [String: Value], mark: Mark)]
    {
        let documents: [(value: Value, mark: Mark)]
        do {
            documents = try parser.parseValues(Array(text.utf8), file: template)
        } catch {
            // The line is the rendered output's, not the template's: the template as a whole is at fault.
            var diagnostic = error
            diagnostic.message = "rendered output is not valid YAML" + (error.mark.map { " at its line \($0.line)" } ?? "") + ": \(error.message)"
            diagnostic.mark = nil
            throw diagnostic
        }
        var objects: [(String, String, [String: Value], Mark)] = []
        for document in documents {
            if case .null = document.value { continue }
            guard case .map(let map) = document.value else {
                throw Diagnostic(file: template, mark: document.mark, message: "rendered output: each YAML document must be a Kubernetes object (a mapping), found \(document.value.listValue == nil ? "a scalar" : "a list")")
            }
            guard case .string(let apiVersion)? = map["apiVersion"], !apiVersion.isEmpty else {
                throw Diagnostic(file: template, mark: document.mark, message: "rendered output: object has no apiVersion")
            }
            guard case .string(let kind)? = map["kind"], !kind.isEmpty else {
                throw Diagnostic(file: template, mark: document.mark, message: "rendered output: object has no kind")
            }
            if kind == "List", case .list(let items)? = map["items"] {
                for item in items {
                    guard case .map(let itemMap) = item, case .string(let v)? = itemMap["apiVersion"],
                          case .string(let k)? = itemMap["kind"] else {
                        throw Diagnostic(file: template, mark: document.mark, message: "rendered output: every item of a List needs apiVersion and kind")
                    }
                    objects.append((v, k, itemMap, document.mark))
                }
                continue
            }
            objects.append((apiVersion, kind, map, document.mark))
        }
        return objects
    }
}
