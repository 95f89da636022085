import SluiceYAML
/// The labels and annotation Sluice puts on every object it applies (DESIGN §2 step 4): how
/// it finds an add-on's objects in a cluster and tells them from others'.
public enum SluiceLabels {
    public static let managedBy = "app.kubernetes.io/managed-by"
    public static let addon = "sluice.dev/addon"
    public static let commit = "sluice.dev/commit"

    /// The add-on a live object was applied for, when Sluice applied it.
    public static func addon(of object: Value) -> String? {
        guard object.at(["metadata", "labels", managedBy])?.stringValue == "sluice" else { return nil }
        return object.at(["metadata", "labels", addon])?.stringValue
    }
}
