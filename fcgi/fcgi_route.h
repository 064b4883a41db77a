/*
 * fcgi_route.h - method and path to handler.
 */
#ifndef DS_FCGI_ROUTE_H
#define DS_FCGI_ROUTE_H

#include "app.h"

/* Strip the prefix, find the handler and run it; 404/405 otherwise. */
void route_dispatch(struct fcgi_req *req);

#endif
