/*
 * fuzz_envelope.c - base64, the RSA-OAEP key unwrap and AES-CBC.
 *
 * Every input goes three ways:
 *   - crypto_b64_decode of all of it (and back: decode(encode(x)) == x);
 *   - crypto_aes_decrypt of all of it with a fixed key of 16, 24 or 32
 *     bytes (picked by the input's length);
 *   - when it holds a '|': "aes_key|content" as the two base64 fields of
 *     a submission, its SHA256 made to match, through proto_decode and
 *     proto_open with the test key (tests/fixtures/test_private_key.pem).
 *     Seeds made from tests/fixtures/protocol_vectors.json unwrap, so
 *     mutations of their content reach the AES and JSON steps.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "crypto.h"
#include "proto.h"
#include "fuzz.h"

static struct crypto_key  *fuzz_key;

static const unsigned char  fuzz_aes_key[CRYPTO_MAX_KEY_LEN] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
    0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
    0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0
};

/* The test key through a 0600 copy: crypto_key_load wants that mode. */
static void
fuzz_load_key(void)
{
    char    src[1024], tmp[] = "/tmp/ds-fuzz-key-XXXXXX", err[256];
    char    pem[8192];
    FILE   *in;
    size_t  n;
    int     fd;

    snprintf(src, sizeof(src), "%s/tests/fixtures/test_private_key.pem",
             fuzz_srcdir());
    in = fopen(src, "rb");
    if (in == NULL) {
        fprintf(stderr, "fuzz_envelope: cannot open %s\n", src);
        abort();
    }
    n = fread(pem, 1, sizeof(pem), in);
    fclose(in);

    fd = mkstemp(tmp);                      /* mode 0600 */
    if (fd < 0 || write(fd, pem, n) != (ssize_t) n || close(fd) != 0) {
        abort();
    }
    if (crypto_key_load(tmp, &fuzz_key, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "fuzz_envelope: %s\n", err);
        abort();
    }
    unlink(tmp);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzz_quiet();
    fuzz_load_key();
    return 0;
}

static void
fuzz_b64(const uint8_t *data, size_t size)
{
    unsigned char  *out = NULL, *again = NULL;
    char           *enc = NULL;
    size_t          len = 0, len2 = 0;

    if (crypto_b64_decode((const char *) data, size, &out, &len) != RC_OK) {
        return;
    }
    fuzz_check(out != NULL && len <= size / 4 * 3);
    fuzz_check(out[len] == '\0');
    fuzz_check(crypto_b64_encode(out, len, &enc) == RC_OK);
    fuzz_check(crypto_b64_decode(enc, strlen(enc), &again, &len2) == RC_OK);
    fuzz_check(len2 == len && memcmp(again, out, len) == 0);
    free(again);
    free(enc);
    free(out);
}

static void
fuzz_aes(const uint8_t *data, size_t size)
{
    unsigned char  *plain = NULL;
    size_t          keylen, len = 0;

    keylen = 16 + 8 * (size % 3);
    if (crypto_aes_decrypt(fuzz_aes_key, keylen, data, size, &plain, &len)
        != RC_OK)
    {
        return;
    }
    fuzz_check(size >= 2 * CRYPTO_IV_LEN && size % CRYPTO_IV_LEN == 0);
    fuzz_check(len < size - CRYPTO_IV_LEN);
    crypto_free_secret(plain, len);
}

/* "aes_key|content" as a submission with a matching SHA256. */
static void
fuzz_submission(const uint8_t *data, size_t size)
{
    struct proto_req     req;
    struct proto_sealed  sealed;
    struct proto_secret  secret;
    const uint8_t       *bar;
    json_object         *inner = NULL;
    char                *text;

    bar = memchr(data, '|', size);
    if (bar == NULL) {
        return;
    }
    text = fuzz_cstr(data, size);
    text[bar - data] = '\0';

    memset(&req, 0, sizeof(req));
    req.has_content = 1;
    req.aes_key = text;
    req.aes_key_len = strlen(text);
    req.content = text + (bar - data) + 1;
    req.content_len = strlen(req.content);
    fuzz_check(crypto_sha256_hex(req.content, req.content_len, req.sha256)
               == RC_OK);
    req.sha256_ok = 1;

    if (proto_decode(&req, &sealed) == DS_OK) {
        memset(&secret, 0, sizeof(secret));
        if (proto_open(fuzz_key, &sealed, &secret, &inner) == DS_OK) {
            fuzz_check(json_object_is_type(inner, json_type_object));
            fuzz_check(secret.keylen == 16 || secret.keylen == 24
                       || secret.keylen == 32);
        } else {
            fuzz_check(inner == NULL);
        }
        json_object_put(inner);
        OPENSSL_cleanse(&secret, sizeof(secret));
        proto_sealed_free(&sealed);
    }
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_b64(data, size);
    fuzz_aes(data, size);
    fuzz_submission(data, size);
    return 0;
}
