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

/// One problem found in a fleet repo, printed as `file:line:column: message`.
public struct Diagnostic: Error, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var file: String
    public var mark: Mark
    public var message: String
    /// What kind of problem it is, for programs (tests, JSON output) rather than people:
    /// for example `limit.rangeIterations`; nil for most.
    public var code: String?

    public init(file: String, mark: Mark = .start, message: String, code: String? = nil) {
        self.file = file
        self.mark = mark
        self.message = message
        self.code = code
    }

    public var description: String { "\(file):\(mark.line):\(mark.column): \(message)" }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.file, a.mark, a.message) < (b.file, b.mark, b.message)
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
