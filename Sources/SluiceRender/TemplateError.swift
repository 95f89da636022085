import SluiceModel

/// A template problem at a place in a template file.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var mark: Mark
    public var message: String

    public init(file: String, mark: Mark, message: String) {
        self.file = file
        self.mark = mark
        self.message = message
    }

    public var description: String { "\(file):\(mark.line):\(mark.column): \(message)" }
    public var diagnostic: Diagnostic { Diagnostic(file: file, mark: mark, message: message) }
}
