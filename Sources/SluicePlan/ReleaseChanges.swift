import SluiceModel

extension FleetPlan {
    /// Gives every add-on with changes its release entry (version, images) at the recorded
    /// commit and at this one. Done once, after the clusters are planned, on one thread: each
    /// release's entries are made once and shared by all their pairs (a cold plan has 400,000),
    /// and a recorded commit's release files come from its inputs, read once per commit. The
    /// release is the one the cluster names now; a cluster that switched releases since shows
    /// its new release's entry at the recorded commit.
    mutating func addReleaseChanges(repository: FleetRepository, commit: String, recorded: (String) -> PairInputs?) {
        var entries = ReleaseEntries()
        let current = repository.releases.mapValues(ReleaseEntries.sides)
        for e in environments.indices {
            for s in environments[e].stages.indices {
                for b in environments[e].stages[s].batches.indices {
                    for c in environments[e].stages[s].batches[b].clusters.indices {
                        let cluster = environments[e].stages[s].batches[b].clusters[c]
                        guard let release = repository.clusters[cluster.name]?.release.value else { continue }
                        for a in cluster.addons.indices where !cluster.addons[a].objects.isEmpty {
                            let addon = cluster.addons[a].name
                            let after = current[release]?[addon]
                            let before = cluster.addons[a].recordedCommit.flatMap { applied in
                                applied == commit ? after : entries.side(of: addon, release: release, at: applied, recorded: recorded)
                            }
                            environments[e].stages[s].batches[b].clusters[c].addons[a].release = ReleaseChange(before: before, after: after)
                        }
                    }
                }
            }
        }
    }
}

/// The release entries of recorded commits, each commit's inputs and each release file read once.
private struct ReleaseEntries {
    private var inputs: [String: PairInputs?] = [:]
    private var sides: [String: [String: FleetPlan.ReleaseChange.Side]] = [:]  // "commit|release" -> add-on -> side

    static func sides(_ release: AddonRelease) -> [String: FleetPlan.ReleaseChange.Side] {
        Dictionary(release.entries.map { entry in
            (entry.addon.value, FleetPlan.ReleaseChange.Side(release: release.name, version: entry.version.value,
                                                             images: entry.images.mapValues(\.value)))
        }, uniquingKeysWith: { first, _ in first })
    }

    mutating func side(of addon: String, release: String, at commit: String,
                        recorded: (String) -> PairInputs?) -> FleetPlan.ReleaseChange.Side? {
        let key = "\(commit)|\(release)"
        if sides[key] == nil {
            if inputs[commit] == nil { inputs[commit] = .some(recorded(commit)) }
            sides[key] = (inputs[commit] ?? nil)?.release(at: "releases/\(release).yaml").map(Self.sides) ?? [:]
        }
        return sides[key]?[addon]
    }
}
