import SluiceGit
import SluiceYAML

/// Reads the chart in a folder of the fleet repo as Helm's directory loader does: every file
/// below it but those `.helmignore` (and its default rule) leaves out, folders left out as a
/// whole, a file's UTF-8 byte-order mark dropped; Sluice's own `addon.yaml` is not the
/// chart's. A symbolic link may not leave the folder.
struct ChartReader {
    let files: RepoFiles

    func read(folder: String, sink: DiagnosticSink) -> HelmChart? {
        let ignoreFile = folder + "/.helmignore"
        var rules = HelmIgnore()
        if files.exists(ignoreFile) {
            guard let bytes = files.read(ignoreFile, within: folder), let text = files.utf8(bytes, path: ignoreFile) else { return nil }
            do { rules = try HelmIgnore(text: text) } catch {
                sink.error(ignoreFile, Mark(line: error.line, column: 1), error.message)
                return nil
            }
        }
        var chartFiles: [HelmChart.File] = []
        let prefix = folder + "/"
        for path in files.files(under: folder) {
            let name = String(path.dropFirst(prefix.count))
            if name == "addon.yaml" || rules.excludes(file: name) { continue }
            guard chartFiles.count < HelmChart.maxFiles else {
                sink.error(folder, "the chart holds more than \(HelmChart.maxFiles) files")
                return nil
            }
            guard let bytes = files.read(path, within: folder) else { continue }
            chartFiles.append(HelmChart.File(name: name, bytes: bytes))
        }
        return HelmChart.load(chartFiles, folder: folder, sink: sink)
    }
}

extension FleetLoader {
    /// The Helm chart in `folder` of `tree` (a chart add-on's folder), or every problem found.
    public func chart(in tree: SourceTree, folder: String) throws(ValidationFailure) -> HelmChart {
        let sink = DiagnosticSink()
        let files = RepoFiles(tree: tree, maxFileSize: maxFileSize, sink: sink)
        let chart = ChartReader(files: files).read(folder: folder, sink: sink)
        guard let chart, sink.diagnostics.isEmpty else { throw ValidationFailure(sink.diagnostics) }
        return chart
    }
}
