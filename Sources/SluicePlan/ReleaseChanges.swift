import SluiceModel

extension FleetPlan {
    /// Gives every add-on with changes its release entry (version, images) at the recorded
    /// commit and at this one. Done once, after the clusters are planned, on one thread: each
    /// release's entries are made once and shared by all their pairs (a cold plan has 400,000),
    /// and a recorded commit's release files come from its inputs, read once per commit. The
    /// release is the one the cluster names now; a cluster that switched releases since shows
    /// its new release's entry at the recorded commit.
    mutating func addReleaseChanges(repository: FleetRepository, commit: String, recorded: (String) -> PairInputs?) {
        var sides: [String: [String: ReleaseChange.Side]] = [:]
        func side(_ release: AddonRelease, _ entry: AddonRelease.Entry) -> ReleaseChange.Side {
            ReleaseChange.Side(release: release.name, version: entry.version.value, images: entry.images.mapValues(\.value))
        }
        for (name, release) in repository.releases {
            sides[name] = Dictionary(release.entries.map { ($0.addon.value, side(release, $0)) }, uniquingKeysWith: { first, _ in first })
        }
        var before: [String: [String: ReleaseChange.Side]] = [:]  // "commit|release" -> add-on -> side
        var inputs: [String: PairInputs?] = [:]
        for e in environments.indices {
            for s in environments[e].stages.indices {
                for b in environments[e].stages[s].batches.indices {
                    for c in environments[e].stages[s].batches[b].clusters.indices {
                        let cluster = environments[e].stages[s].batches[b].clusters[c]
                        guard let release = repository.clusters[cluster.name]?.release.value else { continue }
                        for a in cluster.addons.indices where !cluster.addons[a].objects.isEmpty {
                            let addon = cluster.addons[a].name
                            let after = sides[release]?[addon]
                            var old: ReleaseChange.Side?
                            if let applied = cluster.addons[a].recordedCommit {
                                if applied == commit { old = after } else {
                                    let key = "\(applied)|\(release)"
                                    if before[key] == nil {
                                        if inputs[applied] == nil { inputs[applied] = .some(recorded(applied)) }
                                        let file = (inputs[applied] ?? nil)?.release(at: "releases/\(release).yaml")
                                        before[key] = file.map { file in
                                            Dictionary(file.entries.map { ($0.addon.value, side(file, $0)) }, uniquingKeysWith: { first, _ in first })
                                        } ?? [:]
                                    }
                                    old = before[key]?[addon]
                                }
                            }
                            environments[e].stages[s].batches[b].clusters[c].addons[a].release = ReleaseChange(before: old, after: after)
                        }
                    }
                }
            }
        }
    }
}
