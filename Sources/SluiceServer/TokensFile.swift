import SluiceYAML

/// `--tokens-file`: the API's identities, from the machine (a file, or a Kubernetes Secret
/// mounted as one), never from the fleet repo:
///
///     tokens:
///       - name: alice                 # recorded with everything alice does
///         sha256: 5e884898da28...     # of the token: printf %s "$TOKEN" | sha256sum
///         role: approver              # viewer | operator | approver
///         environments: [production]  # optional: where the role holds (a viewer elsewhere)
public enum TokensFile {
    /// The most identities a file may name (work per input is bounded).
    static let maxEntries = 10_000

    public static func parse(_ bytes: [UInt8], file: String) throws(ValidationFailure) -> Identities {
        let root: YAMLNode
        do { root = try YAMLParser().parseSingle(bytes, file: file) } catch { throw ValidationFailure([error]) }
        var problems: [Diagnostic] = []
        func problem(_ mark: Mark, _ message: String) { problems.append(Diagnostic(file: file, mark: mark, message: message)) }
        guard let mapping = root.mapping, let tokens = root["tokens"] else {
            throw ValidationFailure([Diagnostic(file: file, mark: root.mark, message: "a tokens file is a mapping with a `tokens` list")])
        }
        for pair in mapping where pair.key.scalar?.text != "tokens" {
            problem(pair.key.mark, "unknown field \(pair.key.scalar?.text ?? "?") (a tokens file has only `tokens`)")
        }
        guard let list = tokens.sequence else {
            throw ValidationFailure([Diagnostic(file: file, mark: tokens.mark, message: "tokens must be a list of {name, sha256, role, environments}")])
        }
        guard list.count <= maxEntries else {
            throw ValidationFailure([Diagnostic(file: file, mark: tokens.mark, message: "more than \(maxEntries) tokens")])
        }
        var entries: [Identities.Entry] = []
        var names: Set<String> = []
        var digests: Set<[UInt8]> = []
        for item in list {
            guard let fields = item.mapping else {
                problem(item.mark, "each token is a mapping of name, sha256, role and (optionally) environments")
                continue
            }
            for pair in fields where !["name", "sha256", "role", "environments"].contains(pair.key.scalar?.text ?? "") {
                problem(pair.key.mark, "unknown field \(pair.key.scalar?.text ?? "?") (a token has name, sha256, role, environments)")
            }
            guard let name = text(item["name"]), !name.isEmpty else { problem(item.mark, "a token needs a name"); continue }
            if !names.insert(name).inserted { problem(item["name"]?.mark ?? item.mark, "the name \(name) is given twice") }
            guard let hex = text(item["sha256"]) else { problem(item.mark, "token \(name) needs sha256: the SHA-256 of the token, in hex"); continue }
            guard hex.count == 64, let digest = Digests.bytes(hex: hex) else {
                problem(item["sha256"]?.mark ?? item.mark, "sha256 of \(name) is not 64 hex digits (a SHA-256 of the token, never the token itself)")
                continue
            }
            if !digests.insert(digest).inserted { problem(item["sha256"]?.mark ?? item.mark, "the token of \(name) is also another's") }
            guard let roleText = text(item["role"]), let role = Identities.Role(rawValue: roleText) else {
                problem(item["role"]?.mark ?? item.mark, "role of \(name) must be viewer, operator or approver")
                continue
            }
            var environments: Set<String>?
            if let node = item["environments"] {
                guard let names = node.sequence?.compactMap(text), names.count == node.sequence?.count, !names.isEmpty else {
                    problem(node.mark, "environments of \(name) must be a list of environment names")
                    continue
                }
                environments = Set(names)
            }
            entries.append(Identities.Entry(digest: digest, identity: Identities.Identity(name: name, role: role, environments: environments)))
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return Identities(entries: entries)
    }

    /// `--api-token-file`: one bare token (a trailing newline is not part of it).
    public static func singleToken(_ bytes: [UInt8], file: String) throws(ValidationFailure) -> Identities {
        var token = String(decoding: bytes, as: UTF8.self)
        while let last = token.last, last.isNewline || last == " " { token.removeLast() }
        guard !token.isEmpty, !token.contains(where: \.isWhitespace) else {
            throw ValidationFailure([Diagnostic(file: file, message: "holds no token (one line, no spaces)")])
        }
        guard token.utf8.count >= 16 else {
            throw ValidationFailure([Diagnostic(file: file, message: "the token is shorter than 16 characters: too easy to guess")])
        }
        return .single(token: token)
    }

    private static func text(_ node: YAMLNode?) -> String? {
        node?.scalar?.text
    }
}
