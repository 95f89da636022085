#include <zlib.h>

/// deflateInit2 is a macro; a plain function so Swift can call it. windowBits 15 + 16 asks
/// zlib for a gzip wrapper (RFC 1952), which HTTP's `Content-Encoding: gzip` means.
static inline int sluice_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 for a gzip stream (tests read back what the server sent).
static inline int sluice_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}
