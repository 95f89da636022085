import CGit2

/// A Git object id (SHA-1), as 40 lowercase hex digits.
public struct ObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public let hex: String

    init(_ oid: git_oid) {
        var oid = oid
        var buffer = [CChar](repeating: 0, count: 41)
        git_oid_tostr(&buffer, 41, &oid)
        hex = String(decoding: buffer.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Parses a full 40-digit hex id; nil when the text is not one.
    public init?(hex text: String) {
        guard text.utf8.count == 40, text.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        hex = text.lowercased()
    }

    var raw: git_oid {
        var oid = git_oid()
        _ = git_oid_fromstr(&oid, hex)
        return oid
    }

    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.hex < b.hex }
}

extension UInt8 {
    var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x61...0x66).contains(self) || (0x41...0x46).contains(self)
    }
}
