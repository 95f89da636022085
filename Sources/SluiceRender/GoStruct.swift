import SluiceYAML

/// The Go structs Sprig's functions return, which templates read by field or hand to other
/// functions: a `time.Time` (`now`, `toDate`) and a `sprig.certificate` (`genCA`...).
enum GoStruct: Sendable, Hashable {
    case time(GoTime)
    case certificate(cert: String, key: String)

    var typeName: String {
        switch self {
        case .time: return "time.Time"
        case .certificate: return "sprig.certificate"
        }
    }

    /// What Go's `fmt` prints for it.
    var printed: String {
        switch self {
        case .time(let time): return time.description
        case .certificate(let cert, let key): return "{\(cert) \(key)}"
        }
    }

    /// What a function that takes any value sees: a time's text, a certificate's fields.
    var value: Value {
        switch self {
        case .time(let time): return .string(time.description)
        case .certificate(let cert, let key): return .map(["Cert": .string(cert), "Key": .string(key)])
        }
    }

    /// An exported field (`.Cert`, `.Key`); nil for one the struct does not have.
    func field(_ name: String) -> Value? {
        switch (self, name) {
        case (.certificate(let cert, _), "Cert"): return .string(cert)
        case (.certificate(_, let key), "Key"): return .string(key)
        default: return nil
        }
    }
}
