import CZlib

/// A packed chart (`helm package`, `helm dependency build`: a gzipped tar of one folder named
/// after the chart) read as Helm's `LoadArchive` reads it: the top folder's name dropped from
/// every path, a path that climbs out (`..`, absolute) refused, only regular files kept (PAX
/// and GNU long names understood), and Helm's limits: 100 MiB unpacked, 5 MiB a file.
enum ChartArchive {
    static let maxBytes = 100 << 20
    static let maxFileBytes = 5 << 20

    struct Refusal: Error, Sendable {
        var message: String
    }

    static func files(_ gzipped: [UInt8]) throws(Refusal) -> [HelmChart.File] {
        try entries(try gunzip(gzipped))
    }

    /// zlib's inflate of a gzip stream, stopped once it passes `maxBytes`.
    static func gunzip(_ input: [UInt8]) throws(Refusal) -> [UInt8] {
        var stream = z_stream()
        guard sluice_inflate_init_gzip(&stream) == Z_OK else { throw Refusal(message: "zlib could not start") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var status = Z_OK
        var copy = input
        try copy.withUnsafeMutableBufferPointer { (source) throws(Refusal) in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw Refusal(message: "it is not a valid gzip stream (zlib status \(status))")
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
                guard output.count <= maxBytes else { throw Refusal(message: "it unpacks to more than \(maxBytes >> 20) MiB") }
            } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard status == Z_STREAM_END else { throw Refusal(message: "the gzip stream ends early") }
        return output
    }

    /// The regular files of a tar stream, named without their top folder.
    static func entries(_ tar: [UInt8]) throws(Refusal) -> [HelmChart.File] {
        var files: [HelmChart.File] = []
        var offset = 0
        var longName: String?
        while offset + 512 <= tar.count {
            let header = tar[offset..<(offset + 512)]
            if header.allSatisfy({ $0 == 0 }) { break }
            let size = try number(header, at: 124, length: 12)
            let type = header[header.startIndex + 156]
            let dataStart = offset + 512
            guard size <= tar.count - dataStart else { throw Refusal(message: "an entry runs past the end of the archive") }
            let data = Array(tar[dataStart..<(dataStart + size)])
            offset = dataStart + (size + 511) / 512 * 512
            var name = text(header, at: 0, length: 100)
            if header[header.startIndex + 257..<header.startIndex + 262].elementsEqual(Array("ustar".utf8)) {
                let prefix = text(header, at: 345, length: 155)
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            if let long = longName { name = long; longName = nil }
            switch type {
            case UInt8(ascii: "x"):
                // PAX: "length key=value\n" records; `path` names the next entry.
                for record in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                    guard let space = record.firstIndex(of: " ") else { continue }
                    let pair = record[record.index(after: space)...]
                    if pair.hasPrefix("path=") { longName = String(pair.dropFirst(5)) }
                }
                continue
            case UInt8(ascii: "L"):
                longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "0"), 0:
                break
            default:
                continue  // folders, links, global headers: nothing to read
            }
            let parts = name.replacingOccurrences(of: "\\", with: "/").split(separator: "/", omittingEmptySubsequences: false)
            if parts.first == "Chart.yaml" { throw Refusal(message: "Chart.yaml is not in a folder of its own (a chart archive holds one folder)") }
            let relative = parts.dropFirst().joined(separator: "/")
            if relative.isEmpty { continue }
            if relative.hasPrefix("/") || relative.split(separator: "/").contains("..") {
                throw Refusal(message: "\(name) lies outside the chart's folder")
            }
            guard data.count <= maxFileBytes else { throw Refusal(message: "\(relative) is larger than \(maxFileBytes >> 20) MiB") }
            files.append(HelmChart.File(name: relative, bytes: data))
        }
        return files
    }

    private static func text(_ header: ArraySlice<UInt8>, at start: Int, length: Int) -> String {
        let field = header[(header.startIndex + start)..<(header.startIndex + start + length)]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal field (tar's sizes); base-256 sizes (over 8 GiB) are refused.
    private static func number(_ header: ArraySlice<UInt8>, at start: Int, length: Int) throws(Refusal) -> Int {
        let field = header[(header.startIndex + start)..<(header.startIndex + start + length)]
        if let first = field.first, first & 0x80 != 0 { throw Refusal(message: "an entry is too large") }
        let digits = String(decoding: field.filter { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
        guard let value = Int(digits.isEmpty ? "0" : digits, radix: 8), value >= 0 else { throw Refusal(message: "an entry's size is not a number") }
        return value
    }
}
