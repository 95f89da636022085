import SluiceModel
import SluiceYAML

/// Sprig's regular-expression functions, on Go's syntax and semantics (`GoRegex`). As in
/// Sprig, `regexMatch` reads a pattern that does not compile as "no match", the other plain
/// forms fail the template (Go's `MustCompile` panics, which the template reports), and the
/// `must` forms return the error.
extension HelmFunctions {
    static func regex(_ call: Call) throws(TemplateError) -> Value? {
        switch call.function {
        case .regexQuoteMeta:
            try call.count(1...1)
            return .string(GoRegex.quoteMeta(call.string(0)))
        case .regexMatch:
            try call.count(2...2)
            guard case .success(let regex) = compiledRegex(call.string(0)) else { return .bool(false) }
            return .bool(try run(call) { () throws(GoRegexError) in try regex.matches(call.string(1)) })
        case .mustRegexMatch:
            try call.count(2...2)
            let regex = try compile(call)
            return .bool(try run(call) { () throws(GoRegexError) in try regex.matches(call.string(1)) })
        case .regexFind, .mustRegexFind:
            try call.count(2...2)
            let regex = try compile(call)
            return try call.made(try run(call) { () throws(GoRegexError) in try regex.find(call.string(1)) })
        case .regexFindAll, .mustRegexFindAll:
            try call.count(3...3)
            let regex = try compile(call), limit = try call.int(2)
            let found = try run(call) { () throws(GoRegexError) in try regex.findAll(call.string(1), limit: limit) }
            return try call.made(.list(found.map(Value.string)))
        case .regexReplaceAll, .mustRegexReplaceAll, .regexReplaceAllLiteral, .mustRegexReplaceAllLiteral:
            try call.count(3...3)
            let regex = try compile(call)
            let literal = call.function == .regexReplaceAllLiteral || call.function == .mustRegexReplaceAllLiteral
            return try call.made(try run(call) { () throws(GoRegexError) in
                try regex.replaceAll(call.string(1), with: call.string(2), literal: literal)
            })
        case .regexSplit, .mustRegexSplit:
            try call.count(3...3)
            let regex = try compile(call), limit = try call.int(2)
            let pieces = try run(call) { () throws(GoRegexError) in try regex.split(call.string(1), limit: limit) }
            return try call.made(.list(pieces.map(Value.string)))
        default:
            return nil
        }
    }

    /// Compiled expressions by pattern: Sprig compiles on every call; a chart's few patterns
    /// run for every cluster.
    private static let compiled = ShardedCache<String, Result<GoRegex, GoRegexError>>(capacity: 4_096)

    static func compiledRegex(_ pattern: String) -> Result<GoRegex, GoRegexError> {
        let hash = pattern.hashValue
        if let known = compiled.entry(pattern, hash: hash) { return known }
        let result = Result { () throws(GoRegexError) in try GoRegex(pattern) }
        compiled.store(result, for: pattern, hash: hash)
        return result
    }

    private static func compile(_ call: Call) throws(TemplateError) -> GoRegex {
        switch compiledRegex(call.string(0)) {
        case .success(let regex): return regex
        case .failure(let error): throw call.fail("regexp: Compile(`\(call.string(0))`): \(error)")
        }
    }

    private static func run<T>(_ call: Call, _ body: () throws(GoRegexError) -> T) throws(TemplateError) -> T {
        do { return try body() } catch {
            throw call.fail("\(error)", limit: error.kind == .workLimit ? .regexWork : nil)
        }
    }
}
