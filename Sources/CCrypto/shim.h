#include <openssl/evp.h>

/// SHA-256 of a buffer into `out` (32 bytes); returns 1 on success.
/// A plain function so Swift need not touch EVP's macros.
static inline int sluice_sha256(const void *data, size_t length, unsigned char *out) {
    unsigned int written = 0;
    return EVP_Digest(data, length, out, &written, EVP_sha256(), NULL);
}

#include <openssl/hmac.h>
#include <openssl/crypto.h>

/// HMAC-SHA256 of a buffer with a key into `out` (32 bytes); returns 1 on success.
static inline int sluice_hmac_sha256(const void *key, size_t keyLength, const void *data, size_t length, unsigned char *out) {
    unsigned int written = 0;
    return HMAC(EVP_sha256(), key, (int)keyLength, data, length, out, &written) != NULL && written == 32;
}

/// Compares two buffers of one length in time that does not depend on where they differ.
static inline int sluice_equal_constant_time(const void *a, const void *b, size_t length) {
    return CRYPTO_memcmp(a, b, length) == 0;
}

/// SHA-1 of a buffer into `out` (20 bytes); returns 1 on success (Sprig's `sha1sum`).
static inline int sluice_sha1(const void *data, size_t length, unsigned char *out) {
    unsigned int written = 0;
    return EVP_Digest(data, length, out, &written, EVP_sha1(), NULL);
}
