/*
 * crypto.c - the protocol's cryptography on OpenSSL 3 EVP: base64,
 * SHA-256, RSA-OAEP key wrap and unwrap, AES-CBC, key files.
 *
 * Every call makes its own EVP_*_CTX, so an EVP_PKEY loaded once is only
 * read and may be shared by threads. Errors leave nothing on the calling
 * thread's OpenSSL error queue: it is drained into the debug log.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define LOG_MODULE "crypto"
#include "crypto.h"
#include "log.h"

#define CRYPTO_MIN_BITS     2048
#define CRYPTO_MAX_BITS     16384
#define CRYPTO_BLOCK        16

struct crypto_key {
    EVP_PKEY    *pkey;
};

struct crypto_pubkey {
    EVP_PKEY    *pkey;
};

/* Log and clear what OpenSSL queued, then hand back rc. */
static rc_t
crypto_fail(rc_t rc)
{
    log_openssl_errors(LOG_MODULE);
    return rc;
}

void
crypto_free_secret(void *p, size_t len)
{
    if (p == NULL) {
        return;
    }
    OPENSSL_cleanse(p, len);
    free(p);
}

/* --- base64 ------------------------------------------------------------ */

static int
crypto_b64_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Copy in to out without line breaks and blanks, checking the alphabet
 * and that '=' appears only as one or two final pad characters.
 */
static rc_t
crypto_b64_strip(const char *in, size_t inlen, char *out, size_t *outlen,
    size_t *pad)
{
    size_t          i, n;
    unsigned char   c;

    n = 0;
    *pad = 0;
    for (i = 0; i < inlen; i++) {
        c = (unsigned char) in[i];
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
            continue;
        }
        if (c == '=') {
            (*pad)++;
        } else if (!crypto_b64_char(c) || *pad > 0) {
            return RC_BADINPUT;
        }
        out[n++] = (char) c;
    }

    if (n % 4 != 0 || *pad > 2) {
        return RC_BADINPUT;
    }
    *outlen = n;
    return RC_OK;
}

rc_t
crypto_b64_decode(const char *in, size_t inlen, unsigned char **out,
    size_t *outlen)
{
    char           *clean;
    unsigned char  *dec;
    size_t          n, pad;
    int             got;
    rc_t            rc;

    *out = NULL;
    *outlen = 0;
    dec = NULL;
    if (inlen > INT_MAX) {
        return RC_BADINPUT;
    }
    clean = malloc(inlen + 1);
    if (clean == NULL) {
        return RC_NOMEM;
    }

    rc = crypto_b64_strip(in, inlen, clean, &n, &pad);
    if (rc != RC_OK) {
        goto out;
    }

    dec = malloc(n / 4 * 3 + 1);
    if (dec == NULL) {
        rc = RC_NOMEM;
        goto out;
    }
    got = EVP_DecodeBlock(dec, (const unsigned char *) clean, (int) n);
    if (got < 0 || (size_t) got != n / 4 * 3) {
        rc = crypto_fail(RC_BADINPUT);
        goto out;
    }

    /* EVP_DecodeBlock counts the zero bytes that '=' stands for. */
    *outlen = (size_t) got - pad;
    dec[*outlen] = '\0';
    *out = dec;
    dec = NULL;

out:
    free(dec);
    free(clean);
    return rc;
}

rc_t
crypto_b64_encode(const unsigned char *in, size_t len, char **out)
{
    unsigned char  *enc;
    size_t          n;

    *out = NULL;
    if (len > (size_t) INT_MAX / 4 * 3 - 3) {
        return RC_BADINPUT;
    }
    n = (len + 2) / 3 * 4;
    enc = malloc(n + 1);
    if (enc == NULL) {
        return RC_NOMEM;
    }
    if (EVP_EncodeBlock(enc, in, (int) len) != (int) n) {
        free(enc);
        return crypto_fail(RC_INTERNAL);
    }
    enc[n] = '\0';
    *out = (char *) enc;
    return RC_OK;
}

/* --- digests and randomness ----------------------------------------- */

rc_t
crypto_sha256_hex(const void *data, size_t len, char out[65])
{
    static const char   hex[] = "0123456789abcdef";
    unsigned char       md[EVP_MAX_MD_SIZE];
    unsigned int        mdlen, i;

    if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen != 32)
    {
        return crypto_fail(RC_CRYPTO);
    }
    for (i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0x0f];
    }
    out[64] = '\0';
    return RC_OK;
}

rc_t
crypto_random(unsigned char *p, size_t n)
{
    if (n > INT_MAX) {
        return RC_BADINPUT;
    }
    if (RAND_bytes(p, (int) n) != 1) {
        return crypto_fail(RC_CRYPTO);
    }
    return RC_OK;
}

/* --- key files -------------------------------------------------------- */

/* Never prompt for a passphrase: an encrypted key file is an error. */
static int
crypto_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void) buf;
    (void) size;
    (void) rwflag;
    (void) u;
    return -1;
}

/* An RSA key of at least CRYPTO_MIN_BITS, or RC_CRYPTO with text in err. */
static rc_t
crypto_check_rsa(EVP_PKEY *pkey, const char *what, char *err, size_t errlen)
{
    int  bits;

    if (!EVP_PKEY_is_a(pkey, "RSA")) {
        snprintf(err, errlen, "%s is not an RSA key", what);
        return RC_CRYPTO;
    }
    bits = EVP_PKEY_get_bits(pkey);
    if (bits < CRYPTO_MIN_BITS) {
        snprintf(err, errlen, "%s has %d bits, fewer than %d", what, bits,
                 CRYPTO_MIN_BITS);
        return RC_CRYPTO;
    }
    return RC_OK;
}

/*
 * Open a private key file that only its owner can read. The mode is
 * checked on the open descriptor so the file cannot be swapped between
 * the check and the read.
 */
static rc_t
crypto_key_open(const char *path, FILE **fp, char *err, size_t errlen)
{
    struct stat  st;
    int          fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open key file \"%s\": %s", path,
                 strerror(errno));
        return RC_CRYPTO;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat key file \"%s\": %s", path,
                 strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "key file \"%s\" is not a regular file", path);
        goto fail;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen, "key file \"%s\" has mode %04o: group or "
                 "others may read it; chmod 600 it", path,
                 (unsigned) (st.st_mode & 07777));
        goto fail;
    }
    *fp = fdopen(fd, "r");
    if (*fp == NULL) {
        snprintf(err, errlen, "cannot read key file \"%s\": %s", path,
                 strerror(errno));
        goto fail;
    }
    return RC_OK;

fail:
    close(fd);
    return RC_CRYPTO;
}

rc_t
crypto_key_load(const char *path, struct crypto_key **out, char *err,
    size_t errlen)
{
    struct crypto_key  *key;
    EVP_PKEY           *pkey;
    FILE               *fp;
    rc_t                rc;

    *out = NULL;
    pkey = NULL;
    fp = NULL;
    key = NULL;

    rc = crypto_key_open(path, &fp, err, errlen);
    if (rc != RC_OK) {
        goto out;
    }

    pkey = PEM_read_PrivateKey(fp, NULL, crypto_no_passphrase, NULL);
    if (pkey == NULL) {
        snprintf(err, errlen, "key file \"%s\" holds no readable private "
                 "key (PEM, unencrypted)", path);
        rc = crypto_fail(RC_CRYPTO);
        goto out;
    }
    rc = crypto_check_rsa(pkey, "private key", err, errlen);
    if (rc != RC_OK) {
        goto out;
    }

    key = malloc(sizeof(*key));
    if (key == NULL) {
        snprintf(err, errlen, "out of memory");
        rc = RC_NOMEM;
        goto out;
    }
    key->pkey = pkey;
    pkey = NULL;
    *out = key;

out:
    EVP_PKEY_free(pkey);
    if (fp != NULL) {
        fclose(fp);
    }
    return rc;
}

void
crypto_key_free(struct crypto_key *key)
{
    if (key == NULL) {
        return;
    }
    EVP_PKEY_free(key->pkey);       /* clears the private numbers */
    free(key);
}

/* Wrap a PEM public key from bio as a crypto_pubkey. */
static rc_t
crypto_pubkey_read(BIO *bio, struct crypto_pubkey **out)
{
    struct crypto_pubkey  *pub;
    EVP_PKEY              *pkey;
    char                   err[128];

    pkey = PEM_read_bio_PUBKEY(bio, NULL, crypto_no_passphrase, NULL);
    if (pkey == NULL) {
        return crypto_fail(RC_CRYPTO);
    }
    if (crypto_check_rsa(pkey, "public key", err, sizeof(err)) != RC_OK) {
        log_debug("%s", err);
        EVP_PKEY_free(pkey);
        return RC_CRYPTO;
    }
    pub = malloc(sizeof(*pub));
    if (pub == NULL) {
        EVP_PKEY_free(pkey);
        return RC_NOMEM;
    }
    pub->pkey = pkey;
    *out = pub;
    return RC_OK;
}

rc_t
crypto_pubkey_load(const char *path, struct crypto_pubkey **out)
{
    BIO   *bio;
    rc_t   rc;

    *out = NULL;
    bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        log_debug("cannot open public key \"%s\"", path);
        return crypto_fail(RC_CRYPTO);
    }
    rc = crypto_pubkey_read(bio, out);
    BIO_free(bio);
    return rc;
}

rc_t
crypto_pubkey_from_pem(const char *pem, size_t len,
    struct crypto_pubkey **out)
{
    BIO   *bio;
    rc_t   rc;

    *out = NULL;
    if (len > INT_MAX) {
        return RC_BADINPUT;
    }
    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        return crypto_fail(RC_NOMEM);
    }
    rc = crypto_pubkey_read(bio, out);
    BIO_free(bio);
    return rc;
}

void
crypto_pubkey_free(struct crypto_pubkey *pub)
{
    if (pub == NULL) {
        return;
    }
    EVP_PKEY_free(pub->pkey);
    free(pub);
}

/* --- RSA-OAEP ------------------------------------------------------- */

/* OAEP with SHA-256 and the given MGF1 digest on a fresh context. */
static EVP_PKEY_CTX *
crypto_oaep_ctx(EVP_PKEY *pkey, int encrypt, const EVP_MD *mgf1)
{
    EVP_PKEY_CTX  *ctx;
    int            ok;

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL) {
        return NULL;
    }
    ok = encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx);
    if (ok != 1
        || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0
        || EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0
        || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf1) <= 0)
    {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int
crypto_aes_keylen_ok(size_t keylen)
{
    return keylen == 16 || keylen == 24 || keylen == 32;
}

/*
 * One unwrap attempt. RC_CRYPTO when the padding does not check out;
 * RC_BADINPUT when it does but the key has a length AES does not take.
 */
static rc_t
crypto_unwrap_with(EVP_PKEY *pkey, const EVP_MD *mgf1,
    const unsigned char *wrapped, size_t wrappedlen, unsigned char *aeskey,
    size_t *keylen)
{
    EVP_PKEY_CTX   *ctx;
    unsigned char  *plain;
    size_t          cap, n;
    rc_t            rc;

    plain = NULL;
    cap = (size_t) EVP_PKEY_get_size(pkey);
    rc = RC_CRYPTO;
    ctx = crypto_oaep_ctx(pkey, 0, mgf1);
    if (ctx == NULL) {
        goto out;
    }
    plain = malloc(cap);
    if (plain == NULL) {
        rc = RC_NOMEM;
        goto out;
    }

    n = cap;
    if (EVP_PKEY_decrypt(ctx, plain, &n, wrapped, wrappedlen) != 1) {
        goto out;
    }
    if (!crypto_aes_keylen_ok(n)) {
        log_debug("unwrapped key has %zu bytes", n);
        rc = RC_BADINPUT;
        goto out;
    }
    memcpy(aeskey, plain, n);
    *keylen = n;
    rc = RC_OK;

out:
    crypto_free_secret(plain, cap);
    EVP_PKEY_CTX_free(ctx);
    log_openssl_errors(LOG_MODULE);
    return rc;
}

rc_t
crypto_rsa_unwrap(struct crypto_key *key, const unsigned char *wrapped,
    size_t wrappedlen, unsigned char *aeskey, size_t *keylen)
{
    rc_t  rc;

    *keylen = 0;
    rc = crypto_unwrap_with(key->pkey, EVP_sha256(), wrapped, wrappedlen,
                            aeskey, keylen);
    if (rc == RC_CRYPTO) {
        /* Java's "OAEPWithSHA-256AndMGF1Padding" keeps MGF1 on SHA-1. */
        rc = crypto_unwrap_with(key->pkey, EVP_sha1(), wrapped, wrappedlen,
                                aeskey, keylen);
    }
    if (rc == RC_BADINPUT) {
        rc = RC_CRYPTO;
    }
    return rc;
}

/*
 * The key length is not checked against AES's, so tests can build
 * envelopes that the server must refuse; OAEP's own limit still holds.
 */
rc_t
crypto_rsa_wrap(struct crypto_pubkey *pub, const unsigned char *aeskey,
    size_t keylen, int mgf1_sha1, unsigned char **out, size_t *outlen)
{
    EVP_PKEY_CTX   *ctx;
    unsigned char  *wrapped;
    size_t          n;
    rc_t            rc;

    *out = NULL;
    *outlen = 0;
    wrapped = NULL;
    rc = RC_CRYPTO;
    ctx = crypto_oaep_ctx(pub->pkey, 1, mgf1_sha1 ? EVP_sha1()
                                                  : EVP_sha256());
    if (ctx == NULL) {
        goto out;
    }

    n = (size_t) EVP_PKEY_get_size(pub->pkey);
    wrapped = malloc(n);
    if (wrapped == NULL) {
        rc = RC_NOMEM;
        goto out;
    }
    if (EVP_PKEY_encrypt(ctx, wrapped, &n, aeskey, keylen) != 1) {
        goto out;
    }
    *out = wrapped;
    *outlen = n;
    wrapped = NULL;
    rc = RC_OK;

out:
    free(wrapped);
    EVP_PKEY_CTX_free(ctx);
    log_openssl_errors(LOG_MODULE);
    return rc;
}

/* --- AES-CBC ---------------------------------------------------------- */

static const EVP_CIPHER *
crypto_aes_cipher(size_t keylen)
{
    switch (keylen) {
    case 16:
        return EVP_aes_128_cbc();
    case 24:
        return EVP_aes_192_cbc();
    case 32:
        return EVP_aes_256_cbc();
    default:
        return NULL;
    }
}

/* Run the whole of in through a cipher context set up by the caller. */
static rc_t
crypto_aes_run(EVP_CIPHER_CTX *ctx, const unsigned char *in, size_t inlen,
    unsigned char *out, size_t *outlen)
{
    int  n, fin;

    if (EVP_CipherUpdate(ctx, out, &n, in, (int) inlen) != 1) {
        return RC_CRYPTO;
    }
    if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1) {
        return RC_CRYPTO;
    }
    *outlen = (size_t) n + (size_t) fin;
    return RC_OK;
}

rc_t
crypto_aes_decrypt(const unsigned char *key, size_t keylen,
    const unsigned char *in, size_t inlen, unsigned char **out,
    size_t *outlen)
{
    const EVP_CIPHER  *cipher;
    EVP_CIPHER_CTX    *ctx;
    unsigned char     *plain;
    size_t             n, cap;
    rc_t               rc;

    *out = NULL;
    *outlen = 0;
    cipher = crypto_aes_cipher(keylen);
    if (cipher == NULL) {
        return RC_BADINPUT;
    }
    if (inlen < CRYPTO_IV_LEN + CRYPTO_BLOCK || inlen % CRYPTO_BLOCK != 0
        || inlen > INT_MAX)
    {
        return RC_CRYPTO;
    }

    /* One spare byte: the plaintext is NUL-terminated for text callers. */
    cap = inlen - CRYPTO_IV_LEN + 1;
    plain = malloc(cap);
    ctx = EVP_CIPHER_CTX_new();
    if (plain == NULL || ctx == NULL) {
        rc = RC_NOMEM;
        goto out;
    }
    rc = RC_CRYPTO;
    if (EVP_DecryptInit_ex2(ctx, cipher, key, in, NULL) != 1) {
        goto out;
    }
    rc = crypto_aes_run(ctx, in + CRYPTO_IV_LEN, inlen - CRYPTO_IV_LEN,
                        plain, &n);
    if (rc != RC_OK) {
        goto out;
    }
    plain[n] = '\0';
    *out = plain;
    *outlen = n;
    plain = NULL;

out:
    crypto_free_secret(plain, cap);
    EVP_CIPHER_CTX_free(ctx);
    if (rc != RC_OK) {
        log_openssl_errors(LOG_MODULE);
    }
    return rc;
}

rc_t
crypto_aes_encrypt(const unsigned char *key, size_t keylen,
    const unsigned char *in, size_t inlen, unsigned char **out,
    size_t *outlen)
{
    const EVP_CIPHER  *cipher;
    EVP_CIPHER_CTX    *ctx;
    unsigned char     *buf;
    size_t             n;
    rc_t               rc;

    *out = NULL;
    *outlen = 0;
    cipher = crypto_aes_cipher(keylen);
    if (cipher == NULL || inlen > INT_MAX - 2 * CRYPTO_BLOCK) {
        return RC_BADINPUT;
    }

    /* IV, then the ciphertext: at most one block of padding. */
    buf = malloc(CRYPTO_IV_LEN + inlen + CRYPTO_BLOCK);
    ctx = EVP_CIPHER_CTX_new();
    if (buf == NULL || ctx == NULL) {
        rc = RC_NOMEM;
        goto out;
    }
    rc = crypto_random(buf, CRYPTO_IV_LEN);
    if (rc != RC_OK) {
        goto out;
    }
    rc = RC_CRYPTO;
    if (EVP_EncryptInit_ex2(ctx, cipher, key, buf, NULL) != 1) {
        goto out;
    }
    rc = crypto_aes_run(ctx, in, inlen, buf + CRYPTO_IV_LEN, &n);
    if (rc != RC_OK) {
        goto out;
    }
    *out = buf;
    *outlen = CRYPTO_IV_LEN + n;
    buf = NULL;

out:
    free(buf);
    EVP_CIPHER_CTX_free(ctx);
    if (rc != RC_OK) {
        log_openssl_errors(LOG_MODULE);
    }
    return rc;
}

/* --- key generation --------------------------------------------------- */

/*
 * Write one PEM file with exactly the given mode: open with O_TRUNC and
 * fchmod, since an existing file keeps its old mode and umask may narrow
 * a new one.
 */
static rc_t
crypto_pem_write(const char *path, mode_t mode, EVP_PKEY *pkey, int priv,
    char *err, size_t errlen)
{
    FILE  *fp;
    int    fd, ok;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
              mode);
    if (fd < 0 || fchmod(fd, mode) != 0) {
        snprintf(err, errlen, "cannot write \"%s\": %s", path,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return RC_CRYPTO;
    }
    fp = fdopen(fd, "w");
    if (fp == NULL) {
        snprintf(err, errlen, "cannot write \"%s\": %s", path,
                 strerror(errno));
        close(fd);
        return RC_CRYPTO;
    }

    /* PEM_write_PrivateKey writes PKCS#8, PEM_write_PUBKEY SPKI. */
    ok = priv ? PEM_write_PrivateKey(fp, pkey, NULL, NULL, 0, NULL, NULL)
              : PEM_write_PUBKEY(fp, pkey);
    if (fclose(fp) != 0 || ok != 1) {
        snprintf(err, errlen, "cannot write \"%s\"", path);
        return crypto_fail(RC_CRYPTO);
    }
    return RC_OK;
}

rc_t
crypto_keygen(const char *priv_path, const char *pub_path, int bits,
    char *err, size_t errlen)
{
    EVP_PKEY  *pkey;
    rc_t       rc;

    if (bits < CRYPTO_MIN_BITS || bits > CRYPTO_MAX_BITS) {
        snprintf(err, errlen, "key size %d is outside %d..%d bits", bits,
                 CRYPTO_MIN_BITS, CRYPTO_MAX_BITS);
        return RC_BADINPUT;
    }
    pkey = EVP_RSA_gen((unsigned int) bits);
    if (pkey == NULL) {
        snprintf(err, errlen, "RSA key generation failed");
        return crypto_fail(RC_CRYPTO);
    }

    rc = crypto_pem_write(priv_path, 0600, pkey, 1, err, errlen);
    if (rc != RC_OK) {
        goto out;
    }
    rc = crypto_pem_write(pub_path, 0644, pkey, 0, err, errlen);

out:
    EVP_PKEY_free(pkey);
    return rc;
}
