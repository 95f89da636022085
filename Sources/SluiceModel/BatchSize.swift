import SluiceYAML
/// One cumulative step: a count (`5`) or a share of the whole (`"10%"`).
public enum BatchSize: Sendable, Hashable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    /// How many of `total` are done once this step is done (at least 1 when total > 0).
    public func cumulative(of total: Int) -> Int {
        switch self {
        case .count(let n): return min(n, total)
        case .percent(let p): return total == 0 ? 0 : min(total, max(1, (total * p + 99) / 100))
        }
    }

    public var description: String {
        switch self {
        case .count(let n): return String(n)
        case .percent(let p): return "\(p)%"
        }
    }

    /// Reads a list of cumulative steps: each a positive count or 1%..100%, strictly growing.
    static func readList(_ items: [YAMLNode], file: String, sink: DiagnosticSink, what: String) -> [BatchSize] {
        var result: [BatchSize] = []
        var lastCount = 0, lastPercent = 0
        for (index, item) in items.enumerated() {
            guard let text = item.scalar?.text else {
                sink.error(file, item.mark, "\(what)[\(index)] must be a number or a percentage such as \"10%\"")
                continue
            }
            let size: BatchSize
            if text.hasSuffix("%") {
                guard let p = Int(text.dropLast()), (1...100).contains(p) else {
                    sink.error(file, item.mark, "\(what)[\(index)] \"\(text)\" must be a percentage from 1% to 100%")
                    continue
                }
                guard p > lastPercent else {
                    sink.error(file, item.mark, "\(what) are cumulative and must grow: \(text) after \(lastPercent)%")
                    continue
                }
                lastPercent = p
                size = .percent(p)
            } else {
                guard let n = Int(text), n >= 1 else {
                    sink.error(file, item.mark, "\(what)[\(index)] \"\(text)\" must be a positive count or a percentage such as \"10%\"")
                    continue
                }
                guard n > lastCount else {
                    sink.error(file, item.mark, "\(what) are cumulative and must grow: \(n) after \(lastCount)")
                    continue
                }
                lastCount = n
                size = .count(n)
            }
            result.append(size)
        }
        return result
    }
}
