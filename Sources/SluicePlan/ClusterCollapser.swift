import Foundation
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceRender

/// Folds the same diagnostic on many clusters into one line that names them.
struct ClusterCollapser {
    private var clusters: [Diagnostic: [String]] = [:]

    mutating func add(_ diagnostic: Diagnostic, cluster: String) {
        clusters[diagnostic, default: []].append(cluster)
    }

    func diagnostics() -> [Diagnostic] {
        clusters.map { diagnostic, names in
            var result = diagnostic
            let sorted = Array(Set(names)).sorted()
            let shown = sorted.prefix(5).joined(separator: ", ")
            let more = sorted.count > 5 ? " and \(sorted.count - 5) more" : ""
            result.message += " (cluster\(sorted.count == 1 ? "" : "s") \(shown)\(more))"
            return result
        }
    }
}
