import CZlib
import NIOCore

/// `Content-Encoding: gzip` for answers whose callers accept it (browsers, curl --compressed,
/// Go's and Python's HTTP clients do by default). A version matrix of a 1,000-cluster fleet
/// is megabytes of JSON that compresses about twentyfold: compressed once when it is
/// computed (`ResponseCache`), it costs the server and the network a fraction to send.
enum Gzip {
    /// Bodies below this are sent as they are: the header costs more than it saves.
    static let minimumBytes = 1_024

    /// The gzip stream of `bytes` (level 1: most of the gain of level 6 on repetitive JSON,
    /// in a fraction of the time), or nil when zlib fails, and the answer goes uncompressed.
    static func compress(_ bytes: ByteBuffer) -> ByteBuffer? {
        var stream = z_stream()
        guard sluice_deflate_init_gzip(&stream, 1) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(bytes.readableBytes)))
        var output = ByteBuffer()
        output.reserveCapacity(bound)
        let status = bytes.withUnsafeReadableBytes { input in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                // deflateBound promises room for everything: one call finishes the stream.
                let status = deflate(&stream, Z_FINISH)
                return status == Z_STREAM_END ? out.count - Int(stream.avail_out) : 0
            }
            return stream.avail_in == 0
        }
        return status && output.readableBytes > 0 ? output : nil
    }

    /// Whether an `Accept-Encoding` value accepts gzip: listed (or `*`) with a quality above
    /// zero (RFC 9110 §12.5.3). `gzip;q=0` refuses it.
    static func accepted(_ header: String?) -> Bool {
        guard let header else { return false }
        var star = false
        for item in header.split(separator: ",").prefix(32) {
            let parameters = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parameters.first else { continue }
            let quality = parameters.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if coding == "gzip" || coding == "x-gzip" { return quality > 0 }
            if coding == "*" { star = quality > 0 }
        }
        return star
    }
}
