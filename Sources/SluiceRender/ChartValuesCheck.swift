import SluiceModel
import SluiceYAML

/// Where one layer of a chart add-on's user values is written (a release entry's `values:`,
/// a cluster's `spec.addons.<name>`), so that a value the schema refuses is reported at the
/// file that set it.
public struct ValuesSource: Sendable {
    public var file: String
    public var mark: Mark?
    public var values: [String: Value]

    public init(file: String, mark: Mark?, values: [String: Value]) {
        self.file = file
        self.mark = mark
        self.values = values
    }
}

/// The `values.schema.json` of a chart and of each subchart it keeps, checked against the
/// coalesced values as Helm checks them before rendering (each subchart against its own part
/// of the values). Schemas are read once per chart.
struct ChartValuesCheck: Sendable {
    /// Each chart's schema by its folder; a schema that is not one is kept as its error.
    private let schemas: [String: Result<ValuesSchema, ValuesSchema.SchemaError>]

    init(_ chart: HelmChart) {
        var schemas: [String: Result<ValuesSchema, ValuesSchema.SchemaError>] = [:]
        func collect(_ chart: HelmChart) {
            if let file = chart.schema {
                schemas[chart.folder] = Result { () throws(ValuesSchema.SchemaError) in
                    try ValuesSchema(json: HelmChart.withoutByteOrderMark(file.bytes), file: chart.folder + "/" + file.name)
                }
            }
            chart.subcharts.forEach(collect)
        }
        collect(chart)
        self.schemas = schemas
    }

    /// Throws the first chart's violations, at the layer of values that set the first one.
    func check(_ chart: HelmChart, values: [String: Value], path: [String] = [], sources: [ValuesSource]) throws(Diagnostic) {
        let schemaFile = chart.folder + "/values.schema.json"
        switch schemas[chart.folder] {
        case .failure(let error)?:
            throw Diagnostic(file: schemaFile, mark: nil, message: "values.schema.json of chart \(chart.name) is not a valid schema: at '\(error.pointer)': \(error.message)")
        case .success(let schema)?:
            guard let violations = schema.violations(of: .map(values)) else {
                throw Diagnostic(file: schemaFile, mark: nil, message: "checking the values against values.schema.json of chart \(chart.name) needs more work than Sluice allows (\(ValuesSchema.maximumSteps) steps, \(ValuesSchema.maximumDepth) levels)",
                                 code: "limit.valuesSchema")
            }
            if let first = violations.first {
                func pointer(_ violation: ValuesSchema.Violation) -> String {
                    let full = path + violation.path
                    return full.isEmpty ? "" : "/" + full.joined(separator: "/")
                }
                // The first violation says where; the others follow, each with its path.
                let others = violations.dropFirst().map { "; at '\(pointer($0))': \($0.message)" }.joined()
                let (file, mark) = Self.origin(of: path + first.path, in: sources, chart: chart)
                throw Diagnostic(file: file, mark: mark,
                                 message: "values at '\(pointer(first))' do not meet \(schemaFile) (chart \(chart.name)): \(first.message)\(others)",
                                 code: "values.schema")
            }
        case nil:
            break
        }
        for subchart in chart.subcharts {
            try check(subchart, values: values[subchart.name]?.mapValue ?? [:], path: path + [subchart.name], sources: sources)
        }
    }

    /// The layer that set the value at `path` (the last to write it wins, as in coalescing),
    /// else the chart's own `values.yaml`.
    private static func origin(of path: [String], in sources: [ValuesSource], chart: HelmChart) -> (String, Mark?) {
        for source in sources.reversed() {
            var current: Value = .map(source.values)
            var found = true
            for key in path {
                guard case .map(let map) = current, let next = map[key] else { found = false; break }
                current = next
            }
            if found, !path.isEmpty { return (source.file, source.mark) }
        }
        return (chart.valuesFile ?? chart.folder + "/values.yaml", nil)
    }
}
