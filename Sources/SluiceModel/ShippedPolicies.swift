// Placeholder replaced by `make policies`.
public enum ShippedPolicies {
    public static let files: [(path: String, text: String)] = []
}
