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
        var message = sentence(for: code)
        if let err = git_error_last(), let text = err.pointee.message, text.pointee != 0 {
            message = String(cString: text)
        }
        return GitError(operation: operation, message: message, code: code)
    }

    /// What a libgit2 code means, for the calls that return one without a message.
    package static func sentence(for code: Int32) -> String {
        switch code {
        case GIT_ENOTFOUND.rawValue: return "not found (no such branch, tag, commit or file)"
        case GIT_EEXISTS.rawValue: return "it exists already"
        case GIT_EAMBIGUOUS.rawValue: return "ambiguous: more than one object matches; give more of the commit id"
        case GIT_EBUFS.rawValue: return "a buffer was too small"
        case GIT_EBAREREPO.rawValue: return "the repository is bare (it has no working directory)"
        case GIT_EUNBORNBRANCH.rawValue: return "the branch has no commit yet"
        case GIT_EUNMERGED.rawValue: return "the repository has unmerged changes"
        case GIT_ENONFASTFORWARD.rawValue: return "not a fast-forward"
        case GIT_EINVALIDSPEC.rawValue: return "not a valid revision or reference name"
        case GIT_ECONFLICT.rawValue: return "a checkout conflict"
        case GIT_ELOCKED.rawValue: return "locked by another Git process (a stale .lock file?)"
        case GIT_EMODIFIED.rawValue: return "changed by someone else meanwhile"
        case GIT_EAUTH.rawValue: return "authentication failed: check the credentials"
        case GIT_ECERTIFICATE.rawValue: return "the server's certificate is not trusted"
        case GIT_EPEEL.rawValue: return "the object cannot be peeled to the type asked for"
        case GIT_EEOF.rawValue: return "unexpected end of data"
        case GIT_EINVALID.rawValue: return "invalid input"
        case GIT_EDIRECTORY.rawValue: return "the operation is not valid on a directory"
        default: return "Git failed (libgit2 code \(code))"
        }
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
