/*
 * http.h - a bounded HTTP POST with libcurl.
 */
#ifndef DS_HTTP_H
#define DS_HTTP_H

#include "rc.h"

struct buf;

struct http_req {
    const char  *url;
    const char  *body;
    size_t       body_len;
    const char  *const *headers;    /* NULL-terminated, may be NULL */
    long         timeout_ms;
    const char  *ca_file;           /* NULL: system store */
    int          insecure;          /* skip TLS verification (tests) */
};

/*
 * POST and collect the reply (capped by reply->max). *status gets the
 * HTTP status (0 on transport failure). RC_TIMEOUT on timeout, RC_LLM
 * on other transport errors.
 */
rc_t http_post(const struct http_req *req, long *status, struct buf *reply);

/* GET the same way; for clients and tests. */
rc_t http_get(const struct http_req *req, long *status, struct buf *reply);

/* Call once per process before threads start. */
rc_t http_global_init(void);

#endif
