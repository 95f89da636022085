import CZlib
import NIOCore
@testable import SluiceServer
import SluiceTestSupport
import Testing

/// Answers compressed for callers that accept gzip, and only for them.
@Suite struct GzipTests {
    /// What a client does with the body: zlib's inflate of the gzip stream.
    static func inflate(_ compressed: [UInt8]) -> [UInt8]? {
        var stream = z_stream()
        guard sluice_inflate_init_gzip(&stream) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var input = compressed, output: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 1 << 16)
        return input.withUnsafeMutableBufferPointer { input -> [UInt8]? in
            stream.next_in = input.baseAddress
            stream.avail_in = uInt(input.count)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
                if status == Z_STREAM_END { return output }
                guard status == Z_OK else { return nil }
            }
        }
    }

    @Test func compressesToAStreamThatInflatesBack() throws {
        var random = SeededRandom(seed: 19)
        // Repetitive, as JSON is, with some noise; and sizes around zlib's buffers.
        for count in [0, 1, 1_023, 65_536, 3 << 20] {
            var bytes: [UInt8] = []
            for index in 0..<count {
                let letter = UInt8(ascii: "a") + UInt8(index % 7)
                bytes.append(index % 97 == 0 ? UInt8(random.next(upTo: 256)) : letter)
            }
            let compressed = try #require(Gzip.compress(ByteBuffer(bytes: bytes)))
            #expect(Self.inflate(Array(buffer: compressed)) == bytes)
            if count >= 65_536 { #expect(compressed.readableBytes < count / 3) }
        }
    }

    @Test func acceptEncodingIsReadAsRFC9110Says() {
        #expect(Gzip.accepted("gzip"))
        #expect(Gzip.accepted("deflate, gzip;q=1.0, *;q=0.5"))
        #expect(Gzip.accepted("GZIP"))
        #expect(Gzip.accepted("br, *"))
        #expect(Gzip.accepted("x-gzip"))
        #expect(!Gzip.accepted(nil))
        #expect(!Gzip.accepted(""))
        #expect(!Gzip.accepted("identity"))
        #expect(!Gzip.accepted("br, deflate"))
        #expect(!Gzip.accepted("gzip;q=0"))
        #expect(!Gzip.accepted("gzip; q=0.000, *"))
        #expect(!Gzip.accepted("*;q=0"))
        #expect(!Gzip.accepted("gzip;q=nan"))
    }

    @Test func smallAnswersAreSentAsTheyAre() {
        let small = APIResponse(status: 200, body: Array(repeating: 65, count: Gzip.minimumBytes - 1)).withGzip()
        #expect(small.gzipped == nil)
        let large = APIResponse(status: 200, body: Array(repeating: 65, count: Gzip.minimumBytes)).withGzip()
        #expect(large.gzipped.map { Self.inflate(Array(buffer: $0)) } == large.body)
    }

    /// Header values from pieces of real ones, shuffled: always an answer, and gzip only
    /// where the value names it (or `*`).
    @Test func mutatedAcceptEncodingsAlwaysGetAnAnswer() {
        var random = SeededRandom(seed: 2026)
        let pieces = ["gzip", "GZip", "x-gzip", "*", "br", "identity", ",", ";", "q=", "0", "1", ".", "5", " ", "=", "\t", "é", "\u{0}", "q=0", ";q=1.0"]
        for _ in 0..<5_000 {
            let value = (0..<random.next(upTo: 12)).map { _ in pieces[random.next(upTo: pieces.count)] }.joined()
            let accepted = Gzip.accepted(value)
            let lowered = value.lowercased()
            if accepted { #expect(lowered.contains("gzip") || lowered.contains("*"), "\(value)") }
        }
        #expect(!Gzip.accepted(String(repeating: "br,", count: 100_000) + "gzip"))
    }
}
