import SluiceYAML

/// A Helm chart as Helm's loader makes it from a folder: `Chart.yaml`, `values.yaml`,
/// `values.schema.json`, `templates/`, `crds/`, subcharts under `charts/`, and every other
/// file (what `.Files` reads), after `.helmignore`. In a Sluice add-on folder the chart sits
/// beside `addon.yaml`, which is Sluice's and not one of the chart's files.
public struct HelmChart: Sendable {
    /// One file of the chart, named relative to the chart (`templates/deployment.yaml`).
    public struct File: Sendable, Equatable {
        public var name: String
        public var bytes: [UInt8]

        public init(name: String, bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// Where the chart is in the repository (a subchart: `addons/x/charts/y`), for messages.
    public var folder: String
    public var metadata: ChartMetadata
    /// `values.yaml` (an empty map when absent).
    public var values: Value
    public var valuesFile: String?
    public var schema: File?
    /// Every file under `templates/`, partials (`_*`) and `NOTES.txt` included, in path order;
    /// paths are the repository's.
    public var templates: [TemplateSource]
    /// Every other file, `crds/` included: `.Files`.
    public var files: [File]
    public var subcharts: [HelmChart]

    public var name: String { metadata.name }

    /// `crds/*.yaml|yml|json` of this chart (Helm's `CRDObjects`, subcharts' not included).
    public var crds: [File] {
        files.filter { file in
            guard file.name.hasPrefix("crds/") else { return false }
            let lower = file.name.lowercased()
            return lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") || lower.hasSuffix(".json")
        }
    }

    /// The most files and bytes one chart (with its subcharts) may hold: Helm's own archive
    /// limits are per file; these bound the work a repository can ask of one add-on.
    public static let maxFiles = 10_000
    public static let maxSubchartDepth = 16

    /// Builds a chart from its files, as Helm's `LoadFiles` sorts them; problems go to the
    /// sink at their file and place. Nil when the chart cannot be used.
    public static func load(_ files: [File], folder: String, sink: DiagnosticSink, depth: Int = 0) -> HelmChart? {
        let parser = YAMLParser()
        let before = sink.count
        func path(_ name: String) -> String { folder + "/" + name }
        func document(_ file: File) -> [YAMLNode]? {
            do { return try parser.parse(Self.withoutByteOrderMark(file.bytes), file: path(file.name)) } catch {
                sink.append(error)
                return nil
            }
        }
        guard let chartFile = files.first(where: { $0.name == "Chart.yaml" }) else {
            sink.error(folder, "the chart has no Chart.yaml")
            return nil
        }
        guard let chartNode = document(chartFile)?.first else {
            if sink.count == before { sink.error(path("Chart.yaml"), "Chart.yaml is empty") }
            return nil
        }
        let requirements = files.first { $0.name == "requirements.yaml" }.flatMap { document($0)?.first }
        guard let metadata = ChartMetadata.read(chartNode, requirements: requirements, file: path("Chart.yaml"),
                                                requirementsFile: path("requirements.yaml"), sink: sink) else { return nil }

        var chart = HelmChart(folder: folder, metadata: metadata, values: .map([:]), valuesFile: nil, schema: nil,
                              templates: [], files: [], subcharts: [])
        var subchartFiles: [String: [File]] = [:]
        for file in files.sorted(by: { $0.name < $1.name }) {
            switch file.name {
            case "Chart.yaml", "Chart.lock", "requirements.lock":
                continue
            case "requirements.yaml":
                // A v1 chart's dependencies; Helm also keeps it among a v1 chart's files.
                if metadata.apiVersion == "v1" { chart.files.append(file) }
            case "values.yaml":
                chart.valuesFile = path(file.name)
                chart.values = values(document(file) ?? [], file: path(file.name), sink: sink)
            case "values.schema.json":
                chart.schema = file
            default:
                if file.name.hasPrefix("templates/") {
                    guard let text = UTF8Check.firstInvalidByte(file.bytes) == nil ? String(decoding: Self.withoutByteOrderMark(file.bytes), as: UTF8.self) : nil else {
                        sink.error(path(file.name), "template is not valid UTF-8 text")
                        continue
                    }
                    chart.templates.append(TemplateSource(path: path(file.name), text: text))
                } else if file.name.hasPrefix("charts/") && !file.name.hasSuffix(".prov") {
                    let rest = file.name.dropFirst("charts/".count)
                    let top = String(rest.split(separator: "/", maxSplits: 1).first ?? rest)
                    subchartFiles[top, default: []].append(File(name: String(rest), bytes: file.bytes))
                } else {
                    chart.files.append(file)
                }
            }
        }
        for (name, contents) in subchartFiles.sorted(by: { $0.key < $1.key }) {
            // Helm skips names starting with `_` or `.` under charts/.
            if name.hasPrefix("_") || name.hasPrefix(".") { continue }
            guard depth < maxSubchartDepth else {
                sink.error(path("charts/" + name), "subcharts nest more than \(maxSubchartDepth) levels deep")
                continue
            }
            var inner: [File]
            if name.hasSuffix(".tgz") {
                // A packed subchart (`helm dependency build` leaves them so); its .helmignore was applied when it was packed.
                guard let archive = contents.first, contents.count == 1, archive.name == name else {
                    sink.error(path("charts/" + name), "a folder named like an archive is not a packed chart")
                    continue
                }
                do { inner = try ChartArchive.files(archive.bytes) } catch {
                    sink.error(path("charts/" + name), "the packed subchart cannot be read: \(error.message)")
                    continue
                }
            } else {
                inner = contents.compactMap { file -> File? in
                    let parts = file.name.split(separator: "/", maxSplits: 1)
                    return parts.count == 2 ? File(name: String(parts[1]), bytes: file.bytes) : nil
                }
            }
            if let subchart = load(inner, folder: path("charts/" + name), sink: sink, depth: depth + 1) {
                chart.subcharts.append(subchart)
            }
        }
        return sink.count == before ? chart : nil
    }

    /// `values.yaml`'s documents, merged as Helm merges them (maps key by key, the later
    /// document's value otherwise); an empty file is an empty map.
    static func values(_ documents: [YAMLNode], file: String, sink: DiagnosticSink) -> Value {
        var merged: [String: Value] = [:]
        for document in documents where !document.isNull {
            guard document.mapping != nil, case .map(let map) = HelmYAML.value(document) else {
                sink.error(file, document.mark, "values must be a mapping, found \(document.kindDescription)")
                continue
            }
            merged = ValuesMerging.mergeMaps(merged, map)
        }
        return .map(merged)
    }

    public static func withoutByteOrderMark(_ bytes: [UInt8]) -> [UInt8] {
        bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
    }
}
