import SluiceModel

/// Where the planner, the checks and the controller get a cluster's driver: the connector
/// below the controller implements it (simulated or Kubernetes, by the cluster file's
/// `spec.connection`); the planner sees only this.
public protocol ClusterDrivers: Sendable {
    /// The driver of `cluster`, opened once and kept (`.refused` when its connection cannot
    /// be made, `.unreachable` when it cannot be reached now).
    func driver(for cluster: Cluster) async throws(DriverError) -> any ClusterDriver
    /// The custom workload kinds a commit describes, so simulated clusters run their
    /// controllers (their pods move by them). Judging health always takes the kinds of the
    /// commit being rolled out, passed with each driver call.
    func describe(_ kinds: [WorkloadKind])
}

/// The applied records the planner reads (every record, sorted by environment, cluster and
/// add-on): the state store implements it.
public protocol AppliedRecordSource: Sendable {
    func applied() async throws(StoreError) -> [AppliedRecord]
    /// The records written and removed since `version` (0: every record).
    func appliedChanges(since version: Int64) async throws(StoreError) -> AppliedChanges
    /// The store's render secret: 32 random bytes made when first asked for and kept for the
    /// store's life, from which chart add-ons' random functions (`randAlphaNum`, `uuidv4`...)
    /// derive their values, so that every plan and apply of a pair renders the same ones and
    /// nothing in the fleet repo can predict them.
    func renderSecret() async throws(StoreError) -> [UInt8]
}

/// 32 bytes from the system's secure generator.
public enum RenderSecret {
    public static func make() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// The secret a store holds, as hex; anything else is a damaged store, never a new secret.
    public static func stored(_ hex: String) throws(StoreError) -> [UInt8] {
        guard let secret = bytes(hex: hex) else { throw StoreError("the store's render secret is damaged", kind: .damaged) }
        return secret
    }

    public static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var out: [UInt8] = []
        for index in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}
