import SluiceYAML

/// One problem of a commit in JSON (`sluice validate -o json`, the API's 422): the location
/// only where there is one, so a bot annotates what has a file and line.
public struct DiagnosticEntry: Codable, Sendable, Equatable {
    public var file: String?
    public var line: Int?
    public var column: Int?
    public var message: String
    /// What kind of problem, for programs (`limit.rangeIterations`); absent for most.
    public var code: String?

    public init(_ d: Diagnostic) {
        file = d.file.isEmpty ? nil : d.file
        line = d.hasLocation ? d.mark?.line : nil
        column = d.hasLocation ? d.mark?.column : nil
        message = d.message
        code = d.code
    }
}
