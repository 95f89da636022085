import CCrypto
import SluiceModel
import SluiceYAML

/// Sprig's `bcrypt`, `htpasswd` (bcrypt at Go's default cost 10, its salt drawn from the
/// pair's stream, so every plan renders the same hash) and `derivePassword` (the Master
/// Password algorithm: scrypt of the password, HMAC-SHA256 of the site, a template).
extension HelmFunctions {
    static func passwords(_ call: Call) throws(TemplateError) -> Value? {
        switch call.function {
        case .bcrypt, .htpasswd:
            try call.count(call.function == .bcrypt ? 1...1 : 2...2)
            if call.function == .htpasswd, call.string(0).contains(":") { return .string("invalid username: " + call.string(0)) }
            let password = Array(call.string(call.function == .bcrypt ? 0 : 1).utf8)
            guard password.count <= 72 else {
                return .string("failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes")
            }
            guard call.evaluator.random.spendKey() else {
                throw call.fail("the template makes more than \(RenderLimits.keysMade) keys and hashes (the limit of one template)", limit: .keysMade)
            }
            let hash = Bcrypt.hash(password, salt: call.evaluator.random.bytes(16), cost: 10)
            return .string(call.function == .bcrypt ? hash : call.string(0) + ":" + hash)
        case .derivePassword:
            try call.count(5...5)
            let counter = try call.int(0)
            guard let templates = passwordTemplates[call.string(1)] else { return .string("cannot find password template " + call.string(1)) }
            guard call.evaluator.random.spendKey() else {
                throw call.fail("the template makes more than \(RenderLimits.keysMade) keys and hashes (the limit of one template)", limit: .keysMade)
            }
            func bigEndian(_ n: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: n) >> (24 - 8 * UInt32($0))) } }
            let seed = Array("com.lyndir.masterpassword".utf8)
            let user = Array(call.string(3).utf8), site = Array(call.string(4).utf8), password = Array(call.string(2).utf8)
            let salt = seed + bigEndian(user.count) + user
            var key = [UInt8](repeating: 0, count: 64)
            guard sluice_scrypt(password, password.count, salt, salt.count, 32_768, 8, 2, &key, 64) == 1 else {
                throw call.fail("libcrypto could not compute scrypt")
            }
            let digest = SHA256Digest.hmac(key: key, seed + bigEndian(site.count) + site + bigEndian(counter))
            let template = templates[Int(digest[0]) % templates.count]
            var out = ""
            for (index, element) in template.enumerated() {
                let characters = passwordCharacters[element]!
                out.append(characters[Int(digest[index + 1]) % characters.count])
            }
            return .string(out)
        default:
            return nil
        }
    }

    static let passwordTemplates: [String: [[Character]]] = [
        "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long": ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv", "CvccCvcvCvcvno", "CvcvnoCvccCvcv",
                 "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc", "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv",
                 "CvccCvccCvcvno", "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc", "CvccCvcvCvccno"],
        "medium": ["CvcnoCvc", "CvcCvcno"],
        "short": ["Cvcn"],
        "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
        "pin": ["nnnn"],
    ].mapValues { $0.map(Array.init) }

    static let passwordCharacters: [Character: [Character]] = [
        "V": "AEIOU", "C": "BCDFGHJKLMNPQRSTVWXYZ", "v": "aeiou", "c": "bcdfghjklmnpqrstvwxyz", "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz", "n": "0123456789", "o": "@&%?,=[]_:-+*$#!'^~;()/.",
        "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    ].mapValues(Array.init)
}
