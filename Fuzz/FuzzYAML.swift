// libFuzzer target for the YAML readers (built by scripts/build-fuzzers.sh into the
// SluiceYAML module, so it reaches internal types): libyaml with the node builder and the
// value builder, and the fast block reader. Any input may be rejected; none may crash, hang
// or, when both readers accept it, read differently.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? YAMLParser().parse(bytes, file: "fuzz.yaml")
    let slow = try? YAMLParser().parseValues(bytes, file: "fuzz.yaml")
    if let fast = BlockYAMLReader.read(bytes), let slow {
        // The fast reader must agree with libyaml whenever it does not decline.
        precondition(fast.count == slow.count && zip(fast, slow).allSatisfy { same($0.value, $1.value) },
                     "the block reader and libyaml disagree")
    }
    return 0
}

/// Equality in which NaN equals NaN (`.nan` reads as NaN in both readers).
private func same(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)): return x == y || (x.isNaN && y.isNaN)
    case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.map(let x), .map(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
    default: return a == b
    }
}
