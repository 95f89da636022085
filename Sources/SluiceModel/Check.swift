import Foundation
import SluiceYAML

/// A named gate of a pipeline (DESIGN §5). Parsed and validated here; run by the rollout.
public struct Check: Sendable {
    public enum Kind: Sendable {
        case timeWindow(TimeWindow)
        case freeze
        case health
        case http(url: String, expectStatus: Int, bodyPattern: String?, timeout: Duration)
        case prometheus(url: String, query: String, threshold: Threshold, timeout: Duration)
        case command(program: String, arguments: [String], timeout: Duration)
    }

    public var name: Located<String>
    public var kind: Kind

    static let types = ["timeWindow", "freeze", "health", "http", "prometheus", "command"]

    static func read(_ node: YAMLNode, name: Located<String>, file: String, sink: DiagnosticSink) -> Check? {
        let path = "spec.checks.\(name.value)"
        guard let typeNode = node["type"], let type = typeNode.scalar?.text else {
            sink.error(file, node.mark, "\(path) needs a \"type\": one of \(types.joined(separator: ", "))")
            return nil
        }
        let fields: [String]
        switch type {
        case "timeWindow": fields = ["type", "timezone", "allow", "deny"]
        case "freeze", "health": fields = ["type"]
        case "http": fields = ["type", "url", "expectStatus", "bodyPattern", "timeout"]
        case "prometheus": fields = ["type", "url", "query", "threshold", "timeout"]
        case "command": fields = ["type", "command", "args", "timeout"]
        default:
            sink.error(file, typeNode.mark, "\(path).type \"\(type)\" is not a check type; use one of \(types.joined(separator: ", "))\(Suggestion.hint(for: type, in: types))")
            return nil
        }
        guard let reader = NodeReader(node, file: file, sink: sink, path: path, fields: fields) else { return nil }
        let timeout = reader.duration("timeout")?.value ?? .seconds(30)
        switch type {
        case "timeWindow":
            guard let window = TimeWindow.read(reader) else { return nil }
            return Check(name: name, kind: .timeWindow(window))
        case "freeze": return Check(name: name, kind: .freeze)
        case "health": return Check(name: name, kind: .health)
        case "http":
            guard let url = reader.string("url", required: true) else { return nil }
            if !(url.value.hasPrefix("http://") || url.value.hasPrefix("https://")) {
                sink.error(file, url.mark, "\(path).url must start with http:// or https://")
            }
            return Check(name: name, kind: .http(url: url.value, expectStatus: reader.int("expectStatus", range: 100...599)?.value ?? 200,
                                                 bodyPattern: reader.string("bodyPattern")?.value, timeout: timeout))
        case "prometheus":
            guard let url = reader.string("url", required: true), let query = reader.string("query", required: true),
                  let thresholdText = reader.string("threshold", required: true) else { return nil }
            guard let threshold = Threshold(thresholdText.value) else {
                sink.error(file, thresholdText.mark, "\(path).threshold \"\(thresholdText.value)\" must be a comparison such as \"< 0.01\" or \">= 0.99\"")
                return nil
            }
            return Check(name: name, kind: .prometheus(url: url.value, query: query.value, threshold: threshold, timeout: timeout))
        default:
            guard let program = reader.string("command", required: true) else { return nil }
            return Check(name: name, kind: .command(program: program.value, arguments: reader.stringList("args").map(\.value), timeout: timeout))
        }
    }
}

/// `"< 0.01"`: a comparison of a query result with a number.
public struct Threshold: Sendable, Hashable {
    public enum Comparison: String, Sendable, CaseIterable { case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!=" }
    public var comparison: Comparison
    public var value: Double

    public init?(_ text: String) {
        let trimmed = text.split(separator: " ", omittingEmptySubsequences: true).joined()
        for comparison in Comparison.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
        where trimmed.hasPrefix(comparison.rawValue) {
            guard let number = Double(trimmed.dropFirst(comparison.rawValue.count)) else { return nil }
            self.comparison = comparison
            self.value = number
            return
        }
        return nil
    }

    public func passes(_ observed: Double) -> Bool {
        switch comparison {
        case .less: return observed < value
        case .lessOrEqual: return observed <= value
        case .greater: return observed > value
        case .greaterOrEqual: return observed >= value
        case .equal: return observed == value
        case .notEqual: return observed != value
        }
    }
}

/// Allowed and denied weekdays and hours in one time zone; deny wins over allow.
public struct TimeWindow: Sendable, Hashable {
    public struct Rule: Sendable, Hashable {
        /// 1 = Monday ... 7 = Sunday.
        public var days: Set<Int>
        /// Minutes after midnight, [start, end).
        public var minutes: Range<Int>?
    }

    public var timezone: String
    public var allow: [Rule]
    public var deny: [Rule]

    static let dayNames = ["Mon": 1, "Tue": 2, "Wed": 3, "Thu": 4, "Fri": 5, "Sat": 6, "Sun": 7]

    static func read(_ reader: NodeReader) -> TimeWindow? {
        let timezone = reader.string("timezone")?.value ?? "UTC"
        if let zone = reader.string("timezone"), TimeZone(identifier: zone.value) == nil {
            reader.sink.error(reader.file, zone.mark, "\(reader.path).timezone \"\(zone.value)\" is not a time zone; use an IANA name such as Europe/Berlin or UTC")
        }
        func rules(_ key: String) -> [Rule] {
            (reader.list(key) ?? []).enumerated().compactMap { index, item in
                let path = "\(reader.path).\(key)[\(index)]"
                guard let rule = NodeReader(item, file: reader.file, sink: reader.sink, path: path, fields: ["days", "hours"]) else { return nil }
                var days = Set<Int>()
                for day in rule.stringList("days") {
                    if let number = dayNames[day.value] { days.insert(number) } else {
                        reader.sink.error(reader.file, day.mark, "\(path): \"\(day.value)\" is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun")
                    }
                }
                if days.isEmpty { days = Set(1...7) }
                var minutes: Range<Int>?
                if let hours = rule.string("hours") {
                    minutes = parseHours(hours.value)
                    if minutes == nil {
                        reader.sink.error(reader.file, hours.mark, "\(path).hours \"\(hours.value)\" must be HH:MM-HH:MM with start before end")
                    }
                }
                return Rule(days: days, minutes: minutes)
            }
        }
        return TimeWindow(timezone: timezone, allow: rules("allow"), deny: rules("deny"))
    }

    public static func parseHours(_ text: String) -> Range<Int>? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]), start < end else { return nil }
        return start..<end
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.trimmingCharacters(in: " ").split(separator: ":")
        guard parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]), (0...24).contains(h), (0...59).contains(m),
              h * 60 + m <= 24 * 60 else { return nil }
        return h * 60 + m
    }
}

extension StringProtocol {
    func trimmingCharacters(in character: Character) -> Substring {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return s
    }
}
