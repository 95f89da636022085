/// What a commit would change, grouped the way it would roll out: environment -> stage ->
/// batch -> cluster -> add-on (dependency order) -> object. Encoded as the JSON of `sluice
/// plan --output json` (documented in the README): field names are part of the interface.
public struct FleetPlan: Sendable, Codable, Equatable {
    /// The version of this JSON's shape: a consumer checks it (1: issue 11's shape).
    public var schemaVersion = FleetPlan.currentSchemaVersion
    public static let currentSchemaVersion = 1
    public var commit: String
    public var summary: Summary
    public var environments: [Environment]
    public var statistics: Statistics

    public var hasChanges: Bool { summary.hasChanges }

    public struct Environment: Sendable, Codable, Equatable {
        public var name: String
        public var branch: String
        public var pipeline: String
        public var summary: Summary
        public var stages: [Stage]
    }

    public struct Stage: Sendable, Codable, Equatable {
        public var name: String
        public var batches: [Batch]
    }

    public struct Batch: Sendable, Codable, Equatable {
        public var number: Int
        /// The cumulative step as written (`1`, `"10%"`).
        public var step: String
        public var clusters: [ClusterPlan]
    }

    public struct ClusterPlan: Sendable, Codable, Equatable {
        public var name: String
        public var summary: Summary
        /// Why the cluster's live objects could not be read; nil when they could.
        public var unreachable: String?
        /// Only add-ons with something to do or to say, in dependency order; add-ons that
        /// left the cluster (their objects are pruned) come last.
        public var addons: [AddonPlan]
    }

    public struct AddonPlan: Sendable, Codable, Equatable {
        public var name: String
        /// The commit recorded as applied for this cluster and add-on, if any.
        public var recordedCommit: String?
        /// Why the pair cannot be applied (a `block` rule, an object another add-on owns).
        public var blocked: [String]
        /// Changes a `drop` or `recreate` rule altered, recorded commits that were not found.
        public var warnings: [String]
        public var objects: [ObjectChange]
        /// What the cluster's API server refused in a dry run (kubernetes clusters); the pair
        /// is blocked. Absent when nothing was refused.
        public var rejected: [ServerRejection]? = nil
        /// The add-on's release entry at the recorded commit and at this one (version and
        /// images), for an add-on with changes; `before` absent when it was not applied.
        public var release: ReleaseChange? = nil
        /// A chart add-on's hooks that run with this apply (`pre-upgrade Job ns/name`), in
        /// their order; absent when none runs.
        public var hooks: [String]? = nil
    }

    public struct ReleaseChange: Sendable, Codable, Equatable {
        public struct Side: Sendable, Codable, Equatable {
            /// The release's name (`releases/<name>.yaml`).
            public var release: String
            public var version: String
            public var images: [String: String]
        }
        public var before: Side?
        public var after: Side?
    }

    /// An object the API server or its admission webhooks would not accept.
    public struct ServerRejection: Sendable, Codable, Equatable {
        /// The add-on template the object was rendered from.
        public var template: String
        public var apiVersion: String
        public var kind: String
        public var namespace: String
        public var name: String
        public var message: String
    }

    public struct ObjectChange: Sendable, Codable, Equatable {
        public enum Action: String, Sendable, Codable { case create, update, delete, recreate }
        public var action: Action
        public var apiVersion: String
        public var kind: String
        public var namespace: String
        public var name: String
        /// For update and recreate: a unified diff of the live object and the result, with
        /// sensitive values shown as `(sensitive value)` / `(sensitive value changed)`.
        public var diff: String?
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var create = 0
        public var update = 0
        public var delete = 0
        public var recreate = 0
        /// Objects rendered and found equal to the live ones.
        public var unchanged = 0
        /// Pairs that cannot be applied.
        public var blocked = 0
        /// Pairs with nothing to do (not rendered because their inputs did not change, or
        /// rendered and found unchanged).
        public var unchangedAddons = 0
        /// Clusters whose live objects could not be read.
        public var unreachable = 0
        /// Of those, clusters that refused Sluice (credentials, TLS, a missing kubeconfig
        /// context): trying again will not help, so a rollout fails them instead of waiting.
        public var refused = 0

        public init() {}

        /// Something to apply, or something in the way (a blocked pair, an unreachable cluster).
        public var hasChanges: Bool { create + update + delete + recreate + blocked + unreachable > 0 }

        public static func + (a: Summary, b: Summary) -> Summary {
            var sum = a
            sum.create += b.create
            sum.update += b.update
            sum.delete += b.delete
            sum.recreate += b.recreate
            sum.unchanged += b.unchanged
            sum.blocked += b.blocked
            sum.unchangedAddons += b.unchangedAddons
            sum.unreachable += b.unreachable
            sum.refused += b.refused
            return sum
        }

        mutating func count(_ action: ObjectChange.Action) {
            switch action {
            case .create: create += 1
            case .update: update += 1
            case .delete: delete += 1
            case .recreate: recreate += 1
            }
        }
    }

    /// How much work the plan did: incremental planning shows here.
    public struct Statistics: Sendable, Codable, Equatable {
        /// Pairs rendered at the commit (their inputs changed, or nothing was recorded).
        public var pairsRendered = 0
        /// Pairs whose inputs did not change since their recorded commit: not rendered.
        public var pairsUnchanged = 0
        /// Last-applied specs that needed the recorded commit (rendered there once per
        /// distinct digest; the others come from that render).
        public var lastAppliedRendered = 0
        /// Last-applied specs taken from the target because the digests matched.
        public var lastAppliedFromDigest = 0

        public init() {}

        public static func + (a: Statistics, b: Statistics) -> Statistics {
            var sum = a
            sum.pairsRendered += b.pairsRendered
            sum.pairsUnchanged += b.pairsUnchanged
            sum.lastAppliedRendered += b.lastAppliedRendered
            sum.lastAppliedFromDigest += b.lastAppliedFromDigest
            return sum
        }
    }
}
