import SluiceModel

/// Runs parsed templates against data. One evaluator renders one file for one cluster;
/// it is cheap to create and holds no shared state.
struct TemplateEvaluator {
    let library: TemplateLibrary
    private var file: String
    private var variables: [(name: String, value: Datum)] = []
    private var depth = 0
    static let maxIncludeDepth = 64

    enum Flow { case normal, breakLoop, continueLoop }

    init(library: TemplateLibrary, file: String) {
        self.library = library
        self.file = file
    }

    mutating func render(_ template: ParsedTemplate, data: Value) throws(TemplateError) -> String {
        var out = ""
        variables = [("$", .value(data))]
        _ = try execute(template.body, dot: .value(data), into: &out)
        return out
    }

    func error(_ mark: Mark, _ message: String) -> TemplateError {
        TemplateError(file: file, mark: mark, message: message)
    }

    private mutating func execute(_ nodes: [TemplateNode], dot: Datum, into out: inout String) throws(TemplateError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .action(let pipeline):
                let result = try evaluate(pipeline, dot: dot)
                if pipeline.variables.isEmpty { out += try printable(result, pipeline: pipeline) }
            case .conditional(let conditional):
                let mark = variables.count
                defer { variables.removeSubrange(mark...) }
                var taken = false
                for branch in conditional.branches {
                    let result = try evaluate(branch.condition, dot: dot)
                    if result.isTruthy {
                        let flow = try execute(branch.body, dot: conditional.isWith ? result : dot, into: &out)
                        if flow != .normal { return flow }
                        taken = true
                        break
                    }
                }
                if !taken {
                    let flow = try execute(conditional.elseBody, dot: dot, into: &out)
                    if flow != .normal { return flow }
                }
            case .range(let loop):
                let flow = try executeRange(loop, dot: dot, into: &out)
                if flow != .normal { return flow }
            case .include(let name, let argument, let mark):
                let argumentValue = try argument.map { pipeline throws(TemplateError) in try evaluate(pipeline, dot: dot) } ?? .null
                out += try include(name, argument: argumentValue, mark: mark)
            case .loopBreak:
                return .breakLoop
            case .loopContinue:
                return .continueLoop
            }
        }
        return .normal
    }

    private mutating func executeRange(_ loop: TemplateNode.RangeLoop, dot: Datum, into out: inout String) throws(TemplateError) -> Flow {
        let mark = variables.count
        defer { variables.removeSubrange(mark...) }
        var pipeline = loop.pipeline
        let names = pipeline.variables
        pipeline.variables = []
        let collection = try evaluate(pipeline, dot: dot)
        var items: [(key: Value, value: Value)] = []
        switch collection {
        case .missing, .value(.null):
            break
        case .value(.list(let list)):
            items = list.enumerated().map { (.int($0.offset), $0.element) }
        case .value(.map(let map)):
            items = map.keys.sorted().map { (.string($0), map[$0] ?? .null) }
        case .value(.int(let n)):
            items = (0..<max(0, n)).map { (.int($0), .int($0)) }
        case .value(let other):
            throw error(loop.pipeline.mark, "range can't iterate over \(GoPrint.typeName(other)) value \(GoPrint.string(other))")
        }
        if items.isEmpty { return try execute(loop.elseBody, dot: dot, into: &out) }
        for item in items {
            let scope = variables.count
            if names.count == 1 { variables.append((names[0], .value(item.value))) }
            if names.count == 2 {
                variables.append((names[0], .value(item.key)))
                variables.append((names[1], .value(item.value)))
            }
            let flow = try execute(loop.body, dot: .value(item.value), into: &out)
            variables.removeSubrange(scope...)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    mutating func include(_ name: String, argument: Datum, mark: Mark) throws(TemplateError) -> String {
        guard let target = try library.lookup(name, from: file, mark: mark) else {
            throw error(mark, "no template named \"\(name)\" in this add-on\(library.suggestion(for: name))")
        }
        guard depth < Self.maxIncludeDepth else {
            throw error(mark, "template \"\(name)\" includes itself too deeply (more than \(Self.maxIncludeDepth) levels)")
        }
        var nested = TemplateEvaluator(library: library, file: target.file)
        nested.depth = depth + 1
        nested.variables = [("$", argument)]
        var out = ""
        do {
            _ = try nested.execute(target.body, dot: argument, into: &out)
        } catch var inner {
            if !inner.message.contains("included from") {
                inner.message += " (in template \"\(name)\" included from \(file):\(mark.line):\(mark.column))"
            }
            throw inner
        }
        return out
    }

    private func printable(_ datum: Datum, pipeline: TemplatePipeline) throws(TemplateError) -> String {
        switch datum {
        case .value(let value): return GoPrint.string(value)
        case .missing(let key): throw missingError(key, at: pipeline.mark)
        }
    }

    func missingError(_ key: String, at mark: Mark) -> TemplateError {
        error(mark, "map has no entry for key \(key); set it in values.yaml or the cluster's meta-config, or use `default`")
    }

    // MARK: - Pipelines

    mutating func evaluate(_ pipeline: TemplatePipeline, dot: Datum) throws(TemplateError) -> Datum {
        var result: Datum?
        for command in pipeline.commands {
            result = try evaluate(command, dot: dot, piped: result)
        }
        let value = result ?? .null
        if pipeline.isAssignment {
            guard let index = variables.lastIndex(where: { $0.name == pipeline.variables[0] }) else {
                throw error(pipeline.mark, "undefined variable: \(pipeline.variables[0])")
            }
            variables[index].value = value
        } else if let name = pipeline.variables.first {
            variables.append((name, value))
        }
        return value
    }

    private mutating func evaluate(_ command: TemplateCommand, dot: Datum, piped: Datum?) throws(TemplateError) -> Datum {
        guard case .function(let function, let mark) = command.operands[0] else {
            guard command.operands.count == 1, piped == nil else {
                throw error(command.mark, "can't give arguments to a non-function \(describe(command.operands[0]))")
            }
            return try evaluate(command.operands[0], dot: dot)
        }
        let argumentNodes = command.operands.dropFirst()
        // `and` and `or` stop at the first decisive argument, as Go does.
        if function == .and || function == .or {
            var last: Datum = .null
            let all = Array(argumentNodes)
            guard !all.isEmpty || piped != nil else { throw error(mark, "wrong number of args for \(function.rawValue): want at least 1 got 0") }
            for node in all {
                last = try evaluate(node, dot: dot)
                if (function == .and) != last.isTruthy { return last }
            }
            if let piped { last = piped }
            return last
        }
        var arguments: [Datum] = []
        arguments.reserveCapacity(argumentNodes.count + 1)
        for node in argumentNodes { arguments.append(try evaluate(node, dot: dot)) }
        if let piped { arguments.append(piped) }
        if function == .include {
            guard arguments.count == 2, case .value(.string(let target)) = arguments[0] else {
                throw error(mark, "include needs a template name and a context: include \"name\" .")
            }
            return .value(.string(try include(target, argument: arguments[1], mark: mark)))
        }
        return try TemplateFunctions.call(function, arguments, at: mark, evaluator: self)
    }

    private mutating func evaluate(_ operand: TemplateOperand, dot: Datum) throws(TemplateError) -> Datum {
        switch operand {
        case .dot(let fields, let mark):
            return try walk(dot, fields: fields, prefix: "", mark: mark)
        case .variable(let name, let fields, let mark):
            guard let found = variables.last(where: { $0.name == name }) else {
                throw error(mark, "undefined variable \(name)")
            }
            return try walk(found.value, fields: fields, prefix: name, mark: mark)
        case .literal(let value, _):
            return .value(value)
        case .null:
            return .null
        case .function(let function, let mark):
            if function == .and || function == .or || function == .include {
                throw error(mark, "wrong number of args for \(function.rawValue)")
            }
            return try TemplateFunctions.call(function, [], at: mark, evaluator: self)
        case .parenthesized(let pipeline, let fields, let mark):
            let inner = try evaluate(pipeline, dot: dot)
            return try walk(inner, fields: fields, prefix: "(\(pipeline.text))", mark: mark)
        }
    }

    /// Follows `.a.b.c`. A key that is not there gives `.missing` naming the whole path, so a
    /// later `default` can supply it; a field of a non-map is an error at once. The path text
    /// is built only for those two cases: field access is the hottest code in rendering.
    private func walk(_ start: Datum, fields: [String], prefix: String, mark: Mark) throws(TemplateError) -> Datum {
        var current = start
        func path(through index: Int) -> String { prefix + fields[...index].map { "." + $0 }.joined() }
        for (index, field) in fields.enumerated() {
            switch current {
            case .missing:
                return .missing(key: path(through: fields.count - 1))
            case .value(.map(let map)):
                guard let next = map[field] else { return .missing(key: path(through: fields.count - 1)) }
                current = .value(next)
            case .value(.null):
                return .missing(key: path(through: fields.count - 1))
            case .value(let other):
                throw error(mark, "can't evaluate field \(field) in type \(GoPrint.typeName(other)) (at \(path(through: index)))")
            }
        }
        return current
    }

    private func describe(_ operand: TemplateOperand) -> String {
        switch operand {
        case .dot(let fields, _): return fields.isEmpty ? "." : "." + fields.joined(separator: ".")
        case .variable(let name, let fields, _): return ([name] + fields).joined(separator: ".")
        case .literal(let value, _): return GoPrint.string(value)
        case .null: return "nil"
        case .function(let function, _): return function.rawValue
        case .parenthesized(let p, _, _): return "(\(p.text))"
        }
    }
}
