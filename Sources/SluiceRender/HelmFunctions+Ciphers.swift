import CCrypto
import Foundation
import SluiceModel
import SluiceYAML

/// Sprig's `sha512sum`, `randBytes`, `encryptAES` and `decryptAES` (AES-256-CBC, the key the
/// password's first 32 bytes padded with zeros, PKCS#7 padding, a random IV first, base64).
/// The IV and `randBytes` draw from the pair's stream (`ChartRandom`), as the random
/// functions do.
extension HelmFunctions {
    static func ciphers(_ call: Call) throws(TemplateError) -> Value? {
        switch call.function {
        case .sha512sum:
            try call.count(1...1)
            var digest = [UInt8](repeating: 0, count: 64)
            let bytes = Array(call.string(0).utf8)
            _ = bytes.withUnsafeBytes { input in sluice_sha512(input.baseAddress, input.count, &digest) }
            return .string(SHA256Digest.hexText(digest))
        case .randBytes:
            try call.count(1...1)
            let count = try call.int(0)
            guard count >= 0 else { throw call.fail("the count must not be negative") }
            guard count <= RenderLimits.templateOutputBytes / 2 else {
                throw call.fail("the string made is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)", limit: .templateOutputBytes)
            }
            return .string(Data(call.evaluator.random.bytes(count)).base64EncodedString())
        case .encryptAES:
            try call.count(2...2)
            var plain = Array(call.string(1).utf8)
            if plain.isEmpty { return .string("") }
            let padding = 16 - plain.count % 16
            plain += [UInt8](repeating: UInt8(padding), count: padding)
            let iv = call.evaluator.random.bytes(16)
            guard let sealed = aes(encrypt: true, key: key(call.string(0)), iv: iv, plain) else { throw call.fail("libcrypto could not encrypt") }
            return try call.made(Data(iv + sealed).base64EncodedString())
        case .decryptAES:
            try call.count(2...2)
            if call.string(1).isEmpty { return .string("") }
            guard let data = Data(base64Encoded: call.string(1)) else { throw call.fail("illegal base64 data") }
            let bytes = Array(data)
            guard bytes.count >= 16 else { throw call.fail("ciphertext too short") }
            let body = Array(bytes[16...])
            guard body.count % 16 == 0 else { throw call.fail("crypto/cipher: input not full blocks") }
            guard let opened = aes(encrypt: false, key: key(call.string(0)), iv: Array(bytes[..<16]), body) else { throw call.fail("libcrypto could not decrypt") }
            // Sprig trusts the last byte: a padding longer than the text is Go's slice panic.
            guard let padding = opened.last.map(Int.init), padding <= opened.count else { throw call.fail("the padding of the decrypted text is not valid") }
            return .string(String(decoding: opened[..<(opened.count - padding)], as: UTF8.self))
        default:
            return nil
        }
    }

    private static func key(_ password: String) -> [UInt8] {
        var key = Array(password.utf8.prefix(32))
        key += [UInt8](repeating: 0, count: 32 - key.count)
        return key
    }

    private static func aes(encrypt: Bool, key: [UInt8], iv: [UInt8], _ input: [UInt8]) -> [UInt8]? {
        if input.isEmpty { return [] }
        var out = [UInt8](repeating: 0, count: input.count)
        let ok = sluice_aes256_cbc(encrypt ? 1 : 0, key, iv, input, Int32(input.count), &out)
        return ok == 1 ? out : nil
    }
}
