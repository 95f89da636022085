import Foundation

/// Standard output of every command. `print` in this module writes through here: each call
/// one write, unbuffered, and a failed write (a full disk, a closed pipe) remembered so that
/// the command exits 1 instead of claiming success (`flushStandardOutput` in main.swift).
enum StandardOutput {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var firstFailure: String?

    static var failure: String? { lock.withLock { firstFailure } }

    static func write(_ text: String) {
        do { try FileHandle.standardOutput.write(contentsOf: Data(text.utf8)) } catch {
            let reason = (error as NSError).localizedDescription
            lock.withLock { if firstFailure == nil { firstFailure = reason } }
        }
    }
}

/// Shadows the standard library's `print` for this module (see `StandardOutput`).
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    StandardOutput.write(items.map { "\($0)" }.joined(separator: separator) + terminator)
}
