import SluiceModel
import SluiceYAML

/// Sprig's `slice`, `chunk`, `pluck`, `all`, `any`, `deepEqual` and `typeIsLike`.
extension HelmFunctions {
    static func lists(_ call: Call) throws(TemplateError) -> Value? {
        let args = call.args
        switch call.function {
        case .slice, .mustSlice:
            // Go's slice expression: [start:end], both within the list, start <= end.
            try call.atLeast(1)
            let items = try call.list(0)
            if items.isEmpty { return .null }
            let start = args.count > 1 ? try call.int(1) : 0
            let end = args.count > 2 ? try call.int(2) : items.count
            guard start >= 0, end <= items.count, start <= end else {
                throw call.fail("slice bounds out of range [\(start):\(end)] with capacity \(items.count)")
            }
            return .list(Array(items[start..<end]))
        case .chunk, .mustChunk:
            try call.count(2...2)
            let size = try call.int(0), items = try call.list(1)
            guard size > 0 else { throw call.fail("the chunk size must be positive, got \(size)") }
            return .list(Swift.stride(from: 0, to: items.count, by: size).map { .list(Array(items[$0..<Swift.min($0 + size, items.count)])) })
        case .pluck:
            try call.atLeast(1)
            let key = call.string(0)
            var out: [Value] = []
            for index in args.indices.dropFirst() {
                if let value = try call.map(index)[key] { out.append(value) }
            }
            return .list(out)
        case .all:
            return .bool(args.allSatisfy(isTruthy))
        case .any:
            return .bool(args.contains(where: isTruthy))
        case .deepEqual:
            try call.count(2...2)
            return .bool(args[0] == args[1])
        case .typeIsLike:
            try call.count(2...2)
            let type = call.typeName(1), target = call.string(0)
            return .bool(target == type || "*" + target == type)
        default:
            return nil
        }
    }
}
