/*
 * app.h - what one FastCGI process holds, and one request in flight.
 */
#ifndef DS_APP_H
#define DS_APP_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>

#include "buf.h"
#include "cfg.h"
#include "job.h"

struct app {
    struct cfg           cfg;
    struct crypto_key   *key;
    char                *pubkey_pem;
    size_t               pubkey_len;
    struct ocr_pool     *ocr;
    struct extractor    *extractor;
    struct job_ctx       jobs;
    struct worker       *worker;
};

/*
 * One request, on one request thread, with that thread's store. In CGI
 * mode fr is not libfcgi's: its envp is environ, the body is on stdin
 * and the reply goes to stdout (fcgi_io.c).
 */
struct fcgi_req {
    FCGX_Request    *fr;
    int              cgi;           /* plain CGI: one request, stdio */
    struct app      *app;
    struct store    *st;
    const char      *method;
    const char      *path;          /* without the configured prefix */
    struct buf       body;
    int              status;        /* of the reply sent, for the log */
    int64_t          t0;            /* mono ms at accept */
};

#endif
