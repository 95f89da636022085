import Foundation
import SluiceModel
import SluiceYAML

/// `.Files` of a chart: Helm's `Files` type, a map of file name to contents with methods
/// (`Get`, `GetBytes`, `Glob`, `Lines`, `AsConfig`, `AsSecrets`). Templates pass values
/// around, so the files travel as a map under one marker key that no YAML key can be; the
/// evaluator calls the methods on it.
enum HelmFiles {
    static let marker = "\u{0}files"

    static func value(_ files: [HelmChart.File]) -> Value {
        var map: [String: Value] = [:]
        for file in files { map[file.name] = .string(String(decoding: file.bytes, as: UTF8.self)) }
        return .map([marker: .map(map)])
    }

    /// The files of a `.Files` value, nil for any other value.
    static func files(of value: Value) -> [String: Value]? {
        guard case .map(let outer) = value, outer.count == 1, case .map(let files)? = outer[marker] else { return nil }
        return files
    }

    static let methods: Set<String> = ["Get", "GetBytes", "Glob", "Lines", "AsConfig", "AsSecrets"]

    struct Refusal: Error { var message: String }

    /// Calls `method` on the files; nil when there is no such method.
    static func call(_ method: String, on files: [String: Value], _ args: [Value]) -> Result<Value, Refusal>? {
        func argument() -> String? { args.count == 1 ? args[0].stringValue : nil }
        switch method {
        case "Get", "GetBytes":
            guard let name = argument() else { return .failure(Refusal(message: "\(method) takes one file name")) }
            return .success(files[name] ?? .string(""))
        case "Lines":
            guard let name = argument() else { return .failure(Refusal(message: "Lines takes one file name")) }
            guard var text = files[name]?.stringValue, !text.isEmpty else { return .success(.list([])) }
            if text.hasSuffix("\n") { text.removeLast() }
            return .success(.list(text.split(separator: "\n", omittingEmptySubsequences: false).map { .string(String($0)) }))
        case "Glob":
            guard let pattern = argument() else { return .failure(Refusal(message: "Glob takes one pattern")) }
            // Alternatives multiply the work: a bounded pattern keeps it small.
            guard pattern.count <= 1_024, pattern.count(where: { $0 == "{" }) <= 8 else {
                return .failure(Refusal(message: "the pattern is longer than 1,024 characters or has more than 8 {alternatives}"))
            }
            let glob = FilesGlob(pattern)
            return .success(.map([marker: .map(files.filter { glob.matches($0.key) })]))
        case "AsConfig", "AsSecrets":
            guard args.isEmpty else { return .failure(Refusal(message: "\(method) takes no arguments")) }
            var map: [String: Value] = [:]
            for (name, content) in files {
                let base = String(name.split(separator: "/").last ?? Substring(name))
                let text = content.stringValue ?? ""
                map[base] = .string(method == "AsConfig" ? text : Data(text.utf8).base64EncodedString())
            }
            var text = YAMLEmitter.emit(.map(map))
            if text.hasSuffix("\n") { text.removeLast() }
            return .success(.string(map.isEmpty ? "{}" : text))
        default:
            return nil
        }
    }
}

/// The glob of `.Files.Glob` (gobwas/glob with `/` as separator): `*` and `?` stay within a
/// path element, `**` crosses them, `[a-z]` classes and `{a,b}` alternatives. Matching is a
/// dynamic programme over pattern and name: quadratic at worst, never exponential.
struct FilesGlob {
    private enum Piece: Equatable {
        case literal(Character)
        case any            // ?
        case star           // *
        case deepStar       // **
        case characters([ClosedRange<Character>], negated: Bool)
        case alternatives([[Piece]])
    }

    private let pieces: [Piece]

    init(_ pattern: String) {
        var characters = Array(pattern)[...]
        pieces = Self.parse(&characters, until: nil)
    }

    private static func parse(_ text: inout ArraySlice<Character>, until stop: Set<Character>?) -> [Piece] {
        var pieces: [Piece] = []
        while let character = text.first {
            if let stop, stop.contains(character) { break }
            text = text.dropFirst()
            switch character {
            case "*":
                if text.first == "*" { text = text.dropFirst(); pieces.append(.deepStar) } else { pieces.append(.star) }
            case "?":
                pieces.append(.any)
            case "\\":
                if let next = text.first { pieces.append(.literal(next)); text = text.dropFirst() }
            case "[":
                var negated = false
                if text.first == "!" || text.first == "^" { negated = true; text = text.dropFirst() }
                var ranges: [ClosedRange<Character>] = []
                while let low = text.first, low != "]" {
                    text = text.dropFirst()
                    if text.first == "-", text.count > 1, let high = text.dropFirst().first, high != "]" {
                        text = text.dropFirst(2)
                        ranges.append(low <= high ? low...high : high...low)
                    } else {
                        ranges.append(low...low)
                    }
                }
                text = text.dropFirst()
                pieces.append(.characters(ranges, negated: negated))
            case "{":
                var options: [[Piece]] = []
                while true {
                    options.append(parse(&text, until: [",", "}"]))
                    guard let separator = text.first else { break }
                    text = text.dropFirst()
                    if separator == "}" { break }
                }
                pieces.append(.alternatives(options))
            default:
                pieces.append(.literal(character))
            }
        }
        return pieces
    }

    func matches(_ name: String) -> Bool { Self.matches(pieces[...], Array(name)[...]) }

    private static func matches(_ pieces: ArraySlice<Piece>, _ name: ArraySlice<Character>) -> Bool {
        // reachable[i]: the pieces so far can match name's first i characters.
        var reachable = [Bool](repeating: false, count: name.count + 1)
        reachable[0] = true
        var index = pieces.startIndex
        while index < pieces.endIndex {
            let piece = pieces[index]
            var next = [Bool](repeating: false, count: name.count + 1)
            let characters = Array(name)
            switch piece {
            case .star, .deepStar:
                var open = false
                for i in 0...characters.count {
                    if reachable[i] { open = true }
                    next[i] = open
                    if i < characters.count && piece == .star && characters[i] == "/" { open = false }
                }
            case .alternatives(let options):
                let rest = pieces[(index + 1)...]
                for i in 0...characters.count where reachable[i] {
                    for option in options where matches(ArraySlice(option + rest), name.dropFirst(i)) { return true }
                }
                return false
            default:
                for i in 0..<characters.count where reachable[i] && matchesOne(piece, characters[i]) { next[i + 1] = true }
            }
            reachable = next
            index += 1
        }
        return reachable[name.count]
    }

    private static func matchesOne(_ piece: Piece, _ character: Character) -> Bool {
        switch piece {
        case .literal(let expected): return character == expected
        case .any: return character != "/"
        case .characters(let ranges, let negated): return character != "/" && ranges.contains { $0.contains(character) } != negated
        default: return false
        }
    }
}
