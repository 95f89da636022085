import SluiceYAML

// libFuzzer target for a chart's values.schema.json (`ValuesSchema`, built by
// scripts/build-fuzzers.sh into the SluiceModel module): the input is a schema, a NUL, and
// values (YAML); the schema is checked and, when it is one, the values are checked against it.
// Errors and "too much work" are fine; a crash, a hang or unbounded memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzValuesSchema(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let bytes else { return 0 }
    let buffer = Array(UnsafeBufferPointer(start: bytes, count: size))
    let split = buffer.firstIndex(of: 0) ?? size
    guard let schema = try? ValuesSchema(json: Array(buffer[..<split]), file: "values.schema.json") else { return 0 }
    let valuesBytes = split < size ? Array(buffer[(split + 1)...]) : Array("a: 1\nb: [x, 2.5]\n".utf8)
    guard let values = try? YAMLParser().parseSingle(valuesBytes, file: "values.yaml") else { return 0 }
    _ = schema.violations(of: Value(values))
    return 0
}
