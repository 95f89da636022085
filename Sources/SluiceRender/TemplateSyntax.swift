import SluiceModel
import SluiceYAML

/// Which rules a template follows: Sluice's own for native add-ons (a missing key is an
/// error, DESIGN §1's functions), or Helm's for chart add-ons (a missing key is nil, Helm's
/// and Sprig's functions, `.Files` and `.Capabilities` methods).
public enum TemplateDialect: Sendable, Equatable {
    case native
    case helm
}

/// The parsed form of a template: Go's text/template node types, reduced to what Sluice supports.
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    case conditional(Conditional)
    case range(RangeLoop)
    case include(name: String, argument: TemplatePipeline?, mark: Mark)
    case loopBreak(Mark)
    case loopContinue(Mark)

    struct Conditional: Sendable {
        /// `if` tests truth; `with` also rebinds dot to the value.
        var isWith: Bool
        var branches: [(condition: TemplatePipeline, body: [TemplateNode])]
        var elseBody: [TemplateNode]
    }

    struct RangeLoop: Sendable {
        var pipeline: TemplatePipeline
        var body: [TemplateNode]
        var elseBody: [TemplateNode]
    }
}

/// `$x := a | b c | d`: commands whose result feeds the last argument of the next.
struct TemplatePipeline: Sendable {
    var variables: [String]
    var isAssignment: Bool
    var commands: [TemplateCommand]
    var mark: Mark
    /// The source text, for messages.
    var text: String
    /// Whether a command calls a function: only such pipelines are worth remembering
    /// (`ActionMemo`); a plain field read is cheaper than a lookup.
    var callsFunction: Bool

    init(variables: [String], isAssignment: Bool, commands: [TemplateCommand], mark: Mark, text: String) {
        self.variables = variables
        self.isAssignment = isAssignment
        self.commands = commands
        self.mark = mark
        self.text = text
        callsFunction = commands.contains { command in
            command.operands.contains { operand in
                switch operand {
                case .function: return true
                case .parenthesized(let inner, _, _): return inner.callsFunction
                default: return false
                }
            }
        }
    }
}

struct TemplateCommand: Sendable {
    var operands: [TemplateOperand]
    var mark: Mark
}

indirect enum TemplateOperand: Sendable {
    case dot(fields: [String], mark: Mark)
    case variable(name: String, fields: [String], mark: Mark)
    case function(TemplateFunction, mark: Mark)
    case literal(Value, mark: Mark)
    case null(Mark)
    case parenthesized(TemplatePipeline, fields: [String], mark: Mark)

    var mark: Mark {
        switch self {
        case .dot(_, let m), .variable(_, _, let m), .function(_, let m), .literal(_, let m), .null(let m),
             .parenthesized(_, _, let m):
            return m
        }
    }
}

/// One parsed template file: its body and the templates it `define`s.
public struct ParsedTemplate: Sendable {
    public let file: String
    let body: [TemplateNode]
    let defines: [String: (body: [TemplateNode], mark: Mark)]
}
