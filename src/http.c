/*
 * http.c - a bounded HTTP POST or GET with libcurl.
 *
 * One easy handle per call, so calls from several threads never share
 * state; NOSIGNAL keeps libcurl away from SIGALRM in a threaded process.
 * The reply lands in the caller's struct buf and the transfer is aborted
 * as soon as it would pass the buffer's cap.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "http.h"

#define LOG_MODULE "http"
#include "log.h"

/* Connecting may use at most this much of a call's time. */
#define HTTP_CONNECT_MAX_MS     10000L

struct http_sink {
    struct buf  *reply;
    int          over;          /* the reply passed reply->max */
};

static pthread_once_t   http_once = PTHREAD_ONCE_INIT;
static CURLcode         http_init_code = CURLE_FAILED_INIT;

static void
http_init_once(void)
{
    http_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

rc_t
http_global_init(void)
{
    if (pthread_once(&http_once, http_init_once) != 0) {
        return RC_INTERNAL;
    }
    if (http_init_code != CURLE_OK) {
        log_err("curl_global_init: %s", curl_easy_strerror(http_init_code));
        return RC_INTERNAL;
    }
    return RC_OK;
}

/* libcurl's write callback: a short count makes it abort the transfer. */
static size_t
http_write(char *p, size_t size, size_t n, void *arg)
{
    struct http_sink  *sink = arg;
    size_t             len;

    len = size * n;
    if (buf_append(sink->reply, p, len) != RC_OK) {
        sink->over = 1;
        return 0;
    }
    return len;
}

/* The header list: the caller's, plus "Expect:" to save a round trip. */
static rc_t
http_headers(const struct http_req *req, struct curl_slist **out)
{
    struct curl_slist  *list, *next;
    size_t              i;

    list = curl_slist_append(NULL, "Expect:");
    if (list == NULL) {
        return RC_NOMEM;
    }
    for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        next = curl_slist_append(list, req->headers[i]);
        if (next == NULL) {
            curl_slist_free_all(list);
            return RC_NOMEM;
        }
        list = next;
    }
    *out = list;
    return RC_OK;
}

static rc_t
http_setup(CURL *h, const struct http_req *req, struct curl_slist *hdrs,
    struct http_sink *sink, char *errbuf)
{
    long  connect_ms;

    connect_ms = req->timeout_ms < HTTP_CONNECT_MAX_MS
                 ? req->timeout_ms : HTTP_CONNECT_MAX_MS;

    if (curl_easy_setopt(h, CURLOPT_URL, req->url) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms)
           != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms)
           != CURLE_OK
#if LIBCURL_VERSION_NUM >= 0x075500
        || curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")
           != CURLE_OK
#else
        || curl_easy_setopt(h, CURLOPT_PROTOCOLS,
                            (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS))
           != CURLE_OK
#endif
        || curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "/"
                            PACKAGE_VERSION) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, http_write)
           != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_WRITEDATA, sink) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
    {
        return RC_INTERNAL;
    }

    if (req->ca_file != NULL
        && curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file) != CURLE_OK)
    {
        return RC_INTERNAL;
    }
    if (req->insecure
        && (curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK
            || curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK))
    {
        return RC_INTERNAL;
    }
    return RC_OK;
}

static rc_t
http_set_post(CURL *h, const struct http_req *req)
{
    if (curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                            (curl_off_t) req->body_len) != CURLE_OK
        || curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body) != CURLE_OK)
    {
        return RC_INTERNAL;
    }
    return RC_OK;
}

/* What the finished transfer tells: rc, status and Retry-After. */
static rc_t
http_result(CURL *h, CURLcode cc, const struct http_sink *sink,
    const char *errbuf, long *status, long *retry_after)
{
    curl_off_t  ra;

    if (cc == CURLE_OPERATION_TIMEDOUT) {
        log_warn("transfer timed out");
        return RC_TIMEOUT;
    }
    if (cc == CURLE_WRITE_ERROR && sink->over) {
        log_warn("reply over %zu bytes: aborted", sink->reply->max);
        return RC_NOMEM;
    }
    if (cc != CURLE_OK) {
        log_warn("transfer failed: %s: \"%s\"", curl_easy_strerror(cc),
                 errbuf);
        return RC_LLM;
    }

    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status) != CURLE_OK) {
        return RC_INTERNAL;
    }
    if (retry_after != NULL
        && curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK
        && ra > 0)
    {
        *retry_after = ra < 86400 ? (long) ra : 86400;
    }
    return RC_OK;
}

static rc_t
http_perform(const struct http_req *req, int post, long *status,
    struct buf *reply)
{
    CURL               *h;
    struct curl_slist  *hdrs;
    struct http_sink    sink;
    char                errbuf[CURL_ERROR_SIZE];
    CURLcode            cc;
    rc_t                rc;

    h = NULL;
    hdrs = NULL;
    sink.reply = reply;
    sink.over = 0;
    errbuf[0] = '\0';
    *status = 0;
    if (req->retry_after != NULL) {
        *req->retry_after = -1;
    }
    if (req->timeout_ms <= 0) {
        return RC_TIMEOUT;              /* 0 would mean no limit to curl */
    }

    h = curl_easy_init();
    if (h == NULL) {
        rc = RC_NOMEM;
        goto out;
    }

    rc = http_headers(req, &hdrs);
    if (rc != RC_OK) {
        goto out;
    }

    rc = http_setup(h, req, hdrs, &sink, errbuf);
    if (rc == RC_OK && post) {
        rc = http_set_post(h, req);
    }
    if (rc != RC_OK) {
        log_err("curl_easy_setopt failed");
        goto out;
    }

    cc = curl_easy_perform(h);
    rc = http_result(h, cc, &sink, errbuf, status, req->retry_after);

out:
    curl_slist_free_all(hdrs);
    if (h != NULL) {
        curl_easy_cleanup(h);
    }
    return rc;
}

rc_t
http_post(const struct http_req *req, long *status, struct buf *reply)
{
    return http_perform(req, 1, status, reply);
}

rc_t
http_get(const struct http_req *req, long *status, struct buf *reply)
{
    return http_perform(req, 0, status, reply);
}
