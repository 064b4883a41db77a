/*
 * envelope.h - the client side of the protocol: seal a request payload
 * and open a result. Used by the command-line client, tests and
 * benchmarks; the server side is proto.h.
 */
#ifndef DS_ENVELOPE_H
#define DS_ENVELOPE_H

#include <stddef.h>

#include "crypto.h"
#include "rc.h"

struct envelope {
    char            *content_b64;   /* base64(IV || AES-CBC(inner)) */
    char            *aes_key_b64;   /* base64(RSA-OAEP(key)) */
    char             sha256[65];    /* hex SHA-256 of content_b64 */
    unsigned char    key[CRYPTO_MAX_KEY_LEN];
    size_t           keylen;
};

struct envelope_opts {
    size_t  keylen;         /* 16, 24 or 32; 0 means 32 */
    int     mgf1_sha1;      /* wrap with MGF1-SHA-1 as Java does */
    int     wrap76;         /* break base64 lines at 76 like Android */
};

/*
 * Seal inner (the JSON text) with a fresh AES key wrapped for pub.
 * opts may be NULL for the browser's defaults. Free with envelope_free.
 */
rc_t envelope_seal(struct crypto_pubkey *pub, const char *inner,
    size_t innerlen, const struct envelope_opts *opts, struct envelope *env);

/* Decrypt a result (base64(IV || AES-CBC(json))) with env's key into a
 * malloc'd NUL-terminated string. */
rc_t envelope_open_result(const struct envelope *env, const char *result_b64,
    char **json, size_t *len);

void envelope_free(struct envelope *env);

#endif
