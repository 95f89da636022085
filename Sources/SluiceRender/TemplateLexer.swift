import SluiceModel
import SluiceYAML

/// A token of Go's template language. Text outside actions is one `.text` token, already
/// trimmed by `{{-` / `-}}` markers.
struct TemplateToken {
    enum Kind: Equatable {
        case text(String)
        case leftDelim, rightDelim
        case identifier(String)   // function names and keywords
        case field(String)        // .Name
        case dot                  // .
        case variable(String)     // $ or $name
        case string(String)
        case number(String)
        case pipe, leftParen, rightParen, declare, assign, comma
    }

    var kind: Kind
    var mark: Mark
    /// Whitespace came right before this token (a field after a space starts a new operand).
    var spaced: Bool
}

/// Splits a template into tokens, applying whitespace trimming and dropping comments.
struct TemplateLexer {
    private let chars: [Character]
    private let file: String
    private var index = 0
    private var line = 1
    private var column = 1
    private(set) var tokens: [TemplateToken] = []

    init(_ text: String, file: String) {
        chars = Array(text)
        self.file = file
    }

    static func tokenize(_ text: String, file: String) throws(TemplateError) -> [TemplateToken] {
        var lexer = TemplateLexer(text, file: file)
        try lexer.run()
        return lexer.tokens
    }

    private var mark: Mark { Mark(line: line, column: column) }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < chars.count {
            if chars[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
    }

    private func peek(_ offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private func startsWith(_ s: String) -> Bool {
        var i = index
        for c in s {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
        }
        return true
    }

    private static func isSpace(_ c: Character?) -> Bool {
        c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\r\n"
    }

    private mutating func run() throws(TemplateError) {
        var trimNextText = false
        while index < chars.count {
            // Text up to the next "{{".
            let textStart = mark
            var text = ""
            while index < chars.count, !startsWith("{{") {
                text.append(chars[index])
                advance()
            }
            if trimNextText {
                text = String(text.drop { Self.isSpace($0) })
                trimNextText = false
            }
            let trimBefore = startsWith("{{- ") || startsWith("{{-\t") || startsWith("{{-\n") || startsWith("{{-\r")
            if trimBefore {
                while let last = text.last, Self.isSpace(last) { text.removeLast() }
            }
            if !text.isEmpty { tokens.append(TemplateToken(kind: .text(text), mark: textStart, spaced: false)) }
            guard index < chars.count else { break }
            let actionStart = mark
            advance(trimBefore ? 3 : 2)
            trimNextText = try lexAction(start: actionStart)
        }
    }

    /// Lexes one action after its `{{`; returns whether it ended with `-}}`.
    private mutating func lexAction(start: Mark) throws(TemplateError) -> Bool {
        // A comment fills the whole action: {{/* ... */}}, with optional trim markers.
        var probe = index
        while probe < chars.count, Self.isSpace(chars[probe]) { probe += 1 }
        if probe + 1 < chars.count, chars[probe] == "/", chars[probe + 1] == "*" {
            advance(probe - index + 2)
            while index < chars.count, !startsWith("*/") { advance() }
            guard index < chars.count else {
                throw TemplateError(file: file, mark: start, message: "unclosed comment")
            }
            advance(2)
            while Self.isSpace(peek()) { advance() }
            if startsWith("-}}") { advance(3); return true }
            guard startsWith("}}") else {
                throw TemplateError(file: file, mark: mark, message: "comment ends before the closing }}")
            }
            advance(2)
            return false
        }
        tokens.append(TemplateToken(kind: .leftDelim, mark: start, spaced: false))
        var spaced = true
        while true {
            guard let c = peek() else {
                throw TemplateError(file: file, mark: start, message: "unclosed action: missing }}")
            }
            if Self.isSpace(c) {
                advance()
                spaced = true
                if startsWith("-}}") {
                    tokens.append(TemplateToken(kind: .rightDelim, mark: mark, spaced: true))
                    advance(3)
                    return true
                }
                continue
            }
            if startsWith("}}") {
                tokens.append(TemplateToken(kind: .rightDelim, mark: mark, spaced: spaced))
                advance(2)
                return false
            }
            let here = mark
            let kind: TemplateToken.Kind
            do {
                kind = try lexToken(c)
            } catch {
                var problem = error
                if here.line > start.line {
                    problem.message += " (inside the action opened at line \(start.line), column \(start.column): is its }} missing?)"
                }
                throw problem
            }
            tokens.append(TemplateToken(kind: kind, mark: here, spaced: spaced))
            spaced = false
        }
    }

    private mutating func lexToken(_ c: Character) throws(TemplateError) -> TemplateToken.Kind {
        switch c {
        case "|": advance(); return .pipe
        case "(": advance(); return .leftParen
        case ")": advance(); return .rightParen
        case ",": advance(); return .comma
        case "=": advance(); return .assign
        case ":":
            guard peek(1) == "=" else { throw TemplateError(file: file, mark: mark, message: "unexpected \":\" in action") }
            advance(2)
            return .declare
        case "\"": return .string(try lexQuoted())
        case "`":
            let start = mark
            advance()
            var s = ""
            while let ch = peek(), ch != "`" { s.append(ch); advance() }
            guard peek() == "`" else { throw TemplateError(file: file, mark: start, message: "unterminated raw string") }
            advance()
            return .string(s)
        case "$":
            advance()
            return .variable("$" + lexWord())
        case ".":
            if let next = peek(1), next.isNumber { return .number(lexNumber()) }
            advance()
            let word = lexWord()
            return word.isEmpty ? .dot : .field(word)
        default:
            if c.isNumber || ((c == "-" || c == "+") && (peek(1)?.isNumber ?? false)) { return .number(lexNumber()) }
            if c.isLetter || c == "_" { return .identifier(lexWord()) }
            throw TemplateError(file: file, mark: mark, message: "unexpected character \"\(c)\" in action")
        }
    }

    private mutating func lexWord() -> String {
        var s = ""
        while let c = peek(), c.isLetter || c.isNumber || c == "_" { s.append(c); advance() }
        return s
    }

    private mutating func lexNumber() -> String {
        var s = ""
        if let c = peek(), c == "-" || c == "+" { s.append(c); advance() }
        while let c = peek(), c.isLetter || c.isNumber || c == "." || c == "_" ||
                ((c == "-" || c == "+") && (s.last == "e" || s.last == "E") && !s.lowercased().hasPrefix("0x")) {
            s.append(c)
            advance()
        }
        return s
    }

    private mutating func lexQuoted() throws(TemplateError) -> String {
        let start = mark
        advance()
        var s = ""
        while let c = peek() {
            if c == "\"" { advance(); return s }
            if c == "\n" { break }
            if c == "\\" {
                advance()
                guard let e = peek() else { break }
                advance()
                switch e {
                case "n": s.append("\n")
                case "t": s.append("\t")
                case "r": s.append("\r")
                case "\\": s.append("\\")
                case "\"": s.append("\"")
                case "'": s.append("'")
                case "a": s.append("\u{07}")
                case "b": s.append("\u{08}")
                case "f": s.append("\u{0C}")
                case "v": s.append("\u{0B}")
                case "0": s.append("\0")
                case "x", "u", "U":
                    let width = e == "x" ? 2 : (e == "u" ? 4 : 8)
                    var hex = ""
                    for _ in 0..<width { if let h = peek() { hex.append(h); advance() } }
                    guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw TemplateError(file: file, mark: start, message: "invalid escape \\\(e)\(hex) in string")
                    }
                    s.unicodeScalars.append(scalar)
                default:
                    throw TemplateError(file: file, mark: start, message: "unknown escape sequence \\\(e) in string")
                }
                continue
            }
            s.append(c)
            advance()
        }
        throw TemplateError(file: file, mark: start, message: "unterminated quoted string")
    }
}
