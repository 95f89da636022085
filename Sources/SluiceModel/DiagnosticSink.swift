import SluiceGit
import SluiceYAML
/// Collects diagnostics while a file is read, so one pass reports every problem.
public final class DiagnosticSink {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public func error(_ file: String, _ mark: Mark, _ message: String, code: String? = nil) {
        diagnostics.append(Diagnostic(file: file, mark: mark, message: message, code: code))
    }

    /// A problem about `file` as a whole, at no line of it.
    public func error(_ file: String, _ message: String, code: String? = nil) {
        diagnostics.append(Diagnostic(file: file, message: message, code: code))
    }

    public func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }
    public func append(contentsOf more: [Diagnostic]) { diagnostics.append(contentsOf: more) }

    public var isEmpty: Bool { diagnostics.isEmpty }
    public var count: Int { diagnostics.count }
}

// `Suggestion` lives in SluiceGit (the lowest module, whose revision errors suggest branch
// names too); every module above sees it through SluiceModel.
public typealias Suggestion = SluiceGit.Suggestion
