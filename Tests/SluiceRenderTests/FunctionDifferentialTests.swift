import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// Sprig's and Helm's functions, one expression at a time, in Sluice and in real Helm
/// (helm-python-sdk): the texts must be equal, or both must refuse. The expressions are those
/// whose answer does not depend on the clock or on randomness (`now`, `randAlpha`...), which
/// `ChartRandomTests` and `ChartDateTests` check.
@Suite(.timeLimit(.minutes(5))) struct FunctionDifferentialTests {
    static let values = """
    list: [1, "two", 3.5, null, "", [a, b]]
    words: "Now is the time for all good men"
    dict: {a: 1, b: "x", c: {d: [1, 2]}}
    other: {a: 9, z: true}
    number: 17
    float: 2.5
    text: "0.1"

    """

    static let expressions: [String] = [
        // Lists, and the must- forms.
        "push (list 1 2) 3", "mustPush (list 1) \"x\"", "mustAppend (list) 1", "mustPrepend (list 1 2) 0", "push \"text\" 1",
        "mustFirst (list 3 4)", "mustLast .Values.list", "mustRest .Values.list", "mustInitial (list 1 2 3)", "mustReverse (list 1 2 3)",
        "mustWithout (list 1 2 1 3) 1", "mustHas 2 (list 1 2)", "mustHas 2 \"nope\"", "has 1 \"nope\"", "mustCompact .Values.list",
        "mustDeepCopy .Values.dict", "mustMerge (dict \"a\" 1) (dict \"a\" 2 \"b\" 3)", "mustMergeOverwrite (dict \"a\" 1) (dict \"a\" 2 \"b\" 3)",
        "slice (list 1 2 3 4) 1 3", "slice (list 1 2 3 4) 2", "slice (list 1 2 3 4)", "mustSlice (list 1 2) 1 5", "slice (list) 0",
        "slice \"abc\" 1", "chunk 2 (list 1 2 3 4 5)", "chunk 3 (list 1 2 3)", "chunk 2 (list)", "mustChunk 0 (list 1)",
        "pluck \"a\" .Values.dict .Values.other (dict)", "pluck \"z\" .Values.dict", "all 1 \"a\" (list 1)", "all 1 \"\"", "all",
        "any 0 \"\" (list)", "any 0 \"x\"", "deepEqual (list 1 2) (list 1 2)", "deepEqual .Values.dict .Values.other",
        "deepEqual 1 1.0", "typeIsLike \"string\" \"x\"", "typeIsLike \"float64\" .Values.number", "typeIsLike \"int\" 3",
        // Strings.
        "abbrevboth 5 10 \"1234 5678 9123\"", "abbrevboth 1 10 .Values.words", "abbrevboth 10 6 .Values.words", "abbrevboth 0 3 \"abcdef\"",
        "abbrev 5 \"hello world\"", "abbrev 3 \"hello\"", "abbrev 20 .Values.words", "trimall \"$\" \"$5.00$\"",
        "initials .Values.words", "initials \"  a\\tb\\nc  \"", "wrapWith 5 \"\\t\" \"Hello World\"", "wrapWith 3 \"|\" \"abcdefgh ij\"",
        "wrap 10 .Values.words", "wrap 3 \"abcdefgh ij\"", "wrap 0 \"a b\"",
        "splitn \"$\" 2 \"foo$bar$baz\"", "splitn \"$\" -1 \"foo$bar$baz\"", "splitn \"$\" 0 \"foo$bar\"", "splitn \"\" 2 \"abc\"",
        "sha512sum \"abc\"", "sha512sum \"\"", "toDecimal \"0777\"", "toDecimal .Values.number", "toDecimal \"9\"", "toDecimal \"-17\"",
        "osBase \"/a/b.txt\"", "osDir \"/a/b.txt\"", "osExt \"/a/b.tar.gz\"", "osClean \"a//b/../c\"", "osIsAbs \"/x\"",
        "biggest 1 5 3", "biggest .Values.float 2",
        // Decimal arithmetic.
        "addf 0.1 0.2", "addf 1 2 3.5", "addf", "add1f 1.5", "add1f .Values.text", "subf 1 0.9", "subf 10 1 2", "mulf 1.1 3",
        "mulf 0.1 0.2 10", "divf 1 3", "divf 2 3", "divf 1 3000", "divf 10 4", "divf 1 0", "divf -2 3", "maxf 1 2.5 -3", "minf 1 2.5 -3",
        "maxf .Values.float", "addf 1e20 1", "mulf 123456789.123 1000",
        // Conversions.
        "mustToJson .Values.dict", "mustToPrettyJson .Values.dict", "mustToRawJson (dict \"a\" \"<b>\")", "mustToYaml .Values.dict",
        "mustFromJson \"{\\\"a\\\": [1, 2.5, null]}\" | toJson", "mustFromJson \"[1, 2]\" | toJson", "mustFromJson \"3\"", "mustFromJson \"{nope\"",
        // Ciphers that draw nothing at random.
        "decryptAES \"secretkey\" \"\"", "decryptAES \"k\" \"bm9wZQ==\"", "encryptAES \"k\" \"\"",
        // Dates that do not read the clock.
        "toDate \"2006-01-02\" \"2017-12-31\"", "toDate \"2006-01-02\" \"2017-12-31\" | date \"02/01/2006\"",
        "toDate \"2006-01-02T15:04:05Z07:00\" \"2020-02-29T23:59:58+05:30\"", "toDate \"2006-01-02\" \"nope\"", "mustToDate \"2006-01-02\" \"nope\"",
        "toDate \"2006-01-02\" \"2019-02-29\"", "toDate \"Jan 2 2006 3:04PM\" \"feb 3 2021 12:05am\"", "toDate \"Jan _2 15:04:05.000\" \"Mar  7 01:02:03.456\"",
        "toDate \"2006-01-02 15:04:05 MST\" \"2021-06-01 10:00:00 PDT\"", "toDate \"2006-01-02 15:04:05.999999999 -0700\" \"2021-06-01 10:00:00.5 -0700\"",
        "toDate \"060102\" \"691231\"", "toDate \"060102\" \"681231\"", "toDate \"15:04\" \"25:00\"", "toDate \"2006 002\" \"2020 060\"",
        "toDate \"2006-01-02 15:04:05\" \"2021-06-01 10:00:00.123\"", "toDate \"2006-01-02\" \"2021-06-01 extra\"",
        "toDate \"2006-01-02\" \"2017-12-31\" | unixEpoch", "unixEpoch \"2017\"", "toDate \"2006-01-02\" \"2017-12-31\" | htmlDate",
        "htmlDate 1500000000", "htmlDateInZone 1500000000 \"UTC\"", "date \"Mon Jan _2 15:04:05 MST 2006\" 1500000000",
        "date \"Monday, January 2, 2006 03:04:05.000 PM -07:00 Z07:00 Z0700 -07\" 1500000123", "date \"2006-01-02 002 __2 .999 ,000\" 1600000000",
        "dateInZone \"15:04 MST\" 1500000000 \"UTC\"", "dateModify \"1.5h\" (toDate \"2006-01-02\" \"2017-12-31\")",
        "dateModify \"-3h30m\" (toDate \"2006-01-02\" \"2017-12-31\") | date \"2006-01-02 15:04\"", "dateModify \"nope\" (toDate \"2006-01-02\" \"2017-12-31\")",
        "mustDateModify \"nope\" (toDate \"2006-01-02\" \"2017-12-31\")", "dateModify \"1h\" \"2017\"", "date_modify \"90m\" (toDate \"2006\" \"2001\")",
        "duration \"95\"", "duration \"3700\"", "duration \"-61\"", "duration \"x\"", "duration (add 86400 61)", "durationRound \"2h10m\"", "durationRound \"25h\"",
        "durationRound \"800h\"", "durationRound \"9000h\"", "durationRound \"1.5s\"", "durationRound \"500ms\"", "durationRound \"-3m\"",
        "toDate \"2006-01-02\" \"2017-12-31\" | toJson", "toDate \"2006-01-02\" \"2017-12-31\" | toYaml",
        "dateModify \"1m30.5s\" (toDate \"2006\" \"2001\")", "dateModify \"1us\" (toDate \"2006\" \"2001\")", "dateModify \"2\" (toDate \"2006\" \"2001\")",
        "toDate \"2006-01-02\" \"0001-01-01\" | unixEpoch",
        // URLs.
        "urlParse \"https://user:p%40ss@example.com:8443/a%20b/c?x=1&y=2#frag%21\" | toJson", "urlParse \"mailto:someone@example.com\" | toJson",
        "urlParse \"/just/a/path?q\" | toJson", "urlParse \"//host.only\" | toJson", "urlParse \"http://[::1]:80/x\" | toJson",
        "urlParse \"HTTP://Example.COM/\" | toJson", "urlParse \"a:b\" | toJson", "urlParse \"1http://x\" | toJson", "urlParse \"x:y/z?\" | toJson",
        "urlParse \"http://x/%zz\"", "urlParse \"http://x:port/\"", "urlParse \"http://a b/\"", "urlParse \":nope\"", "urlParse \"seg:ment/x\" | toJson",
        "urlParse \"http://u%3Ax@h/\" | toJson", "urlParse \"http://h/p#a#b\" | toJson", "urlParse \"*\" | toJson", "urlParse \"http://[::1/\"",
        "urlJoin (dict \"scheme\" \"https\" \"host\" \"example.com:8080\" \"path\" \"/a b/c?\" \"query\" \"x=1\" \"fragment\" \"f g\" \"userinfo\" \"u:p@ss\")",
        "urlJoin (dict \"host\" \"h\" \"path\" \"rel\")", "urlJoin (dict \"path\" \"a:b/c\")", "urlJoin (dict \"scheme\" \"mailto\" \"opaque\" \"x@y\")",
        "urlJoin (dict \"scheme\" \"http\" \"port\" \"1\")", "urlJoin (dict \"scheme\" 1)", "urlJoin (dict)", "urlJoin (urlParse \"https://a:b@c.d:1/e%2Ff?g#h\")",
        // Passwords that draw nothing at random.
        "derivePassword 1 \"long\" \"password\" \"user\" \"example.com\"", "derivePassword 1 \"maximum\" \"password\" \"user\" \"example.com\"",
        "derivePassword 7 \"medium\" \"pw\" \"ü\" \"site\"", "derivePassword 2 \"short\" \"\" \"\" \"\"", "derivePassword 3 \"basic\" \"a\" \"b\" \"c\"",
        "derivePassword 1 \"pin\" \"pw\" \"u\" \"s\"", "derivePassword 1 \"nope\" \"pw\" \"u\" \"s\"", "htpasswd \"u:x\" \"p\"",
        "bcrypt (repeat 73 \"x\")",
        // TOML.
        "toToml (dict \"a\" 1 \"b\" \"x\" \"c\" (list 1 2) \"d\" (dict \"e\" true \"f\" (dict \"g\" 1.5)) \"h\" (list (dict \"i\" 1) (dict \"j\" 2)) \"k\" nil \"l\" (list) \"n key\" 3 \"o\" (list (list 1) \"x\"))",
        "toToml .Values", "toToml .Values.dict", "toToml (list 1)", "toToml \"x\"", "toToml 3.0", "toToml nil", "toToml (dict \"a\" (list 1 nil))",
        "toToml (dict \"a\" (dict) \"b\" 1000000.0 \"c\" 1e21 \"d\" 0.1 \"e\" -0.0 \"f\" 100000.0 \"g\" 0.00001)",
        "toToml (dict \"a\" (list (dict \"x\" 1) 2) \"b\" (list (list (dict \"x\" 1 \"y\" (dict \"z\" 2)))))",
        "toToml (dict \"a\" (dict \"b\" (dict \"c\" (list (dict \"d\" 1 \"e\" (dict \"f\" 2))))))",
        "toToml (dict \"é\" \"\\u0001\\u007f\\t\\\"\\\\\" \"a.b\" 1 \"\" 2 \"x\" (dict \"k\" nil))",
        // yaml.v3's layout.
        "toYamlPretty (dict \"a\" (list 1 2 (dict \"b\" 1 \"c\" (list \"x\" (list 3 4)))) \"d\" 1000000.5 \"e\" \"yes\" \"f\" \"\" \"g\" nil \"h\" (dict) \"i\" (list))",
        "toYamlPretty .Values", "toYamlPretty (list (list 1) (dict \"a\" (list 1)))", "toYamlPretty \"multi\\nline\\n\"",
        "toYamlPretty (dict \"s\" \"a: b\" \"t\" \"*\" \"u\" \"0777\" \"v\" \"1.5\" \"w\" \"~\")", "toYamlPretty 3.0", "toYamlPretty nil",
        "toYamlPretty (dict \"m\" \"line one\\nline two\" \"n\" (dict \"o\" \"x\\n\"))",
        // TOML read.
        "fromToml \"a = 1\\nb = 'x'\\nc = [1, 2.5, \\\"s\\\"]\\n[d]\\ne = true\\n[d.f]\\ng = 0x1F\\n[[h]]\\ni = 1\\n[[h]]\\ni = 2\\n\" | toJson",
        "fromToml \"x.y.z = 1_000\\n\\\"q k\\\".w = 'lit\\\\'\\nn = inf\\nm = 1e3\\no = 0o17\\np = 0b101\\nr = { s = 1, t.u = [] }\\n\" | toJson",
        "fromToml \"s = \\\"\\\"\\\"\\nline one\\\\\\n    two\\\\tend\\\\u00e9\\\"\\\"\\\"\\nl = '''\\nraw\\\\n'''\\n\" | toJson",
        "fromToml \"# comment\\n\\n  a = [\\n 1, # one\\n 2,\\n]\\n\" | toJson", "(fromToml \"a = 1979-05-27T07:32:00Z\").a",
        "(fromToml \"a = 1979-05-27 07:32:00.5-07:00\").a", "fromToml \"\" | toJson",
        "hasKey (fromToml \"a = 1\\na = 2\") \"Error\"", "hasKey (fromToml \"a = \") \"Error\"", "hasKey (fromToml \"[a]\\n[a]\") \"Error\"",
        "hasKey (fromToml \"a = 01\") \"Error\"", "hasKey (fromToml \"a = 1_\") \"Error\"", "hasKey (fromToml \"a = \\\"x\") \"Error\"",
        "hasKey (fromToml \"a = 1 b = 2\") \"Error\"", "hasKey (fromToml \"a = 99999999999999999999\") \"Error\"", "hasKey (fromToml \"[[a]]\\n[a]\") \"Error\"",
        "hasKey (fromToml \"a = {b = 1}\\n[a]\") \"Error\"", "hasKey (fromToml \"a.b = 1\\n[a.b]\") \"Error\"",
        "mustToJson (fromToml \"n = inf\")", "toYaml (fromToml \"n = nan\")", "toYaml (list 1 (fromToml \"n = -inf\"))",
    ]

    @Test func sluiceAndHelmAgreeOnEveryExpression() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-functions-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        var requests: [RealHelm.Request] = []
        var mine: [Result<String, any Error>] = []
        for (index, expression) in Self.expressions.enumerated() {
            let folder = "\(root)/f\(index)"
            try FileManager.default.createDirectory(atPath: folder + "/templates", withIntermediateDirectories: true)
            try "apiVersion: v2\nname: f\(index)\nversion: 1.0.0\n".write(toFile: folder + "/Chart.yaml", atomically: true, encoding: .utf8)
            try Self.values.write(toFile: folder + "/values.yaml", atomically: true, encoding: .utf8)
            try "{{ \(expression) }}".write(toFile: folder + "/templates/t.txt", atomically: true, encoding: .utf8)
            let chart = try FleetLoader().chart(in: try DirectoryTree(root: root), folder: "f\(index)")
            do { mine.append(.success(try ChartRenderer(chart: chart).render(values: [:], context: ChartContext(releaseName: "f", namespace: "default"))[0].text)) } catch {
                mine.append(.failure(error))
            }
            requests.append(RealHelm.Request(chartFolder: folder, values: .map([:]), name: "f"))
        }
        let answers = try RealHelm.render(requests)
        var differences = 0
        for (index, expression) in Self.expressions.enumerated() {
            let theirs = answers[index]["outputs"]?.mapValue?.values.first?.stringValue
            switch (mine[index], theirs) {
            case (.success(let text), let helm?) where text == helm: continue
            case (.failure, nil): continue
            case (.success(let text), let helm):
                Issue.record("\(expression)\nSluice: \(text.debugDescription)\nHelm:   \(helm?.debugDescription ?? "error: \(answers[index]["error"]?.stringValue ?? "")")")
            case (.failure(let error), let helm?):
                Issue.record("\(expression)\nSluice: error: \((error as? Diagnostic)?.message ?? "\(error)")\nHelm:   \(helm.debugDescription)")
            }
            differences += 1
        }
        #expect(differences == 0)
    }
}
