import SluiceModel
import SluiceYAML

/// Sprig's lists and dicts. Go's maps are shared and Sprig's `set`, `unset` and `merge` change
/// them in place; here values are values: these functions return the changed map, and a
/// template that relies on the change being seen through another reference sees the old one.
extension HelmFunctions {
    static func collections(_ call: Call) throws(TemplateError) -> Value? {
        let args = call.args
        switch call.function {
        case .has, .mustHas:
            try call.count(2...2)
            switch args[1] {
            case .null: return .bool(false)
            case .list(let items): return .bool(items.contains(args[0]))
            case let other: throw call.fail("Cannot find has on type \(HelmFunctions.kind(other))")
            }
        case .hasKey:
            try call.count(2...2)
            return .bool(try call.map(0)[call.string(1)] != nil)
        case .append, .push, .mustAppend, .mustPush:
            try call.count(2...2)
            return try call.made(.list(try call.list(0) + [args[1]]))
        case .prepend, .mustPrepend:
            try call.count(2...2)
            return try call.made(.list([args[1]] + (try call.list(0))))
        case .concat:
            var out: [Value] = []
            for index in args.indices {
                if case .null = args[index] { continue }
                out += try call.list(index)
            }
            return try call.made(.list(out))
        case .first, .mustFirst:
            try call.count(1...1)
            if case .null = args[0] { return .null }
            return try call.list(0).first ?? .null
        case .last, .mustLast:
            try call.count(1...1)
            if case .null = args[0] { return .null }
            return try call.list(0).last ?? .null
        case .rest, .mustRest:
            try call.count(1...1)
            return .list(Array(try call.list(0).dropFirst()))
        case .initial, .mustInitial:
            try call.count(1...1)
            return .list(Array(try call.list(0).dropLast()))
        case .reverse, .mustReverse:
            try call.count(1...1)
            return .list(try call.list(0).reversed())
        case .uniq, .mustUniq:
            try call.count(1...1)
            var seen: [Value] = []
            for item in try call.list(0) where !seen.contains(item) { seen.append(item) }
            return .list(seen)
        case .compact, .mustCompact:
            try call.count(1...1)
            return .list(try call.list(0).filter { HelmFunctions.isTruthy($0) })
        case .without, .mustWithout:
            try call.atLeast(1)
            let drop = Array(args.dropFirst())
            return .list(try call.list(0).filter { !drop.contains($0) })
        case .sortAlpha:
            try call.count(1...1)
            guard case .list(let items) = args[0] else { return .list([.string(call.string(0))]) }
            return .list(items.map { .string(HelmFunctions.strval($0)) }.sorted { ($0.stringValue ?? "") < ($1.stringValue ?? "") })
        case .tuple:
            return try call.made(.list(args))
        case .toStrings:
            try call.count(1...1)
            guard case .list(let items) = args[0] else { return .list([.string(call.string(0))]) }
            return .list(items.map { .string(HelmFunctions.strval($0)) })
        case .keys:
            var keys: [Value] = []
            for index in args.indices { keys += try call.map(index).keys.map(Value.string) }
            return .list(keys)
        case .values:
            try call.count(1...1)
            return .list(Array(try call.map(0).values))
        case .get:
            try call.count(2...2)
            return try call.map(0)[call.string(1)] ?? .string("")
        case .set:
            try call.count(3...3)
            var map = try call.map(0)
            map[call.string(1)] = args[2]
            return try call.made(.map(map))
        case .unset:
            try call.count(2...2)
            var map = try call.map(0)
            map.removeValue(forKey: call.string(1))
            return .map(map)
        case .pick:
            try call.atLeast(1)
            let map = try call.map(0)
            var out: [String: Value] = [:]
            for index in args.indices.dropFirst() where map[call.string(index)] != nil { out[call.string(index)] = map[call.string(index)] }
            return .map(out)
        case .omit:
            try call.atLeast(1)
            var map = try call.map(0)
            for index in args.indices.dropFirst() { map.removeValue(forKey: call.string(index)) }
            return .map(map)
        case .dig:
            try call.atLeast(3)
            var current: Value = args[args.count - 1]
            for index in 0..<(args.count - 2) {
                guard case .map(let map) = current, let next = map[call.string(index)] else { return args[args.count - 2] }
                current = next
            }
            return current
        case .merge, .mergeOverwrite, .mustMerge, .mustMergeOverwrite:
            try call.atLeast(1)
            var destination = try call.map(0)
            for index in args.indices.dropFirst() {
                if case .null = args[index] { continue }
                destination = deepMerge(destination, try call.map(index), overwrite: call.function == .mergeOverwrite || call.function == .mustMergeOverwrite)
            }
            return try call.made(.map(destination))
        case .deepCopy, .mustDeepCopy:
            try call.count(1...1)
            return args[0]
        case .splitList:
            try call.count(2...2)
            let separator = call.string(0), text = call.string(1)
            let parts = separator.isEmpty ? text.map { String($0) } : text.components(separatedBy: separator)
            return try call.made(.list(parts.map(Value.string)))
        case .split:
            try call.count(2...2)
            let separator = call.string(0), text = call.string(1)
            let parts = separator.isEmpty ? text.map { String($0) } : text.components(separatedBy: separator)
            var map: [String: Value] = [:]
            for (index, part) in parts.enumerated() { map["_\(index)"] = .string(part) }
            return try call.made(.map(map))
        case .until, .untilStep, .seq:
            return try sequences(call)
        case .slice, .mustSlice, .chunk, .mustChunk, .pluck, .all, .any, .deepEqual, .typeIsLike:
            return try lists(call)
        default:
            return nil
        }
    }

    /// mergo's `Merge` as Sprig uses it: keys the destination lacks (or, overwriting, every
    /// key) come from the source, maps merging key by key; an empty value in the
    /// destination counts as absent.
    static func deepMerge(_ destination: [String: Value], _ source: [String: Value], overwrite: Bool) -> [String: Value] {
        var out = destination
        for (key, value) in source {
            if case .map(let inner)? = out[key], case .map(let incoming) = value {
                out[key] = .map(deepMerge(inner, incoming, overwrite: overwrite))
            } else if out[key].map(isTruthy) != true {
                // Absent or Go's zero value ("", 0, false, nil, empty): filled in.
                out[key] = value
            } else if overwrite && isTruthy(value) {
                out[key] = value
            }
        }
        return out
    }

    /// Go template truth.
    static func isTruthy(_ value: Value) -> Bool { Datum.value(value).isTruthy }

    /// `until`, `untilStep` and `seq`: lists of integers, at most `RenderLimits.rangeIterations`.
    private static func sequences(_ call: Call) throws(TemplateError) -> Value {
        var start = 0, stop = 0, step = 1
        switch call.function {
        case .until:
            try call.count(1...1)
            stop = try call.int(0)
            step = stop < 0 ? -1 : 1
        case .untilStep:
            try call.count(3...3)
            (start, stop, step) = (try call.int(0), try call.int(1), try call.int(2))
        default:
            // seq 5 | seq 2 5 | seq 1 2 10: inclusive, as GNU seq.
            try call.count(1...3)
            let numbers = try call.args.indices.map { i throws(TemplateError) in try call.int(i) }
            switch numbers.count {
            case 1: (start, stop, step) = (1, numbers[0], numbers[0] >= 1 ? 1 : -1)
            case 2: (start, stop, step) = (numbers[0], numbers[1], numbers[1] >= numbers[0] ? 1 : -1)
            default: (start, step, stop) = (numbers[0], numbers[1], numbers[2])
            }
            guard step != 0 else { return .list([]) }
            stop += step > 0 ? 1 : -1
        }
        guard step != 0, (step > 0 && start < stop) || (step < 0 && start > stop) else { return .list([]) }
        let (span, overflow) = stop.subtractingReportingOverflow(start)
        guard !overflow, span / step <= RenderLimits.rangeIterations else {
            throw call.fail("the list would hold more than \(RenderLimits.rangeIterations) numbers (the limit of one template)", limit: .rangeIterations)
        }
        return .list(Swift.stride(from: start, to: stop, by: step).map(Value.int))
    }
}
