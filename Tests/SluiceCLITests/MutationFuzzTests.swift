import Foundation
import SluiceTestSupport
import Testing

/// A seeded, bounded mutation fuzzer in `make test` (issue 9): mutations of example-repo's
/// files (byte flips, truncations, deleted, duplicated and re-indented lines, extreme
/// scalars) and generated templates, each validated by the real binary under a time bound.
/// Every case must end with exit 0 (valid) or 1 (errors reported), never a crash, a hang or
/// another code. `SLUICE_FUZZ_SEED` and `SLUICE_FUZZ_CASES` replay or widen a run.
@Suite(.timeLimit(.minutes(10))) struct MutationFuzzTests {
    static let extremes = [".inf", "-.inf", ".nan", "-.nan", "1e400", "-1e400", "9223372036854775808", "-9223372036854775809",
                           "1e19", "[", "{", "]", "}", "{{", "}}", "*alias", "&a", "!!binary", "~", "\"\\u0000\"", "'", "\"",
                           "0x7fffffffffffffff", "- - - -", "? x", "<<: *a", String(repeating: "[", count: 300)]

    static let functions = ["int", "indent 4", "nindent 9223372036854775807", "trunc -9223372036854775808", "quote", "toYaml", "toJson",
                            "printf \"%99999d\"", "printf \"%.99999999f\"", "upper", "b64dec", "len", "list", "dict \"a\"",
                            "default 1e300", "required \"\"", "sha256sum", "index .Values", "join \",\"", "replace \"a\" \"aa\""]

    /// A template action made of random pieces: pipelines, nested parentheses, ranges.
    static func template(_ random: inout SplitMix64) -> String {
        var expression = random.pick([".Values.replicas", "1e300", "-1", "\"x\"", ".Cluster.name", "(list 1 2)", "9223372036854775807", ".nope"])
        for _ in 0..<random.below(4) { expression = "(\(random.pick(functions)) \(expression))" }
        switch random.below(4) {
        case 0: return "{{ \(expression) }}"
        case 1: return "{{ range \(random.pick(["1000000000", "(list 1 2)", ".Values", expression])) }}{{ \(expression) }}{{ end }}"
        case 2: return "{{ " + String(repeating: "(", count: random.below(5_000)) + " }}"
        default: return "{{ $x := list 1 }}{{ range \(random.below(400)) }}{{ $x = list $x }}{{ end }}{{ toJson $x }}"
        }
    }

    static func mutate(_ text: String, _ random: inout SplitMix64, isTemplate: Bool) -> (String, String) {
        var bytes = Array(text.utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch random.below(isTemplate ? 7 : 6) {
        case 0 where !bytes.isEmpty:
            let index = random.below(bytes.count)
            bytes[index] ^= UInt8(1 << random.below(8))
            return (String(decoding: bytes, as: UTF8.self), "byte \(index) flipped")
        case 1:
            let length = random.below(bytes.count + 1)
            return (String(decoding: bytes.prefix(length), as: UTF8.self), "truncated to \(length) bytes")
        case 2 where !lines.isEmpty:
            let index = random.below(lines.count)
            lines.remove(at: index)
            return (lines.joined(separator: "\n"), "line \(index + 1) deleted")
        case 3 where !lines.isEmpty:
            let index = random.below(lines.count)
            lines.insert(lines[index], at: index)
            return (lines.joined(separator: "\n"), "line \(index + 1) duplicated")
        case 4 where !lines.isEmpty:
            let index = random.below(lines.count)
            let spaces = random.below(12)
            lines[index] = String(repeating: " ", count: spaces) + lines[index].drop { $0 == " " }
            return (lines.joined(separator: "\n"), "line \(index + 1) re-indented to \(spaces)")
        case 5 where !lines.isEmpty:
            let index = random.below(lines.count), extreme = random.pick(extremes)
            if let colon = lines[index].range(of: ": ") {
                lines[index] = String(lines[index][..<colon.upperBound]) + extreme
            } else {
                lines[index] += " " + extreme
            }
            return (lines.joined(separator: "\n"), "line \(index + 1) given \(extreme.prefix(20))")
        default:
            let action = template(&random)
            let index = random.below(lines.count + 1)
            lines.insert("  x-fuzz: \(action)", at: min(index, lines.count))
            return (lines.joined(separator: "\n"), "template \(action.prefix(80)) at line \(index + 1)")
        }
    }

    @Test func mutatedReposEndWithZeroOrOne() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["SLUICE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_201
        let cases = environment["SLUICE_FUZZ_CASES"].flatMap { Int($0) } ?? 120
        var random = SplitMix64(seed: seed)
        let source = ProjectPaths.exampleRepo
        let files = try FileManager.default.subpathsOfDirectory(atPath: source)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".tpl") }.sorted()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-fuzz-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        var failures: [String] = []
        var valid = 0
        for number in 0..<cases {
            try? FileManager.default.removeItem(atPath: work)
            try FileManager.default.copyItem(atPath: source, toPath: work)
            var done: [String] = []
            for _ in 0...random.below(2) {
                let file = random.pick(files)
                let path = work + "/" + file
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                let (mutated, what) = Self.mutate(text, &random, isTemplate: file.contains("/templates/"))
                try mutated.write(toFile: path, atomically: true, encoding: .utf8)
                done.append("\(file): \(what)")
            }
            // `timeout` turns a hang into exit 124 and a crash into 128 + the signal.
            let result = try ProcessResult.run("/usr/bin/timeout", ["60", ProjectPaths.sluiceBinary, "validate", "--repo", work])
            if result.status == 0 { valid += 1 }
            if result.status != 0 && result.status != 1 {
                failures.append("case \(number) (seed \(seed)) exited \(result.status): \(done.joined(separator: "; ")): \(result.stderr.suffix(300))")
            } else if result.status == 1 && !result.stderr.contains("error: ") {
                failures.append("case \(number) (seed \(seed)) failed without saying why: \(done.joined(separator: "; "))")
            }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        // The mutations reach past the first parse: some cases stay valid, most do not.
        #expect(valid > 0 && valid < cases)
    }
}
