import Foundation

/// Writes JSON straight into bytes, keys in the order written: for hand-written encodings
/// on hot paths (the rollout state's cluster rows, written after every step), where going
/// through `Encodable` and a `Value` tree costs most of the time. Strings are escaped and
/// numbers formatted as `JSONEmitter` does.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Nothing written yet in the innermost object or array (no comma before the next item).
    private var first = true
    /// A key was written: its value follows without a comma.
    private var afterKey = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    public mutating func key(_ name: String) {
        separate()
        JSONEmitter.quote(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func string(_ value: String) {
        separate()
        JSONEmitter.quote(value, into: &bytes)
    }

    public mutating func int(_ value: Int) {
        separate()
        bytes += String(value).utf8
    }

    public mutating func double(_ value: Double) {
        separate()
        bytes += (value.isFinite ? GoNumberFormat.json(value) : "null").utf8
    }

    public mutating func bool(_ value: Bool) {
        separate()
        bytes += (value ? "true" : "false").utf8
    }

    /// Seconds since 1970, as `JSONDecoder`'s `.secondsSince1970` reads it (and `ValueEncoder` writes it).
    public mutating func date(_ value: Date) { double(value.timeIntervalSince1970) }

    /// An empty object: what the synthesised `Codable` reads for an enum case without values.
    public mutating func emptyObject() {
        beginObject()
        endObject()
    }

    public mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    private mutating func separate() {
        if afterKey {
            afterKey = false
        } else if !first {
            bytes.append(UInt8(ascii: ","))
        }
        first = false
    }

    private mutating func open(_ byte: UInt8) {
        separate()
        bytes.append(byte)
        first = true
    }

    private mutating func close(_ byte: UInt8) {
        bytes.append(byte)
        first = false
    }
}
