/*
 * fcgi-minimal - the least a FastCGI responder can do: answer every
 * request with one fixed JSON body. Benchmarks run it behind the same
 * nginx as docusnap-fcgi to measure the ceiling of this architecture.
 *
 *   spawn-fcgi -s SOCK -- fcgi-minimal [THREADS]
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

static const char reply[] =
    "Status: 200 OK\r\nContent-Type: application/json\r\n"
    "Content-Length: 22\r\n\r\n{\"server_status\":\"ok\"}";

static void *
serve(void *arg)
{
    FCGX_Request  r;

    (void) arg;
    if (FCGX_InitRequest(&r, 0, 0) != 0) {
        return NULL;
    }
    while (FCGX_Accept_r(&r) == 0) {
        if (FCGX_PutStr(reply, (int) sizeof(reply) - 1, r.out) < 0) {
            /* the client went away; nothing to do */
        }
        FCGX_Finish_r(&r);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    pthread_t  tid;
    long       n = 4, i;
    char      *end;

    if (argc > 1) {
        errno = 0;
        n = strtol(argv[1], &end, 10);
        if (errno != 0 || *end != '\0' || n < 1 || n > 256) {
            fprintf(stderr, "usage: fcgi-minimal [THREADS 1..256]\n");
            return 64;
        }
    }
    if (FCGX_Init() != 0) {
        return 1;
    }
    for (i = 1; i < n; i++) {
        if (pthread_create(&tid, NULL, serve, NULL) != 0) {
            return 1;
        }
    }
    serve(NULL);
    return 0;
}
