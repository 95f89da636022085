import CGit2

/// An error from libgit2, carrying libgit2's own message and the operation that failed.
public struct GitError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let message: String
    public let code: Int32

    public init(operation: String, message: String, code: Int32) {
        self.operation = operation
        self.message = message
        self.code = code
    }

    public var description: String { "\(operation): \(message)" }

    /// True when libgit2 said the object or reference does not exist.
    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }

    /// Builds the error from libgit2's thread-local last error.
    static func last(_ operation: String, code: Int32) -> GitError {
        var message = "libgit2 error \(code)"
        if let err = git_error_last(), let text = err.pointee.message {
            message = String(cString: text)
        }
        return GitError(operation: operation, message: message, code: code)
    }
}

/// Runs a libgit2 call and turns a negative return code into a `GitError`.
@inline(__always)
func check(_ operation: @autoclosure () -> String, _ code: Int32) throws(GitError) {
    if code < 0 { throw GitError.last(operation(), code: code) }
}

enum LibGit2 {
    /// libgit2 must be initialised once per process before any other call.
    static let initialized: Bool = git_libgit2_init() >= 0
}
