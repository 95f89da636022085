#include <openssl/evp.h>

/// SHA-256 of a buffer into `out` (32 bytes); returns 1 on success.
/// A plain function so Swift need not touch EVP's macros.
static inline int sluice_sha256(const void *data, size_t length, unsigned char *out) {
    unsigned int written = 0;
    return EVP_Digest(data, length, out, &written, EVP_sha256(), NULL);
}
