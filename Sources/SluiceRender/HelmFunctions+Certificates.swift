import Foundation
import Glibc
import SluiceModel
import SluiceYAML

/// Sprig's key and certificate generators. Their randomness is the pair's stream
/// (`ChartRandom`) and their clock `ChartContext.now`, so a plan of one commit renders the
/// same keys and certificates every time (what Helm renders anew on every run). A
/// certificate is Sprig's: version 3, the subject's common name, a 128-bit serial, valid
/// from now for the days given, digitalSignature and keyEncipherment (and keyCertSign for a
/// CA), serverAuth and clientAuth, basic constraints, the IPs and DNS names given.
extension HelmFunctions {
    static func certificates(_ call: Call) throws(TemplateError) -> Datum? {
        let args = call.args
        switch call.function {
        case .genPrivateKey, .genCA, .genSelfSignedCert, .genSignedCert:
            guard call.evaluator.random.spendKey() else {
                throw call.fail("the template makes more than \(RenderLimits.keysMade) keys (the limit of one template)", limit: .keysMade)
            }
        default: break
        }
        switch call.function {
        case .genPrivateKey:
            try call.count(1...1)
            let key: ChartKey?
            switch call.string(0) {
            case "", "rsa": key = ChartKey.rsa(bits: 4096, from: call.evaluator.random.bytes(512))
            case "ecdsa": key = ChartKey.p256(from: call.evaluator.random.bytes(32))
            case "ed25519": key = ChartKey.ed25519(from: call.evaluator.random.bytes(32))
            case "dsa": throw call.fail("DSA keys are not supported (Go deprecates DSA; use rsa, ecdsa or ed25519)")
            default: return .value(.string("Unknown type " + call.string(0)))
            }
            guard let pem = key?.pem else { throw call.fail("libcrypto could not make the key") }
            return .value(.string(pem))
        case .genCA, .genCAWithKey:
            try call.count(call.function == .genCA ? 2...2 : 3...3)
            let draw = call.evaluator.random.bytes(call.function == .genCA ? 256 + 16 : 16)
            let key = call.function == .genCA ? ChartKey.rsa(bits: 2048, from: Array(draw[..<256])) : try parsedKey(call, args[2])
            return try certificate(call, request(call, commonName: 0, ips: nil, dns: nil, days: 1, serial: Array(draw.suffix(16)), isCA: true),
                                   key: key, signer: nil)
        case .genSelfSignedCert, .genSelfSignedCertWithKey:
            try call.count(call.function == .genSelfSignedCert ? 4...4 : 5...5)
            let draw = call.evaluator.random.bytes(call.function == .genSelfSignedCert ? 256 + 16 : 16)
            let key = call.function == .genSelfSignedCert ? ChartKey.rsa(bits: 2048, from: Array(draw[..<256])) : try parsedKey(call, args[4])
            return try certificate(call, request(call, commonName: 0, ips: 1, dns: 2, days: 3, serial: Array(draw.suffix(16))), key: key, signer: nil)
        case .genSignedCert, .genSignedCertWithKey:
            try call.count(call.function == .genSignedCert ? 5...5 : 6...6)
            let draw = call.evaluator.random.bytes(call.function == .genSignedCert ? 256 + 16 : 16)
            let key = call.function == .genSignedCert ? ChartKey.rsa(bits: 2048, from: Array(draw[..<256])) : try parsedKey(call, args[5])
            guard case .certificate(let caCert, let caKey)? = call.goStruct(4) else { throw call.fail("the CA must be a certificate genCA made") }
            guard let issuer = ChartCertificate.fromPEM(caCert) else { throw call.fail("unable to decode certificate") }
            guard let signerKey = ChartKey.fromPEM(caKey) else { throw call.fail("error parsing private key: no PEM data in input") }
            return try certificate(call, request(call, commonName: 0, ips: 1, dns: 2, days: 3, serial: Array(draw.suffix(16))), key: key,
                                   signer: (signerKey, issuer))
        case .buildCustomCert:
            try call.count(2...2)
            guard let cert = Data(base64Encoded: call.string(0)) else { throw call.fail("unable to decode base64 certificate") }
            guard let key = Data(base64Encoded: call.string(1)) else { throw call.fail("unable to decode base64 private key") }
            let certText = String(decoding: cert, as: UTF8.self), keyText = String(decoding: key, as: UTF8.self)
            guard ChartCertificate.fromPEM(certText) != nil else { throw call.fail("unable to decode certificate") }
            // Sprig reads the key as PKCS#1 RSA only.
            guard keyText.contains("-----BEGIN RSA PRIVATE KEY-----"), ChartKey.fromPEM(keyText)?.kind == .rsa else {
                throw call.fail("unable to decode key")
            }
            return .goStruct(.certificate(cert: certText, key: keyText))
        default:
            return nil
        }
    }

    private static func parsedKey(_ call: Call, _ value: Value) throws(TemplateError) -> ChartKey {
        guard let key = ChartKey.fromPEM(HelmFunctions.strval(value)) else { throw call.fail("parsing private key: no PEM data in input") }
        return key
    }

    private static func request(_ call: Call, commonName: Int, ips: Int?, dns: Int?, days: Int, serial: [UInt8], isCA: Bool = false) throws(TemplateError) -> ChartCertificate.Request {
        var request = ChartCertificate.Request(commonName: call.string(commonName), serial: serial, notBefore: call.evaluator.now.seconds,
                                               days: Int64(try call.int(days)), isCA: isCA)
        // Go's dates end in year 9999 in a certificate.
        let (seconds, overflow) = request.days.multipliedReportingOverflow(by: 86_400)
        guard !overflow, (-request.notBefore...(253_402_300_799 - request.notBefore)).contains(seconds) else {
            throw call.fail("\(request.days) days from now is past what a certificate can hold")
        }
        if let ips {
            for item in try call.args[ips] == .null ? [] : call.list(ips) {
                guard case .string(let text) = item else { throw call.fail("error parsing ip: \(GoPrint.string(item)) is not a string") }
                guard let address = ipAddress(text) else { throw call.fail("error parsing ip: \(text)") }
                request.ipAddresses.append(address)
            }
        }
        if let dns {
            for item in try call.args[dns] == .null ? [] : call.list(dns) {
                guard case .string(let text) = item else { throw call.fail("error processing alternate dns name: \(GoPrint.string(item)) is not a string") }
                request.dnsNames.append(text)
            }
        }
        return request
    }

    private static func certificate(_ call: Call, _ request: ChartCertificate.Request, key: ChartKey?,
                                    signer: (key: ChartKey, certificate: ChartCertificate)?) throws(TemplateError) -> Datum {
        guard let key, let keyPEM = key.pem else { throw call.fail("libcrypto could not make the key") }
        // ECDSA signatures are random: every plan would show the certificate changing.
        guard (signer?.key ?? key).kind != .ec else {
            throw call.fail("signing with an ECDSA key is not supported: its signatures differ on every render (use an RSA or Ed25519 key)")
        }
        guard let made = ChartCertificate.make(request, key: key, signer: signer?.key ?? key, issuer: signer?.certificate), let pem = made.pem else {
            throw call.fail("libcrypto could not make the certificate")
        }
        return .goStruct(.certificate(cert: pem, key: keyPEM))
    }

    /// Go's `net.ParseIP` as x509 writes it: 4 bytes for IPv4 (and IPv4-mapped IPv6), else 16.
    static func ipAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}
