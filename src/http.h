/*
 * http.h - a bounded HTTP POST with libcurl.
 */
#ifndef DS_HTTP_H
#define DS_HTTP_H

#include <stddef.h>

#include "rc.h"

struct buf;

struct http_req {
    const char  *url;
    const char  *body;
    size_t       body_len;
    const char  *const *headers;    /* NULL-terminated, may be NULL */
    long         timeout_ms;        /* whole transfer; <= 0: RC_TIMEOUT */
    const char  *ca_file;           /* NULL: system store */
    int          insecure;          /* skip TLS verification (tests) */
    long        *retry_after;       /* out, may be NULL: Retry-After in
                                       seconds, -1 when none was sent */
};

/*
 * POST and collect the reply (capped by reply->max). *status gets the
 * HTTP status (0 on transport failure). RC_TIMEOUT on timeout, RC_NOMEM
 * when the reply passes reply->max, RC_LLM on other transport errors.
 * The caller owns reply and frees it. Thread-safe: one curl handle per
 * call (after http_global_init).
 */
rc_t http_post(const struct http_req *req, long *status, struct buf *reply);

/* GET the same way; for clients and tests. */
rc_t http_get(const struct http_req *req, long *status, struct buf *reply);

/* Call once per process before threads start; later calls are no-ops. */
rc_t http_global_init(void);

#endif
