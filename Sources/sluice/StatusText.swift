import Foundation
import SluiceQueries
import SluiceRollout
import SluiceCore
import SluiceStore

/// `sluice status` as text, and the live view's lines.
enum StatusText {
    static func format(_ report: StatusReport) -> String {
        let time = ISO8601DateFormatter()
        var out = ""
        for environment in report.environments {
            out += "\(environment.name) (branch \(environment.branch))\n"
            out += "  head      \(short(environment.head))\n"
            out += "  applied   \(short(environment.applied))\n"
            if let rollout = environment.rollout {
                out += "  rollout   \(short(rollout.commit)) \(rollout.phase.rawValue)\(position(rollout)), \(rollout.clustersDone) of \(rollout.clustersTotal) clusters done\n"
                if let waiting = rollout.waitingFor, !rollout.phase.isFinal {
                    out += "  waiting   \(waiting)\(rollout.until.map { " (next step at \(time.string(from: $0)))" } ?? "")\n"
                }
                if let halt = rollout.haltReason { out += "  halted    \(halt)\n" }
                for pair in rollout.rolling { out += "  rolling   \(rolling(pair))\n" }
                if !rollout.skipped.isEmpty { out += "  skipped   \(rollout.skipped.joined(separator: ", ")) (unreachable; they get the commit when back)\n" }
            }
            if let rejected = environment.rejected {
                out += "  rejected  \(short(rejected.commit)) at \(time.string(from: rejected.at)):\n"
                for line in rejected.errors.split(separator: "\n") { out += "            \(line)\n" }
            }
            for stage in environment.stages {
                let when = stage.waitsForApproval ? "after an approval" : stage.earliestStart.map { "earliest \(time.string(from: $0))" } ?? "unknown"
                out += "  stage     \(stage.name): \(when)\n"
            }
            for finding in environment.drift {
                out += "  drift     \(finding.cluster)/\(finding.addon): \(finding.detail) (found \(time.string(from: finding.at)))\n"
            }
            for (addon, versions) in environment.versions.sorted(by: { $0.key < $1.key }) {
                let counts = versions.sorted { $0.key < $1.key }.map { "\($0.key) on \($0.value)" }.joined(separator: ", ")
                out += "  version   \(addon): \(counts)\n"
            }
        }
        return out
    }

    static func liveLines(_ report: StatusReport, now: Date) -> [String] {
        let time = ISO8601DateFormatter()
        var lines = ["── \(time.string(from: now)) " + String(repeating: "─", count: 40)]
        for environment in report.environments {
            guard let rollout = environment.rollout else {
                lines.append("\(environment.name): nothing rolled out yet")
                continue
            }
            var line = "\(environment.name): \(short(rollout.commit)) \(rollout.phase.rawValue)\(position(rollout)) \(rollout.clustersDone)/\(rollout.clustersTotal) clusters"
            if let waiting = rollout.waitingFor, !rollout.phase.isFinal {
                line += " — \(waiting)\(rollout.until.map { " until \(time.string(from: $0))" } ?? "")"
            }
            lines.append(line)
            // A batch can hold hundreds of clusters: the live view shows a few.
            let shown = 6
            for pair in rollout.rolling.prefix(shown) { lines.append("  \(rolling(pair))") }
            if rollout.rolling.count > shown { lines.append("  and \(rollout.rolling.count - shown) more add-ons rolling") }
        }
        return lines
    }

    private static func rolling(_ pair: StatusReport.RollingPair) -> String {
        let step = pair.steps > 1 ? " (step \(pair.step) of \(pair.steps))" : ""
        return "\(pair.cluster)/\(pair.addon): \(pair.ready)/\(pair.desired) updated and ready\(step)"
    }

    private static func position(_ rollout: StatusReport.Rollout) -> String {
        guard let stage = rollout.stage, let batch = rollout.batch, let batches = rollout.batches, !rollout.phase.isFinal else { return "" }
        return ", stage \(stage) batch \(batch)/\(batches)"
    }

    private static func short(_ commit: String?) -> String { commit.map { String($0.prefix(12)) } ?? "-" }
}
