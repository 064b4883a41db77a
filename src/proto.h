/*
 * proto.h - the server side of the DocuSnap request protocol.
 *
 * POST /process carries {"client_id", "type", "SHA256", "has_content",
 * "content", "aes_key"}; content is base64(IV || AES-CBC(inner JSON)),
 * aes_key is base64(RSA-OAEP(AES key)) and SHA256 the hex digest of the
 * content string as sent. The inner JSON is {"to_process": [base64
 * image, ...] | {form}, "file_lib": {...}}.
 *
 * Each step returns the wire error code of what went wrong (DS_OK when
 * nothing did). Thread-safe; no function logs document content.
 */
#ifndef DS_PROTO_H
#define DS_PROTO_H

#include <stddef.h>

#include <json-c/json.h>

#include "crypto.h"
#include "errcode.h"
#include "extract.h"
#include "ocr.h"

#define PROTO_MAX_CLIENT_ID  256
#define PROTO_MAX_DEPTH      64

struct proto_req {
    json_object        *root;           /* owns the strings below */
    const char         *client_id;
    const char         *type;
    enum extract_kind   kind;
    char                sha256[65];     /* lower-cased */
    int                 sha256_ok;      /* 64 hex digits */
    int                 has_content;
    const char         *content;        /* base64, as sent */
    size_t              content_len;
    const char         *aes_key;        /* base64, as sent */
    size_t              aes_key_len;
};

/* Parse and check the outer request of POST /process. */
enum ds_err proto_parse_process(const char *body, size_t len,
    struct proto_req *req);

/* Parse POST /clear: client_id required, SHA256 and type optional. */
enum ds_err proto_parse_clear(const char *body, size_t len,
    struct proto_req *req);

void proto_req_free(struct proto_req *req);

struct proto_secret {
    unsigned char   key[CRYPTO_MAX_KEY_LEN];
    size_t          keylen;
};

/*
 * The stored form of a submission: the decoded content (IV || cipher)
 * and the decoded wrapped key, kept until the job ends.
 */
struct proto_sealed {
    unsigned char  *content;
    size_t          content_len;
    unsigned char  *wrapped;
    size_t          wrapped_len;
};
void proto_sealed_free(struct proto_sealed *s);

/*
 * Verify SHA256 and decode the two base64 fields of a request with
 * has_content set.
 */
enum ds_err proto_decode(const struct proto_req *req,
    struct proto_sealed *out);

/*
 * Unwrap the AES key and decrypt and parse the inner JSON. *inner is a
 * new reference; secret is wiped by the caller (crypto_free_secret or
 * OPENSSL_cleanse) when done.
 */
enum ds_err proto_open(struct crypto_key *key,
    const struct proto_sealed *sealed, struct proto_secret *secret,
    json_object **inner);

struct proto_limits {
    long  max_image_bytes;
    long  max_pixels;
    int   max_pages;
};

/*
 * Check the inner payload of a kind: to_process present and of the
 * right shape, for doc/form each entry base64 of a supported image
 * within the limits and the page count within max_pages.
 */
enum ds_err proto_check_payload(json_object *inner, enum extract_kind kind,
    const struct proto_limits *lim);

/*
 * The decoded images of a doc/form payload, in order. *images (free
 * with proto_images_free) borrows nothing from inner.
 */
enum ds_err proto_images(json_object *inner, struct ocr_image **images,
    size_t *n);
void proto_images_free(struct ocr_image *images, size_t n);

/* Encrypt a result JSON text with the client's key, base64 of
 * IV || AES-CBC; *out is malloc'd. */
rc_t proto_seal_result(const struct proto_secret *secret, const char *json,
    size_t len, char **out);

#endif
