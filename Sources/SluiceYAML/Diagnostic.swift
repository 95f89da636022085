/// A place in a file: 1-based line and column, as editors count them.
public struct Mark: Hashable, Sendable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static let start = Mark(line: 1, column: 1)

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// One problem found in a fleet repo, printed as `file:line:column: message` when it is at a
/// place in a file, `error: file: message` when it is about a file as a whole, and
/// `error: message` when no file is at fault (a revision that does not resolve, an unknown
/// cluster name): a location is never invented.
public struct Diagnostic: Error, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The repo-relative file at fault; empty when none is.
    public var file: String
    /// Where in `file`; nil when the problem is not at a place in it.
    public var mark: Mark?
    public var message: String
    /// What kind of problem it is, for programs (tests, JSON output) rather than people:
    /// for example `limit.rangeIterations`; nil for most.
    public var code: String?

    public init(file: String, mark: Mark?, message: String, code: String? = nil) {
        self.file = file
        self.mark = mark
        self.message = message
        self.code = code
    }

    /// A problem about a whole file (it is empty, it should not be there).
    public init(file: String, message: String, code: String? = nil) {
        self.init(file: file, mark: nil, message: message, code: code)
    }

    /// A problem no file is at fault for.
    public init(message: String, code: String? = nil) {
        self.init(file: "", mark: nil, message: message, code: code)
    }

    public var description: String {
        if let mark, !file.isEmpty { return "\(file):\(mark.line):\(mark.column): \(message)" }
        return file.isEmpty ? "error: \(message)" : "error: \(file): \(message)"
    }

    /// Whether it points at a line of a file (editors and pull-request bots can annotate it).
    public var hasLocation: Bool { mark != nil && !file.isEmpty }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        let none = Mark(line: 0, column: 0)
        return (a.file, a.mark ?? none, a.message) < (b.file, b.mark ?? none, b.message)
    }
}

/// Every problem found at once, sorted by file and position: validation never stops at the first.
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted()
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
