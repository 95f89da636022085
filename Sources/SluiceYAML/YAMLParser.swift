import CYAML

/// Parses YAML text into `YAMLNode` documents with libyaml, keeping `line:column` for every
/// node. Anchors and aliases are expanded, but an alias expansion may not exceed
/// `maxAliasExpansion` nodes per document (an "alias bomb" is rejected, not expanded).
/// Duplicate mapping keys are errors; `<<` merge keys are applied.
public struct YAMLParser: Sendable {
    public var maxAliasExpansion: Int
    /// Whether `parseValues` may use `BlockYAMLReader`; tests turn it off to compare.
    public var usesBlockReader: Bool

    public init(maxAliasExpansion: Int = 100_000, usesBlockReader: Bool = true) {
        self.maxAliasExpansion = maxAliasExpansion
        self.usesBlockReader = usesBlockReader
    }

    /// Parses every document of a stream. Errors carry `file:line:column`.
    public func parse(_ bytes: [UInt8], file: String) throws(Diagnostic) -> [YAMLNode] {
        var builder = EventBuilder(file: file, maxAliasExpansion: maxAliasExpansion)
        try run(bytes, file: file, handler: &builder)
        return builder.documents
    }

    /// Parses a stream straight into untyped values with each document's position: for
    /// rendered manifests, where building the positioned node tree would be wasted work.
    public func parseValues(_ bytes: [UInt8], file: String) throws(Diagnostic) -> [(value: Value, mark: Mark)] {
        // Plain block YAML (what templates usually emit) takes the fast path; the rest,
        // and every error message, comes from libyaml.
        if usesBlockReader, let documents = BlockYAMLReader.read(bytes) { return documents }
        var builder = YAMLValueBuilder(file: file, maxAliasExpansion: maxAliasExpansion)
        try run(bytes, file: file, handler: &builder)
        return builder.documents
    }

    /// Feeds every libyaml event of `bytes` to `handler` (none for empty text).
    private func run<H: YAMLEventHandler>(_ bytes: [UInt8], file: String, handler: inout H) throws(Diagnostic) {
        if let bad = UTF8Check.firstInvalidByte(bytes) {
            throw Diagnostic(file: file, mark: bad, message: "file is not valid UTF-8 text")
        }
        if bytes.isEmpty { return }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            throw Diagnostic(file: file, message: "cannot initialise the YAML parser")
        }
        defer { yaml_parser_delete(&parser) }
        try bytes.withUnsafeBufferPointer { buffer throws(Diagnostic) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) != 0 else {
                    throw Self.parserError(parser, bytes: buffer, file: file)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try handler.handle(event)
            }
        }
    }

    /// Parses text that must hold exactly one document (an empty file is an error).
    public func parseSingle(_ bytes: [UInt8], file: String) throws(Diagnostic) -> YAMLNode {
        let documents = try parse(bytes, file: file)
        guard let first = documents.first else {
            throw Diagnostic(file: file, message: "file is empty; expected one YAML document")
        }
        guard documents.count == 1 else {
            throw Diagnostic(file: file, mark: documents[1].mark,
                             message: "expected one YAML document, found \(documents.count)")
        }
        return first
    }

    private static func parserError(
        _ parser: yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>, file: String
    ) -> Diagnostic {
        var mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        // libyaml's reader (control characters, bad encodings) says where by byte offset only;
        // its problem_mark stays 0:0, which printed every such error at 1:1.
        if parser.error == YAML_READER_ERROR {
            mark = Self.mark(atOffset: Int(parser.problem_offset), in: bytes)
        }
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        var message = problem
        if let context = parser.context.map({ String(cString: $0) }) {
            let at = parser.context_mark
            message += " (\(context) at line \(at.line + 1), column \(at.column + 1))"
        }
        let offset = Int(parser.problem_mark.index)
        var code = parser.error == YAML_READER_ERROR ? "yaml.reader" : "yaml.syntax"
        if offset < bytes.count, bytes[offset] == 0x09 {
            message = "tab character used for indentation; YAML indents with spaces only: " + message
            code = "yaml.tabIndentation"
        }
        return Diagnostic(file: file, mark: mark, message: message, code: code)
    }

    /// Line and column (in characters) of the byte at `offset`.
    static func mark(atOffset offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Mark {
        var line = 1, column = 1
        for byte in bytes.prefix(max(0, min(offset, bytes.count))) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1  // a character starts here (not a UTF-8 continuation byte)
            }
        }
        return Mark(line: line, column: column)
    }
}

/// Receives libyaml's events one by one.
protocol YAMLEventHandler {
    mutating func handle(_ event: yaml_event_t) throws(Diagnostic)
}

/// Reading libyaml's C strings.
enum YAMLEvents {
    /// Where an event starts, 1-based as messages print it.
    static func mark(_ event: yaml_event_t) -> Mark {
        Mark(line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
    }

    /// A scalar's text (it may hold NUL bytes, so its length is used, not a C string).
    static func text(of scalar: yaml_event_t.__Unnamed_union_data.__Unnamed_struct_scalar) -> String {
        scalar.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: Int(scalar.length)), as: UTF8.self) } ?? ""
    }

    static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
    }

    /// A list or mapping opened `open` levels deep, or an alias of a node `depth` deep used
    /// there: past `ValueLimits.nesting`, an error at the place (deeper would overflow the
    /// stack of whatever walks the value).
    static func checkNesting(_ open: Int, plus depth: Int = 0, file: String, mark: Mark) throws(Diagnostic) {
        guard open + depth > ValueLimits.nesting else { return }
        throw Diagnostic(file: file, mark: mark, message: "lists and mappings nest deeper than \(ValueLimits.nesting) levels (the limit of a YAML value)",
                         code: "limit.valueNesting")
    }

    static func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let tag = string(pointer), tag != "!" else { return nil }
        return tag
    }
}

/// Builds nodes from libyaml events with an explicit stack (no recursion on deep input).
/// Frames are classes, so an item is added in place (a value frame was copied per item,
/// which made a 40,000-item list take 14 s), and a mapping's keys are indexed, so the
/// duplicate-key check is one lookup.
private struct EventBuilder: YAMLEventHandler {
    let file: String
    let maxAliasExpansion: Int
    var documents: [YAMLNode] = []
    var stack: [Frame] = []
    var anchors: [String: YAMLNode] = [:]
    var aliasExpansion = 0

    final class Frame {
        let isMapping: Bool
        let mark: Mark
        let tag: String?
        let anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        /// Where each key of a mapping was first written.
        var keys: [String: Mark] = [:]
        var key: YAMLNode?
        var merges: [YAMLNode] = []

        init(isMapping: Bool, mark: Mark, tag: String?, anchor: String?) {
            self.isMapping = isMapping
            self.mark = mark
            self.tag = tag
            self.anchor = anchor
        }
    }

    init(file: String, maxAliasExpansion: Int) {
        self.file = file
        self.maxAliasExpansion = maxAliasExpansion
    }

    mutating func handle(_ event: yaml_event_t) throws(Diagnostic) {
        let mark = YAMLEvents.mark(event)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors = [:]
            aliasExpansion = 0
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = YAMLEvents.text(of: data)
            let style: YAMLScalar.Style
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let node = YAMLNode(.scalar(YAMLScalar(text, style: style)), mark: mark, tag: YAMLEvents.tag(data.tag))
            try complete(node, anchor: YAMLEvents.string(data.anchor))
        case YAML_SEQUENCE_START_EVENT:
            let data = event.data.sequence_start
            try YAMLEvents.checkNesting(stack.count + 1, file: file, mark: mark)
            stack.append(Frame(isMapping: false, mark: mark, tag: YAMLEvents.tag(data.tag), anchor: YAMLEvents.string(data.anchor)))
        case YAML_MAPPING_START_EVENT:
            let data = event.data.mapping_start
            try YAMLEvents.checkNesting(stack.count + 1, file: file, mark: mark)
            stack.append(Frame(isMapping: true, mark: mark, tag: YAMLEvents.tag(data.tag), anchor: YAMLEvents.string(data.anchor)))
        case YAML_SEQUENCE_END_EVENT:
            guard let frame = stack.popLast(), !frame.isMapping else { return }
            try complete(YAMLNode(.sequence(frame.items), mark: frame.mark, tag: frame.tag), anchor: frame.anchor)
        case YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast(), frame.isMapping else { return }
            let merged = try applyMerges(frame.pairs, merges: frame.merges)
            try complete(YAMLNode(.mapping(merged), mark: frame.mark, tag: frame.tag), anchor: frame.anchor)
        case YAML_ALIAS_EVENT:
            let name = YAMLEvents.string(event.data.alias.anchor) ?? ""
            guard var node = anchors[name] else {
                // The name is not quoted: an unquoted value that starts with `*` (a Secret's, say) is read as an alias.
                throw Diagnostic(file: file, mark: mark, message: "unknown alias: a value that starts with * must be quoted",
                                 code: "yaml.unknownAlias")
            }
            aliasExpansion += node.weight
            if aliasExpansion > maxAliasExpansion {
                throw Diagnostic(file: file, mark: mark, message:
                    "aliases expand to more than \(maxAliasExpansion) nodes; refusing a possible alias bomb", code: "yaml.aliasBomb")
            }
            try YAMLEvents.checkNesting(stack.count, plus: node.depth, file: file, mark: mark)
            node.mark = mark
            try complete(node, anchor: nil)
        default:
            break
        }
    }

    private mutating func complete(_ node: YAMLNode, anchor: String?) throws(Diagnostic) {
        if let anchor { anchors[anchor] = node }
        guard let top = stack.last else {
            documents.append(node)
            return
        }
        guard top.isMapping else {
            top.items.append(node)
            return
        }
        guard let key = top.key else {
            top.key = node
            return
        }
        top.key = nil
        if key.scalar?.text == "<<", key.scalar?.style == .plain {
            top.merges.append(node)
            return
        }
        if let text = key.scalar?.text {
            if let first = top.keys[text] {
                throw Diagnostic(file: file, mark: key.mark, message:
                    "duplicate key \"\(text)\" (first at line \(first.line), column \(first.column))", code: "yaml.duplicateKey")
            }
            top.keys[text] = key.mark
        }
        top.pairs.append(YAMLPair(key: key, value: node))
    }

    /// `<<: *base` or `<<: [*a, *b]`: keys not already present are taken from the merged maps.
    private func applyMerges(_ pairs: [YAMLPair], merges: [YAMLNode]) throws(Diagnostic) -> [YAMLPair] {
        guard !merges.isEmpty else { return pairs }
        var result = pairs
        var present = Set(pairs.compactMap { $0.key.scalar?.text })
        var sources: [YAMLNode] = []
        for merge in merges {
            if let items = merge.sequence { sources += items } else { sources.append(merge) }
        }
        for source in sources {
            guard let mergedPairs = source.mapping else {
                throw Diagnostic(file: file, mark: source.mark, message: "a << merge key needs a mapping or a list of mappings")
            }
            for pair in mergedPairs {
                guard let text = pair.key.scalar?.text, !present.contains(text) else { continue }
                present.insert(text)
                result.append(pair)
            }
        }
        return result
    }
}
