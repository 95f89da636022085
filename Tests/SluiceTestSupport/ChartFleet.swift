import Foundation

/// example-repo with its metrics-server replaced by the upstream chart from `../shared/helm`,
/// as a user drops one in: the chart's files, Sluice's `addon.yaml` beside them, and each
/// release's entry pinning the chart's version and values.
public enum ChartFleet {
    public static let release = """
            metrics-server:
              version: "3.13.1"
              values:
                image: {tag: v0.8.1}
                resources: {limits: {cpu: 200m, memory: 256Mi}}
        """

    /// `release`: the releases' metrics-server entry; `extra`: files written over the chart's.
    public static func make(release: String = release, extra: [String: String] = [:]) throws -> TestRepository {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        let addonFile = try repo.read("addons/metrics-server/addon.yaml")
        try repo.remove("addons/metrics-server")
        let source = ProjectPaths.sharedHelm + "/charts/metrics-server"
        for name in try FileManager.default.subpathsOfDirectory(atPath: source) {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &folder), !folder.boolValue else { continue }
            try repo.write("addons/metrics-server/" + name, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))))
        }
        try repo.write("addons/metrics-server/addon.yaml", addonFile)
        for (path, text) in extra { try repo.write(path, text) }
        for file in ["releases/2026-11-1.yaml", "releases/2026-11-2.yaml"] {
            let text = try repo.read(file)
            guard let line = text.split(separator: "\n").first(where: { $0.contains("metrics-server: {version") }) else {
                throw TestFailure("\(file) has no one-line metrics-server entry")
            }
            try repo.write(file, text.replacingOccurrences(of: String(line), with: release))
        }
        try repo.commit("metrics-server as its upstream chart")
        return repo
    }
}
