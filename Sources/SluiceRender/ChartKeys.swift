import CCrypto
import Foundation

/// Private keys and certificates for Sprig's generators, made through libcrypto from numbers
/// the chart's stream draws (`ChartRandom`), so that every render of a pair makes the same
/// key: an RSA key's primes are the first primes at or after two drawn numbers, an EC or
/// Ed25519 key's secret is drawn. A prime search costs tens of milliseconds (RSA-4096: about
/// a second), so keys are kept in memory by what they were drawn from.
final class ChartKey: @unchecked Sendable {
    // An EVP_PKEY is reference-counted and not changed after it is made; reads are safe.
    let pointer: OpaquePointer

    init?(_ pointer: OpaquePointer?) {
        guard let pointer else { return nil }
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    enum Kind { case rsa, ec, ed25519 }

    var kind: Kind? {
        switch sluice_key_kind(pointer) {
        case 0: return .rsa
        case 1: return .ec
        case 2: return .ed25519
        default: return nil
        }
    }

    /// PEM as Go's `pem.Encode` writes Sprig's keys: PKCS#1 for RSA, SEC 1 for EC, PKCS#8 else.
    var pem: String? {
        var der: UnsafeMutablePointer<UInt8>?
        let length = sluice_key_der(pointer, &der)
        defer { sluice_free(der) }
        guard length > 0, let der else { return nil }
        let type = kind == .rsa ? "RSA PRIVATE KEY" : kind == .ec ? "EC PRIVATE KEY" : "PRIVATE KEY"
        return PEM.encode(Array(UnsafeBufferPointer(start: der, count: Int(length))), type: type)
    }

    static func fromPEM(_ text: String) -> ChartKey? {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { ChartKey(sluice_key_from_pem($0.baseAddress, Int32($0.count))) }
        }
    }

    /// Keys made, by what they were made from (the drawn bytes and the kind).
    private static let made = ShardedCache<[UInt8], String>(capacity: 4_096)

    /// An RSA key of `bits` bits from `draw` (bits / 8 bytes: the two primes' starts).
    static func rsa(bits: Int, from draw: [UInt8]) -> ChartKey? {
        cached(draw + [0]) {
            let half = bits / 16
            var p = [UInt8](repeating: 0, count: half), q = [UInt8](repeating: 0, count: half)
            guard sluice_prime_from(Array(draw[..<half]), Int32(half), &p) == 1,
                  sluice_prime_from(Array(draw[half..<(2 * half)]), Int32(half), &q) == 1 else { return nil }
            return ChartKey(sluice_rsa_key(p, q, Int32(half)))
        }
    }

    /// A P-256 key from 32 drawn bytes.
    static func p256(from draw: [UInt8]) -> ChartKey? { cached(draw + [1]) { ChartKey(sluice_p256_key(draw)) } }

    /// An Ed25519 key whose seed is 32 drawn bytes.
    static func ed25519(from draw: [UInt8]) -> ChartKey? { cached(draw + [2]) { ChartKey(sluice_ed25519_key(draw)) } }

    private static func cached(_ origin: [UInt8], _ make: () -> ChartKey?) -> ChartKey? {
        let hash = origin.hashValue
        if let pem = made.entry(origin, hash: hash) { return fromPEM(pem) }
        guard let key = make(), let pem = key.pem else { return nil }
        made.store(pem, for: origin, hash: hash)
        return key
    }
}

/// An X.509 certificate made or read through libcrypto.
final class ChartCertificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init?(_ pointer: OpaquePointer?) {
        guard let pointer else { return nil }
        self.pointer = pointer
    }

    deinit { X509_free(pointer) }

    var pem: String? {
        var der: UnsafeMutablePointer<UInt8>?
        let length = sluice_certificate_der(pointer, &der)
        defer { sluice_free(der) }
        guard length > 0, let der else { return nil }
        return PEM.encode(Array(UnsafeBufferPointer(start: der, count: Int(length))), type: "CERTIFICATE")
    }

    static func fromPEM(_ text: String) -> ChartCertificate? {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { ChartCertificate(sluice_certificate_from_pem($0.baseAddress, Int32($0.count))) }
        }
    }

    struct Request {
        var commonName: String
        var dnsNames: [String] = []
        /// 4 or 16 bytes each.
        var ipAddresses: [[UInt8]] = []
        var serial: [UInt8]
        var notBefore: Int64
        var days: Int64
        var isCA = false
    }

    /// A certificate of `key` signed by `signer` as `issuer` (nil: self-signed by `key`).
    static func make(_ request: Request, key: ChartKey, signer: ChartKey, issuer: ChartCertificate?) -> ChartCertificate? {
        let dns = request.dnsNames.map { strdup($0) }
        defer { dns.forEach { free($0) } }
        let ips = request.ipAddresses.map { bytes -> UnsafeMutablePointer<UInt8> in
            let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
            pointer.initialize(from: bytes, count: bytes.count)
            return pointer
        }
        defer { ips.forEach { $0.deallocate() } }
        let dnsPointers: [UnsafePointer<CChar>?] = dns.map { $0.map { UnsafePointer($0) } }
        let ipPointers: [UnsafePointer<UInt8>?] = ips.map { UnsafePointer($0) }
        return dnsPointers.withUnsafeBufferPointer { dnsBuffer in
            ipPointers.withUnsafeBufferPointer { ipBuffer in
                ChartCertificate(sluice_certificate(key.pointer, signer.pointer, issuer?.pointer, request.commonName, request.serial,
                                                    request.notBefore, request.days, request.isCA ? 1 : 0,
                                                    dnsBuffer.baseAddress, Int32(dns.count),
                                                    ipBuffer.baseAddress, request.ipAddresses.map { Int32($0.count) }, Int32(ips.count)))
            }
        }
    }
}

/// Go's `pem.Encode`: base64 in lines of 64 between BEGIN and END lines.
enum PEM {
    static func encode(_ der: [UInt8], type: String) -> String {
        let base64 = Array(Data(der).base64EncodedString().utf8)
        var out = "-----BEGIN \(type)-----\n"
        var index = 0
        while index < base64.count {
            out += String(decoding: base64[index..<min(index + 64, base64.count)], as: UTF8.self) + "\n"
            index += 64
        }
        return out + "-----END \(type)-----\n"
    }
}
