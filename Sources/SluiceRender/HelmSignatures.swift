import SluiceModel
import SluiceYAML

/// The Go parameter types of Helm's and Sprig's functions, checked as Go's template package
/// checks them before a call: a value that is not of the parameter's type is refused ("wrong
/// type for value; expected string; got float64"), nil included (a missing key holds a nil
/// interface, which no typed parameter takes). Helm's values are float64s, so
/// `indent .Values.width` fails in Helm, and here.
enum HelmSignatures {
    enum Kind: String {
        case string, int
        case map = "map[string]interface {}"
        case time = "time.Time"
        case certificate = "sprig.certificate"
        /// `[]interface {}`: a list, or the literal `nil` (a nil slice), not a missing value.
        case list = "[]interface {}"
        case any
    }

    /// Fixed parameters, then the type of the rest (nil: no more).
    static func signature(_ function: TemplateFunction) -> (fixed: [Kind], rest: Kind?)? {
        switch function {
        case .upper, .lower, .trim, .b64enc, .b64dec, .sha256sum, .sha1sum, .adler32sum, .b32enc, .b32dec, .nospace, .title, .untitle,
             .snakecase, .camelcase, .kebabcase, .swapcase, .semver, .base, .dir, .ext, .clean, .isAbs, .fromYaml, .fromJson,
             .fromYamlArray, .fromJsonArray, .fail, .atoi, .shuffle, .regexQuoteMeta:
            return ([.string], nil)
        case .trimPrefix, .trimSuffix, .contains, .hasPrefix, .hasSuffix, .trimAll, .semverCompare, .split, .splitList, .indexOf:
            return ([.string, .string], nil)
        case .regexMatch, .mustRegexMatch, .regexFind, .mustRegexFind: return ([.string, .string], nil)
        case .regexFindAll, .mustRegexFindAll, .regexSplit, .mustRegexSplit: return ([.string, .string, .int], nil)
        case .replace, .regexReplaceAll, .mustRegexReplaceAll, .regexReplaceAllLiteral, .mustRegexReplaceAllLiteral:
            return ([.string, .string, .string], nil)
        case .trunc, .indent, .nindent, .repeat, .abbrev, .wrap: return ([.int, .string], nil)
        case .substr: return ([.int, .int, .string], nil)
        case .plural: return ([.string, .string, .int], nil)
        case .until, .randAlphaNum, .randAlpha, .randNumeric, .randAscii: return ([.int], nil)
        case .randInt: return ([.int, .int], nil)
        case .untilStep: return ([.int, .int, .int], nil)
        case .printf: return ([.string], .any)
        case .tpl, .required, .join: return ([.string, .any], nil)
        case .hasKey, .get, .unset: return ([.map, .string], nil)
        case .pluck: return ([.string], .map)
        case .chunk, .mustChunk: return ([.int, .any], nil)
        case .splitn: return ([.string, .int, .string], nil)
        case .wrapWith: return ([.int, .string, .string], nil)
        case .abbrevboth: return ([.int, .int, .string], nil)
        case .typeIsLike: return ([.string, .any], nil)
        case .randBytes: return ([.int], nil)
        case .encryptAES, .decryptAES: return ([.string, .string], nil)
        case .mustFromJson, .initials, .sha512sum, .osBase, .osClean, .osDir, .osExt, .osIsAbs: return ([.string], nil)
        case .trimall: return ([.string, .string], nil)
        case .set: return ([.map, .string, .any], nil)
        case .pick, .omit: return ([.map], .string)
        case .merge, .mergeOverwrite, .mustMerge, .mustMergeOverwrite: return ([.map], .map)
        case .values: return ([.map], nil)
        case .date: return ([.string, .any], nil)
        case .genPrivateKey: return ([.string], nil)
        case .genCA: return ([.string, .int], nil)
        case .genCAWithKey: return ([.string, .int, .string], nil)
        case .genSelfSignedCert: return ([.string, .list, .list, .int], nil)
        case .genSelfSignedCertWithKey: return ([.string, .list, .list, .int, .string], nil)
        case .genSignedCert: return ([.string, .list, .list, .int, .certificate], nil)
        case .genSignedCertWithKey: return ([.string, .list, .list, .int, .certificate, .string], nil)
        case .buildCustomCert: return ([.string, .string], nil)
        case .urlParse: return ([.string], nil)
        case .urlJoin: return ([.map], nil)
        case .bcrypt, .fromToml: return ([.string], nil)
        case .htpasswd: return ([.string, .string], nil)
        case .derivePassword: return ([.int, .string, .string, .string, .string], nil)
        case .dateInZone, .date_in_zone: return ([.string, .any, .string], nil)
        case .htmlDateInZone: return ([.any, .string], nil)
        case .toDate, .mustToDate: return ([.string, .string], nil)
        case .unixEpoch: return ([.time], nil)
        case .dateModify, .date_modify, .mustDateModify, .must_date_modify: return ([.string, .time], nil)
        case .keys: return ([], .map)
        default: return nil
        }
    }

    /// Nil when the arguments fit, else Go's message.
    /// `literalNil`: which arguments are the literal `nil`, which a slice parameter takes
    /// (a nil slice) while a nil from the values is refused.
    static func problem(_ function: TemplateFunction, _ arguments: [Datum], literalNil: (Int) -> Bool = { _ in false }) -> String? {
        guard let (fixed, rest) = signature(function) else { return nil }
        for (index, argument) in arguments.enumerated() {
            guard let kind = index < fixed.count ? fixed[index] : rest else { return nil }
            let value: Value
            switch argument {
            case .value(let v), .root(let v): value = v
            case .missing:
                value = .null
                if kind == .list { return "invalid value; expected \(kind.rawValue)" }
            case .goStruct(let s):
                if kind == .any || kind.rawValue == s.typeName { continue }
                return "wrong type for value; expected \(kind.rawValue); got \(s.typeName)"
            }
            switch (kind, value) {
            case (.any, _), (.string, .string), (.int, .int), (.map, .map), (.list, .list): continue
            case (.list, .null) where literalNil(index): continue
            case (_, .null): return "wrong type for value; expected \(kind.rawValue); got interface {}"
            default: return "wrong type for value; expected \(kind.rawValue); got \(GoPrint.typeName(value))"
            }
        }
        return nil
    }
}
