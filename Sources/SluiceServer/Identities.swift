/// Who may do what through the API. A caller shows a bearer token; the server keeps only
/// tokens' SHA-256, so a leaked tokens file gives no token away. Every action is recorded
/// with the identity's name, never the OS user the server runs as.
public struct Identities: Sendable {
    public enum Role: String, Sendable, Comparable, CaseIterable {
        /// Reads.
        case viewer
        /// Also pause, resume, freeze, unfreeze and "fetch now".
        case `operator`
        /// Also approve.
        case approver

        private var rank: Int { Role.allCases.firstIndex(of: self) ?? 0 }
        public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
    }

    /// What a request needs.
    public enum Permission: Sendable, Equatable {
        case read
        case operate
        case approve

        var role: Role {
            switch self {
            case .read: return .viewer
            case .operate: return .operator
            case .approve: return .approver
            }
        }
    }

    public struct Identity: Sendable, Equatable {
        public var name: String
        public var role: Role
        /// The environments where `role` holds (nil: all); elsewhere the identity is a viewer.
        public var environments: Set<String>?

        public init(name: String, role: Role, environments: Set<String>? = nil) {
            self.name = name
            self.role = role
            self.environments = environments
        }

        /// Whether the identity may do what needs `permission` in `environment` (nil: a
        /// request about no one environment, such as the whole fleet's status).
        public func may(_ permission: Permission, in environment: String?) -> Bool {
            if permission == .read { return true }
            if let environments, let environment, !environments.contains(environment) { return false }
            if environments != nil, environment == nil { return false }
            return role >= permission.role
        }
    }

    struct Entry: Sendable {
        var digest: [UInt8]
        var identity: Identity
    }

    let entries: [Entry]

    init(entries: [Entry]) {
        self.entries = entries
    }

    /// No identities: every call that needs a token is refused.
    public static let none = Identities(entries: [])

    /// DESIGN §8's simple form: one token with every role, named `admin`.
    public static func single(token: String) -> Identities {
        Identities(entries: [Entry(digest: Digests.sha256(Array(token.utf8)), identity: Identity(name: "admin", role: .approver))])
    }

    public var isEmpty: Bool { entries.isEmpty }

    /// The identity whose token this is. Every entry is compared, each in constant time, so
    /// the time taken does not tell which entry (or how much of one) a guess matched.
    public func identify(token: String) -> Identity? {
        let digest = Digests.sha256(Array(token.utf8))
        var found: Identity?
        for entry in entries where Digests.equal(entry.digest, digest) && found == nil {
            found = entry.identity
        }
        return found
    }
}

extension Identities {
    /// These identities and `other`'s (a tokens file and an admin token together).
    public func adding(_ other: Identities) -> Identities {
        Identities(entries: entries + other.entries)
    }
}
