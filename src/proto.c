/*
 * proto.c - the server side of the DocuSnap request protocol.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define LOG_MODULE "proto"
#include "jsonx.h"
#include "log.h"
#include "proto.h"

/* The outer request is small: nothing in it nests. */
#define PROTO_OUTER_DEPTH  8

static int
proto_is_hex64(const char *s)
{
    size_t  i;

    for (i = 0; i < 64; i++) {
        if (!isxdigit((unsigned char) s[i])) {
            return 0;
        }
    }
    return s[64] == '\0';
}

static enum ds_err
proto_client_id(struct proto_req *req)
{
    json_object     *v;
    enum jsonx_get   g;
    size_t           n;

    g = jsonx_string(req->root, "client_id", &req->client_id);
    if (g == JSONX_MISSING) {
        return DS_MISSING_REQUIRED_FIELD;
    }
    if (g == JSONX_TYPE) {
        return DS_INVALID_FIELD;
    }
    /* "\u0000" inside would cut the id short where C reads it */
    (void) json_object_object_get_ex(req->root, "client_id", &v);
    n = strlen(req->client_id);
    if (n == 0 || n > PROTO_MAX_CLIENT_ID
        || (int) n != json_object_get_string_len(v))
    {
        return DS_INVALID_FIELD;
    }
    return DS_OK;
}

/* The outer JSON object and its client_id, which every route needs. */
static enum ds_err
proto_parse_root(const char *body, size_t len, struct proto_req *req)
{
    memset(req, 0, sizeof(*req));
    req->root = jsonx_parse(body, len, PROTO_OUTER_DEPTH);
    if (req->root == NULL
        || !json_object_is_type(req->root, json_type_object))
    {
        return DS_INVALID_JSON;
    }
    return proto_client_id(req);
}

static enum ds_err
proto_sha256(struct proto_req *req, const char *sha)
{
    size_t  i;

    req->sha256_ok = strlen(sha) == 64 && proto_is_hex64(sha);
    if (!req->sha256_ok) {
        return DS_OK;
    }
    for (i = 0; i < 64; i++) {
        req->sha256[i] = (char) tolower((unsigned char) sha[i]);
    }
    req->sha256[64] = '\0';
    return DS_OK;
}

/* content and aes_key: both required when has_content is true. */
static enum ds_err
proto_content(struct proto_req *req)
{
    enum jsonx_get  gc, gk;

    gc = jsonx_string(req->root, "content", &req->content);
    gk = jsonx_string(req->root, "aes_key", &req->aes_key);
    if (gc == JSONX_MISSING || gk == JSONX_MISSING) {
        return DS_MISSING_CONTENT;
    }
    if (gc == JSONX_TYPE || gk == JSONX_TYPE) {
        return DS_INVALID_FIELD;
    }
    req->content_len = strlen(req->content);
    req->aes_key_len = strlen(req->aes_key);
    if (req->content_len == 0 || req->aes_key_len == 0) {
        return DS_MISSING_CONTENT;
    }
    return DS_OK;
}

enum ds_err
proto_parse_process(const char *body, size_t len, struct proto_req *req)
{
    enum ds_err     e;
    enum jsonx_get  gt, gs, gh;
    const char     *sha;

    e = proto_parse_root(body, len, req);
    if (e != DS_OK) {
        return e;
    }

    gt = jsonx_string(req->root, "type", &req->type);
    gs = jsonx_string(req->root, "SHA256", &sha);
    gh = jsonx_bool(req->root, "has_content", &req->has_content);
    if (gt == JSONX_MISSING || gs == JSONX_MISSING || gh == JSONX_MISSING) {
        return DS_MISSING_REQUIRED_FIELD;
    }
    if (gt == JSONX_TYPE || extract_kind_parse(req->type, &req->kind) != 0) {
        return DS_INVALID_TYPE;
    }
    if (gs == JSONX_TYPE || gh == JSONX_TYPE) {
        return DS_INVALID_FIELD;
    }
    e = proto_sha256(req, sha);
    if (e != DS_OK || !req->has_content) {
        return e;
    }
    return proto_content(req);
}

enum ds_err
proto_parse_clear(const char *body, size_t len, struct proto_req *req)
{
    enum ds_err     e;
    enum jsonx_get  g;
    const char     *sha;

    e = proto_parse_root(body, len, req);
    if (e != DS_OK) {
        return e;
    }
    g = jsonx_string(req->root, "type", &req->type);
    if (g == JSONX_TYPE
        || (g == JSONX_OK && extract_kind_parse(req->type, &req->kind) != 0))
    {
        return DS_INVALID_TYPE;
    }
    g = jsonx_string(req->root, "SHA256", &sha);
    if (g == JSONX_TYPE) {
        return DS_INVALID_FIELD;
    }
    if (g == JSONX_OK) {
        (void) proto_sha256(req, sha);
        if (!req->sha256_ok) {
            return DS_SHA256_VERIFICATION_FAILED;
        }
    }
    return DS_OK;
}

void
proto_req_free(struct proto_req *req)
{
    json_object_put(req->root);
    memset(req, 0, sizeof(*req));
}

void
proto_sealed_free(struct proto_sealed *s)
{
    free(s->content);
    free(s->wrapped);
    memset(s, 0, sizeof(*s));
}

enum ds_err
proto_decode(const struct proto_req *req, struct proto_sealed *out)
{
    char  hex[65];

    memset(out, 0, sizeof(*out));
    if (!req->sha256_ok) {
        return DS_SHA256_VERIFICATION_FAILED;
    }
    if (crypto_sha256_hex(req->content, req->content_len, hex) != RC_OK) {
        return DS_SHA256_VERIFICATION_FAILED;
    }
    if (strcmp(hex, req->sha256) != 0) {
        return DS_SHA256_MISMATCH;
    }
    if (crypto_b64_decode(req->aes_key, req->aes_key_len, &out->wrapped,
                          &out->wrapped_len) != RC_OK)
    {
        return DS_RSA_DECRYPTION_FAILED;
    }
    if (crypto_b64_decode(req->content, req->content_len, &out->content,
                          &out->content_len) != RC_OK)
    {
        proto_sealed_free(out);
        return DS_AES_DECRYPTION_FAILED;
    }
    return DS_OK;
}

enum ds_err
proto_open(struct crypto_key *key, const struct proto_sealed *sealed,
    struct proto_secret *secret, json_object **inner)
{
    unsigned char  *plain = NULL;
    size_t          plainlen = 0;

    *inner = NULL;
    if (crypto_rsa_unwrap(key, sealed->wrapped, sealed->wrapped_len,
                          secret->key, &secret->keylen) != RC_OK)
    {
        return DS_RSA_DECRYPTION_FAILED;
    }
    if (crypto_aes_decrypt(secret->key, secret->keylen, sealed->content,
                           sealed->content_len, &plain, &plainlen) != RC_OK)
    {
        return DS_AES_DECRYPTION_FAILED;
    }
    *inner = jsonx_parse((const char *) plain, plainlen, PROTO_MAX_DEPTH);
    crypto_free_secret(plain, plainlen);
    if (*inner == NULL || !json_object_is_type(*inner, json_type_object)) {
        json_object_put(*inner);
        *inner = NULL;
        return DS_INVALID_JSON;
    }
    return DS_OK;
}

/* The base64 digits of s: what the decoder keeps of it. */
static size_t
proto_b64_digits(const char *s)
{
    size_t  n;

    for (n = 0; *s != '\0'; s++) {
        n += *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n';
    }
    return n;
}

/* One image entry: base64 within the byte limit, a format we read. */
static enum ds_err
proto_check_image(json_object *item, const struct proto_limits *lim,
    int max_pages, int *pages)
{
    unsigned char  *img = NULL;
    size_t          len = 0;
    const char     *s;
    enum ds_err     e;

    if (!json_object_is_type(item, json_type_string)) {
        return DS_INVALID_PAYLOAD;
    }
    s = json_object_get_string(item);
    /* Before decoding; line breaks (Android wraps at 76) are no bytes. */
    if ((long) (proto_b64_digits(s) / 4 * 3) > lim->max_image_bytes + 3) {
        return DS_IMAGE_TOO_LARGE;
    }
    if (crypto_b64_decode(s, strlen(s), &img, &len) != RC_OK) {
        return DS_INVALID_PAYLOAD;
    }
    if ((long) len > lim->max_image_bytes) {
        free(img);
        return DS_IMAGE_TOO_LARGE;
    }
    e = ocr_probe_pages(img, len, lim->max_pixels, max_pages, pages);
    free(img);
    return e;
}

enum ds_err
proto_check_payload(json_object *inner, enum extract_kind kind,
    const struct proto_limits *lim)
{
    json_object  *tp;
    size_t        i, n;
    int           pages, total = 0;
    enum ds_err   e;

    if (!json_object_object_get_ex(inner, "to_process", &tp) || tp == NULL) {
        return DS_MISSING_CONTENT;
    }
    if (kind == EXTRACT_FILL) {
        return json_object_is_type(tp, json_type_object)
               ? DS_OK : DS_INVALID_PAYLOAD;
    }
    if (!json_object_is_type(tp, json_type_array)) {
        return DS_INVALID_PAYLOAD;
    }
    n = json_object_array_length(tp);
    if (n == 0) {
        return DS_MISSING_CONTENT;
    }
    if (n > (size_t) lim->max_pages) {
        return DS_TOO_MANY_PAGES;
    }
    for (i = 0; i < n; i++) {
        if (total >= lim->max_pages) {
            return DS_TOO_MANY_PAGES;   /* and 0 would mean no cap below */
        }
        pages = 1;
        e = proto_check_image(json_object_array_get_idx(tp, i), lim,
                              lim->max_pages - total, &pages);
        if (e != DS_OK) {
            return e;
        }
        total += pages;
        if (total > lim->max_pages) {
            return DS_TOO_MANY_PAGES;
        }
    }
    return DS_OK;
}

void
proto_images_free(struct ocr_image *images, size_t n)
{
    size_t  i;

    if (images == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        crypto_free_secret((void *) images[i].data, images[i].len);
    }
    free(images);
}

enum ds_err
proto_images(json_object *inner, struct ocr_image **images, size_t *n)
{
    json_object       *tp, *item;
    struct ocr_image  *imgs;
    unsigned char     *data;
    const char        *s;
    size_t             i, count, len;

    *images = NULL;
    *n = 0;
    if (jsonx_array(inner, "to_process", &tp) != JSONX_OK) {
        return DS_INVALID_PAYLOAD;
    }
    count = json_object_array_length(tp);
    imgs = calloc(count ? count : 1, sizeof(*imgs));
    if (imgs == NULL) {
        return DS_INTERNAL_ERROR;
    }
    for (i = 0; i < count; i++) {
        item = json_object_array_get_idx(tp, i);
        s = json_object_get_string(item);
        if (!json_object_is_type(item, json_type_string)
            || crypto_b64_decode(s, strlen(s), &data, &len) != RC_OK)
        {
            proto_images_free(imgs, i);
            return DS_INVALID_PAYLOAD;
        }
        imgs[i].data = data;
        imgs[i].len = len;
    }
    *images = imgs;
    *n = count;
    return DS_OK;
}

rc_t
proto_seal_result(const struct proto_secret *secret, const char *json,
    size_t len, char **out)
{
    unsigned char  *ct = NULL;
    size_t          ctlen = 0;
    rc_t            rc;

    *out = NULL;
    rc = crypto_aes_encrypt(secret->key, secret->keylen,
                            (const unsigned char *) json, len, &ct, &ctlen);
    if (rc != RC_OK) {
        return rc;
    }
    rc = crypto_b64_encode(ct, ctlen, out);
    free(ct);
    return rc;
}
