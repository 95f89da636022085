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

/// SHA-512 of a buffer into `out` (64 bytes); returns 1 on success (Sprig's `sha512sum`).
static inline int sluice_sha512(const void *data, size_t length, unsigned char *out) {
    unsigned int written = 0;
    return EVP_Digest(data, length, out, &written, EVP_sha512(), NULL);
}

/// AES-256-CBC without padding (the caller pads, as Sprig does) of `length` bytes, a
/// multiple of 16, from `in` to `out`; `encrypt` 1 or 0. Returns 1 on success.
static inline int sluice_aes256_cbc(int encrypt, const unsigned char *key, const unsigned char *iv,
                                    const unsigned char *in, int length, unsigned char *out) {
    EVP_CIPHER_CTX *context = EVP_CIPHER_CTX_new();
    if (context == NULL) return 0;
    int written = 0, final = 0;
    int ok = EVP_CipherInit_ex(context, EVP_aes_256_cbc(), NULL, key, iv, encrypt) == 1
        && EVP_CIPHER_CTX_set_padding(context, 0) == 1
        && EVP_CipherUpdate(context, out, &written, in, length) == 1
        && EVP_CipherFinal_ex(context, out + written, &final) == 1
        && written + final == length;
    EVP_CIPHER_CTX_free(context);
    return ok;
}
