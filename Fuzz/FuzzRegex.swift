// libFuzzer target for Go's regular expressions (`GoRegex`, built by scripts/build-fuzzers.sh
// into the SluiceModel module): the input is a pattern, a NUL, and a text; the pattern is
// compiled and, when it compiles, run with every operation. Errors are fine (refused
// patterns, the step limit); a crash, a hang or unbounded memory is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegex(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let bytes else { return 0 }
    let buffer = UnsafeBufferPointer(start: bytes, count: size)
    let split = buffer.firstIndex(of: 0) ?? size
    let pattern = String(decoding: buffer[..<split], as: UTF8.self)
    let text = split < size ? String(decoding: buffer[(split + 1)...], as: UTF8.self) : "aXb 1_\nz"
    guard let regex = try? GoRegex(pattern) else { return 0 }
    _ = try? regex.matches(text)
    _ = try? regex.find(text)
    _ = try? regex.findAll(text, limit: -1)
    _ = try? regex.replaceAll(text, with: "<$1${name}$$>", literal: false)
    _ = try? regex.split(text, limit: 3)
    _ = GoRegex.quoteMeta(pattern)
    return 0
}
