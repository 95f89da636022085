import Foundation

/// Files the Kubernetes driver reads from the machine (kubeconfigs, certificates, keys,
/// tokens), read only up to a limit: a file past it is refused, never read whole into memory.
enum BoundedFile {
    /// A kubeconfig (a large one holds a few hundred contexts with inline certificates).
    static let kubeconfigLimit = 16 << 20
    /// A certificate, key or token, in a file or inline.
    static let credentialLimit = 1 << 20

    static func read(_ path: String, limit: Int) throws(KubeconfigError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: limit + 1) ?? Data() } catch {
            throw .unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        guard data.count <= limit else {
            throw .invalid(path: path, reason: "larger than \(limit >> 20) MiB, which no kubeconfig file needs")
        }
        return Array(data)
    }
}
