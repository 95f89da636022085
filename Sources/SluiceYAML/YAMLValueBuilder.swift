import CYAML

/// Builds `Value`s straight from libyaml events, for rendered manifests: the hot path of
/// rendering, where positions are needed only per document. Same rules as `YAMLParser`:
/// bounded aliases, duplicate keys rejected, `<<` merges applied.
struct YAMLValueBuilder: YAMLEventHandler {
    let file: String
    let maxAliasExpansion: Int
    var documents: [(value: Value, mark: Mark)] = []
    private var stack: [Container] = []
    private var anchors: [String: (value: Value, weight: Int, depth: Int)] = [:]
    private var aliasExpansion = 0
    private var documentMark = Mark.start

    /// An open list or mapping, a class so children are added in place.
    private final class Container {
        let isMapping: Bool
        let anchor: String?
        var items: [Value] = []
        var map: [String: Value] = [:]
        var key: String?
        var merges: [Value] = []
        var weight = 1
        /// Levels below it so far.
        var depth = 1

        init(isMapping: Bool, anchor: String?) {
            self.isMapping = isMapping
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
            documentMark = mark
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = YAMLEvents.text(of: data)
            // A mapping key stays the text as written, whatever it would resolve to.
            if let top = stack.last, top.isMapping, top.key == nil {
                top.key = text
                top.weight += 1
                return
            }
            let plain = data.style == YAML_PLAIN_SCALAR_STYLE || data.style == YAML_ANY_SCALAR_STYLE
            let tag = YAMLEvents.tag(data.tag)
            let value = plain && tag == nil ? ScalarResolver.resolvePlain(text)
                : ScalarResolver.resolve(YAMLScalar(text, style: plain ? .plain : .doubleQuoted), tag: tag)
            try complete(value, weight: 1, depth: 0, anchor: YAMLEvents.string(data.anchor), mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            try openContainer(isMapping: false, anchor: YAMLEvents.string(event.data.sequence_start.anchor), mark: mark)
        case YAML_MAPPING_START_EVENT:
            try openContainer(isMapping: true, anchor: YAMLEvents.string(event.data.mapping_start.anchor), mark: mark)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let done = stack.popLast() else { return }
            if done.isMapping {
                for merge in done.merges {
                    for source in merge.listValue ?? [merge] {
                        guard case .map(let entries) = source else {
                            throw Diagnostic(file: file, mark: mark, message: "a << merge key needs a mapping or a list of mappings")
                        }
                        for (key, value) in entries where done.map[key] == nil { done.map[key] = value }
                    }
                }
                try complete(.map(done.map), weight: done.weight, depth: done.depth, anchor: done.anchor, mark: mark)
            } else {
                try complete(.list(done.items), weight: done.weight, depth: done.depth, anchor: done.anchor, mark: mark)
            }
        case YAML_ALIAS_EVENT:
            let name = YAMLEvents.string(event.data.alias.anchor) ?? ""
            guard let anchored = anchors[name] else {
                // The name is not quoted: an unquoted value that starts with `*` (a Secret's, say) is read as an alias.
                throw Diagnostic(file: file, mark: mark, message: "unknown alias: a value that starts with * must be quoted",
                                 code: "yaml.unknownAlias")
            }
            aliasExpansion += anchored.weight
            if aliasExpansion > maxAliasExpansion {
                throw Diagnostic(file: file, mark: mark, message:
                    "aliases expand to more than \(maxAliasExpansion) nodes; refusing a possible alias bomb", code: "yaml.aliasBomb")
            }
            if let top = stack.last, top.isMapping, top.key == nil {
                top.key = anchored.value.stringValue ?? JSONEmitter.emit(anchored.value)
                return
            }
            try YAMLEvents.checkNesting(stack.count, plus: anchored.depth, file: file, mark: mark)
            try complete(anchored.value, weight: anchored.weight, depth: anchored.depth, anchor: nil, mark: mark)
        default:
            break
        }
    }

    private mutating func openContainer(isMapping: Bool, anchor: String?, mark: Mark) throws(Diagnostic) {
        if let top = stack.last, top.isMapping, top.key == nil {
            // Complex keys (`? [a, b]`) have no place in Kubernetes objects.
            throw Diagnostic(file: file, mark: mark, message: "a mapping key must be a scalar")
        }
        try YAMLEvents.checkNesting(stack.count + 1, file: file, mark: mark)
        stack.append(Container(isMapping: isMapping, anchor: anchor))
    }

    private mutating func complete(_ value: Value, weight: Int, depth: Int, anchor: String?, mark: Mark) throws(Diagnostic) {
        if let anchor { anchors[anchor] = (value, weight, depth) }
        guard let top = stack.last else {
            documents.append((value, documentMark))
            return
        }
        top.weight += weight
        top.depth = max(top.depth, depth + 1)
        guard top.isMapping else {
            top.items.append(value)
            return
        }
        guard let key = top.key else { return }
        top.key = nil
        if key == "<<" {
            top.merges.append(value)
        } else if top.map.updateValue(value, forKey: key) != nil {
            throw Diagnostic(file: file, mark: mark, message: "duplicate key \"\(key)\"", code: "yaml.duplicateKey")
        }
    }
}
