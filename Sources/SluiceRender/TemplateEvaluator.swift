import SluiceModel
import SluiceYAML

/// Runs parsed templates against data. One evaluator renders one file for one cluster;
/// it is cheap to create and holds no shared state.
struct TemplateEvaluator {
    let library: TemplateLibrary
    private var file: String
    private var variables: [(name: String, value: Datum)] = []
    private var depth = 0
    /// Whether this evaluation read `.Cluster` (or used the root data whole).
    private(set) var readCluster = false
    /// Chart templates: every path followed from the root data (`$.Values.x`, `.Release.Name`),
    /// for `ChartTemplateMemo`; nil when not kept. With `readCluster` false, these are all the
    /// template read of its data.
    var readPaths: [[String]]?
    /// The lowest position in `variables` of a variable read (other than the root `$`)
    /// since the last reset: reads below a node's first own variable make it depend on
    /// what ran before it.
    private var lowestVariableRead = Int.max
    /// Where cluster-independent pipeline values are shared, and the release they belong
    /// to; nil for a cluster whose values differ from the add-on's (an override).
    private let memo: (store: ActionMemo, release: String)?
    /// `range` iterations so far in this render (`RenderLimits.rangeIterations`); an included
    /// template continues the count and hands it back.
    private var rangeIterations = 0
    /// What random functions draw from: one stream per template render (chart add-ons set
    /// it; nested runs share it). The default is shared, not made per evaluator: includes
    /// make an evaluator each.
    var random = TemplateEvaluator.unseeded
    /// What `now` is (`ChartContext.now`).
    var now = GoTime.zero
    private static let unseeded = ChartRandom(seed: [], template: "")
    static let maxIncludeDepth = 64

    enum Flow { case normal, breakLoop, continueLoop }

    init(library: TemplateLibrary, file: String, memo: (store: ActionMemo, release: String)? = nil) {
        self.library = library
        self.file = file
        self.memo = memo
    }

    var dialect: TemplateDialect { library.dialect }

    mutating func render(_ template: ParsedTemplate, data: Value) throws(TemplateError) -> String {
        var out = ""
        variables = [("$", .root(data))]
        rangeIterations = 0
        readCluster = false
        _ = try execute(template.body, dot: .root(data), into: &out)
        return out
    }

    /// Renders a template as `render` does and also returns its plan: which top-level
    /// nodes printed the same as they would on any cluster sharing the values.
    mutating func renderPlan(_ template: ParsedTemplate, data: Value) throws(TemplateError) -> (text: String, plan: TemplatePlan) {
        var out = ""
        var plan = TemplatePlan()
        variables = [("$", .root(data))]
        rangeIterations = 0
        readCluster = false
        for (index, node) in template.body.enumerated() {
            let before = (readCluster, lowestVariableRead, variables.count)
            (readCluster, lowestVariableRead) = (false, Int.max)
            var piece = ""
            _ = try execute(CollectionOfOne(node), dot: .root(data), into: &piece)
            var declares = false
            if case .action(let pipeline) = node, !pipeline.variables.isEmpty { declares = true }
            if readCluster || lowestVariableRead < before.2 || declares {
                plan.pieces.append(.node(index))
            } else {
                plan.append(text: piece)
            }
            out += piece
            readCluster = readCluster || before.0
            lowestVariableRead = min(lowestVariableRead, before.1)
        }
        return (out, plan)
    }

    /// Renders a template from its plan: the text pieces as they are, the nodes evaluated.
    mutating func render(_ plan: TemplatePlan, of template: ParsedTemplate, data: Value) throws(TemplateError) -> String {
        var out = ""
        variables = [("$", .root(data))]
        rangeIterations = 0
        for piece in plan.pieces {
            switch piece {
            case .text(let text): out += text
            case .node(let index): _ = try execute(CollectionOfOne(template.body[index]), dot: .root(data), into: &out)
            }
        }
        return out
    }

    func error(_ mark: Mark, _ message: String, limit: RenderLimits.Kind? = nil) -> TemplateError {
        TemplateError(file: file, mark: mark, message: message, limit: limit)
    }

    /// The output so far may not pass `RenderLimits.templateOutputBytes`.
    private func checkSize(_ out: String, at mark: Mark) throws(TemplateError) {
        guard out.utf8.count > RenderLimits.templateOutputBytes else { return }
        throw error(mark, "the template's output is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)",
                    limit: .templateOutputBytes)
    }

    private mutating func execute<Nodes: Collection<TemplateNode>>(_ nodes: Nodes, dot: Datum, into out: inout String) throws(TemplateError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .action(let pipeline):
                let result = try evaluate(pipeline, dot: dot)
                if pipeline.variables.isEmpty {
                    out += try printable(resolved(result), pipeline: pipeline)
                    try checkSize(out, at: pipeline.mark)
                }
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
                try checkSize(out, at: mark)
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
        let names = pipeline.variables, assigns = pipeline.isAssignment
        pipeline.variables = []
        pipeline.isAssignment = false
        var collection = resolved(try evaluate(pipeline, dot: dot))
        // `.Files` (and a `Glob` of it) ranges over its files, name to contents.
        if dialect == .helm, case .value(let value) = collection, let files = HelmFiles.files(of: value) { collection = .value(.map(files)) }
        if dialect == .helm, case .missing = collection { collection = .null }
        // Items are made as they are reached (`range 1000000000` makes none in advance).
        let count: Int
        let item: (Int) -> (key: Value, value: Value)
        switch collection {
        case .missing, .value(.null):
            (count, item) = (0, { _ in (.null, .null) })
        case .value(.list(let list)):
            (count, item) = (list.count, { (.int($0), list[$0]) })
        case .value(.map(let map)), .root(.map(let map)):
            let keys = map.keys.sorted()
            (count, item) = (keys.count, { (.string(keys[$0]), map[keys[$0]] ?? .null) })
        case .value(.int(let n)):
            (count, item) = (max(0, n), { (.int($0), .int($0)) })
        case .value(let other), .root(let other):
            throw error(loop.pipeline.mark, "range can't iterate over \(GoPrint.typeName(other)) value \(GoPrint.string(other))")
        case .goStruct(let s):
            throw error(loop.pipeline.mark, "range can't iterate over \(s.typeName) value \(s.printed)")
        }
        if count == 0 { return try execute(loop.elseBody, dot: dot, into: &out) }
        for index in 0..<count {
            rangeIterations += 1
            guard rangeIterations <= RenderLimits.rangeIterations else {
                throw error(loop.pipeline.mark, "more than \(RenderLimits.rangeIterations) range iterations in one template (the limit of one template)",
                            limit: .rangeIterations)
            }
            let item = item(index)
            let scope = variables.count
            // `$i, $e :=` declares them for the body; `$i, $e =` sets variables declared before.
            let values: [Datum] = names.count == 2 ? [.value(item.key), .value(item.value)] : [.value(item.value)]
            for (name, value) in zip(names, values) {
                if assigns {
                    guard let position = variables.lastIndex(where: { $0.name == name }) else {
                        throw error(loop.pipeline.mark, "undefined variable: \(name)")
                    }
                    variables[position].value = value
                } else {
                    variables.append((name, value))
                }
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
            throw error(mark, "template \"\(name)\" includes itself too deeply (more than \(Self.maxIncludeDepth) levels)", limit: .includeDepth)
        }
        do {
            return try run(target.body, of: library, file: target.file, memo: memo, context: argument)
        } catch var inner {
            if !inner.message.contains("included from") {
                inner.message += " (in template \"\(name)\" included from \(file):\(mark.line):\(mark.column))"
            }
            throw inner
        }
    }

    /// `body` run one level deeper (an include, a `tpl` text) with `context` as dot and `$`;
    /// the range count goes on from this evaluation's and comes back to it.
    private mutating func run(_ body: [TemplateNode], of library: TemplateLibrary, file: String, memo: (store: ActionMemo, release: String)?,
                              context: Datum) throws(TemplateError) -> String {
        var nested = TemplateEvaluator(library: library, file: file, memo: memo)
        nested.depth = depth + 1
        nested.rangeIterations = rangeIterations
        nested.random = random
        nested.now = now
        nested.variables = [("$", context)]
        if readPaths != nil { nested.readPaths = [] }
        var out = ""
        _ = try nested.execute(body, dot: context, into: &out)
        rangeIterations = nested.rangeIterations
        if nested.readCluster { readCluster = true }
        if let inner = nested.readPaths, !inner.isEmpty { readPaths?.append(contentsOf: inner) }
        return out
    }

    private func printable(_ datum: Datum, pipeline: TemplatePipeline) throws(TemplateError) -> String {
        switch datum {
        case .value(let value), .root(let value): return GoPrint.string(value)
        case .goStruct(let s): return s.printed
        case .missing(let key):
            // Helm prints a missing value as "<no value>" and then removes that text.
            if dialect == .helm { return "" }
            throw missingError(key, at: pipeline.mark)
        }
    }

    /// The root data used as a whole value: from here on the output may depend on the cluster.
    private mutating func resolved(_ datum: Datum) -> Datum {
        guard case .root(let value) = datum else { return datum }
        readCluster = true
        return .value(value)
    }

    func missingError(_ key: String, at mark: Mark) -> TemplateError {
        // Images are the release's, not values: say where they come from and which there are.
        if key == ".Images" || key.hasPrefix(".Images."), case .root(let root)? = variables.first?.value {
            let names = root.at("Images")?.mapValue?.keys.sorted() ?? []
            let known = names.isEmpty ? "gives this add-on no images" : "names \(names.map { "\"\($0)\"" }.joined(separator: ", "))"
            return error(mark, "map has no entry for key \(key): images come from the release (spec.addons.<add-on>.images in releases/), "
                         + "not values.yaml; the release \(known)\(Suggestion.hint(for: String(key.dropFirst(".Images.".count)), in: names))")
        }
        return error(mark, "map has no entry for key \(key); set it in values.yaml or the cluster's meta-config, or use `default`")
    }

    // MARK: - Pipelines

    mutating func evaluate(_ pipeline: TemplatePipeline, dot: Datum) throws(TemplateError) -> Datum {
        let value: Datum
        if let memo, pipeline.callsFunction, case .root = dot {
            let key = ActionMemo.Key(release: memo.release, file: file, mark: pipeline.mark)
            if let remembered = memo.store.value(for: key) {
                value = remembered
            } else {
                // Track this pipeline's own reads, then fold them into the enclosing ones.
                // Every variable a pipeline reads was declared before it.
                let outer = (readCluster, lowestVariableRead)
                (readCluster, lowestVariableRead) = (false, Int.max)
                value = try evaluateCommands(pipeline, dot: dot)
                if !readCluster && lowestVariableRead == Int.max { memo.store.remember(value, for: key) }
                readCluster = readCluster || outer.0
                lowestVariableRead = min(lowestVariableRead, outer.1)
            }
        } else {
            value = try evaluateCommands(pipeline, dot: dot)
        }
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

    private mutating func evaluateCommands(_ pipeline: TemplatePipeline, dot: Datum) throws(TemplateError) -> Datum {
        var result: Datum?
        for command in pipeline.commands {
            result = try evaluate(command, dot: dot, piped: result)
        }
        return result ?? .null
    }

    private mutating func evaluate(_ command: TemplateCommand, dot: Datum, piped: Datum?) throws(TemplateError) -> Datum {
        guard case .function(let function, let mark) = command.operands[0] else {
            guard command.operands.count == 1, piped == nil else {
                if dialect == .helm, let result = try callMethod(command, dot: dot, piped: piped) { return result }
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
        // Only the types are checked here: the root passed on (`include "x" .`) is not used whole yet.
        if dialect == .helm, let problem = HelmSignatures.problem(function, arguments.map { if case .root(let v) = $0 { .value(v) } else { $0 } },
                                                                   literalNil: { index in
                                                                       guard index < argumentNodes.count, case .null = argumentNodes[argumentNodes.startIndex + index] else { return false }
                                                                       return true
                                                                   }) {
            throw error(mark, "error calling \(function.rawValue): \(problem)")
        }
        if function == .include {
            guard arguments.count == 2, case .value(.string(let target)) = arguments[0] else {
                throw error(mark, "include needs a template name and a context: include \"name\" .")
            }
            return .value(.string(try include(target, argument: arguments[1], mark: mark)))
        }
        if function == .tpl {
            guard arguments.count == 2 else { throw error(mark, "tpl needs a template text and a context: tpl \"text\" .") }
            let text: String
            switch arguments[0] {
            case .value(.string(let s)): text = s
            case .value(let other), .root(let other): text = HelmFunctions.strval(other)
            case .goStruct(let s): text = s.printed
            case .missing: text = ""
            }
            return .value(.string(try tpl(text, context: arguments[1], mark: mark)))
        }
        for index in arguments.indices {
            arguments[index] = resolved(arguments[index])
            // In Helm's dialect a missing value is nil, wherever it goes.
            if dialect == .helm, case .missing = arguments[index] { arguments[index] = .null }
        }
        let result = try TemplateFunctions.call(function, arguments, at: mark, evaluator: self)
        if dialect == .helm, case .missing = result { return .null }
        return result
    }

    private mutating func evaluate(_ operand: TemplateOperand, dot: Datum) throws(TemplateError) -> Datum {
        switch operand {
        case .dot(let fields, let mark):
            return try walk(dot, fields: fields, prefix: "", mark: mark)
        case .variable(let name, let fields, let mark):
            guard let position = variables.lastIndex(where: { $0.name == name }) else {
                throw error(mark, "undefined variable \(name)")
            }
            let found = variables[position]
            if case .root = found.value {} else { lowestVariableRead = min(lowestVariableRead, position) }
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
    private mutating func walk(_ start: Datum, fields: [String], prefix: String, mark: Mark) throws(TemplateError) -> Datum {
        var current = start
        if case .root = start {
            if fields.first == "Cluster" { readCluster = true }
            if readPaths != nil, !fields.isEmpty { readPaths?.append(fields) }
        }
        func path(through index: Int) -> String { prefix + fields[...index].map { "." + $0 }.joined() }
        for (index, field) in fields.enumerated() {
            if dialect == .helm {
                // Go's template on Helm's values: a missing key is nil, and a field of nil is an error.
                switch current {
                case .missing, .value(.null):
                    throw error(mark, "nil pointer evaluating interface {}.\(field)")
                case .value(.map(let map)), .root(.map(let map)):
                    if let files = HelmFiles.files(of: .map(map)) {
                        current = .value(try method(field, onFiles: files, [], mark: mark))
                        continue
                    }
                    current = .value(map[field] ?? .null)
                    continue
                default:
                    break
                }
            }
            switch current {
            case .missing:
                return .missing(key: path(through: fields.count - 1))
            case .value(.map(let map)), .root(.map(let map)):
                guard let next = map[field] else { return .missing(key: path(through: fields.count - 1)) }
                current = .value(next)
            case .value(.null):
                return .missing(key: path(through: fields.count - 1))
            case .value(let other), .root(let other):
                throw error(mark, "can't evaluate field \(field) in type \(GoPrint.typeName(other)) (at \(path(through: index)))")
            case .goStruct(let s):
                guard let value = s.field(field) else {
                    throw error(mark, "can't evaluate field \(field) in type \(s.typeName) (at \(path(through: index)))")
                }
                current = .value(value)
            }
        }
        return current
    }

    // MARK: - Helm

    /// `.Files.Get "x"`, `.Capabilities.APIVersions.Has "v1"`: a method of the value the
    /// fields lead to; nil when the last field names no method there.
    private mutating func callMethod(_ command: TemplateCommand, dot: Datum, piped: Datum?) throws(TemplateError) -> Datum? {
        let receiverFields: [String], method: String, start: Datum, prefix: String
        switch command.operands[0] {
        case .dot(let fields, _) where !fields.isEmpty:
            (receiverFields, method, start, prefix) = (Array(fields.dropLast()), fields[fields.count - 1], dot, "")
        case .variable(let name, let fields, let mark) where !fields.isEmpty:
            guard let found = variables.last(where: { $0.name == name }) else { throw error(mark, "undefined variable \(name)") }
            (receiverFields, method, start, prefix) = (Array(fields.dropLast()), fields[fields.count - 1], found.value, name)
        default:
            return nil
        }
        let receiver = resolved(try walk(start, fields: receiverFields, prefix: prefix, mark: command.mark)).value ?? .null
        var arguments: [Value] = []
        for operand in command.operands.dropFirst() { arguments.append(resolved(try evaluate(operand, dot: dot)).value ?? .null) }
        if let piped { arguments.append(resolved(piped).value ?? .null) }
        if let files = HelmFiles.files(of: receiver) { return .value(try self.method(method, onFiles: files, arguments, mark: command.mark)) }
        // `.Capabilities.APIVersions` is Helm's VersionSet: a list with `Has`.
        if method == "Has", case .list(let items) = receiver, arguments.count == 1 {
            return .value(.bool(items.contains(arguments[0])))
        }
        return nil
    }

    private func method(_ name: String, onFiles files: [String: Value], _ arguments: [Value], mark: Mark) throws(TemplateError) -> Value {
        switch HelmFiles.call(name, on: files, arguments) {
        case .success(let value)?: return value
        case .failure(let refusal)?: throw error(mark, "Files.\(name): \(refusal.message)")
        case nil: throw error(mark, "can't evaluate field \(name) in type chart.Files")
        }
    }

    /// Helm's `tpl`: the text parsed as a template of this chart (its `define`s visible, and
    /// its own visible inside it) and run with `context` as dot and `$`.
    private mutating func tpl(_ text: String, context: Datum, mark: Mark) throws(TemplateError) -> String {
        guard depth < Self.maxIncludeDepth else {
            throw error(mark, "tpl calls itself too deeply (more than \(Self.maxIncludeDepth) levels)", limit: .includeDepth)
        }
        let parsed: ParsedTemplate
        do { parsed = try library.parsedText(text) } catch var inner {
            inner.message = "error calling tpl: " + inner.message
            inner.file = file
            inner.mark = mark
            throw inner
        }
        do {
            return try run(parsed.body, of: library.adding(parsed.defines, from: file), file: file, memo: nil, context: context)
        } catch var inner {
            // Said at the call, with the place in the text given to tpl.
            if inner.file == file && !inner.message.hasPrefix("error calling tpl") {
                inner.message = "error calling tpl: \(inner.message) (at line \(inner.mark.line), column \(inner.mark.column) of its text)"
                inner.mark = mark
            }
            throw inner
        }
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
