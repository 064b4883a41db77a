/*
 * fcgi_io.h - reading request bodies and writing replies over FastCGI.
 * Every reply is written in one FCGX_PutStr call.
 */
#ifndef DS_FCGI_IO_H
#define DS_FCGI_IO_H

#include <json-c/json.h>

#include "app.h"
#include "errcode.h"

/*
 * Read the body into req->body, at most max bytes. DS_REQUEST_TOO_LARGE
 * over max (by CONTENT_LENGTH or by what arrives), DS_INVALID_JSON when
 * fewer bytes arrive than announced.
 */
enum ds_err fcgi_io_read_body(struct fcgi_req *req, long max);

/* The request's Content-Type is JSON (application/json, any params). */
int fcgi_io_is_json(struct fcgi_req *req);

void fcgi_io_reply(struct fcgi_req *req, int status, const char *ctype,
    const char *body, size_t len);
/* The same with extra header lines, each ending in CRLF (may be NULL). */
void fcgi_io_reply_hdr(struct fcgi_req *req, int status, const char *ctype,
    const char *headers, const char *body, size_t len);
/* Reply with obj as compact JSON; obj stays the caller's. */
void fcgi_io_reply_json(struct fcgi_req *req, int status, json_object *obj);
/* {"status":"error","error_detail":CODE} with the code's status. */
void fcgi_io_reply_error(struct fcgi_req *req, enum ds_err e);
void fcgi_io_reply_error_hdr(struct fcgi_req *req, enum ds_err e,
    const char *headers);

#endif
