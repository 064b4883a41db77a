/*
 * fuzz_request.c - the request bodies of POST /process and POST /clear
 * (proto_parse_process, proto_parse_clear), then proto_decode as the
 * handler runs it on an accepted submission.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "proto.h"
#include "fuzz.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzz_quiet();
    return 0;
}

/* What an accepted request promises its handler. */
static void
fuzz_check_req(const struct proto_req *req, int process)
{
    fuzz_check(req->root != NULL);
    fuzz_check(req->client_id != NULL);
    fuzz_check(req->client_id[0] != '\0');
    fuzz_check(strlen(req->client_id) <= PROTO_MAX_CLIENT_ID);
    if (req->sha256_ok) {
        fuzz_check(strlen(req->sha256) == 64);
    }
    if (!process) {
        return;
    }
    fuzz_check(req->type != NULL);
    fuzz_check(req->kind <= EXTRACT_FILL);
    if (req->has_content) {
        fuzz_check(req->content != NULL && req->aes_key != NULL);
        fuzz_check(req->content_len == strlen(req->content));
        fuzz_check(req->aes_key_len == strlen(req->aes_key));
        fuzz_check(req->content_len > 0 && req->aes_key_len > 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_req     req;
    struct proto_sealed  sealed;
    enum ds_err          e;

    e = proto_parse_process((const char *) data, size, &req);
    if (e == DS_OK) {
        fuzz_check_req(&req, 1);
        if (req.has_content && proto_decode(&req, &sealed) == DS_OK) {
            fuzz_check(sealed.content != NULL && sealed.wrapped != NULL);
            proto_sealed_free(&sealed);
        }
    }
    proto_req_free(&req);

    e = proto_parse_clear((const char *) data, size, &req);
    if (e == DS_OK) {
        fuzz_check_req(&req, 0);
    }
    proto_req_free(&req);
    return 0;
}
