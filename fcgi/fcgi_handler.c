/*
 * fcgi_handler.c - POST /process, POST /clear, GET /check_status,
 * GET /ready and GET /public_key.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#define LOG_MODULE "api"
#include "clock.h"
#include "fcgi_handler.h"
#include "fcgi_io.h"
#include "log.h"
#include "ocr.h"
#include "proto.h"
#include "store.h"
#include "worker.h"

static enum ds_err
handle_store_err(rc_t rc)
{
    log_warn("store: %s", rc_str(rc));
    return DS_DATABASE_ERROR;
}

/* Answer with what the entry's state says. */
static void
handle_entry_reply(struct fcgi_req *req, const struct store_entry *e)
{
    json_object  *o;

    switch (e->state) {
    case STORE_QUEUED:
    case STORE_RUNNING:
        fcgi_io_reply(req, 202, "application/json",
                      "{\"status\":\"processing\"}", 23);
        return;
    case STORE_FAILED:
        fcgi_io_reply_error(req, ds_err_from_name(e->error_code));
        return;
    case STORE_DONE:
        break;
    }
    o = json_object_new_object();
    if (o == NULL
        || json_object_object_add(o, "status",
                                  json_object_new_string("completed")) != 0
        || json_object_object_add(o, "result",
                json_object_new_string(e->result ? e->result : "")) != 0)
    {
        json_object_put(o);
        fcgi_io_reply_error(req, DS_INTERNAL_ERROR);
        return;
    }
    fcgi_io_reply_json(req, 200, o);
    json_object_put(o);
}

/* Look the entry up; 1 when answered from it. */
static int
handle_lookup(struct fcgi_req *req, const struct proto_req *pr)
{
    const struct cfg    *cfg = &req->app->cfg;
    struct store_entry   e;
    rc_t                 rc;

    if (!pr->sha256_ok) {
        return 0;
    }
    memset(&e, 0, sizeof(e));
    rc = store_lookup(req->st, pr->client_id, pr->sha256, pr->type,
                      clock_now_ms(), (int64_t) cfg->touch_interval * 1000,
                      &e);
    if (rc == RC_NOTFOUND) {
        return 0;
    }
    if (rc != RC_OK) {
        fcgi_io_reply_error(req, handle_store_err(rc));
        return 1;
    }
    handle_entry_reply(req, &e);
    store_entry_free(&e);
    return 1;
}

/* Check a new submission all the way through before queueing it. */
static enum ds_err
handle_accept(struct fcgi_req *req, const struct proto_req *pr,
    struct proto_sealed *sealed)
{
    const struct cfg     *cfg = &req->app->cfg;
    struct proto_secret   secret;
    struct proto_limits   lim;
    json_object          *inner = NULL;
    enum ds_err           e;

    e = proto_decode(pr, sealed);
    if (e != DS_OK) {
        return e;
    }
    e = proto_open(req->app->key, sealed, &secret, &inner);
    OPENSSL_cleanse(&secret, sizeof(secret));
    if (e != DS_OK) {
        return e;
    }
    lim.max_image_bytes = cfg->max_image_bytes;
    lim.max_pixels = cfg->max_pixels;
    lim.max_pages = cfg->max_pages;
    e = proto_check_payload(inner, pr->kind, &lim);
    json_object_put(inner);
    return e;
}

/*
 * [limits] submissions_per_minute: the client's entries made in the
 * last minute, counted in the store that every process shares. Checked
 * before the RSA and AES work, so a client over its limit costs little.
 * XXX: the count and the insert are not one transaction, so submissions
 * racing at the edge may all pass; it bounds abuse, it does not bill.
 * A client that clears its entries is not counted for them, and a new
 * client_id starts at 0: nginx's per-address limit covers those.
 */
static enum ds_err
handle_rate_check(struct fcgi_req *req, const struct proto_req *pr)
{
    int      limit = req->app->cfg.submissions_per_minute;
    int64_t  n = 0;
    rc_t     rc;

    if (limit <= 0) {
        return DS_OK;
    }
    rc = store_count_recent(req->st, pr->client_id, clock_now_ms() - 60000,
                            &n);
    if (rc != RC_OK) {
        return handle_store_err(rc);
    }
    if (n >= limit) {
        log_info("submission refused code=RATE_LIMITED recent=%" PRId64,
                 n);
        return DS_RATE_LIMITED;
    }
    return DS_OK;
}

static void
handle_submit(struct fcgi_req *req, const struct proto_req *pr)
{
    struct proto_sealed  sealed;
    enum ds_err          e;
    int64_t              id = 0;
    rc_t                 rc;

    memset(&sealed, 0, sizeof(sealed));
    e = handle_rate_check(req, pr);
    if (e == DS_RATE_LIMITED) {
        fcgi_io_reply_error_hdr(req, e, "Retry-After: 60\r\n");
        goto out;
    }
    if (e != DS_OK) {
        fcgi_io_reply_error(req, e);
        goto out;
    }
    e = handle_accept(req, pr, &sealed);
    if (e != DS_OK) {
        log_info("submission refused code=%s", ds_err_name(e));
        fcgi_io_reply_error(req, e);
        goto out;
    }
    rc = store_insert(req->st, pr->client_id, pr->sha256, pr->type,
                      sealed.content, sealed.content_len, sealed.wrapped,
                      sealed.wrapped_len, clock_now_ms(), &id);
    if (rc == RC_EXISTS) {
        /* the same submission raced us: answer from its entry */
        if (!handle_lookup(req, pr)) {
            fcgi_io_reply_error(req, DS_DATABASE_ERROR);
        }
        goto out;
    }
    if (rc != RC_OK) {
        fcgi_io_reply_error(req, handle_store_err(rc));
        goto out;
    }
    log_info("job queued id=%" PRId64 " type=%s bytes=%zu", id, pr->type,
             sealed.content_len);
    worker_notify(req->app->worker);
    fcgi_io_reply(req, 202, "application/json",
                  "{\"status\":\"processing\"}", 23);
out:
    proto_sealed_free(&sealed);
}

typedef enum ds_err (*handle_parse_fn)(const char *body, size_t len,
    struct proto_req *pr);

/* A JSON body, read within the limit and parsed by parse. */
static enum ds_err
handle_read_json(struct fcgi_req *req, handle_parse_fn parse,
    struct proto_req *pr)
{
    enum ds_err  e;

    if (!fcgi_io_is_json(req)) {
        return DS_UNSUPPORTED_MEDIA_TYPE;
    }
    e = fcgi_io_read_body(req, req->app->cfg.max_body_bytes);
    if (e != DS_OK) {
        return e;
    }
    return parse(req->body.data ? req->body.data : "", req->body.len, pr);
}

void
handle_process(struct fcgi_req *req)
{
    struct proto_req  pr;
    enum ds_err       e;

    memset(&pr, 0, sizeof(pr));
    e = handle_read_json(req, proto_parse_process, &pr);
    if (e != DS_OK) {
        fcgi_io_reply_error(req, e);
        goto out;
    }
    if (handle_lookup(req, &pr)) {
        goto out;
    }
    if (!pr.has_content) {
        fcgi_io_reply_error(req, DS_TASK_NOT_FOUND);
        goto out;
    }
    handle_submit(req, &pr);
out:
    proto_req_free(&pr);
}

void
handle_clear(struct fcgi_req *req)
{
    struct proto_req  pr;
    enum ds_err       e;
    int               n = 0;
    rc_t              rc;

    memset(&pr, 0, sizeof(pr));
    e = handle_read_json(req, proto_parse_clear, &pr);
    if (e != DS_OK) {
        fcgi_io_reply_error(req, e);
        goto out;
    }
    /* SHA256 and type narrow what goes, each when given */
    rc = store_clear(req->st, pr.client_id, pr.sha256_ok ? pr.sha256 : NULL,
                     pr.type, &n);
    if (rc != RC_OK) {
        fcgi_io_reply_error(req, handle_store_err(rc));
        goto out;
    }
    log_info("cleared entries=%d", n);
    fcgi_io_reply(req, 200, "application/json", "{\"status\":\"ok\"}", 15);
out:
    proto_req_free(&pr);
}

void
handle_check_status(struct fcgi_req *req)
{
    fcgi_io_reply(req, 200, "application/json",
                  "{\"server_status\":\"ok\"}", 22);
}

void
handle_public_key(struct fcgi_req *req)
{
    fcgi_io_reply(req, 200, "application/x-pem-file", req->app->pubkey_pem,
                  req->app->pubkey_len);
}

/* One readiness check into checks, its name into failing when it
 * failed; -1 when json-c could not. */
static int
handle_ready_add(json_object *checks, json_object *failing,
    const char *name, int ok)
{
    if (json_object_object_add(checks, name, json_object_new_boolean(ok))
        != 0)
    {
        return -1;
    }
    if (!ok && json_object_array_add(failing, json_object_new_string(name))
               != 0)
    {
        return -1;
    }
    return 0;
}

/* Run the checks; -1 when json-c could not hold the answers. */
static int
handle_ready_run(struct fcgi_req *req, json_object *checks,
    json_object *failing)
{
    const struct app  *app = req->app;
    struct stat        sb;
    char               detail[4200];
    int                ocr, bad = 0;

    ocr = app->ocr != NULL
          && ocr_pool_ready(app->ocr, detail, sizeof(detail)) == RC_OK;
    if (!ocr) {
        log_warn("not ready: ocr: %s", app->ocr != NULL ? detail : "none");
    }
    bad |= handle_ready_add(checks, failing, "database",
                            store_writable(req->st) == RC_OK);
    bad |= handle_ready_add(checks, failing, "ocr", ocr);
    bad |= handle_ready_add(checks, failing, "extractor",
                            app->extractor != NULL);
    /* loaded at start; the file is what the next start needs */
    bad |= handle_ready_add(checks, failing, "private_key",
                            app->key != NULL
                            && stat(app->cfg.private_key, &sb) == 0);
    return bad;
}

/*
 * GET /ready: whether this process can do its work, for a load balancer
 * or a monitor; cheap (a write lock taken and given back, file checks;
 * no OCR, no model call). 200 {"ready":true,"checks":{name: bool}}, or
 * 503 with "ready":false and "failing": [names].
 */
void
handle_ready(struct fcgi_req *req)
{
    json_object  *o, *checks, *failing;
    int           ready, bad;

    o = json_object_new_object();
    checks = json_object_new_object();
    failing = json_object_new_array();
    bad = o == NULL || checks == NULL || failing == NULL
          || handle_ready_run(req, checks, failing) != 0;
    ready = !bad && json_object_array_length(failing) == 0;
    bad = bad
          || json_object_object_add(o, "ready",
                                    json_object_new_boolean(ready)) != 0
          || json_object_object_add(o, "checks", json_object_get(checks))
             != 0
          || (!ready && json_object_object_add(o, "failing",
                                    json_object_get(failing)) != 0);
    if (bad) {
        fcgi_io_reply_error(req, DS_INTERNAL_ERROR);
    } else {
        if (!ready) {
            log_warn("not ready: %s", json_object_to_json_string(failing));
        }
        fcgi_io_reply_json(req, ready ? 200 : 503, o);
    }
    json_object_put(failing);
    json_object_put(checks);
    json_object_put(o);
}
