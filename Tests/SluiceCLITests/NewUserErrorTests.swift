import Foundation
import SluiceTestSupport
import Testing

/// What a new user trips over (issue 11): errors carry a location only when there is one;
/// an unknown `--env` or `--cluster` is the same usage error everywhere; read-only commands
/// never create a state store, a `--state` in a missing folder is an error, and the default
/// store never shows in the fleet repo's `git status`.
@Suite(.timeLimit(.minutes(10))) struct NewUserErrorTests {
    let repo: TestRepository
    let folder: String

    init() throws {
        repo = try TestRepository.exampleFleet()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-newuser-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func sluice(_ arguments: String...) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    /// Every line of standard error is `error: ...` or a real `file:line:column:` (not 1:1).
    func expectNoInventedLocation(_ result: ProcessResult) {
        #expect(result.status == 1)
        for line in result.stderr.split(separator: "\n") {
            #expect(line.hasPrefix("error: "), "\(line)")
            #expect(!line.contains(":1:1:"), "\(line)")
        }
    }

    @Test func errorsThatAreAboutNoPlaceInAFileSayErrorAndNothingElse() throws {
        expectNoInventedLocation(try sluice("validate", "--repo", repo.path, "--rev", "nope"))
        expectNoInventedLocation(try sluice("validate", "--repo", folder))  // an empty directory
        expectNoInventedLocation(try sluice("validate", "--repo", folder + "/missing"))
        expectNoInventedLocation(try sluice("graph", "--repo", repo.path, "--release", "nope"))
        let missing = try sluice("validate", "--repo", folder)
        #expect(missing.stderr == "error: missing sluice.yaml (kind: Fleet) at the top of the repository\n")
        // In JSON such an error has no file, line or column for a bot to annotate.
        let json = try sluice("validate", "--repo", repo.path, "--rev", "nope", "--output", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let errors = try #require(object["errors"] as? [[String: Any]])
        #expect(errors.count == 1 && errors[0]["file"] == nil && errors[0]["line"] == nil && errors[0]["column"] == nil)
        #expect((errors[0]["message"] as? String)?.contains("nope") == true)
    }

    @Test func errorsAtAPlaceKeepTheirLocationInTextAndJSON() throws {
        try repo.write("clusters/test-1.yaml", bytes: Array((try String(contentsOfFile: repo.path + "/clusters/test-1.yaml", encoding: .utf8))
            .replacingOccurrences(of: "  release: 2026-11-2\n", with: "  release: 2026-11-2\n  relase: x\n").utf8))
        try repo.commit("typo")
        let text = try sluice("validate", "--repo", repo.path)
        #expect(text.stderr.hasPrefix("clusters/test-1.yaml:13:3: unknown field \"relase\""))
        let json = try sluice("validate", "--repo", repo.path, "--output", "json")
        let errors = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["errors"] as? [[String: Any]]
        #expect(errors?.first?["file"] as? String == "clusters/test-1.yaml" && errors?.first?["line"] as? Int == 13)
    }

    @Test func anUnknownEnvironmentOrClusterIsTheSameUsageErrorInEveryCommand() throws {
        _ = try sluice("apply", "--repo", repo.path, "--env", "staging", "--virtual-time")  // a store for status and history
        let commands: [[String]] = [
            ["plan", "--repo", repo.path, "--cluster", "prod-eu-9"],
            ["render", "--repo", repo.path, "--cluster", "prod-eu-9"],
            ["history", "--repo", repo.path, "--cluster", "prod-eu-9"],
        ]
        let answers = try commands.map { try ProcessResult.run(ProjectPaths.sluiceBinary, $0) }
        #expect(answers.allSatisfy { $0.status == 2 })
        #expect(Set(answers.map(\.stderr)).count == 1, "\(answers.map(\.stderr))")
        #expect(answers.first?.stderr.contains("did you mean \"prod-eu-1\"") == true)
        let environments = try [["plan", "--repo", repo.path, "--env", "stagign"], ["status", "--repo", repo.path, "--env", "stagign"],
                                ["approve", "stagign", "--repo", repo.path], ["history", "--repo", repo.path, "--env", "stagign"]]
            .map { try ProcessResult.run(ProjectPaths.sluiceBinary, $0) }
        #expect(environments.allSatisfy { $0.status == 2 }, "\(environments.map(\.status))")
        #expect(Set(environments.map(\.stderr)).count == 1, "\(environments.map(\.stderr))")
        #expect(environments.first?.stderr.contains("did you mean \"staging\"") == true)
    }

    @Test func readOnlyCommandsNeverCreateAStoreAndATypoedStateFolderIsAnError() throws {
        let plan = try sluice("plan", "--repo", repo.path, "--env", "staging")
        #expect(plan.status == 4)
        #expect(plan.stderr.contains("planned against nothing recorded"))
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.sluice"))
        for command in [["validate"], ["render", "--cluster", "test-1"]] {
            #expect(try ProcessResult.run(ProjectPaths.sluiceBinary, command + ["--repo", repo.path]).status == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.sluice"))

        let typo = folder + "/no-such-folder/state.db"
        #expect(try sluice("plan", "--repo", repo.path, "--env", "staging", "--state", typo).status == 1)
        #expect(try sluice("apply", "--repo", repo.path, "--env", "staging", "--state", typo, "--virtual-time").status == 1)
        #expect(!FileManager.default.fileExists(atPath: folder + "/no-such-folder"))
    }

    @Test func theDefaultStoreNeverShowsInGitStatus() throws {
        #expect(try sluice("apply", "--repo", repo.path, "--env", "staging", "--virtual-time").status == 0)
        #expect(FileManager.default.fileExists(atPath: repo.path + "/.sluice/state.db"))
        #expect(try repo.git("status", "--porcelain", "--untracked-files=all").isEmpty)
    }

    @Test func versionShortOutputFlagAndConcurrencyZero() throws {
        let version = try sluice("--version")
        #expect(version.status == 0 && !version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let json = try sluice("validate", "--repo", repo.path, "-o", "json")
        let parsed = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(json.status == 0 && parsed?["valid"] as? Bool == true)
        #expect(try sluice("apply", "--repo", repo.path, "--env", "staging", "--concurrency", "0").status == 2)
        #expect(!FileManager.default.fileExists(atPath: repo.path + "/.sluice"))
    }

    /// `sluice plan > /dev/full` must not exit as if the plan had been shown.
    @Test func aFailedWriteToStandardOutputIsAnError() throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        for arguments in [["validate", "--repo", repo.path], ["plan", "--repo", repo.path, "--env", "staging"]] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ProjectPaths.sluiceBinary)
            process.arguments = arguments
            process.standardOutput = full
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(arguments)")
        }
    }

    /// Every command's help says its exit codes and shows each option's default once.
    @Test func everyHelpListsExitCodesAndEachDefaultOnce() throws {
        let commands = [["validate"], ["graph"], ["render"], ["plan"], ["apply"], ["run"], ["status"], ["history"], ["pause"],
                        ["resume"], ["approve"], ["freeze"], ["unfreeze"], ["state"], ["state", "check"]]
        for command in commands {
            let help = try ProcessResult.run(ProjectPaths.sluiceBinary, command + ["--help"]).stdout
            let flat = help.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(flat.contains("Exit codes:"), "\(command)")
            // One option per entry: a line starting with "  -" and its indented continuation.
            var options: [String] = []
            for line in help.split(separator: "\n") {
                if line.hasPrefix("  -") { options.append(String(line)) } else if line.hasPrefix("        "), !options.isEmpty { options[options.count - 1] += String(line) }
            }
            for option in options {
                #expect(option.components(separatedBy: "(default").count <= 2 && option.components(separatedBy: "default:").count <= 2, "\(command): \(option)")
            }
        }
    }

    @Test func mermaidIsOneDiagramForEveryRelease() throws {
        let all = try sluice("graph", "--repo", repo.path, "--format", "mermaid")
        #expect(all.status == 0 && all.stdout.components(separatedBy: "flowchart").count == 2)
        #expect(all.stdout.components(separatedBy: "subgraph ").count == 3)  // two releases
        let one = try sluice("graph", "--repo", repo.path, "--format", "mermaid", "--release", "2026-11-1")
        #expect(one.stdout.hasPrefix("flowchart LR\n  kube_proxy[\"kube-proxy\"]"))
    }

    /// `--worktree` reads uncommitted changes (a pre-commit hook's view); what Git ignores is
    /// left out; it cannot be applied (no commit) nor mixed with `--rev`.
    @Test func theWorkingTreeWithUncommittedChanges() throws {
        let file = repo.path + "/clusters/test-1.yaml"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "  release: 2026-11-2\n", with: "  release: 2026-11-2\n  relase: x\n").write(toFile: file, atomically: true, encoding: .utf8)
        try "*.swp\n".write(toFile: repo.path + "/.gitignore", atomically: true, encoding: .utf8)
        try "not yaml".write(toFile: repo.path + "/addons/coredns/templates/.deployment.yaml.swp", atomically: true, encoding: .utf8)
        #expect(try sluice("validate", "--repo", repo.path).status == 0)  // HEAD has no typo
        let worktree = try sluice("validate", "--repo", repo.path, "--worktree")
        #expect(worktree.status == 1)
        #expect(worktree.stderr.hasPrefix("clusters/test-1.yaml:13:3: unknown field \"relase\""))
        #expect(!worktree.stderr.contains(".swp"))
        #expect(try sluice("validate", "--repo", repo.path, "--worktree", "--rev", "HEAD").status == 2)

        try text.replacingOccurrences(of: "      replicas: 1\n", with: "      replicas: 2\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try sluice("apply", "--repo", repo.path, "--env", "staging", "--virtual-time").status == 0)
        let plan = try sluice("plan", "--repo", repo.path, "--env", "staging", "--worktree")
        #expect(plan.status == 4 && plan.stdout.contains("+  replicas: 2"), "\(plan.stdout)")
        #expect(try sluice("plan", "--repo", repo.path, "--env", "staging").status == 0)
        #expect(try sluice("apply", "--repo", repo.path, "--env", "staging", "--worktree", "--virtual-time").status == 1)
    }

    /// One image bump on 14 clusters is one diff with the clusters it applies to, not 14
    /// copies; each hunk says where in the object it is (issue 11).
    @Test func identicalChangesAreShownOnceWithTheirClusters() throws {
        #expect(try sluice("apply", "--repo", repo.path, "--env", "production", "--virtual-time").status == 0)
        let release = repo.path + "/releases/2026-11-1.yaml"
        try (try String(contentsOfFile: release, encoding: .utf8)).replacingOccurrences(of: "coredns:v1.11.3", with: "coredns:v1.11.4")
            .write(toFile: release, atomically: true, encoding: .utf8)
        try repo.commit("coredns 1.11.4")
        let plan = try sluice("plan", "--repo", repo.path, "--env", "production")
        #expect(plan.status == 4)
        #expect(plan.stdout.components(separatedBy: "+        image: registry.k8s.io/coredns/coredns:v1.11.4").count == 2)
        #expect(plan.stdout.contains("the same on 13 more clusters: canary-eu-1, small-us-1"))
        #expect(plan.stdout.components(separatedBy: "add-on coredns: the same change as on canary-us-1 (above)").count == 14)
        #expect(plan.stdout.contains("@@ -34,7 +34,7 @@ spec.template.spec.containers"))
        #expect(plan.stdout.split(separator: "\n").count < 80)

        // --summary: a line per (stage, batch, cluster, add-on), versions and images before -> after.
        let summary = try sluice("plan", "--repo", repo.path, "--env", "production", "--summary")
        let lines = summary.stdout.split(separator: "\n")
        #expect(lines.count == 15 && lines.last?.hasPrefix("Plan: 14 to update") == true)
        #expect(lines.first == "production canary batch 1 canary-us-1 coredns: 1.11.3 -> 1.11.3, images main registry.k8s.io/coredns/coredns:v1.11.3 -> registry.k8s.io/coredns/coredns:v1.11.4 (1 to update)")
        // JSON: per add-on, the release entry before and after.
        let json = try sluice("plan", "--repo", repo.path, "--env", "production", "--cluster", "canary-us-1", "-o", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let environment = try #require((object["environments"] as? [[String: Any]])?.first)
        let cluster = try #require(((environment["stages"] as? [[String: Any]])?.first?["batches"] as? [[String: Any]])?.first?["clusters"] as? [[String: Any]])
        let change = try #require((cluster.first?["addons"] as? [[String: Any]])?.first?["release"] as? [String: Any])
        #expect(((change["before"] as? [String: Any])?["images"] as? [String: String])?["main"] == "registry.k8s.io/coredns/coredns:v1.11.3")
        #expect(((change["after"] as? [String: Any])?["images"] as? [String: String])?["main"] == "registry.k8s.io/coredns/coredns:v1.11.4")
        #expect((change["after"] as? [String: Any])?["version"] as? String == "1.11.3")
    }
}


/// `sluice validate --schemas DIR` (issue 11): rendered objects against the API server's
/// OpenAPI documents, in pull-request CI with no cluster.
extension NewUserErrorTests {
    @Test func theExampleFleetPassesAndAWrongTypeIsNamedWithItsTemplateAndField() throws {
        let good = try sluice("validate", "--repo", repo.path, "--schemas", ProjectPaths.openAPIDocuments)
        #expect(good.status == 0, "\(good.stderr)")
        try repo.write("addons/coredns/templates/deployment.yaml",
                       try repo.read("addons/coredns/templates/deployment.yaml").replacingOccurrences(of: "replicas: {{ .Values.replicas }}", with: "replicas: six"))
        try repo.commit("replicas: six")
        // Without --schemas the commit is valid: only the API server's schema knows replicas is an int32.
        #expect(try sluice("validate", "--repo", repo.path).status == 0)
        let bad = try sluice("validate", "--repo", repo.path, "--schemas", ProjectPaths.openAPIDocuments, "-o", "json")
        #expect(bad.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [String: Any]
        let errors = json?["errors"] as? [[String: Any]] ?? []
        #expect(errors.count == 1)
        #expect(errors.first?["code"] as? String == "schema.wrongType")
        #expect(errors.first?["file"] as? String == "addons/coredns/templates/deployment.yaml")
        #expect(errors.first?["line"] == nil)  // a place in the output, not in the template
        #expect((errors.first?["message"] as? String)?.contains("Deployment.apps kube-system/coredns: spec.replicas") == true)
    }

    @Test func aFolderWithoutDocumentsIsAnError() throws {
        let missing = try sluice("validate", "--repo", repo.path, "--schemas", repo.path + "/nowhere")
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: --schemas: "))
        let empty = try sluice("validate", "--repo", repo.path, "--schemas", repo.path + "/addons")
        #expect(empty.status == 1)
    }

    /// A Secret's value that starts with `*`, unquoted, makes the rendered output invalid
    /// YAML: the error says where, never the value.
    @Test func aSecretValueIsNeverQuotedInAnError() throws {
        try repo.write("addons/coredns/templates/secret.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: dns-token, namespace: kube-system}
            stringData:
              password: *hunter2-secret
            """)
        try repo.commit("a secret")
        let result = try sluice("validate", "--repo", repo.path)
        #expect(result.status == 1)
        #expect(!result.stderr.contains("hunter2") && !result.stdout.contains("hunter2"))
        #expect(result.stderr.contains("addons/coredns/templates/secret.yaml"))
    }

    /// The codes of `validate --output json`'s errors.
    func validationCodes() throws -> [String] {
        let result = try sluice("validate", "--repo", repo.path, "--output", "json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return (object["errors"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    /// What `run` would refuse about programs, `validate` finds: an allowed program that is
    /// missing or a link, and a command check no policy allows.
    @Test func validateCatchesProgramsRunWouldRefuse() throws {
        try repo.remove("checks/dns-probe.sh")
        try repo.commit("probe gone")
        #expect(try validationCodes() == ["policy.commandMissing"])
        try repo.write("checks/real-probe.sh", "#!/bin/sh\nexit 0\n")
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/checks/dns-probe.sh", withDestinationPath: "real-probe.sh")
        try repo.commit("probe is a link")
        #expect(try validationCodes() == ["policy.commandIsLink"])
        try repo.remove("checks/dns-probe.sh")
        try repo.write("checks/dns-probe.sh", "#!/bin/sh\nexit 0\n")
        let pipeline = try repo.read("pipelines/production.yaml")
        try repo.write("pipelines/production.yaml", pipeline.replacingOccurrences(of: "command: ./checks/dns-probe.sh", with: "command: ./checks/real-probe.sh"))
        try repo.commit("a probe no policy allows")
        #expect(try validationCodes() == ["pipeline.commandNotAllowed"])
    }
}
