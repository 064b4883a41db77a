/*
 * fcgi_route.c - method and path to handler.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fcgi_handler.h"
#include "fcgi_io.h"
#include "fcgi_route.h"

struct route {
    const char  *method;
    const char  *path;
    void       (*handler)(struct fcgi_req *req);
};

static const struct route routes[] = {
    { "POST", "/process",      handle_process },
    { "POST", "/clear",        handle_clear },
    { "GET",  "/check_status", handle_check_status },
    { "HEAD", "/check_status", handle_check_status },
    { "GET",  "/ready",        handle_ready },
    { "HEAD", "/ready",        handle_ready },
    { "GET",  "/public_key",   handle_public_key },
    { "HEAD", "/public_key",   handle_public_key },
};

/*
 * The request's URI path: nginx's DOCUMENT_URI, else SCRIPT_NAME and
 * PATH_INFO as Apache (mod_fcgid, CGI) splits it: /api/v1 + /process.
 */
static const char *
route_uri(struct fcgi_req *req, char *buf, size_t len)
{
    const char  *uri, *info;
    int          n;

    uri = FCGX_GetParam("DOCUMENT_URI", req->fr->envp);
    if (uri != NULL) {
        return uri;
    }
    uri = FCGX_GetParam("SCRIPT_NAME", req->fr->envp);
    info = FCGX_GetParam("PATH_INFO", req->fr->envp);
    if (uri == NULL || info == NULL || info[0] == '\0') {
        return uri;
    }
    n = snprintf(buf, len, "%s%s", uri, info);
    return n >= 0 && (size_t) n < len ? buf : NULL;
}

/* The request path below the configured prefix, without a query. */
static const char *
route_path(struct fcgi_req *req, char *out, size_t outlen)
{
    const char  *uri, *prefix = req->app->cfg.prefix;
    size_t       plen = strlen(prefix), n;
    char         joined[1024];

    uri = route_uri(req, joined, sizeof(joined));
    if (uri == NULL) {
        return NULL;
    }
    while (plen > 0 && prefix[plen - 1] == '/') {
        plen--;
    }
    if (plen > 0) {
        if (strncmp(uri, prefix, plen) != 0
            || (uri[plen] != '/' && uri[plen] != '\0'))
        {
            return NULL;
        }
        uri += plen;
    }
    n = strcspn(uri, "?");
    if (n >= outlen) {
        return NULL;
    }
    memcpy(out, uri, n);
    out[n] = '\0';
    return out;
}

/* "Allow: GET, HEAD\r\n" for a path; empty when the path is unknown. */
static void
route_allow(const char *path, char *out, size_t outlen)
{
    size_t  i, n = 0;
    int     w;

    out[0] = '\0';
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, path) != 0) {
            continue;
        }
        w = snprintf(out + n, outlen - n, "%s%s", n ? ", " : "Allow: ",
                     routes[i].method);
        if (w < 0 || (size_t) w >= outlen - n) {
            out[0] = '\0';
            return;
        }
        n += (size_t) w;
    }
    if (n > 0 && n + 3 <= outlen) {
        memcpy(out + n, "\r\n", 3);
    }
}

void
route_dispatch(struct fcgi_req *req)
{
    char    path[256], allow[128];
    size_t  i;

    req->method = FCGX_GetParam("REQUEST_METHOD", req->fr->envp);
    req->path = route_path(req, path, sizeof(path));
    if (req->method == NULL || req->path == NULL) {
        fcgi_io_reply_error(req, DS_NOT_FOUND);
        return;
    }
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, req->path) == 0
            && strcmp(routes[i].method, req->method) == 0)
        {
            routes[i].handler(req);
            return;
        }
    }
    route_allow(req->path, allow, sizeof(allow));
    if (allow[0] == '\0') {
        fcgi_io_reply_error(req, DS_NOT_FOUND);
        return;
    }
    fcgi_io_reply_error_hdr(req, DS_METHOD_NOT_ALLOWED, allow);
}
