/*
 * tls.h - raw requests over TLS to a running stack, for the integration
 * tests: what curl cannot send (bad framing, stalled bodies, very long
 * headers) and protocol version checks. Needs libssl.
 */
#ifndef DS_ITEST_TLS_H
#define DS_ITEST_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "client.h"

/* A connection to the stack's HTTPS port; its certificate is checked
 * against the stack's CA and 127.0.0.1. */
struct itc_tls {
    SSL_CTX        *ctx;
    SSL            *ssl;
    int             fd;
    unsigned long   err;        /* OpenSSL's last error when open failed */
    int             closed;     /* the server closed the connection */
};

/* Connect and handshake with TLS versions min..max (TLS1_1_VERSION...;
 * 0 for no bound); versions below 1.2 are enabled on the client side.
 * 0 on success, -1 (t->err set when TLS failed). Always itc_tls_close. */
int  itc_tls_open(const struct itc *c, int min, int max, struct itc_tls *t);
/* Write all len bytes; 0 or -1. */
int  itc_tls_send(struct itc_tls *t, const void *p, size_t len);
/*
 * Read one reply within timeout_ms: status line, headers and a body of
 * Content-Length bytes or up to the close. 0 when a status line came;
 * -1 otherwise (r->status 0; t->closed says whether the server closed).
 */
int  itc_tls_reply(struct itc_tls *t, int timeout_ms, struct itc_reply *r);
void itc_tls_close(struct itc_tls *t);

/* Send req as is over a new TLS connection and read the reply. */
int  itc_raw(const struct itc *c, const void *req, size_t len,
    struct itc_reply *r);

#endif
