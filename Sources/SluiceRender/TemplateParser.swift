import SluiceModel
import SluiceYAML

/// Parses tokens into `TemplateNode`s: actions, `if`/`else if`/`else`, `with`, `range`,
/// `define`, `template`/`block`, `break`/`continue`; `include` is a function.
struct TemplateParser {
    private let tokens: [TemplateToken]
    private let file: String
    private let dialect: TemplateDialect
    private var position = 0
    private var defines: [String: (body: [TemplateNode], mark: Mark)] = [:]
    private var loopDepth = 0
    /// Open blocks and parentheses around the current token (`RenderLimits.templateNesting`).
    private var nesting = 0

    static func parse(_ text: String, file: String, dialect: TemplateDialect = .native) throws(TemplateError) -> ParsedTemplate {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(text, file: file), file: file, dialect: dialect)
        let (body, terminator) = try parser.parseList(topLevel: true)
        if let terminator {
            throw TemplateError(file: file, mark: terminator.mark, message: "unexpected {{\(terminator.word)}} with no open block")
        }
        return ParsedTemplate(file: file, body: body, defines: parser.defines)
    }

    private init(tokens: [TemplateToken], file: String, dialect: TemplateDialect) {
        self.tokens = tokens
        self.file = file
        self.dialect = dialect
    }

    private struct Terminator {
        var word: String   // "end" or "else"
        var mark: Mark
    }

    private var current: TemplateToken? { position < tokens.count ? tokens[position] : nil }

    private func error(_ mark: Mark?, _ message: String) -> TemplateError {
        TemplateError(file: file, mark: mark ?? tokens.last?.mark ?? .start, message: message)
    }

    /// One level deeper, opened at `mark`; the caller leaves it with `nesting -= 1`.
    private mutating func nest(_ mark: Mark) throws(TemplateError) {
        nesting += 1
        guard nesting <= RenderLimits.templateNesting else {
            throw TemplateError(file: file, mark: mark, message: "blocks and parentheses nest deeper than \(RenderLimits.templateNesting) levels (the limit of a template)",
                                limit: .templateNesting)
        }
    }

    private mutating func next() -> TemplateToken? {
        defer { position += 1 }
        return current
    }

    private mutating func expect(_ kind: TemplateToken.Kind, _ what: String) throws(TemplateError) {
        guard let token = next(), token.kind == kind else {
            throw error(tokens[min(position, tokens.count) - 1].mark, "expected \(what)")
        }
    }

    /// Parses nodes until `{{end}}` or `{{else ...}}` (returned, position after the word).
    private mutating func parseList(topLevel: Bool = false) throws(TemplateError) -> ([TemplateNode], Terminator?) {
        var nodes: [TemplateNode] = []
        while let token = next() {
            switch token.kind {
            case .text(let text):
                nodes.append(.text(text))
            case .leftDelim:
                guard let first = current else { throw error(token.mark, "unclosed action") }
                if case .identifier(let word) = first.kind {
                    switch word {
                    case "end":
                        position += 1
                        try expect(.rightDelim, "}} after end")
                        return (nodes, Terminator(word: word, mark: first.mark))
                    case "else":
                        position += 1
                        return (nodes, Terminator(word: word, mark: first.mark))
                    case "if", "with":
                        position += 1
                        nodes.append(.conditional(try parseConditional(isWith: word == "with", mark: first.mark)))
                        continue
                    case "range":
                        position += 1
                        nodes.append(.range(try parseRange(mark: first.mark)))
                        continue
                    case "define":
                        position += 1
                        guard topLevel else { throw error(first.mark, "{{define}} is only allowed at the top level of a file") }
                        try parseDefine(mark: first.mark)
                        continue
                    case "template", "block":
                        position += 1
                        nodes.append(try parseTemplateCall(isBlock: word == "block", mark: first.mark))
                        continue
                    case "break", "continue":
                        position += 1
                        guard loopDepth > 0 else { throw error(first.mark, "{{\(word)}} outside {{range}}") }
                        try expect(.rightDelim, "}} after \(word)")
                        nodes.append(word == "break" ? .loopBreak(first.mark) : .loopContinue(first.mark))
                        continue
                    default: break
                    }
                }
                let pipeline = try parsePipeline(allowDeclaration: true)
                try expect(.rightDelim, "}} to close the action")
                nodes.append(.action(pipeline))
            default:
                throw error(token.mark, "unexpected token")
            }
        }
        return (nodes, nil)
    }

    private mutating func parseConditional(isWith: Bool, mark: Mark) throws(TemplateError) -> TemplateNode.Conditional {
        let word = isWith ? "with" : "if"
        try nest(mark)
        defer { nesting -= 1 }
        var branches: [(condition: TemplatePipeline, body: [TemplateNode])] = []
        var condition = try parsePipeline(allowDeclaration: isWith)
        try expect(.rightDelim, "}} after {{\(word) ...")
        while true {
            let (body, terminator) = try parseList()
            branches.append((condition, body))
            guard let terminator else { throw error(mark, "{{\(word)}} without {{end}}") }
            if terminator.word == "end" { return .init(isWith: isWith, branches: branches, elseBody: []) }
            // else, else if, else with
            if let token = current, case .identifier(let chained) = token.kind, chained == word {
                position += 1
                condition = try parsePipeline(allowDeclaration: isWith)
                try expect(.rightDelim, "}} after {{else \(word) ...")
                continue
            }
            try expect(.rightDelim, "}} after {{else")
            let (elseBody, end) = try parseList()
            guard end?.word == "end" else { throw error(end?.mark ?? mark, "{{\(word)}} ... {{else}} without {{end}}") }
            return .init(isWith: isWith, branches: branches, elseBody: elseBody)
        }
    }

    private mutating func parseRange(mark: Mark) throws(TemplateError) -> TemplateNode.RangeLoop {
        try nest(mark)
        defer { nesting -= 1 }
        let pipeline = try parsePipeline(allowDeclaration: true, allowsTwoVariables: true)
        try expect(.rightDelim, "}} after {{range ...")
        loopDepth += 1
        let (body, terminator) = try parseList()
        loopDepth -= 1
        guard let terminator else { throw error(mark, "{{range}} without {{end}}") }
        if terminator.word == "end" { return .init(pipeline: pipeline, body: body, elseBody: []) }
        try expect(.rightDelim, "}} after {{else")
        let (elseBody, end) = try parseList()
        guard end?.word == "end" else { throw error(mark, "{{range}} ... {{else}} without {{end}}") }
        return .init(pipeline: pipeline, body: body, elseBody: elseBody)
    }

    private mutating func parseName(after word: String, mark: Mark) throws(TemplateError) -> String {
        guard let token = next(), case .string(let name) = token.kind else {
            throw error(mark, "{{\(word)}} needs a quoted template name")
        }
        return name
    }

    private mutating func parseDefine(mark: Mark) throws(TemplateError) {
        let name = try parseName(after: "define", mark: mark)
        try expect(.rightDelim, "}} after {{define \"\(name)\"")
        try nest(mark)
        defer { nesting -= 1 }
        let (body, terminator) = try parseList()
        guard terminator?.word == "end" else { throw error(mark, "{{define \"\(name)\"}} without {{end}}") }
        if let existing = defines[name] {
            throw error(mark, "template \"\(name)\" is defined twice (first at line \(existing.mark.line))")
        }
        defines[name] = (body, mark)
    }

    private mutating func parseTemplateCall(isBlock: Bool, mark: Mark) throws(TemplateError) -> TemplateNode {
        let word = isBlock ? "block" : "template"
        let name = try parseName(after: word, mark: mark)
        var argument: TemplatePipeline?
        if current?.kind != .rightDelim { argument = try parsePipeline(allowDeclaration: false) }
        try expect(.rightDelim, "}} after {{\(word) \"\(name)\" ...")
        if isBlock {
            try nest(mark)
            defer { nesting -= 1 }
            let (body, terminator) = try parseList()
            guard terminator?.word == "end" else { throw error(mark, "{{block \"\(name)\"}} without {{end}}") }
            if defines[name] == nil { defines[name] = (body, mark) }
        }
        return .include(name: name, argument: argument, mark: mark)
    }

    private mutating func parsePipeline(allowDeclaration: Bool, allowsTwoVariables: Bool = false) throws(TemplateError) -> TemplatePipeline {
        let start = current?.mark ?? .start, first = position
        var variables: [String] = []
        var isAssignment = false
        // Look ahead for `$x :=`, `$x, $y :=` or `$x =`.
        if case .variable(let first)? = current?.kind {
            var probe = position + 1
            var names = [first]
            if probe < tokens.count, tokens[probe].kind == .comma,
               probe + 1 < tokens.count, case .variable(let second) = tokens[probe + 1].kind {
                names.append(second)
                probe += 2
            }
            if probe < tokens.count, tokens[probe].kind == .declare || tokens[probe].kind == .assign {
                guard allowDeclaration else { throw error(start, "variable declaration not allowed here") }
                guard names.count == 1 || allowsTwoVariables else { throw error(start, "too many declarations: two variables only in range") }
                isAssignment = tokens[probe].kind == .assign
                variables = names
                position = probe + 1
            }
        }
        var commands: [TemplateCommand] = []
        while true {
            commands.append(try parseCommand())
            if current?.kind == .pipe {
                position += 1
                continue
            }
            break
        }
        return TemplatePipeline(variables: variables, isAssignment: isAssignment, commands: commands, mark: start,
                                text: describe(first..<position))
    }

    /// The pipeline's tokens as text (for messages): one pass over them, so that nested
    /// parentheses cost their length, not its square.
    private func describe(_ range: Range<Int>) -> String {
        tokens[range.clamped(to: tokens.indices)].map { Self.spell($0.kind) }.joined(separator: " ")
    }

    static func spell(_ kind: TemplateToken.Kind) -> String {
        switch kind {
        case .text(let t): return t
        case .leftDelim: return "{{"
        case .rightDelim: return "}}"
        case .identifier(let s), .number(let s), .variable(let s): return s
        case .field(let f): return "." + f
        case .dot: return "."
        case .string(let s): return "\"\(s)\""
        case .pipe: return "|"
        case .leftParen: return "("
        case .rightParen: return ")"
        case .declare: return ":="
        case .assign: return "="
        case .comma: return ","
        }
    }

    private mutating func parseCommand() throws(TemplateError) -> TemplateCommand {
        let start = current?.mark ?? .start
        var operands: [TemplateOperand] = []
        while let token = current {
            switch token.kind {
            case .rightDelim, .pipe, .rightParen:
                guard !operands.isEmpty else { throw error(token.mark, "missing value in pipeline") }
                return TemplateCommand(operands: operands, mark: start)
            default:
                if !operands.isEmpty && !token.spaced {
                    throw error(token.mark, "missing space between arguments")
                }
                operands.append(try parseOperand())
            }
        }
        throw error(start, "unclosed action")
    }

    private mutating func parseOperand() throws(TemplateError) -> TemplateOperand {
        guard let token = next() else { throw error(nil, "unexpected end of template") }
        let mark = token.mark
        switch token.kind {
        case .dot:
            return .dot(fields: [], mark: mark)
        case .field(let name):
            return .dot(fields: [name] + fieldChain(), mark: mark)
        case .variable(let name):
            return .variable(name: name, fields: fieldChain(), mark: mark)
        case .string(let s):
            return .literal(.string(s), mark: mark)
        case .number(let text):
            guard let value = Self.number(text) else { throw error(mark, "bad number syntax: \(text)") }
            return .literal(value, mark: mark)
        case .identifier(let word):
            switch word {
            case "true": return .literal(.bool(true), mark: mark)
            case "false": return .literal(.bool(false), mark: mark)
            case "nil": return .null(mark)
            case "end", "else", "if", "range", "with", "define", "template", "block", "break", "continue":
                throw error(mark, "unexpected keyword \"\(word)\" in pipeline")
            default:
                guard let function = TemplateFunction(rawValue: word), dialect == .helm || TemplateFunction.native.contains(function) else {
                    throw error(mark, "function \"\(word)\" not defined\(Suggestion.hint(for: word, in: TemplateFunctions.names(dialect)))")
                }
                return .function(function, mark: mark)
            }
        case .leftParen:
            try nest(mark)
            defer { nesting -= 1 }
            let inner = try parsePipeline(allowDeclaration: false)
            guard next()?.kind == .rightParen else { throw error(mark, "unclosed left parenthesis") }
            return .parenthesized(inner, fields: fieldChain(), mark: mark)
        default:
            throw error(mark, "unexpected \"\(Self.spell(token.kind))\" in pipeline")
        }
    }

    /// `.a.b` directly after a term (no space) extends it.
    private mutating func fieldChain() -> [String] {
        var fields: [String] = []
        while let token = current, !token.spaced, case .field(let name) = token.kind {
            fields.append(name)
            position += 1
        }
        return fields
    }

    static func number(_ text: String) -> Value? {
        let cleaned = text.filter { $0 != "_" }
        var body = Substring(cleaned)
        var negative = false
        if body.first == "-" || body.first == "+" { negative = body.first == "-"; body = body.dropFirst() }
        let lower = body.lowercased()
        var magnitude: Int?
        if lower.hasPrefix("0x") { magnitude = Int(lower.dropFirst(2), radix: 16) }
        else if lower.hasPrefix("0o") { magnitude = Int(lower.dropFirst(2), radix: 8) }
        else if lower.hasPrefix("0b") { magnitude = Int(lower.dropFirst(2), radix: 2) }
        else if lower.count > 1, lower.hasPrefix("0"), lower.allSatisfy(\.isNumber) { magnitude = Int(lower.dropFirst(), radix: 8) }
        else { magnitude = Int(lower) }
        if let magnitude { return .int(negative ? -magnitude : magnitude) }
        if let d = Double(cleaned), ScalarResolver.double(String(body)) != nil { return .double(d) }
        return nil
    }
}
