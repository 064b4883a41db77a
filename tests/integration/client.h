/*
 * client.h - what the integration tests use to talk to a running stack
 * through nginx: raw HTTP requests, and sealed submissions.
 */
#ifndef DS_ITEST_CLIENT_H
#define DS_ITEST_CLIENT_H

#include <stddef.h>

#include <json-c/json.h>

#include "envelope.h"

struct itc {
    char                  url[512];     /* https://.../api/v1 */
    char                  cacert[512];
    char                  dir[512];     /* the stack's folder */
    struct crypto_pubkey *pub;
};

struct itc_reply {
    long          status;
    char         *body;
    size_t        len;
    json_object  *json;                 /* parsed body or NULL */
    char         *head;                 /* status line and headers */
};

/* From env PREFIX_URL, PREFIX_CACERT, PREFIX_DIR, PREFIX_PUBKEY; 0 on
 * success, -1 when the stack is not there. */
int  itc_open(struct itc *c, const char *prefix);
void itc_close(struct itc *c);

/* One request. path below the API URL ("/process"); ctype may be NULL
 * (no Content-Type). Returns 0 when an HTTP reply came. */
int  itc_request(struct itc *c, const char *method, const char *path,
    const char *ctype, const char *body, size_t len, struct itc_reply *r);
void itc_reply_free(struct itc_reply *r);

/* "error_detail" or "status" of a reply, or "" */
const char *itc_detail(const struct itc_reply *r);

/* Build the outer body for an envelope; caller frees. */
char *itc_body(const char *client_id, const char *type,
    const struct envelope *env, int has_content);

/* Seal inner for the stack's key with options and submit it. */
int  itc_submit(struct itc *c, const char *client_id, const char *type,
    const char *inner, const struct envelope_opts *opts,
    struct envelope *env, struct itc_reply *r);

/* Poll until the entry is completed or failed or timeout_s passes.
 * On completion *result gets the decrypted JSON (json_object_put it). */
int  itc_wait(struct itc *c, const char *client_id, const char *type,
    const struct envelope *env, int timeout_s, struct itc_reply *last,
    json_object **result);

/* The inner JSON for image files (base64 of each), with file_lib text. */
char *itc_inner_files(const char *const *paths, size_t n,
    const char *file_lib);
char *itc_inner_bytes(const unsigned char *data, size_t len,
    const char *file_lib);

/* The value of header name in r->head (case-insensitive) into out;
 * NULL when there is none. */
const char *itc_header(const struct itc_reply *r, const char *name,
    char *out, size_t outlen);

/* Store v big-endian in p[0..3], as PNG lengths and CRCs are. */
void itc_put_be32(unsigned char *p, unsigned long v);
/* CRC-32 of p[0..n) (zlib's), as a PNG chunk carries over type + data. */
unsigned long itc_crc32(const unsigned char *p, size_t n);

/* Run a shell command; its exit status. */
int  itc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
