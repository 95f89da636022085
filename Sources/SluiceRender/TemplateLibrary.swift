import SluiceModel
import SluiceYAML
import Synchronization

/// The templates of one add-on, parsed once and shared by every cluster that renders it.
///
/// `include`/`template` reach only this add-on: a name defined by one of its files, or one
/// of its template files by path relative to the add-on folder (`templates/_labels.tpl`).
/// A path that climbs out of the folder is refused; other add-ons' templates are invisible.
public struct TemplateLibrary: Sendable {
    public let folder: String
    public let dialect: TemplateDialect
    /// Files that render manifests (not `_` helpers), in path order.
    public let manifests: [ParsedTemplate]
    private(set) var defines: [String: (file: String, body: [TemplateNode], mark: Mark)]
    let files: [String: ParsedTemplate]
    /// Helm's name of each template file (`chart/templates/x.yaml`, a subchart's
    /// `chart/charts/sub/templates/y.yaml`), by its path in the repository.
    public let helmNames: [String: String]
    /// Texts given to `tpl`, parsed once.
    private let tplTexts = TplTexts()

    /// Parses every template of an add-on; reports every file's error, not just the first.
    public init(folder: String, sources: [TemplateSource]) throws(ValidationFailure) {
        self.folder = folder
        dialect = .native
        helmNames = [:]
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

    /// A chart's templates, its subcharts' with them, as Helm's engine puts them in one set:
    /// every `define` is seen by every template, and where a name is defined twice the one
    /// Helm parses last wins (Helm parses the deepest paths first, each depth in reverse
    /// order of names). `templates`: (Helm name, source), partials and `NOTES.txt` included.
    public init(chartFolder folder: String, templates: [(helmName: String, source: TemplateSource)]) throws(ValidationFailure) {
        self.folder = folder
        dialect = .helm
        var problems: [Diagnostic] = []
        var parsed: [(helmName: String, template: ParsedTemplate)] = []
        for (helmName, source) in templates {
            do {
                parsed.append((helmName, try TemplateParser.parse(source.text, file: source.path, dialect: .helm)))
            } catch {
                problems.append(error.diagnostic)
            }
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        parsed.sort { a, b in
            let (depthA, depthB) = (a.helmName.count(where: { $0 == "/" }), b.helmName.count(where: { $0 == "/" }))
            return depthA != depthB ? depthA > depthB : a.helmName > b.helmName
        }
        var defines: [String: (file: String, body: [TemplateNode], mark: Mark)] = [:]
        for (_, template) in parsed {
            for (name, define) in template.defines { defines[name] = (template.file, define.body, define.mark) }
        }
        self.defines = defines
        files = Dictionary(parsed.map { ($0.helmName, $0.template) }, uniquingKeysWith: { a, _ in a })
        helmNames = Dictionary(parsed.map { ($0.template.file, $0.helmName) }, uniquingKeysWith: { a, _ in a })
        manifests = parsed.filter { entry in
            let base = entry.helmName.split(separator: "/").last ?? ""
            return !base.hasPrefix("_") && base != "NOTES.txt"
        }.map(\.template).sorted { $0.file < $1.file }
    }

    func lookup(_ name: String, from file: String, mark: Mark) throws(TemplateError) -> (file: String, body: [TemplateNode])? {
        if let define = defines[name] { return (define.file, define.body) }
        // Helm names every file by its chart path: a template may be included by that name.
        if dialect == .helm { return files[name].map { ($0.file, $0.body) } }
        guard name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".tpl") else { return nil }
        guard let path = RepoPath.join(folder, name), RepoPath.isInside(path, folder: folder) else {
            throw TemplateError(file: file, mark: mark, message:
                "include \"\(name)\" reaches outside the add-on folder \(folder); templates can only include their own add-on's files")
        }
        return files[path].map { ($0.file, $0.body) }
    }

    /// The parsed template at a repository path (a chart's, by its Helm name).
    func template(atPath path: String) -> ParsedTemplate? {
        files[helmNames[path] ?? path]
    }

    /// A text given to `tpl`, parsed in Helm's dialect (once per text).
    func parsedText(_ text: String) throws(TemplateError) -> ParsedTemplate {
        if let known = tplTexts.parsed(text) { return known }
        let parsed = try TemplateParser.parse(text, file: "tpl", dialect: .helm)
        tplTexts.remember(parsed, for: text)
        return parsed
    }

    /// This library with `defines` (a `tpl` text's own) added over its own.
    func adding(_ extra: [String: (body: [TemplateNode], mark: Mark)], from file: String) -> TemplateLibrary {
        guard !extra.isEmpty else { return self }
        var copy = self
        var defines = self.defines
        for (name, define) in extra { defines[name] = (file, define.body, define.mark) }
        copy.defines = defines
        return copy
    }

    func suggestion(for name: String) -> String {
        let known = Array(defines.keys) + files.keys.map { String($0.dropFirst(folder.count + 1)) }
        return Suggestion.hint(for: name, in: known)
    }
}

/// `tpl` texts and their parses, shared by every render of a library; at most 4,096 texts
/// are kept (a chart that makes texts without end does not grow memory without end).
final class TplTexts: Sendable {
    private let parsedTexts = Mutex<[String: ParsedTemplate]>([:])

    func parsed(_ text: String) -> ParsedTemplate? { parsedTexts.withLock { $0[text] } }

    func remember(_ parsed: ParsedTemplate, for text: String) {
        parsedTexts.withLock { texts in
            if texts.count >= 4_096 { texts.removeAll() }
            texts[text] = parsed
        }
    }
}
