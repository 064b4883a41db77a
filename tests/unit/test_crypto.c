/*
 * test_crypto.c - crypto.c and envelope.c against the protocol vectors
 * made by an independent implementation (tests/fixtures), against
 * themselves (round trips), and against damaged input.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "envelope.h"
#include "jsonx.h"
#include "testutil.h"

#define KEYGEN_BITS 2048

static json_object           *vec_root;     /* protocol_vectors.json */
static json_object           *vec_cases;    /* its "cases", borrowed */
static char                   tmpdir[64];
static struct crypto_key     *test_key;     /* the fixture pair */
static struct crypto_pubkey  *test_pub;

/* --- helpers ---------------------------------------------------------- */

static void
fixture_path(const char *name, char *out, size_t outlen)
{
    int  n;

    n = snprintf(out, outlen, "%s/tests/fixtures/%s", test_srcdir(), name);
    ck_assert(n > 0 && (size_t) n < outlen);
}

static void
tmp_path(const char *name, char *out, size_t outlen)
{
    int  n;

    n = snprintf(out, outlen, "%s/%s", tmpdir, name);
    ck_assert(n > 0 && (size_t) n < outlen);
}

/* Copy src to dst with exactly mode (umask aside). */
static void
copy_file(const char *src, const char *dst, mode_t mode)
{
    unsigned char  *p;
    size_t          len;
    int             fd;

    p = test_read_file(src, &len);
    ck_assert_msg(p != NULL, "cannot read %s", src);
    fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, p, len), (ssize_t) len);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    ck_assert_int_eq(close(fd), 0);
    free(p);
}

static void
rm_tmpdir(void)
{
    DIR            *d;
    struct dirent  *e;

    d = opendir(tmpdir);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
    rmdir(tmpdir);
}

static json_object *
vec_case(int i)
{
    json_object  *c;

    c = json_object_array_get_idx(vec_cases, (size_t) i);
    ck_assert(c != NULL);
    return c;
}

static const char *
vec_str(int i, const char *key)
{
    const char  *s;

    ck_assert_msg(jsonx_string(vec_case(i), key, &s) == JSONX_OK,
                  "case %d has no string \"%s\"", i, key);
    return s;
}

static size_t
hex_decode(const char *hex, unsigned char *out, size_t max)
{
    size_t        n, i;
    unsigned int  v;

    n = strlen(hex) / 2;
    ck_assert(strlen(hex) % 2 == 0 && n <= max);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char) v;
    }
    return n;
}

static unsigned char *
b64dec(const char *s, size_t *len)
{
    unsigned char  *p;

    ck_assert_int_eq(crypto_b64_decode(s, strlen(s), &p, len), RC_OK);
    return p;
}

/* The server's side of a request: unwrap the key, decrypt content. */
static char *
server_open(const char *aes_key_b64, const char *content_b64,
    unsigned char *key, size_t *keylen, size_t *plainlen)
{
    unsigned char  *wrapped, *ct, *plain;
    size_t          wlen, ctlen;

    wrapped = b64dec(aes_key_b64, &wlen);
    ck_assert_int_eq(crypto_rsa_unwrap(test_key, wrapped, wlen, key,
                                       keylen), RC_OK);
    ct = b64dec(content_b64, &ctlen);
    ck_assert_int_eq(crypto_aes_decrypt(key, *keylen, ct, ctlen, &plain,
                                        plainlen), RC_OK);
    free(wrapped);
    free(ct);
    return (char *) plain;
}

static void
setup(void)
{
    char  src[1024], dst[1024], err[256];

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ds-test-crypto-XXXXXX");
    ck_assert(mkdtemp(tmpdir) != NULL);
    fixture_path("test_private_key.pem", src, sizeof(src));
    tmp_path("server.pem", dst, sizeof(dst));
    copy_file(src, dst, 0600);
    ck_assert_int_eq(crypto_key_load(dst, &test_key, err, sizeof(err)),
                     RC_OK);
    fixture_path("test_public_key.pem", src, sizeof(src));
    ck_assert_int_eq(crypto_pubkey_load(src, &test_pub), RC_OK);
}

static void
teardown(void)
{
    crypto_key_free(test_key);
    crypto_pubkey_free(test_pub);
    test_key = NULL;
    test_pub = NULL;
    rm_tmpdir();
}

/* --- the independent vectors ---------------------------------------- */

START_TEST(test_vec_coverage)
{
    int           i, sha1, aes128, wrapped;
    json_object  *oaep;
    const char   *mgf1;

    sha1 = aes128 = wrapped = 0;
    for (i = 0; i < (int) json_object_array_length(vec_cases); i++) {
        ck_assert(jsonx_object(vec_case(i), "oaep", &oaep) == JSONX_OK);
        ck_assert(jsonx_string(oaep, "mgf1", &mgf1) == JSONX_OK);
        sha1 += strcmp(mgf1, "SHA-1") == 0;
        aes128 += strlen(vec_str(i, "aes_key_hex")) == 32;
        wrapped += strchr(vec_str(i, "content"), '\n') != NULL;
    }
    ck_assert_int_gt(sha1, 0);
    ck_assert_int_gt(aes128, 0);
    ck_assert_int_gt(wrapped, 0);
}
END_TEST

START_TEST(test_vec_sha256)
{
    const char  *content;
    char         hex[65];

    content = vec_str(_i, "content");
    ck_assert_int_eq(crypto_sha256_hex(content, strlen(content), hex), RC_OK);
    ck_assert_str_eq(hex, vec_str(_i, "SHA256"));
}
END_TEST

START_TEST(test_vec_unwrap)
{
    unsigned char   want[CRYPTO_MAX_KEY_LEN], got[CRYPTO_MAX_KEY_LEN];
    unsigned char  *wrapped;
    size_t          wantlen, gotlen, wlen;

    wantlen = hex_decode(vec_str(_i, "aes_key_hex"), want, sizeof(want));
    wrapped = b64dec(vec_str(_i, "aes_key"), &wlen);
    ck_assert_uint_eq(wlen, 256);
    ck_assert_int_eq(crypto_rsa_unwrap(test_key, wrapped, wlen, got,
                                       &gotlen), RC_OK);
    ck_assert_uint_eq(gotlen, wantlen);
    ck_assert(memcmp(got, want, wantlen) == 0);
    free(wrapped);
}
END_TEST

START_TEST(test_vec_content)
{
    unsigned char   key[CRYPTO_MAX_KEY_LEN], iv[CRYPTO_IV_LEN];
    unsigned char  *ct, *plain;
    size_t          keylen, ctlen, plainlen;
    const char     *inner;

    keylen = hex_decode(vec_str(_i, "aes_key_hex"), key, sizeof(key));
    hex_decode(vec_str(_i, "iv_hex"), iv, sizeof(iv));
    ct = b64dec(vec_str(_i, "content"), &ctlen);
    ck_assert(ctlen > CRYPTO_IV_LEN && memcmp(ct, iv, sizeof(iv)) == 0);

    ck_assert_int_eq(crypto_aes_decrypt(key, keylen, ct, ctlen, &plain,
                                        &plainlen), RC_OK);
    inner = vec_str(_i, "inner_json");
    ck_assert_uint_eq(plainlen, strlen(inner));
    ck_assert(memcmp(plain, inner, plainlen) == 0);
    free(plain);
    free(ct);
}
END_TEST

START_TEST(test_vec_result)
{
    struct envelope   env;
    char             *json;
    size_t            len;
    const char       *want;

    memset(&env, 0, sizeof(env));
    env.keylen = hex_decode(vec_str(_i, "aes_key_hex"), env.key,
                            sizeof(env.key));
    ck_assert_int_eq(envelope_open_result(&env, vec_str(_i, "result"),
                                          &json, &len), RC_OK);
    want = vec_str(_i, "result_json");
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(json, want);
    free(json);
}
END_TEST

/* The same bytes as the 76-column text, whichever way they are laid. */
START_TEST(test_vec_base64_wrapped)
{
    const char     *content;
    char           *flat, *re;
    unsigned char  *a, *b;
    size_t          alen, blen, i, n;

    content = vec_str(_i, "content");
    if (strchr(content, '\n') == NULL) {
        return;
    }
    flat = malloc(strlen(content) + 1);
    ck_assert(flat != NULL);
    for (i = n = 0; content[i] != '\0'; i++) {
        if (content[i] != '\n') {
            flat[n++] = content[i];
        }
    }
    flat[n] = '\0';

    a = b64dec(content, &alen);
    b = b64dec(flat, &blen);
    ck_assert_uint_eq(alen, blen);
    ck_assert(memcmp(a, b, alen) == 0);
    ck_assert_int_eq(crypto_b64_encode(a, alen, &re), RC_OK);
    ck_assert_str_eq(re, flat);
    free(re);
    free(a);
    free(b);
    free(flat);
}
END_TEST

/* --- base64 ------------------------------------------------------------ */

START_TEST(test_b64_exact_length)
{
    static const struct { const char *in; const char *out; } t[] = {
        { "", "" }, { "YQ==", "a" }, { "YWI=", "ab" }, { "YWJj", "abc" },
        { "YWJjZA==", "abcd" }, { " Y W\tJ j\r\nZ A = =\n", "abcd" },
    };
    unsigned char  *p;
    size_t          i, len;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ck_assert_int_eq(crypto_b64_decode(t[i].in, strlen(t[i].in), &p,
                                           &len), RC_OK);
        ck_assert_uint_eq(len, strlen(t[i].out));
        ck_assert(memcmp(p, t[i].out, len) == 0 && p[len] == '\0');
        free(p);
    }
}
END_TEST

START_TEST(test_b64_bad_chars)
{
    static const char *const bad[] = {
        "YW*j", "YW-_", "Y=Jj", "YQ=a", "Y===", "====", "YWJj.", "YW\vJj",
    };
    unsigned char  *p;
    size_t          i, len;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(crypto_b64_decode(bad[i], strlen(bad[i]), &p,
                                           &len), RC_BADINPUT);
        ck_assert(p == NULL);
    }
    /* An embedded NUL is a stray character too. */
    ck_assert_int_eq(crypto_b64_decode("YW\0j", 4, &p, &len), RC_BADINPUT);
}
END_TEST

START_TEST(test_b64_bad_length)
{
    static const char *const bad[] = { "YWJ", "YWJjZ", "YQ=", "Y", "YWJjZA=" };
    unsigned char  *p;
    size_t          i, len;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(crypto_b64_decode(bad[i], strlen(bad[i]), &p,
                                           &len), RC_BADINPUT);
    }
}
END_TEST

/* --- AES ---------------------------------------------------------------- */

START_TEST(test_aes_round_trip)
{
    static const size_t  keylens[] = { 16, 24, 32 };
    static const size_t  lens[] = { 0, 1, 15, 16, 17, 100, 4096 };
    unsigned char        key[CRYPTO_MAX_KEY_LEN], in[4096];
    unsigned char       *ct, *ct2, *pt;
    size_t               i, ctlen, ctlen2, ptlen;

    ck_assert_int_eq(crypto_random(key, keylens[_i]), RC_OK);
    ck_assert_int_eq(crypto_random(in, sizeof(in)), RC_OK);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        ck_assert_int_eq(crypto_aes_encrypt(key, keylens[_i], in, lens[i],
                                            &ct, &ctlen), RC_OK);
        ck_assert_uint_eq(ctlen, CRYPTO_IV_LEN + (lens[i] / 16 + 1) * 16);
        ck_assert_int_eq(crypto_aes_decrypt(key, keylens[_i], ct, ctlen,
                                            &pt, &ptlen), RC_OK);
        ck_assert_uint_eq(ptlen, lens[i]);
        ck_assert(memcmp(pt, in, ptlen) == 0);

        /* A fresh IV each time. */
        ck_assert_int_eq(crypto_aes_encrypt(key, keylens[_i], in, lens[i],
                                            &ct2, &ctlen2), RC_OK);
        ck_assert(memcmp(ct, ct2, CRYPTO_IV_LEN) != 0);
        free(ct);
        free(ct2);
        free(pt);
    }
}
END_TEST

/*
 * Decrypt the first vector's ciphertext cut to keep bytes, with the byte
 * flip places before the cut inverted when flip > 0.
 */
static rc_t
aes_damaged(size_t keep, size_t flip)
{
    unsigned char   key[CRYPTO_MAX_KEY_LEN];
    unsigned char  *ct, *pt;
    size_t          keylen, ctlen, ptlen;
    rc_t            rc;

    keylen = hex_decode(vec_str(0, "aes_key_hex"), key, sizeof(key));
    ct = b64dec(vec_str(0, "content"), &ctlen);
    ck_assert(keep <= ctlen);
    if (flip > 0) {
        ct[keep - flip] ^= 0xff;
    }
    rc = crypto_aes_decrypt(key, keylen, ct, keep, &pt, &ptlen);
    ck_assert(rc == RC_OK || pt == NULL);
    free(pt);
    free(ct);
    return rc;
}

START_TEST(test_aes_not_block_multiple)
{
    size_t  len;

    free(b64dec(vec_str(0, "content"), &len));
    ck_assert_int_eq(aes_damaged(len - 1, 0), RC_CRYPTO);
    ck_assert_int_eq(aes_damaged(len - 8, 0), RC_CRYPTO);
    ck_assert_int_eq(aes_damaged(len, 0), RC_OK);
}
END_TEST

START_TEST(test_aes_only_iv)
{
    ck_assert_int_eq(aes_damaged(CRYPTO_IV_LEN, 0), RC_CRYPTO);
    ck_assert_int_eq(aes_damaged(0, 0), RC_CRYPTO);
}
END_TEST

START_TEST(test_aes_bad_padding)
{
    size_t  len;

    free(b64dec(vec_str(0, "content"), &len));
    /* The last ciphertext byte: the final block decrypts to noise. */
    ck_assert_int_eq(aes_damaged(len, 1), RC_CRYPTO);
    /* The one before the last block: the pad byte itself goes bad. */
    ck_assert_int_eq(aes_damaged(len, 1 + 16), RC_CRYPTO);
}
END_TEST

START_TEST(test_aes_bad_keylen)
{
    unsigned char   key[20] = { 0 }, in[32] = { 0 };
    unsigned char  *out;
    size_t          outlen;

    ck_assert_int_eq(crypto_aes_encrypt(key, 20, in, 16, &out, &outlen),
                     RC_BADINPUT);
    ck_assert_int_eq(crypto_aes_decrypt(key, 20, in, 32, &out, &outlen),
                     RC_BADINPUT);
}
END_TEST

/* --- RSA and key files -------------------------------------------- */

START_TEST(test_rsa_wrong_key)
{
    char            priv[1024], pub[1024], err[256];
    unsigned char   key[CRYPTO_MAX_KEY_LEN];
    unsigned char  *wrapped;
    size_t          keylen, wlen;
    struct crypto_key  *other;

    tmp_path("other.pem", priv, sizeof(priv));
    tmp_path("other.pub", pub, sizeof(pub));
    ck_assert_int_eq(crypto_keygen(priv, pub, KEYGEN_BITS, err, sizeof(err)),
                     RC_OK);
    ck_assert_int_eq(crypto_key_load(priv, &other, err, sizeof(err)), RC_OK);

    wrapped = b64dec(vec_str(0, "aes_key"), &wlen);
    ck_assert_int_eq(crypto_rsa_unwrap(other, wrapped, wlen, key, &keylen),
                     RC_CRYPTO);
    ck_assert_uint_eq(keylen, 0);
    free(wrapped);
    crypto_key_free(other);
}
END_TEST

START_TEST(test_rsa_wrapped_wrong_size)
{
    static const size_t  lens[] = { 1, 15, 20, 31, 33, 48 };
    unsigned char        raw[64], key[CRYPTO_MAX_KEY_LEN];
    unsigned char       *wrapped;
    size_t               i, wlen, keylen;
    int                  sha1;

    memset(raw, 0x5a, sizeof(raw));
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (sha1 = 0; sha1 <= 1; sha1++) {
            ck_assert_int_eq(crypto_rsa_wrap(test_pub, raw, lens[i], sha1,
                                             &wrapped, &wlen), RC_OK);
            ck_assert_int_eq(crypto_rsa_unwrap(test_key, wrapped, wlen, key,
                                               &keylen), RC_CRYPTO);
            free(wrapped);
        }
    }
}
END_TEST

START_TEST(test_rsa_damaged_wrap)
{
    unsigned char   key[CRYPTO_MAX_KEY_LEN], junk[256];
    unsigned char  *wrapped;
    size_t          wlen, keylen;

    wrapped = b64dec(vec_str(0, "aes_key"), &wlen);
    ck_assert_int_eq(crypto_rsa_unwrap(test_key, wrapped, wlen - 1, key,
                                       &keylen), RC_CRYPTO);
    ck_assert_int_eq(crypto_rsa_unwrap(test_key, wrapped, 0, key, &keylen),
                     RC_CRYPTO);
    wrapped[wlen / 2] ^= 0x01;
    ck_assert_int_eq(crypto_rsa_unwrap(test_key, wrapped, wlen, key,
                                       &keylen), RC_CRYPTO);
    memset(junk, 0xff, sizeof(junk));
    ck_assert_int_eq(crypto_rsa_unwrap(test_key, junk, sizeof(junk), key,
                                       &keylen), RC_CRYPTO);
    free(wrapped);
}
END_TEST

START_TEST(test_key_mode_refused)
{
    static const mode_t  modes[] = { 0644, 0640, 0604, 0660 };
    char                 src[1024], dst[1024], err[256];
    struct crypto_key   *key;
    size_t               i;

    fixture_path("test_private_key.pem", src, sizeof(src));
    tmp_path("open.pem", dst, sizeof(dst));
    for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        copy_file(src, dst, modes[i]);
        err[0] = '\0';
        ck_assert_int_eq(crypto_key_load(dst, &key, err, sizeof(err)),
                         RC_CRYPTO);
        ck_assert(key == NULL);
        ck_assert_msg(strstr(err, "chmod 600") != NULL, "err: %s", err);
    }
    copy_file(src, dst, 0400);
    ck_assert_int_eq(crypto_key_load(dst, &key, err, sizeof(err)), RC_OK);
    crypto_key_free(key);
}
END_TEST

START_TEST(test_key_missing_or_small)
{
    char                 path[1024], err[256];
    struct crypto_key   *key;
    EVP_PKEY            *small;
    FILE                *fp;

    tmp_path("absent.pem", path, sizeof(path));
    ck_assert_int_eq(crypto_key_load(path, &key, err, sizeof(err)),
                     RC_CRYPTO);
    ck_assert(strstr(err, "absent.pem") != NULL);

    /* A 1024-bit key, written the way keygen would but too short. */
    small = EVP_RSA_gen(1024);
    ck_assert(small != NULL);
    tmp_path("small.pem", path, sizeof(path));
    fp = fopen(path, "w");
    ck_assert(fp != NULL && fchmod(fileno(fp), 0600) == 0);
    ck_assert_int_eq(PEM_write_PrivateKey(fp, small, NULL, NULL, 0, NULL,
                                          NULL), 1);
    ck_assert_int_eq(fclose(fp), 0);
    EVP_PKEY_free(small);
    ck_assert_int_eq(crypto_key_load(path, &key, err, sizeof(err)),
                     RC_CRYPTO);
    ck_assert_msg(strstr(err, "1024") != NULL, "err: %s", err);
    ck_assert_int_eq(crypto_keygen(path, path, 1024, err, sizeof(err)),
                     RC_BADINPUT);
}
END_TEST

static void
assert_pem(const char *path, mode_t mode, const char *first_line)
{
    struct stat     st;
    unsigned char  *p;
    size_t          len;

    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, mode);
    p = test_read_file(path, &len);
    ck_assert(p != NULL);
    ck_assert_msg(strncmp((char *) p, first_line, strlen(first_line)) == 0,
                  "%s starts with %.30s", path, p);
    free(p);
}

START_TEST(test_keygen_loads_back)
{
    char                   priv[1024], pub[1024], err[256];
    unsigned char          key[CRYPTO_MAX_KEY_LEN] = "0123456789abcdef";
    unsigned char          got[CRYPTO_MAX_KEY_LEN], *wrapped;
    size_t                 wlen, keylen;
    struct crypto_key     *k;
    struct crypto_pubkey  *p;

    tmp_path("gen.pem", priv, sizeof(priv));
    tmp_path("gen.pub", pub, sizeof(pub));
    /* An existing world-readable file must end up 0600 all the same. */
    copy_file("/dev/null", priv, 0644);
    ck_assert_int_eq(crypto_keygen(priv, pub, KEYGEN_BITS, err, sizeof(err)),
                     RC_OK);
    assert_pem(priv, 0600, "-----BEGIN PRIVATE KEY-----\n");
    assert_pem(pub, 0644, "-----BEGIN PUBLIC KEY-----\n");

    ck_assert_int_eq(crypto_key_load(priv, &k, err, sizeof(err)), RC_OK);
    ck_assert_int_eq(crypto_pubkey_load(pub, &p), RC_OK);
    ck_assert_int_eq(crypto_rsa_wrap(p, key, 16, 0, &wrapped, &wlen), RC_OK);
    ck_assert_int_eq(crypto_rsa_unwrap(k, wrapped, wlen, got, &keylen),
                     RC_OK);
    ck_assert(keylen == 16 && memcmp(got, key, 16) == 0);
    free(wrapped);
    crypto_pubkey_free(p);
    crypto_key_free(k);
}
END_TEST

START_TEST(test_pubkey_from_pem)
{
    char                   path[1024];
    unsigned char         *pem;
    size_t                 len;
    struct crypto_pubkey  *pub;

    fixture_path("test_public_key.pem", path, sizeof(path));
    pem = test_read_file(path, &len);
    ck_assert(pem != NULL);
    ck_assert_int_eq(crypto_pubkey_from_pem((char *) pem, len, &pub), RC_OK);
    crypto_pubkey_free(pub);
    ck_assert_int_ne(crypto_pubkey_from_pem((char *) pem, len / 2, &pub),
                     RC_OK);
    ck_assert(pub == NULL);
    ck_assert_int_ne(crypto_pubkey_from_pem("junk", 4, &pub), RC_OK);
    free(pem);
}
END_TEST

/* Threads unwrap with one shared key, each on its own context. */
static void *
unwrap_thread(void *arg)
{
    unsigned char   key[CRYPTO_MAX_KEY_LEN];
    size_t          keylen, i;
    const char     *aes_key = arg;
    unsigned char  *wrapped;
    size_t          wlen;
    intptr_t        ok;

    ok = 1;
    if (crypto_b64_decode(aes_key, strlen(aes_key), &wrapped, &wlen)
        != RC_OK)
    {
        return NULL;
    }
    for (i = 0; i < 40; i++) {
        ok &= crypto_rsa_unwrap(test_key, wrapped, wlen, key, &keylen)
              == RC_OK;
    }
    free(wrapped);
    return (void *) ok;
}

START_TEST(test_rsa_threads)
{
    pthread_t  t[4];
    void      *ok;
    int        i;

    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, unwrap_thread,
                                        (void *) vec_str(i % 2, "aes_key")),
                         0);
    }
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(t[i], &ok), 0);
        ck_assert(ok == (void *) 1);
    }
}
END_TEST

/* --- envelope ------------------------------------------------------- */

/* Lines of exactly 76 characters, a shorter last one, each with "\n". */
static void
assert_wrap76(const char *s)
{
    const char  *nl;
    size_t       n;

    ck_assert(*s != '\0');
    while (*s != '\0') {
        nl = strchr(s, '\n');
        ck_assert_msg(nl != NULL, "no trailing newline");
        n = (size_t) (nl - s);
        ck_assert(n > 0 && n <= 76);
        ck_assert(n == 76 || nl[1] == '\0');
        s = nl + 1;
    }
}

START_TEST(test_envelope_server_round_trip)
{
    static const size_t  keylens[] = { 0, 16, 24, 32 };
    struct envelope_opts opts;
    struct envelope      env;
    unsigned char        key[CRYPTO_MAX_KEY_LEN];
    size_t               keylen, plainlen;
    const char          *inner;
    char                *plain, hex[65];

    opts.keylen = keylens[_i];
    opts.mgf1_sha1 = _i & 1;
    opts.wrap76 = (_i >> 1) & 1;
    inner = vec_str(0, "inner_json");
    ck_assert_int_eq(envelope_seal(test_pub, inner, strlen(inner), &opts,
                                   &env), RC_OK);
    ck_assert_uint_eq(env.keylen, keylens[_i] != 0 ? keylens[_i] : 32);

    ck_assert_int_eq(crypto_sha256_hex(env.content_b64,
                                       strlen(env.content_b64), hex), RC_OK);
    ck_assert_str_eq(env.sha256, hex);
    if (opts.wrap76) {
        assert_wrap76(env.content_b64);
        assert_wrap76(env.aes_key_b64);
    } else {
        ck_assert(strchr(env.content_b64, '\n') == NULL);
        ck_assert(strchr(env.aes_key_b64, '\n') == NULL);
    }

    plain = server_open(env.aes_key_b64, env.content_b64, key, &keylen,
                        &plainlen);
    ck_assert(keylen == env.keylen && memcmp(key, env.key, keylen) == 0);
    ck_assert_uint_eq(plainlen, strlen(inner));
    ck_assert_str_eq(plain, inner);
    free(plain);
    envelope_free(&env);
    ck_assert(env.content_b64 == NULL && env.keylen == 0);
}
END_TEST

START_TEST(test_envelope_open_result)
{
    struct envelope  env;
    unsigned char   *ct;
    size_t           ctlen, len;
    char            *b64, *json;
    const char      *want;

    ck_assert_int_eq(envelope_seal(test_pub, "{}", 2, NULL, &env), RC_OK);
    want = vec_str(0, "result_json");
    ck_assert_int_eq(crypto_aes_encrypt(env.key, env.keylen,
                                        (const unsigned char *) want,
                                        strlen(want), &ct, &ctlen), RC_OK);
    ck_assert_int_eq(crypto_b64_encode(ct, ctlen, &b64), RC_OK);
    ck_assert_int_eq(envelope_open_result(&env, b64, &json, &len), RC_OK);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(json, want);
    free(json);

    ck_assert_int_eq(envelope_open_result(&env, "not*base64", &json, &len),
                     RC_BADINPUT);
    ck_assert(json == NULL);
    ck_assert_int_eq(envelope_open_result(&env, "AAAA", &json, &len),
                     RC_CRYPTO);
    free(b64);
    free(ct);
    envelope_free(&env);
}
END_TEST

START_TEST(test_envelope_bad_keylen)
{
    struct envelope_opts  opts = { 20, 0, 0 };
    struct envelope       env;

    ck_assert_int_eq(envelope_seal(test_pub, "{}", 2, &opts, &env),
                     RC_BADINPUT);
    ck_assert(env.content_b64 == NULL && env.aes_key_b64 == NULL);
}
END_TEST

/* --- runner ------------------------------------------------------------ */

static TCase *
tcase(Suite *s, const char *name, int timeout)
{
    TCase  *tc;

    tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *
crypto_suite(int ncases)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("crypto");
    tc = tcase(s, "vectors", 10);
    tcase_add_test(tc, test_vec_coverage);
    tcase_add_loop_test(tc, test_vec_sha256, 0, ncases);
    tcase_add_loop_test(tc, test_vec_unwrap, 0, ncases);
    tcase_add_loop_test(tc, test_vec_content, 0, ncases);
    tcase_add_loop_test(tc, test_vec_result, 0, ncases);
    tcase_add_loop_test(tc, test_vec_base64_wrapped, 0, ncases);

    tc = tcase(s, "base64", 10);
    tcase_add_test(tc, test_b64_exact_length);
    tcase_add_test(tc, test_b64_bad_chars);
    tcase_add_test(tc, test_b64_bad_length);

    tc = tcase(s, "aes", 10);
    tcase_add_loop_test(tc, test_aes_round_trip, 0, 3);
    tcase_add_test(tc, test_aes_not_block_multiple);
    tcase_add_test(tc, test_aes_only_iv);
    tcase_add_test(tc, test_aes_bad_padding);
    tcase_add_test(tc, test_aes_bad_keylen);

    tc = tcase(s, "rsa", 120);
    tcase_add_test(tc, test_rsa_wrong_key);
    tcase_add_test(tc, test_rsa_wrapped_wrong_size);
    tcase_add_test(tc, test_rsa_damaged_wrap);
    tcase_add_test(tc, test_key_mode_refused);
    tcase_add_test(tc, test_key_missing_or_small);
    tcase_add_test(tc, test_keygen_loads_back);
    tcase_add_test(tc, test_pubkey_from_pem);
    tcase_add_test(tc, test_rsa_threads);

    tc = tcase(s, "envelope", 10);
    tcase_add_loop_test(tc, test_envelope_server_round_trip, 0, 4);
    tcase_add_test(tc, test_envelope_open_result);
    tcase_add_test(tc, test_envelope_bad_keylen);
    return s;
}

/* The vectors are read once, before the runner forks for each test. */
static int
load_vectors(void)
{
    char            path[1024];
    unsigned char  *text;
    size_t          len;

    snprintf(path, sizeof(path), "%s/tests/fixtures/protocol_vectors.json",
             test_srcdir());
    text = test_read_file(path, &len);
    if (text == NULL) {
        fprintf(stderr, "test_crypto: cannot read %s (set DS_SRCDIR)\n",
                path);
        return -1;
    }
    vec_root = jsonx_parse((char *) text, len, 16);
    free(text);
    if (vec_root == NULL || jsonx_array(vec_root, "cases", &vec_cases)
                            != JSONX_OK
        || json_object_array_length(vec_cases) < 4)
    {
        fprintf(stderr, "test_crypto: %s: no \"cases\" array\n", path);
        return -1;
    }
    return (int) json_object_array_length(vec_cases);
}

int
main(void)
{
    SRunner  *sr;
    int       ncases, failed;

    ncases = load_vectors();
    if (ncases < 0) {
        return EXIT_FAILURE;
    }
    sr = srunner_create(crypto_suite(ncases));
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    json_object_put(vec_root);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
