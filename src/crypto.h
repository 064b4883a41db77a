/*
 * crypto.h - the protocol's cryptography, on OpenSSL 3 EVP.
 *
 * Envelope: content = base64(IV[16] || AES-CBC-PKCS7(plaintext)) and
 * aes_key = base64(RSA-OAEP(AES key)), OAEP with SHA-256 and MGF1 with
 * SHA-256 (browsers) or SHA-1 (Java/Android defaults). AES keys are 16,
 * 24 or 32 bytes. All functions are thread-safe; every buffer they return
 * is malloc'd and freed by the caller (key bytes with crypto_free_secret).
 */
#ifndef DS_CRYPTO_H
#define DS_CRYPTO_H

#include <stddef.h>

#include "rc.h"

#define CRYPTO_IV_LEN       16
#define CRYPTO_MAX_KEY_LEN  32

/*
 * Standard base64 (RFC 4648 alphabet, '=' padding). Decoding skips
 * CR, LF, space and tab anywhere (Android wraps at 76 columns) and fails
 * with RC_BADINPUT on any other stray character or a bad length.
 * *out is NUL-terminated for convenience (not counted in *outlen).
 */
rc_t crypto_b64_decode(const char *in, size_t inlen, unsigned char **out,
    size_t *outlen);
/* One line, no breaks; *out is a C string. */
rc_t crypto_b64_encode(const unsigned char *in, size_t len, char **out);

/* Lower-case hex SHA-256 of data, into out[65]. */
rc_t crypto_sha256_hex(const void *data, size_t len, char out[65]);

/* Cryptographically random bytes. */
rc_t crypto_random(unsigned char *p, size_t n);

/*
 * The server's RSA private key. crypto_key_load refuses (RC_CRYPTO, text
 * in err) a file that group or others can read, and keys under 2048 bits.
 */
struct crypto_key;
rc_t crypto_key_load(const char *path, struct crypto_key **out, char *err,
    size_t errlen);
void crypto_key_free(struct crypto_key *key);

/*
 * Unwrap an RSA-OAEP(SHA-256) wrapped AES key: MGF1-SHA-256 first, then
 * MGF1-SHA-1. key must hold CRYPTO_MAX_KEY_LEN bytes; *keylen gets 16, 24
 * or 32. Any other length, or both paddings failing: RC_CRYPTO.
 */
rc_t crypto_rsa_unwrap(struct crypto_key *key, const unsigned char *wrapped,
    size_t wrappedlen, unsigned char *aeskey, size_t *keylen);

/* A public key, for clients and tests: PEM (SPKI) file or string. */
struct crypto_pubkey;
rc_t crypto_pubkey_load(const char *path, struct crypto_pubkey **out);
rc_t crypto_pubkey_from_pem(const char *pem, size_t len,
    struct crypto_pubkey **out);
void crypto_pubkey_free(struct crypto_pubkey *pub);
/* Wrap with OAEP SHA-256; mgf1_sha1 != 0 selects MGF1-SHA-1. */
rc_t crypto_rsa_wrap(struct crypto_pubkey *pub, const unsigned char *aeskey,
    size_t keylen, int mgf1_sha1, unsigned char **out, size_t *outlen);

/*
 * AES-CBC with PKCS#7 padding; the key length picks AES-128/192/256.
 * decrypt: in = IV || ciphertext (a block multiple, at least two blocks
 * counting the IV); bad length or padding: RC_CRYPTO.
 * encrypt: a fresh random IV is put in front of the ciphertext.
 */
rc_t crypto_aes_decrypt(const unsigned char *key, size_t keylen,
    const unsigned char *in, size_t inlen, unsigned char **out,
    size_t *outlen);
rc_t crypto_aes_encrypt(const unsigned char *key, size_t keylen,
    const unsigned char *in, size_t inlen, unsigned char **out,
    size_t *outlen);

/* Generate an RSA key pair: private PKCS#8 PEM mode 0600, public SPKI. */
rc_t crypto_keygen(const char *priv_path, const char *pub_path, int bits,
    char *err, size_t errlen);

/* Wipe then free key material. */
void crypto_free_secret(void *p, size_t len);

#endif
