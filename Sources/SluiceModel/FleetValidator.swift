import SluiceYAML
/// Checks the references between a repo's objects (DESIGN §2 step 1): every cluster in
/// exactly one environment and one stage, every release, pipeline and add-on it names
/// exists. The add-on graph and rendering are checked one level up, in SluicePlan.
public enum FleetValidator {
    public static func validate(_ repo: FleetRepository) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        func error(_ file: String, _ mark: Mark, _ message: String) {
            problems.append(Diagnostic(file: file, mark: mark, message: message))
        }
        let fleetFile = repo.fleet.header.file
        for environment in repo.fleet.environments where repo.pipelines[environment.pipeline.value] == nil {
            error(fleetFile, environment.pipeline.mark,
                  "environment \"\(environment.name.value)\" uses pipeline \"\(environment.pipeline.value)\", which does not exist in pipelines/\(Suggestion.hint(for: environment.pipeline.value, in: repo.pipelines.keys))")
        }

        for (_, addon) in repo.addons.sorted(by: { $0.key < $1.key }) {
            for dependency in addon.dependsOn where repo.addons[dependency.value] == nil {
                error(addon.header.file, dependency.mark,
                      "add-on \"\(addon.name)\" depends on \"\(dependency.value)\", which does not exist in addons/\(Suggestion.hint(for: dependency.value, in: repo.addons.keys))")
            }
        }

        for (_, release) in repo.releases.sorted(by: { $0.key < $1.key }) {
            for entry in release.entries {
                guard let addon = repo.addons[entry.addon.value] else {
                    error(release.header.file, entry.addon.mark,
                          "release \"\(release.name)\" includes add-on \"\(entry.addon.value)\", which does not exist in addons/\(Suggestion.hint(for: entry.addon.value, in: repo.addons.keys))")
                    continue
                }
                if let chart = addon.chart {
                    // A chart add-on's version is its chart's: the release pins what it ships.
                    if entry.version.value != chart.metadata.version {
                        error(release.header.file, entry.version.mark,
                              "add-on \"\(addon.name)\" is chart \(chart.name) version \(chart.metadata.version) (its Chart.yaml), not \(entry.version.value)")
                    }
                } else if let values = entry.values {
                    error(release.header.file, values.mark,
                          "add-on \"\(addon.name)\" is not a chart: values in a release are for chart add-ons (a native add-on's images go in images:)")
                } else if entry.images.isEmpty {
                    error(release.header.file, entry.mark ?? entry.addon.mark, "missing required field \"spec.addons.\(addon.name).images\"")
                }
            }
        }

        let selectorsValid = repo.fleet.environments.allSatisfy(\.clusters.isValid)
        for name in repo.clusterNames {
            guard let cluster = repo.clusters[name] else { continue }
            let file = cluster.header.file
            let labels = cluster.labels
            let environments = repo.fleet.environments.filter { $0.clusters.matches(labels) }
            if !selectorsValid {
                // An environment selector did not parse; membership is unknown (already reported).
            } else if environments.isEmpty {
                error(file, cluster.header.name.mark, "cluster \"\(name)\" belongs to no environment: its labels match no selector in sluice.yaml")
            } else if environments.count > 1 {
                let names = environments.map { "\"\($0.name.value)\"" }.joined(separator: " and ")
                error(file, cluster.header.name.mark, "cluster \"\(name)\" belongs to two environments, \(names); each cluster belongs to exactly one")
            } else if let pipeline = repo.pipelines[environments[0].pipeline.value],
                      pipeline.stages.allSatisfy(\.clusters.isValid) {
                let stages = pipeline.stages.filter { $0.clusters.matches(labels) }
                if stages.isEmpty {
                    error(file, cluster.header.name.mark, "cluster \"\(name)\" falls in no stage of pipeline \"\(pipeline.name)\" (environment \"\(environments[0].name.value)\")")
                } else if stages.count > 1 {
                    let names = stages.map { "\"\($0.name.value)\"" }.joined(separator: " and ")
                    error(file, cluster.header.name.mark, "cluster \"\(name)\" falls in two stages of pipeline \"\(pipeline.name)\", \(names); each cluster falls in exactly one")
                }
            }
            guard !cluster.release.value.isEmpty else { continue }  // a missing field is reported already
            guard let release = repo.releases[cluster.release.value] else {
                error(file, cluster.release.mark, "cluster \"\(name)\" follows release \"\(cluster.release.value)\", which does not exist in releases/\(Suggestion.hint(for: cluster.release.value, in: repo.releases.keys))")
                continue
            }
            let included = Set(release.entries.map(\.addon.value))
            for (addon, values) in cluster.addonValues.sorted(by: { $0.key < $1.key }) where !included.contains(addon) {
                let known = repo.addons[addon] == nil ? ", which does not exist in addons/\(Suggestion.hint(for: addon, in: repo.addons.keys))" : ", which release \"\(release.name)\" does not include"
                error(file, values.mark, "meta-config for add-on \"\(addon)\"\(known)")
            }
            for disabled in cluster.disabledAddons where !included.contains(disabled.value) {
                error(file, disabled.mark, "disabled add-on \"\(disabled.value)\" is not in release \"\(release.name)\"\(Suggestion.hint(for: disabled.value, in: included))")
            }
        }
        return problems
    }
}
