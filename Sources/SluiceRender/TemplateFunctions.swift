import Foundation
import CCrypto
import SluiceModel
import SluiceYAML

/// The functions templates may call: Go's builtins and the Sprig functions Helm users use
/// most (DESIGN §1 lists the contract; a few more common ones are here too).
/// A function templates may call, resolved once when the template is parsed.
enum TemplateFunction: String, CaseIterable, Sendable {
    case `default`
    case `empty`
    case `required`
    case `quote`
    case `squote`
    case `toYaml`
    case `toJson`
    case `indent`
    case `nindent`
    case `upper`
    case `lower`
    case `trim`
    case `trimPrefix`
    case `trimSuffix`
    case `replace`
    case `printf`
    case `print`
    case `println`
    case `b64enc`
    case `b64dec`
    case `sha256sum`
    case `eq`
    case `ne`
    case `lt`
    case `le`
    case `gt`
    case `ge`
    case `and`
    case `or`
    case `not`
    case `len`
    case `index`
    case `list`
    case `dict`
    case `join`
    case `contains`
    case `hasPrefix`
    case `hasSuffix`
    case `toString`
    case `int`
    case `ternary`
    case `trunc`
    case `coalesce`
    case `include`

    // Helm's and Sprig's, for chart add-ons only (`TemplateDialect.helm`).
    case `tpl`, `fail`, `lookup`
    case `semverCompare`, `semver`
    case `has`, `hasKey`, `append`, `prepend`, `concat`, `merge`, `mergeOverwrite`, `set`, `unset`, `get`, `pick`, `omit`, `keys`,
         `values`, `dig`, `tuple`, `uniq`, `mustUniq`, `first`, `last`, `rest`, `initial`, `reverse`, `compact`, `without`,
         `sortAlpha`, `deepCopy`, `splitList`, `split`, `toStrings`, `until`, `untilStep`, `seq`
    case `kindIs`, `kindOf`, `typeOf`, `typeIs`
    case `fromYaml`, `fromYamlArray`, `fromJson`, `fromJsonArray`, `toPrettyJson`, `toRawJson`
    case `add`, `add1`, `sub`, `mul`, `div`, `mod`, `max`, `min`, `atoi`, `float64`, `int64`, `floor`, `ceil`, `round`
    case `regexMatch`, `regexFind`, `regexFindAll`, `regexReplaceAll`, `regexReplaceAllLiteral`, `regexSplit`, `regexQuoteMeta`,
         `mustRegexMatch`, `mustRegexFind`, `mustRegexFindAll`, `mustRegexReplaceAll`, `mustRegexReplaceAllLiteral`, `mustRegexSplit`
    case `repeat`, `substr`, `nospace`, `title`, `untitle`, `trimAll`, `cat`, `wrap`, `abbrev`, `snakecase`, `camelcase`,
         `kebabcase`, `swapcase`, `shuffle`, `plural`, `indexOf`
    case `base`, `dir`, `ext`, `clean`, `isAbs`
    case `sha1sum`, `adler32sum`, `b32enc`, `b32dec`
    case `toDate`, `mustToDate`, `now`, `date`, `dateInZone`, `date_in_zone`, `htmlDate`, `htmlDateInZone`, `unixEpoch`, `dateModify`,
         `date_modify`, `mustDateModify`, `must_date_modify`, `ago`, `duration`, `durationRound`
    case `genSelfSignedCert`, `genCA`, `genSignedCert`, `genPrivateKey`, `randAlphaNum`, `randAlpha`, `randNumeric`, `randAscii`, `uuidv4`,
         `randInt`, `randBytes`
    case `push`, `mustPush`, `mustAppend`, `mustPrepend`, `mustFirst`, `mustRest`, `mustLast`, `mustInitial`, `mustReverse`, `mustWithout`,
         `mustHas`, `mustCompact`, `mustDeepCopy`, `mustMerge`, `mustMergeOverwrite`, `slice`, `mustSlice`, `chunk`, `mustChunk`, `pluck`,
         `all`, `any`, `deepEqual`, `typeIsLike`
    case `abbrevboth`, `trimall`, `initials`, `wrapWith`, `splitn`, `sha512sum`, `toDecimal`, `osBase`, `osClean`, `osDir`, `osExt`, `osIsAbs`
    case `biggest`, `add1f`, `addf`, `subf`, `divf`, `mulf`, `maxf`, `minf`
    case `mustToJson`, `mustToPrettyJson`, `mustToRawJson`, `mustToYaml`, `mustFromJson`
    case `encryptAES`, `decryptAES`
    case `genCAWithKey`, `genSelfSignedCertWithKey`, `genSignedCertWithKey`, `buildCustomCert`
    case `urlParse`, `urlJoin`
    case `bcrypt`, `htpasswd`, `derivePassword`
    case `toToml`, `toYamlPretty`, `fromToml`

    /// The functions of native add-ons (DESIGN §1's set): Sluice's own, stricter rules.
    static let native: Set<TemplateFunction> = [
        .default, .empty, .required, .quote, .squote, .toYaml, .toJson, .indent, .nindent, .upper, .lower, .trim, .trimPrefix,
        .trimSuffix, .replace, .printf, .print, .println, .b64enc, .b64dec, .sha256sum, .eq, .ne, .lt, .le, .gt, .ge, .and, .or,
        .not, .len, .index, .list, .dict, .join, .contains, .hasPrefix, .hasSuffix, .toString, .int, .ternary, .trunc, .coalesce, .include,
    ]
}

enum TemplateFunctions {
    static func names(_ dialect: TemplateDialect) -> [String] {
        TemplateFunction.allCases.filter { dialect == .helm || TemplateFunction.native.contains($0) }.map(\.rawValue)
    }

    static func call(_ function: TemplateFunction, _ args: [Datum], at mark: Mark, evaluator: TemplateEvaluator) throws(TemplateError) -> Datum {
        let name = function.rawValue
        func fail(_ message: String, limit: RenderLimits.Kind? = nil) -> TemplateError {
            evaluator.error(mark, "\(name): \(message)", limit: limit)
        }
        func count(_ n: ClosedRange<Int>) throws(TemplateError) {
            guard n.contains(args.count) else {
                let want = n.lowerBound == n.upperBound ? "\(n.lowerBound)" : "\(n.lowerBound) to \(n.upperBound)"
                throw fail("wrong number of args: want \(want) got \(args.count)")
            }
        }
        /// The value of an argument; a missing key is an error here.
        func value(_ i: Int) throws(TemplateError) -> Value {
            switch args[i] {
            case .value(let v), .root(let v): return v
            case .goStruct(let s): return s.value
            case .missing(let key): throw evaluator.missingError(key, at: mark)
            }
        }
        func string(_ i: Int) throws(TemplateError) -> String { GoPrint.string(try value(i)) }
        func integer(_ i: Int) throws(TemplateError) -> Int {
            switch try value(i) {
            case .int(let n): return n
            case .double(let d) where d == d.rounded():
                guard let n = Int(exactly: d) else { throw fail("argument \(i + 1) is out of range of an integer", limit: .integerRange) }
                return n
            case .string(let s): if let n = Int(s) { return n }; fallthrough
            default: throw fail("argument \(i + 1) must be an integer")
            }
        }
        func out(_ v: Value) -> Datum { .value(v) }
        /// A width or count a template gives (`indent`, `nindent`): at most `RenderLimits.width`.
        func width(_ i: Int) throws(TemplateError) -> Int {
            let n = max(0, try integer(i))
            guard n <= RenderLimits.width else { throw fail("\(n) is wider than \(RenderLimits.width) (the limit of a width)", limit: .width) }
            return n
        }
        /// A string a function made: at most `RenderLimits.templateOutputBytes`.
        func made(_ text: String) throws(TemplateError) -> Datum {
            guard text.utf8.count <= RenderLimits.templateOutputBytes else {
                throw fail("the string made is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)",
                           limit: .templateOutputBytes)
            }
            return .value(.string(text))
        }
        /// A list or map a function made: nested at most `RenderLimits.valueNesting` levels,
        /// at most `RenderLimits.valueNodes` nodes.
        func nested(_ value: Value) throws(TemplateError) -> Datum {
            switch value.exceeds(nesting: RenderLimits.valueNesting, nodes: RenderLimits.valueNodes) {
            case .nesting?:
                throw fail("the value made nests deeper than \(RenderLimits.valueNesting) levels (the limit of a value)", limit: .valueNesting)
            case .nodes?:
                throw fail("the value made holds more than \(RenderLimits.valueNodes) values (the limit of a value)", limit: .valueNodes)
            case nil:
                return .value(value)
            }
        }

        switch function {
        case .default:
            try count(1...2)
            if args.count == 1 { return args[0] }
            return isEmpty(args[1]) ? args[0] : args[1]
        case .empty:
            try count(1...1)
            return out(.bool(isEmpty(args[0])))
        case .coalesce:
            return args.first { !isEmpty($0) } ?? .null
        case .required where evaluator.dialect == .helm:
            // Helm's: only nil and "" are missing.
            try count(2...2)
            switch args[1] {
            case .missing, .value(.null), .value(.string("")): throw evaluator.error(mark, try string(0))
            default: return args[1]
            }
        case .toString where evaluator.dialect == .helm:
            try count(1...1)
            return out(.string(HelmFunctions.strval(args[0].value ?? .null)))
        case .toYaml where evaluator.dialect == .helm, .toJson where evaluator.dialect == .helm, .mustToYaml, .mustToJson:
            // Helm marshals through JSON: a float64 with no fraction prints as an integer, a
            // time as RFC 3339 text.
            try count(1...1)
            let value: Value
            if case .goStruct(.time(let time)) = args[0] {
                value = .string(time.format(GoTime.rfc3339Nano))
            } else {
                value = HelmFunctions.jsonNumbers(try nested(args[0].value ?? .null).value ?? .null)
            }
            // Go's JSON has no NaN or infinities: Helm's toYaml and toJson print nothing, the must- forms fail.
            if let bad = HelmFunctions.nonFinite(in: value) {
                if function == .mustToYaml || function == .mustToJson { throw fail("json: unsupported value: \(GoPrint.string(.double(bad)))") }
                return out(.string(""))
            }
            var text = function == .toYaml || function == .mustToYaml ? YAMLEmitter.emit(value) : JSONEmitter.emit(value)
            if text.hasSuffix("\n") { text.removeLast() }
            return try made(text)
        case .required:
            try count(2...2)
            if isEmpty(args[1]) && !isZeroNumberOrFalse(args[1]) {
                let message = try string(0)
                throw evaluator.error(mark, message.isEmpty ? "required: a value is missing (required was given no message)" : message)
            }
            return args[1]
        case .ternary:
            try count(3...3)
            return args[2].isTruthy ? args[0] : args[1]
        case .not:
            try count(1...1)
            return out(.bool(!args[0].isTruthy))
        case .quote, .squote:
            var parts: [String] = []
            for i in 0..<args.count {
                if case .null = try value(i) { continue }
                let text = try string(i)
                parts.append(function == .quote ? GoPrint.quote(text) : "'" + text + "'")
            }
            return try made(parts.joined(separator: " "))
        case .toYaml:
            try count(1...1)
            // Checked before it is emitted: a value may be a huge tree that shares its parts.
            var text = YAMLEmitter.emit(try nested(try value(0)).value ?? .null)
            if text.hasSuffix("\n") { text.removeLast() }
            return try made(text)
        case .toJson:
            try count(1...1)
            return try made(JSONEmitter.emit(try nested(try value(0)).value ?? .null))
        case .indent, .nindent:
            try count(2...2)
            let width = try width(0)
            let text = try string(1)
            // Counted before it is made: a width of 10,000 on a 10 MB text is 100 GB.
            var lines = 1
            for byte in text.utf8 where byte == 0x0A { lines += 1 }
            let (padding, overflow) = lines.multipliedReportingOverflow(by: width)
            guard !overflow, padding <= RenderLimits.templateOutputBytes - min(text.utf8.count, RenderLimits.templateOutputBytes) else {
                throw fail("the text made is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)",
                           limit: .templateOutputBytes)
            }
            let indented = Indentation.indent(text, by: width)
            return try made(function == .nindent ? "\n" + indented : indented)
        case .upper: try count(1...1); return out(.string(try string(0).uppercased()))
        case .lower: try count(1...1); return out(.string(try string(0).lowercased()))
        case .trim:
            try count(1...1)
            return out(.string(String(try string(0).trimmingCharacters(in: .whitespacesAndNewlines))))
        case .trimPrefix:
            try count(2...2)
            let (prefix, s) = (try string(0), try string(1))
            return out(.string(s.hasPrefix(prefix) ? String(s.dropFirst(prefix.count)) : s))
        case .trimSuffix:
            try count(2...2)
            let (suffix, s) = (try string(0), try string(1))
            return out(.string(s.hasSuffix(suffix) ? String(s.dropLast(suffix.count)) : s))
        case .replace:
            try count(3...3)
            let (old, new, s) = (try string(0), try string(1), try string(2))
            return try made(old.isEmpty ? s : s.replacing(old, with: new))
        case .contains: try count(2...2); return out(.bool(try string(1).contains(try string(0))))
        case .hasPrefix: try count(2...2); return out(.bool(try string(1).hasPrefix(try string(0))))
        case .hasSuffix: try count(2...2); return out(.bool(try string(1).hasSuffix(try string(0))))
        case .trunc:
            try count(2...2)
            let n = try integer(0), s = try string(1)
            // `-n` of Int.min does not exist: any count past the string's length is the string.
            return out(.string(n >= 0 ? String(s.prefix(n)) : String(s.suffix(n == Int.min ? Int.max : -n))))
        case .toString: try count(1...1); return out(.string(try string(0)))
        case .int:
            try count(1...1)
            switch try value(0) {
            case .int(let n): return out(.int(n))
            case .double(let d):
                // Go converts toward zero; outside the integers (inf, nan, 1e19) there is no answer.
                guard let n = Int(exactly: d.rounded(.towardZero)) else {
                    throw fail("\(GoPrint.string(.double(d))) is out of range of an integer", limit: .integerRange)
                }
                return out(.int(n))
            case .string(let s): return out(.int(Int(s) ?? 0))
            case .bool(let b): return out(.int(b ? 1 : 0))
            default: return out(.int(0))
            }
        case .printf:
            guard !args.isEmpty else { throw fail("needs a format") }
            let values = try (1..<args.count).map { i throws(TemplateError) in try value(i) }
            let format = try string(0), text: String
            do { text = try GoFormat.sprintf(format, values, maximumWidth: RenderLimits.width) } catch {
                throw fail("\(error.width) is wider than \(RenderLimits.width) (the limit of a printf width or precision)", limit: .width)
            }
            return try made(text)
        case .print, .println:
            let values = try (0..<args.count).map { i throws(TemplateError) in try value(i) }
            var text = ""
            for (i, v) in values.enumerated() {
                let isString: (Value) -> Bool = { if case .string = $0 { return true }; return false }
                if i > 0 && (function == .println || (!isString(v) && !isString(values[i - 1]))) { text += " " }
                text += GoPrint.string(v)
            }
            return try made(function == .println ? text + "\n" : text)
        case .b64enc:
            try count(1...1)
            return out(.string(Data(try string(0).utf8).base64EncodedString()))
        case .b64dec:
            try count(1...1)
            guard let data = Data(base64Encoded: try string(0)) else { throw fail("input is not valid base64") }
            return out(.string(String(decoding: data, as: UTF8.self)))
        case .sha256sum:
            try count(1...1)
            return out(.string(SHA256Digest.hex(Array(try string(0).utf8))))
        case .eq, .ne, .lt, .le, .gt, .ge:
            try count(2...(function == .eq ? 64 : 2))
            let first = try value(0)
            let fail = { (message: String) in fail(message) }
            if function == .eq {
                for i in 1..<args.count where try compare(first, try value(i), fail) == 0 { return out(.bool(true)) }
                return out(.bool(false))
            }
            let order = try compare(first, try value(1), fail)
            switch function {
            case .ne: return out(.bool(order != 0))
            case .lt: return out(.bool(order < 0))
            case .le: return out(.bool(order <= 0))
            case .gt: return out(.bool(order > 0))
            default: return out(.bool(order >= 0))
            }
        case .len:
            try count(1...1)
            switch try value(0) {
            case .string(let s): return out(.int(s.utf8.count))
            case .list(let l): return out(.int(l.count))
            case .map(let m): return out(.int(m.count))
            case let other: throw fail("len of type \(GoPrint.typeName(other))")
            }
        case .index:
            try count(1...64)
            var current = try value(0)
            for i in 1..<args.count {
                switch (current, try value(i)) {
                case (.map(let m), .string(let key)):
                    guard let next = m[key] else { return .missing(key: "[\(GoPrint.quote(key))]") }
                    current = next
                case (.list(let l), .int(let n)):
                    guard l.indices.contains(n) else { throw fail("index out of range: \(n)") }
                    current = l[n]
                case (let c, let k):
                    throw fail("can't index item of type \(GoPrint.typeName(c)) with \(GoPrint.typeName(k))")
                }
            }
            return out(current)
        case .list:
            return try nested(.list(try (0..<args.count).map { i throws(TemplateError) in try value(i) }))
        case .dict:
            guard args.count % 2 == 0 else { throw fail("needs key and value pairs") }
            var map: [String: Value] = [:]
            for i in stride(from: 0, to: args.count, by: 2) { map[try string(i)] = try value(i + 1) }
            return try nested(.map(map))
        case .join:
            try count(2...2)
            guard case .list(let items) = try value(1) else { return out(.string(try string(1))) }
            return try made(items.map(GoPrint.string).joined(separator: try string(0)))
        case .and, .or, .include, .tpl:
            // Handled by the evaluator: they need lazy arguments or the template library.
            throw evaluator.error(mark, "\(name) cannot be called here")
        default:
            return try HelmFunctions.call(function, args, at: mark, evaluator: evaluator)
        }
    }

    /// Sprig's `empty`: nil, false, 0, "" and empty collections; a missing key too.
    static func isEmpty(_ datum: Datum) -> Bool { !datum.isTruthy }

    private static func isZeroNumberOrFalse(_ datum: Datum) -> Bool {
        switch datum {
        case .value(.int), .value(.double), .value(.bool): return true
        default: return false
        }
    }

    /// -1, 0 or 1. Numbers compare by value whatever their type; other kinds must match.
    private static func compare(_ a: Value, _ b: Value, _ fail: (String) -> TemplateError) throws(TemplateError) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.int, .double), (.double, .int), (.double, .double):
            let x = number(a), y = number(b)
            return x < y ? -1 : (x > y ? 1 : 0)
        case (.string(let x), .string(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : (x ? 1 : -1)
        case (.null, .null): return 0
        case (.null, _), (_, .null): return 1
        default:
            if a == b { return 0 }
            throw fail("incompatible types for comparison: \(GoPrint.typeName(a)) and \(GoPrint.typeName(b))")
        }
    }

    private static func number(_ v: Value) -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return 0
        }
    }
}

/// SHA-256 and HMAC-SHA256 through the system's libcrypto.
public enum SHA256Digest {
    public static func hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        _ = bytes.withUnsafeBytes { input in
            sluice_sha256(input.baseAddress, input.count, &digest)
        }
        return hexText(digest)
    }

    static func hmac(key: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = key.withUnsafeBytes { key in
            bytes.withUnsafeBytes { data in sluice_hmac_sha256(key.baseAddress, key.count, data.baseAddress, data.count, &digest) }
        }
        precondition(ok == 1, "libcrypto could not compute HMAC-SHA256")
        return digest
    }

    /// Lower-case hex of any digest.
    static func hexText(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 2 * digest.count) { buffer in
            for (index, byte) in digest.enumerated() {
                buffer[2 * index] = digits[Int(byte >> 4)]
                buffer[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            return 2 * digest.count
        }
    }
}

/// Sprig's `indent`: the pad before the text and after every line break.
enum Indentation {
    static func indent(_ text: String, by width: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + width * 8)
        let pad = [UInt8](repeating: 0x20, count: width)
        out += pad
        for byte in text.utf8 {
            out.append(byte)
            if byte == 0x0A { out += pad }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
