import SluiceModel
import SluiceYAML

/// The templates of one add-on, parsed once and shared by every cluster that renders it.
///
/// `include`/`template` reach only this add-on: a name defined by one of its files, or one
/// of its template files by path relative to the add-on folder (`templates/_labels.tpl`).
/// A path that climbs out of the folder is refused; other add-ons' templates are invisible.
public struct TemplateLibrary: Sendable {
    public let folder: String
    /// Files that render manifests (not `_` helpers), in path order.
    public let manifests: [ParsedTemplate]
    let defines: [String: (file: String, body: [TemplateNode], mark: Mark)]
    let files: [String: ParsedTemplate]

    /// Parses every template of an add-on; reports every file's error, not just the first.
    public init(folder: String, sources: [TemplateSource]) throws(ValidationFailure) {
        self.folder = folder
        var problems: [Diagnostic] = []
        var parsed: [ParsedTemplate] = []
        for source in sources {
            do {
                parsed.append(try TemplateParser.parse(source.text, file: source.path))
            } catch {
                problems.append(error.diagnostic)
            }
        }
        var defines: [String: (file: String, body: [TemplateNode], mark: Mark)] = [:]
        for template in parsed {
            for (name, define) in template.defines.sorted(by: { $0.key < $1.key }) {
                if let existing = defines[name] {
                    problems.append(Diagnostic(file: template.file, mark: define.mark, message:
                        "template \"\(name)\" is already defined in \(existing.file):\(existing.mark.line)"))
                    continue
                }
                defines[name] = (template.file, define.body, define.mark)
            }
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        self.defines = defines
        files = Dictionary(uniqueKeysWithValues: parsed.map { ($0.file, $0) })
        let helperNames = Set(sources.filter(\.isHelper).map(\.path))
        manifests = parsed.filter { !helperNames.contains($0.file) }.sorted { $0.file < $1.file }
    }

    func lookup(_ name: String, from file: String, mark: Mark) throws(TemplateError) -> (file: String, body: [TemplateNode])? {
        if let define = defines[name] { return (define.file, define.body) }
        guard name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".tpl") else { return nil }
        guard let path = RepoPath.join(folder, name), RepoPath.isInside(path, folder: folder) else {
            throw TemplateError(file: file, mark: mark, message:
                "include \"\(name)\" reaches outside the add-on folder \(folder); templates can only include their own add-on's files")
        }
        return files[path].map { ($0.file, $0.body) }
    }

    func suggestion(for name: String) -> String {
        let known = Array(defines.keys) + files.keys.map { String($0.dropFirst(folder.count + 1)) }
        return Suggestion.hint(for: name, in: known)
    }
}
