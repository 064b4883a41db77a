/*
 * tls.c - raw HTTP over TLS with OpenSSL for the integration tests.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "jsonx.h"
#include "tls.h"

/* Host and port of the API URL ("https://127.0.0.1:PORT/..."). */
static int
itc_host_port(const struct itc *c, char *host, size_t hostlen, int *port)
{
    const char  *h, *colon;
    char        *end;
    long         p;

    h = strstr(c->url, "://");
    if (h == NULL) {
        return -1;
    }
    h += 3;
    colon = strchr(h, ':');
    if (colon == NULL || (size_t) (colon - h) >= hostlen) {
        return -1;
    }
    memcpy(host, h, (size_t) (colon - h));
    host[colon - h] = '\0';
    p = strtol(colon + 1, &end, 10);
    if (p <= 0 || p > 65535 || (*end != '/' && *end != '\0')) {
        return -1;
    }
    *port = (int) p;
    return 0;
}

static int
itc_tcp_connect(const char *host, int port)
{
    struct sockaddr_in  sa;
    int                 fd;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short) port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        return -1;
    }
    fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* A client context trusting only the stack's CA, versions min..max. */
static SSL_CTX *
itc_tls_ctx(const struct itc *c, int min, int max)
{
    SSL_CTX  *ctx;

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        return NULL;
    }
    /* OpenSSL 3 offers nothing below TLS 1.2 above security level 0 */
    if (min != 0 && min < TLS1_2_VERSION) {
        SSL_CTX_set_security_level(ctx, 0);
    }
    if ((min != 0 && min < TLS1_2_VERSION
         && SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1)
        || SSL_CTX_set_min_proto_version(ctx, min) != 1
        || SSL_CTX_set_max_proto_version(ctx, max) != 1
        || SSL_CTX_load_verify_locations(ctx, c->cacert, NULL) != 1)
    {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

int
itc_tls_open(const struct itc *c, int min, int max, struct itc_tls *t)
{
    char  host[64];
    int   port;

    memset(t, 0, sizeof(*t));
    t->fd = -1;
    ERR_clear_error();
    if (itc_host_port(c, host, sizeof(host), &port) != 0) {
        return -1;
    }
    t->ctx = itc_tls_ctx(c, min, max);
    t->fd = itc_tcp_connect(host, port);
    if (t->ctx == NULL || t->fd < 0) {
        t->err = ERR_peek_last_error();
        return -1;
    }
    t->ssl = SSL_new(t->ctx);
    if (t->ssl == NULL
        || X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host) != 1
        || SSL_set_fd(t->ssl, t->fd) != 1 || SSL_connect(t->ssl) != 1)
    {
        t->err = ERR_peek_last_error();
        return -1;
    }
    return 0;
}

int
itc_tls_send(struct itc_tls *t, const void *p, size_t len)
{
    size_t  done = 0;
    int     n;

    while (done < len) {
        n = SSL_write(t->ssl, (const char *) p + done,
                      len - done > 65536 ? 65536 : (int) (len - done));
        if (n <= 0) {
            return -1;
        }
        done += (size_t) n;
    }
    return 0;
}

/* Read what is there within the deadline; 0 data, 1 closed, -1 time up. */
static int
itc_tls_read(struct itc_tls *t, struct buf *b, int64_t deadline)
{
    struct pollfd    pfd = { t->fd, POLLIN, 0 };
    struct timespec  ts;
    char             chunk[16384];
    int64_t          now;
    int              n;

    if (SSL_pending(t->ssl) == 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        if (now >= deadline || poll(&pfd, 1, (int) (deadline - now)) <= 0) {
            return -1;
        }
    }
    n = SSL_read(t->ssl, chunk, sizeof(chunk));
    if (n <= 0) {
        if (SSL_get_error(t->ssl, n) == SSL_ERROR_WANT_READ) {
            return 0;
        }
        return 1;
    }
    return buf_append(b, chunk, (size_t) n) == RC_OK ? 0 : 1;
}

/* Split a reply in b into status, head and body; 0 when complete. */
static int
itc_tls_parse(const struct buf *b, int closed, struct itc_reply *r)
{
    const char  *end, *cl;
    char        *stop;
    long         want = -1;
    size_t       hlen;

    end = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
    if (end == NULL || strncmp(b->data, "HTTP/1.", 7) != 0) {
        return -1;
    }
    hlen = (size_t) (end - b->data) + 4;
    cl = strcasestr(b->data, "\r\nContent-Length:");
    if (cl != NULL && cl < end) {
        want = strtol(cl + 17, &stop, 10);
    }
    if (want >= 0 ? b->len - hlen < (size_t) want : !closed) {
        return -1;
    }
    r->status = strtol(b->data + 9, &stop, 10);
    r->head = strndup(b->data, hlen);
    r->len = want >= 0 ? (size_t) want : b->len - hlen;
    r->body = strndup(b->data + hlen, r->len);
    r->json = r->body ? jsonx_parse(r->body, r->len, 32) : NULL;
    return 0;
}

int
itc_tls_reply(struct itc_tls *t, int timeout_ms, struct itc_reply *r)
{
    struct buf       b;
    struct timespec  ts;
    int64_t          deadline;
    int              st = 0;

    memset(r, 0, sizeof(*r));
    buf_init(&b, 64L * 1024 * 1024);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000
               + timeout_ms;
    while (st == 0 && itc_tls_parse(&b, 0, r) != 0) {
        st = itc_tls_read(t, &b, deadline);
    }
    t->closed = st == 1;
    if (r->status == 0 && st == 1) {
        (void) itc_tls_parse(&b, 1, r);
    }
    buf_free(&b);
    return r->status != 0 ? 0 : -1;
}

void
itc_tls_close(struct itc_tls *t)
{
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    if (t->fd >= 0) {
        close(t->fd);
    }
    memset(t, 0, sizeof(*t));
    t->fd = -1;
}

int
itc_raw(const struct itc *c, const void *req, size_t len,
    struct itc_reply *r)
{
    struct itc_tls  t;
    int             rc = -1;

    memset(r, 0, sizeof(*r));
    if (itc_tls_open(c, 0, 0, &t) == 0 && itc_tls_send(&t, req, len) == 0) {
        rc = itc_tls_reply(&t, 60000, r);
    }
    itc_tls_close(&t);
    return rc;
}
