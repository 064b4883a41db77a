/*
 * fcgi_handler.h - the API's endpoints. Each answers exactly once.
 */
#ifndef DS_FCGI_HANDLER_H
#define DS_FCGI_HANDLER_H

#include "app.h"

void handle_process(struct fcgi_req *req);
void handle_clear(struct fcgi_req *req);
void handle_check_status(struct fcgi_req *req);
/* GET /ready: 200 or 503 with the failing checks' names. */
void handle_ready(struct fcgi_req *req);
void handle_public_key(struct fcgi_req *req);

#endif
