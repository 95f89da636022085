import SluiceModel
import SluiceYAML

/// A template problem at a place in a template file.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var mark: Mark
    public var message: String
    /// The limit the template ran into, if that is what went wrong.
    public var limit: RenderLimits.Kind?

    public init(file: String, mark: Mark, message: String, limit: RenderLimits.Kind? = nil) {
        self.file = file
        self.mark = mark
        self.message = message
        self.limit = limit
    }

    public var description: String { "\(file):\(mark.line):\(mark.column): \(message)" }
    public var diagnostic: Diagnostic { Diagnostic(file: file, mark: mark, message: message, code: limit.map { "limit.\($0.rawValue)" }) }
}
