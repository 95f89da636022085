// libFuzzer target for webhook deliveries (built by scripts/build-fuzzers.sh into the
// SluiceServer module with only WebhookDelivery.swift and Digests.swift). The first byte
// picks the provider and whether the body is signed with the right secret (so that half the
// inputs reach the payload parser); up to four lines of headers follow, then the body. Any
// delivery may be refused; none may crash or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebhook(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let provider = WebhookDelivery.Provider.allCases[Int(bytes[0]) % 3]
    let signed = bytes[0] & 0x80 != 0
    var rest = bytes.dropFirst()
    var headerValues: [String] = []
    while headerValues.count < 4, let newline = rest.firstIndex(of: 10) {
        headerValues.append(String(decoding: rest[..<newline], as: UTF8.self))
        rest = rest[(newline + 1)...]
    }
    let body = Array(rest)
    let secret = Array("fuzz-secret-of-sixteen".utf8)
    let names = ["x-github-event", "x-gitlab-event", "x-github-delivery", "x-delivery-id"]
    var headers = Dictionary(uniqueKeysWithValues: zip(names, headerValues))
    let signature = signed ? "sha256=" + Digests.hex(Digests.hmacSHA256(key: secret, body)) : headerValues.first ?? ""
    headers["x-hub-signature-256"] = signature
    headers["x-signature"] = signature
    headers["x-gitlab-token"] = signed ? "fuzz-secret-of-sixteen" : headerValues.last ?? ""
    _ = WebhookDelivery.read(provider, headers: headers, body: body, secret: secret)
    _ = WebhookDelivery.deliveryID(provider, headers: headers)
    return 0
}
