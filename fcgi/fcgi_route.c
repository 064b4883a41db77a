/*
 * fcgi_route.c - method and path to handler.
 */
#include "config.h"

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
    { "GET",  "/public_key",   handle_public_key },
};

/* The request path below the configured prefix, without a query. */
static const char *
route_path(struct fcgi_req *req, char *out, size_t outlen)
{
    const char  *uri, *prefix = req->app->cfg.prefix;
    size_t       plen = strlen(prefix), n;

    uri = FCGX_GetParam("DOCUMENT_URI", req->fr->envp);
    if (uri == NULL) {
        uri = FCGX_GetParam("SCRIPT_NAME", req->fr->envp);
    }
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

void
route_dispatch(struct fcgi_req *req)
{
    char    path[256];
    size_t  i;
    int     path_known = 0;

    req->method = FCGX_GetParam("REQUEST_METHOD", req->fr->envp);
    req->path = route_path(req, path, sizeof(path));
    if (req->method == NULL || req->path == NULL) {
        fcgi_io_reply_error(req, DS_NOT_FOUND);
        return;
    }
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (strcmp(routes[i].path, req->path) != 0) {
            continue;
        }
        path_known = 1;
        if (strcmp(routes[i].method, req->method) == 0) {
            routes[i].handler(req);
            return;
        }
    }
    fcgi_io_reply_error(req, path_known ? DS_METHOD_NOT_ALLOWED
                                        : DS_NOT_FOUND);
}
