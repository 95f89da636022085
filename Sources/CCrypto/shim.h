#include <openssl/evp.h>
#include <string.h>

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

// Keys and certificates for Sprig's genPrivateKey, genCA, genSelfSignedCert and
// genSignedCert. The randomness comes from the caller (a chart's deterministic stream), so
// keys are made from given numbers rather than by libcrypto's generators.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// The first prime at or after `start` (`length` big-endian bytes; its top two bits and its
/// low bit are set first) whose p-1 is coprime with 65537, into `out` (`length` bytes).
/// Returns 1 when one was found within the search's bound, else 0.
static inline int sluice_prime_from(const unsigned char *start, int length, unsigned char *out) {
    BN_CTX *context = BN_CTX_new();
    BIGNUM *p = BN_bin2bn(start, length, NULL);
    int ok = 0, bits = length * 8;
    if (context != NULL && p != NULL && BN_set_bit(p, bits - 1) && BN_set_bit(p, bits - 2) && BN_set_bit(p, 0)) {
        for (int step = 0; step < 200000 && BN_num_bits(p) == bits; step++) {
            if (BN_mod_word(p, 65537) != 1) {
                int prime = BN_check_prime(p, context, NULL);
                if (prime < 0) break;
                if (prime == 1) { ok = BN_bn2binpad(p, out, length) == length; break; }
            }
            if (!BN_add_word(p, 2)) break;
        }
    }
    BN_free(p);
    BN_CTX_free(context);
    return ok;
}

/// An RSA key (e = 65537) of the primes `pBytes` and `qBytes` (`length` bytes each), or NULL.
static inline EVP_PKEY *sluice_rsa_key(const unsigned char *pBytes, const unsigned char *qBytes, int length) {
    BN_CTX *context = BN_CTX_new();
    BIGNUM *p = BN_bin2bn(pBytes, length, NULL), *q = BN_bin2bn(qBytes, length, NULL);
    BIGNUM *e = BN_new(), *n = BN_new(), *d = BN_new(), *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new();
    BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new();
    OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *keyContext = NULL;
    EVP_PKEY *key = NULL;
    if (context && p && q && e && n && d && p1 && q1 && phi && dp && dq && qinv && builder && BN_cmp(p, q) != 0
        && BN_set_word(e, 65537) && BN_mul(n, p, q, context)
        && BN_sub(p1, p, BN_value_one()) && BN_sub(q1, q, BN_value_one()) && BN_mul(phi, p1, q1, context)
        && BN_mod_inverse(d, e, phi, context) && BN_mod(dp, d, p1, context) && BN_mod(dq, d, q1, context)
        && BN_mod_inverse(qinv, q, p, context)
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_N, n) && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_E, e)
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_D, d)
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_FACTOR1, p) && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_FACTOR2, q)
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq)
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qinv)
        && (params = OSSL_PARAM_BLD_to_param(builder)) != NULL
        && (keyContext = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL
        && EVP_PKEY_fromdata_init(keyContext) == 1) {
        if (EVP_PKEY_fromdata(keyContext, &key, EVP_PKEY_KEYPAIR, params) != 1) key = NULL;
    }
    EVP_PKEY_CTX_free(keyContext);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(builder);
    BN_free(p); BN_free(q); BN_free(e); BN_free(n); BN_free(d); BN_free(p1); BN_free(q1); BN_free(phi);
    BN_free(dp); BN_free(dq); BN_free(qinv);
    BN_CTX_free(context);
    return key;
}

/// A P-256 key whose private scalar is `scalar` (32 bytes) reduced into 1...order-1, or NULL.
static inline EVP_PKEY *sluice_p256_key(const unsigned char *scalar) {
    BN_CTX *context = BN_CTX_new();
    EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *d = BN_bin2bn(scalar, 32, NULL), *range = BN_new();
    EC_POINT *point = group ? EC_POINT_new(group) : NULL;
    unsigned char pub[65];
    OSSL_PARAM_BLD *builder = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *keyContext = NULL;
    EVP_PKEY *key = NULL;
    if (context && group && d && range && point && builder
        && BN_copy(range, EC_GROUP_get0_order(group)) && BN_sub_word(range, 1)
        && BN_mod(d, d, range, context) && BN_add_word(d, 1)
        && EC_POINT_mul(group, point, d, NULL, NULL, context)
        && EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof pub, context) == sizeof pub
        && OSSL_PARAM_BLD_push_utf8_string(builder, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0)
        && OSSL_PARAM_BLD_push_BN(builder, OSSL_PKEY_PARAM_PRIV_KEY, d)
        && OSSL_PARAM_BLD_push_octet_string(builder, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub)
        && (params = OSSL_PARAM_BLD_to_param(builder)) != NULL
        && (keyContext = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL
        && EVP_PKEY_fromdata_init(keyContext) == 1) {
        if (EVP_PKEY_fromdata(keyContext, &key, EVP_PKEY_KEYPAIR, params) != 1) key = NULL;
    }
    EVP_PKEY_CTX_free(keyContext);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(builder);
    EC_POINT_free(point);
    BN_free(d); BN_free(range);
    EC_GROUP_free(group);
    BN_CTX_free(context);
    return key;
}

static inline EVP_PKEY *sluice_ed25519_key(const unsigned char *seed) {
    return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
}

/// 0: RSA, 1: EC, 2: Ed25519, -1: another kind.
static inline int sluice_key_kind(const EVP_PKEY *key) {
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA: return 0;
    case EVP_PKEY_EC: return 1;
    case EVP_PKEY_ED25519: return 2;
    default: return -1;
    }
}

/// The key's DER in its own format (PKCS#1 for RSA, SEC 1 for EC, PKCS#8 otherwise) into a
/// buffer the caller frees with `sluice_free`; its length, or -1.
static inline int sluice_key_der(EVP_PKEY *key, unsigned char **out) {
    *out = NULL;
    return i2d_PrivateKey(key, out);
}

static inline void sluice_free(void *pointer) { OPENSSL_free(pointer); }

/// A private key from PEM text (any of the kinds PEM names), or NULL.
static inline EVP_PKEY *sluice_key_from_pem(const char *text, int length) {
    BIO *bio = BIO_new_mem_buf(text, length);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

/// A certificate from PEM text, or NULL.
static inline X509 *sluice_certificate_from_pem(const char *text, int length) {
    BIO *bio = BIO_new_mem_buf(text, length);
    X509 *certificate = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return certificate;
}

/// The certificate's DER into a buffer the caller frees with `sluice_free`; its length, or -1.
static inline int sluice_certificate_der(X509 *certificate, unsigned char **out) {
    *out = NULL;
    return i2d_X509(certificate, out);
}

static inline int sluice_add_extension(X509 *certificate, X509V3_CTX *context, int nid, const char *value) {
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(NULL, context, nid, value);
    int ok = extension != NULL && X509_add_ext(certificate, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return ok;
}

/// A version-3 certificate as Go's x509.CreateCertificate makes Sprig's: `key`'s public key,
/// subject CN `commonName` (none when empty), serial `serial` (16 bytes), valid from
/// `notBefore` for `days` days, key usage digitalSignature and keyEncipherment (and
/// keyCertSign for a CA), extended usage serverAuth and clientAuth, basic constraints, a
/// subject key id for a CA, the issuer's key id when it has one, the DNS names and IP
/// addresses (4 or 16 bytes each) as alternative names; signed by `signerKey` as `issuer`
/// (NULL: self-signed). NULL on failure.
static inline X509 *sluice_certificate(EVP_PKEY *key, EVP_PKEY *signerKey, X509 *issuer, const char *commonName,
                                       const unsigned char *serial, long long notBefore, long long days, int isCA,
                                       const char *const *dnsNames, int dnsCount,
                                       const unsigned char *const *ips, const int *ipLengths, int ipCount) {
    X509 *certificate = X509_new();
    X509_NAME *subject = X509_NAME_new();
    BIGNUM *serialNumber = BN_bin2bn(serial, 16, NULL);
    GENERAL_NAMES *names = NULL;
    int ok = certificate && subject && serialNumber
        && X509_set_version(certificate, 2)
        && BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(certificate)) != NULL
        && ASN1_TIME_set(X509_getm_notBefore(certificate), (time_t)notBefore) != NULL
        && ASN1_TIME_set(X509_getm_notAfter(certificate), (time_t)(notBefore + days * 86400)) != NULL
        && (commonName[0] == 0 || X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)commonName, -1, -1, 0))
        && X509_set_subject_name(certificate, subject)
        && X509_set_issuer_name(certificate, issuer ? X509_get_subject_name(issuer) : subject)
        && X509_set_pubkey(certificate, key);
    X509V3_CTX context;
    if (ok) {
        X509V3_set_ctx(&context, issuer ? issuer : certificate, certificate, NULL, NULL, 0);
        ok = sluice_add_extension(certificate, &context, NID_key_usage,
                                  isCA ? "critical,digitalSignature,keyEncipherment,keyCertSign" : "critical,digitalSignature,keyEncipherment")
            && sluice_add_extension(certificate, &context, NID_ext_key_usage, "serverAuth,clientAuth")
            && sluice_add_extension(certificate, &context, NID_basic_constraints, isCA ? "critical,CA:TRUE" : "critical,CA:FALSE")
            && (!isCA || sluice_add_extension(certificate, &context, NID_subject_key_identifier, "hash"))
            && (issuer == NULL || X509_get0_subject_key_id(issuer) == NULL
                || sluice_add_extension(certificate, &context, NID_authority_key_identifier, "keyid"));
    }
    if (ok && dnsCount + ipCount > 0) {
        names = GENERAL_NAMES_new();
        ok = names != NULL;
        for (int i = 0; ok && i < dnsCount; i++) {
            GENERAL_NAME *name = GENERAL_NAME_new();
            ASN1_IA5STRING *text = ASN1_IA5STRING_new();
            ok = name && text && ASN1_STRING_set(text, dnsNames[i], -1);
            if (ok) { GENERAL_NAME_set0_value(name, GEN_DNS, text); text = NULL; ok = sk_GENERAL_NAME_push(names, name) > 0; if (ok) name = NULL; }
            ASN1_IA5STRING_free(text);
            GENERAL_NAME_free(name);
        }
        for (int i = 0; ok && i < ipCount; i++) {
            GENERAL_NAME *name = GENERAL_NAME_new();
            ASN1_OCTET_STRING *address = ASN1_OCTET_STRING_new();
            ok = name && address && ASN1_OCTET_STRING_set(address, ips[i], ipLengths[i]);
            if (ok) { GENERAL_NAME_set0_value(name, GEN_IPADD, address); address = NULL; ok = sk_GENERAL_NAME_push(names, name) > 0; if (ok) name = NULL; }
            ASN1_OCTET_STRING_free(address);
            GENERAL_NAME_free(name);
        }
        ok = ok && X509_add1_ext_i2d(certificate, NID_subject_alt_name, names, 0, 0) == 1;
    }
    // Ed25519 signs without a separate digest.
    ok = ok && X509_sign(certificate, signerKey, EVP_PKEY_get_base_id(signerKey) == EVP_PKEY_ED25519 ? NULL : EVP_sha256()) > 0;
    GENERAL_NAMES_free(names);
    BN_free(serialNumber);
    X509_NAME_free(subject);
    if (!ok) { X509_free(certificate); certificate = NULL; }
    return certificate;
}

/// The first `bytes` bytes of pi's fraction (pi = 3.243F6A88...), by Machin's formula in
/// fixed point: Blowfish's initial state is these digits (bcrypt needs them; libcrypto's
/// copy is not exported). Returns 1 on success.
static inline int sluice_pi_fraction(unsigned char *out, int bytes) {
    int bits = bytes * 8 + 64;
    BIGNUM *power = BN_new(), *term = BN_new(), *one = BN_new(), *atan = BN_new(), *result = BN_new();
    int ok = power && term && one && atan && result && BN_set_word(one, 1) && BN_lshift(one, one, bits) && BN_set_word(result, 0);
    // pi = 16 atan(1/5) - 4 atan(1/239); atan(1/x) = sum (-1)^k / ((2k+1) x^(2k+1)).
    const unsigned long xs[2] = {5, 239};
    const unsigned long factors[2] = {16, 4};
    for (int part = 0; ok && part < 2; part++) {
        unsigned long x = xs[part];
        ok = BN_copy(power, one) != NULL && BN_div_word(power, x) != (BN_ULONG)-1 && BN_set_word(atan, 0);
        for (unsigned long k = 0; ok && !BN_is_zero(power); k++) {
            ok = BN_copy(term, power) != NULL && BN_div_word(term, 2 * k + 1) != (BN_ULONG)-1
                && ((k % 2 == 0) ? BN_add(atan, atan, term) : BN_sub(atan, atan, term))
                && BN_div_word(power, x * x) != (BN_ULONG)-1;
        }
        ok = ok && BN_mul_word(atan, factors[part]) && (part == 0 ? BN_add(result, result, atan) : BN_sub(result, result, atan));
    }
    // Drop the guard bits, then the integer part (3) in the top byte.
    unsigned char *whole = ok ? OPENSSL_malloc(bytes + 1) : NULL;
    ok = ok && whole && BN_rshift(result, result, 64) && BN_bn2binpad(result, whole, bytes + 1) == bytes + 1;
    if (ok) memcpy(out, whole + 1, bytes);
    OPENSSL_free(whole);
    BN_free(power); BN_free(term); BN_free(one); BN_free(atan); BN_free(result);
    return ok;
}

#include <openssl/kdf.h>

/// scrypt (RFC 7914) of `password` with `salt` into `out` (`length` bytes); 1 on success.
static inline int sluice_scrypt(const void *password, size_t passwordLength, const void *salt, size_t saltLength,
                                uint64_t n, uint64_t r, uint64_t p, unsigned char *out, size_t length) {
    return EVP_PBE_scrypt(password, passwordLength, salt, saltLength, n, r, p, 256 * 1024 * 1024, out, length);
}
