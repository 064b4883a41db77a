/*
 * fcgi_io.c - reading request bodies and writing replies over FastCGI.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "fcgi"
#include "fcgi_io.h"
#include "log.h"

static const char *
fcgi_io_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default:  return status >= 500 ? "Internal Server Error" : "Error";
    }
}

/*
 * Up to len bytes of the body. Never more than asked: a CGI server need
 * not close stdin after CONTENT_LENGTH bytes, so reading on would hang.
 */
static int
fcgi_io_get(struct fcgi_req *req, char *p, size_t len)
{
    if (req->cgi) {
        return (int) fread(p, 1, len, stdin);
    }
    return FCGX_GetStr(p, (int) len, req->fr->in);
}

enum ds_err
fcgi_io_read_body(struct fcgi_req *req, long max)
{
    const char  *cl;
    char        *end, chunk[16384];
    size_t       ask;
    long         want;
    int          n;

    cl = FCGX_GetParam("CONTENT_LENGTH", req->fr->envp);
    want = 0;
    if (cl != NULL && cl[0] != '\0') {
        errno = 0;
        want = strtol(cl, &end, 10);
        if (errno != 0 || *end != '\0' || want < 0) {
            return DS_INVALID_JSON;
        }
    }
    if (want > max) {
        return DS_REQUEST_TOO_LARGE;
    }
    buf_init(&req->body, (size_t) max);
    while (req->body.len < (size_t) want) {
        ask = (size_t) want - req->body.len;
        n = fcgi_io_get(req, chunk, ask < sizeof(chunk) ? ask
                                                        : sizeof(chunk));
        if (n <= 0) {
            return DS_INVALID_JSON;
        }
        if (buf_append(&req->body, chunk, (size_t) n) != RC_OK) {
            return DS_REQUEST_TOO_LARGE;
        }
    }
    return DS_OK;
}

int
fcgi_io_is_json(struct fcgi_req *req)
{
    const char  *ct;

    ct = FCGX_GetParam("CONTENT_TYPE", req->fr->envp);
    if (ct == NULL) {
        return 0;
    }
    while (*ct == ' ') {
        ct++;
    }
    return strncasecmp(ct, "application/json", 16) == 0
           && (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
}

void
fcgi_io_reply_hdr(struct fcgi_req *req, int status, const char *ctype,
    const char *headers, const char *body, size_t len)
{
    struct buf  out;

    req->status = status;
    buf_init(&out, BUF_UNLIMITED);
    if (buf_printf(&out, "Status: %d %s\r\nContent-Type: %s\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-store\r\n"
                   "%s\r\n", status, fcgi_io_reason(status), ctype, len,
                   headers != NULL ? headers : "") != RC_OK
        || buf_append(&out, body, len) != RC_OK)
    {
        buf_free(&out);
        log_err("cannot build the reply");
        return;
    }
    if (req->cgi) {
        if (fwrite(out.data, 1, out.len, stdout) != out.len
            || fflush(stdout) != 0)
        {
            log_warn("cannot write the reply to stdout");
        }
    } else if (FCGX_PutStr(out.data, (int) out.len, req->fr->out) < 0) {
        log_warn("client went away before the reply");
    }
    buf_free(&out);
}

void
fcgi_io_reply(struct fcgi_req *req, int status, const char *ctype,
    const char *body, size_t len)
{
    fcgi_io_reply_hdr(req, status, ctype, NULL, body, len);
}

void
fcgi_io_reply_json(struct fcgi_req *req, int status, json_object *obj)
{
    const char  *s;

    s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN
                                       | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (s == NULL) {
        fcgi_io_reply(req, 500, "application/json",
                      "{\"status\":\"error\"}", 18);
        return;
    }
    fcgi_io_reply(req, status, "application/json", s, strlen(s));
}

void
fcgi_io_reply_error_hdr(struct fcgi_req *req, enum ds_err e,
    const char *headers)
{
    char  body[128];
    int   n;

    n = snprintf(body, sizeof(body),
                 "{\"status\":\"error\",\"error_detail\":\"%s\"}",
                 ds_err_name(e));
    fcgi_io_reply_hdr(req, ds_err_http_status(e), "application/json",
                      headers, body, (size_t) n);
}

void
fcgi_io_reply_error(struct fcgi_req *req, enum ds_err e)
{
    fcgi_io_reply_error_hdr(req, e, NULL);
}
