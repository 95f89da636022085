import Foundation
import SluiceTestSupport
import Testing

/// The broken-repo corpus: each case overlays `files/` on the valid `_base` fleet (and removes
/// what `delete.txt` lists), is committed to a fresh Git repository, and must make
/// `sluice validate` exit 1 printing exactly the diagnostics of `expected.txt`.
@Suite(.timeLimit(.minutes(10))) struct CorpusTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: ProjectPaths.corpus)) ?? []
        return names.filter { !$0.hasPrefix("_") }.sorted()
    }()

    @Test func corpusIsLargeEnough() {
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases)
    func brokenRepoIsRejected(name: String) throws {
        let folder = ProjectPaths.corpus + "/" + name
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        let files = folder + "/files"
        if let enumerator = FileManager.default.enumerator(atPath: files) {
            for case let relative as String in enumerator {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: files + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                    try repo.write(relative, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: files + "/" + relative))))
                }
            }
        }
        if let deletions = try? String(contentsOfFile: folder + "/delete.txt", encoding: .utf8) {
            for path in deletions.split(separator: "\n") { try repo.remove(String(path)) }
        }
        try repo.commit("broken: \(name)")
        let expected = try String(contentsOfFile: folder + "/expected.txt", encoding: .utf8)
        try expectRejected(repo, expected: expected.split(separator: "\n").map(String.init))
    }

    @Test func symlinkLeavingTheRepoIsRejected() throws {
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        try repo.remove("addons/dns/values.yaml")
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/addons/dns/values.yaml", withDestinationPath: "../../../../etc/passwd")
        try repo.commit("link out")
        try expectRejected(repo, expected: [
            "error: addons/dns/values.yaml: symbolic link to \"../../../../etc/passwd\" leaves the repository; links must stay inside it",
        ])
    }

    @Test func symlinkInsideTheAddonIsFollowed() throws {
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        let values = try repo.read("addons/metrics/values.yaml")
        try repo.remove("addons/metrics/values.yaml")
        try repo.write("addons/metrics/shared/values.yaml", values)
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/addons/metrics/values.yaml", withDestinationPath: "shared/values.yaml")
        try repo.commit("link in")
        let result = try ProcessResult.run(ProjectPaths.sluiceBinary, ["validate", "--repo", repo.path])
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// A link inside an add-on to another add-on's template (or values) would let `include`
    /// read what the add-on may not: refused, however it is spelt.
    @Test func symlinkLeavingTheAddonIsRejected() throws {
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        let template = try #require(try FileManager.default.contentsOfDirectory(atPath: repo.path + "/addons/net/templates").sorted().first)
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/addons/dns/templates/_borrowed.tpl",
                                                   withDestinationPath: "../../net/templates/" + template)
        try repo.remove("addons/metrics/values.yaml")
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/addons/metrics/values.yaml", withDestinationPath: "../dns/values.yaml")
        try repo.commit("links out of add-ons")
        try expectRejected(repo, expected: [
            "error: addons/dns/templates/_borrowed.tpl: symbolic link to addons/net/templates/\(template), outside the add-on folder addons/dns: an add-on reads only its own files",
            "error: addons/metrics/values.yaml: symbolic link to addons/dns/values.yaml, outside the add-on folder addons/metrics: an add-on reads only its own files",
        ])
    }

    @Test func fiftyMegabyteFileIsRefusedUnread() throws {
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        var big = Array("replicas: 2\npadding: \"".utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 50 << 20)
        big += Array("\"\n".utf8)
        try repo.write("addons/dns/values.yaml", bytes: big)
        try repo.commit("huge values")
        try expectRejected(repo, expected: [
            "error: addons/dns/values.yaml: file is \(big.count) bytes, over the 8 MiB limit for fleet-repo files",
        ])
    }

    private func expectRejected(_ repo: TestRepository, expected: [String]) throws {
        let result = try ProcessResult.run(ProjectPaths.sluiceBinary, ["validate", "--repo", repo.path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let summary = lines.last.map { $0.hasPrefix("error: ") && $0.hasSuffix(" found") } ?? false
        #expect((summary ? Array(lines.dropLast()) : lines) == expected)
        // A count follows, except after a single problem that is already an `error:` line.
        #expect(summary == !(expected.count == 1 && expected[0].hasPrefix("error: ")))
        if summary { #expect(result.stderr.hasSuffix("problem\(expected.count == 1 ? "" : "s") found\n")) }
    }
}
