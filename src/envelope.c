/*
 * envelope.c - the client side of the protocol: seal a request payload
 * for the server's public key and open the result it sends back.
 *
 * Thread-safe: each envelope belongs to one caller.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define LOG_MODULE "envelope"
#include "buf.h"
#include "crypto.h"
#include "envelope.h"
#include "log.h"

#define ENVELOPE_LINE   76      /* android.util.Base64.DEFAULT */

/*
 * Base64 of p, optionally as Android's default encoder writes it: lines
 * of 76 characters, each one, the last included, ended by "\n".
 */
static rc_t
envelope_b64(const unsigned char *p, size_t len, int wrap76, char **out)
{
    struct buf   b;
    char        *line;
    size_t       n, off, chunk;
    rc_t         rc;

    *out = NULL;
    rc = crypto_b64_encode(p, len, &line);
    n = rc == RC_OK ? strlen(line) : 0;
    if (rc != RC_OK || !wrap76 || n == 0) {
        *out = line;
        return rc;
    }

    buf_init(&b, BUF_UNLIMITED);
    for (off = 0; off < n; off += chunk) {
        chunk = n - off < ENVELOPE_LINE ? n - off : ENVELOPE_LINE;
        rc = buf_append(&b, line + off, chunk);
        if (rc != RC_OK) {
            goto out;
        }
        rc = buf_append(&b, "\n", 1);
        if (rc != RC_OK) {
            goto out;
        }
    }
    *out = buf_steal(&b, NULL);

out:
    buf_free(&b);
    free(line);
    return rc;
}

/* content_b64 and its digest: the inner text under env's key. */
static rc_t
envelope_seal_content(struct envelope *env, const char *inner,
    size_t innerlen, int wrap76)
{
    unsigned char  *ct;
    size_t          ctlen;
    rc_t            rc;

    rc = crypto_aes_encrypt(env->key, env->keylen,
                            (const unsigned char *) inner, innerlen,
                            &ct, &ctlen);
    if (rc != RC_OK) {
        return rc;
    }
    rc = envelope_b64(ct, ctlen, wrap76, &env->content_b64);
    free(ct);
    if (rc != RC_OK) {
        return rc;
    }

    /* The digest covers the string as sent, line breaks included. */
    return crypto_sha256_hex(env->content_b64, strlen(env->content_b64),
                             env->sha256);
}

/* aes_key_b64: env's key wrapped for pub. */
static rc_t
envelope_seal_key(struct envelope *env, struct crypto_pubkey *pub,
    const struct envelope_opts *opts)
{
    unsigned char  *wrapped;
    size_t          wrappedlen;
    rc_t            rc;

    rc = crypto_rsa_wrap(pub, env->key, env->keylen, opts->mgf1_sha1,
                         &wrapped, &wrappedlen);
    if (rc != RC_OK) {
        return rc;
    }
    rc = envelope_b64(wrapped, wrappedlen, opts->wrap76, &env->aes_key_b64);
    free(wrapped);
    return rc;
}

rc_t
envelope_seal(struct crypto_pubkey *pub, const char *inner,
    size_t innerlen, const struct envelope_opts *opts, struct envelope *env)
{
    static const struct envelope_opts  defaults = { 32, 0, 0 };
    rc_t                               rc;

    memset(env, 0, sizeof(*env));
    if (opts == NULL) {
        opts = &defaults;
    }
    env->keylen = opts->keylen != 0 ? opts->keylen : 32;
    if (env->keylen != 16 && env->keylen != 24 && env->keylen != 32) {
        env->keylen = 0;
        return RC_BADINPUT;
    }

    rc = crypto_random(env->key, env->keylen);
    if (rc != RC_OK) {
        goto out;
    }
    rc = envelope_seal_content(env, inner, innerlen, opts->wrap76);
    if (rc != RC_OK) {
        goto out;
    }
    rc = envelope_seal_key(env, pub, opts);

out:
    if (rc != RC_OK) {
        log_debug("seal failed: %s", rc_str(rc));
        envelope_free(env);
    }
    return rc;
}

rc_t
envelope_open_result(const struct envelope *env, const char *result_b64,
    char **json, size_t *len)
{
    unsigned char  *ct, *plain;
    size_t          ctlen, plainlen;
    rc_t            rc;

    *json = NULL;
    *len = 0;
    plain = NULL;
    rc = crypto_b64_decode(result_b64, strlen(result_b64), &ct, &ctlen);
    if (rc != RC_OK) {
        return rc;
    }

    rc = crypto_aes_decrypt(env->key, env->keylen, ct, ctlen, &plain,
                            &plainlen);
    if (rc != RC_OK) {
        goto out;
    }
    *json = malloc(plainlen + 1);
    if (*json == NULL) {
        rc = RC_NOMEM;
        goto out;
    }
    memcpy(*json, plain, plainlen);
    (*json)[plainlen] = '\0';
    *len = plainlen;

out:
    crypto_free_secret(plain, plainlen);
    free(ct);
    return rc;
}

void
envelope_free(struct envelope *env)
{
    free(env->content_b64);
    free(env->aes_key_b64);
    env->content_b64 = NULL;
    env->aes_key_b64 = NULL;
    OPENSSL_cleanse(env->key, sizeof(env->key));
    env->keylen = 0;
}
