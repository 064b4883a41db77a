/*
 * job.c - run one claimed job to its end.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define LOG_MODULE "job"
#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "crypto.h"
#include "extract.h"
#include "job.h"
#include "jsonx.h"
#include "log.h"
#include "ocr.h"
#include "proto.h"
#include "store.h"

/* OCR text of a job stays in memory only, and within this bound. */
#define JOB_MAX_TEXT  (16L * 1024 * 1024)

struct job_state {
    const struct job_ctx    *ctx;
    struct store            *st;
    const struct store_job  *job;
    struct proto_secret      secret;
    json_object             *inner;
    json_object             *lib;
    struct buf               text;
    json_object             *result;
    enum extract_kind        kind;
};

static enum ds_err
job_open(struct job_state *js)
{
    struct proto_sealed  sealed;
    json_object         *lib = NULL;
    enum ds_err          e;

    if (extract_kind_parse(js->job->type, &js->kind) != 0) {
        return DS_INVALID_TYPE;
    }
    sealed.content = js->job->content;
    sealed.content_len = js->job->content_len;
    sealed.wrapped = js->job->wrapped_key;
    sealed.wrapped_len = js->job->wrapped_len;
    if (sealed.content == NULL || sealed.wrapped == NULL) {
        return DS_PROCESSING_ERROR;
    }
    e = proto_open(js->ctx->key, &sealed, &js->secret, &js->inner);
    if (e != DS_OK) {
        return e;
    }

    /* A library the extractor cannot read fails its prompt step. */
    (void) json_object_object_get_ex(js->inner, "file_lib", &lib);
    if (extract_lib_normalise(lib, js->ctx->cfg->max_file_lib_entries,
                              &js->lib) != RC_OK)
    {
        return extract_prompt_err(js->kind);
    }
    return DS_OK;
}

static enum ds_err
job_ocr(struct job_state *js)
{
    struct ocr_image  *images = NULL;
    struct ocr_stats   stats;
    size_t             n = 0;
    enum ds_err        e;
    rc_t               rc;

    if (js->kind == EXTRACT_FILL) {
        return DS_OK;
    }
    e = proto_images(js->inner, &images, &n);
    if (e != DS_OK) {
        return e;
    }
    memset(&stats, 0, sizeof(stats));
    rc = ocr_pool_run(js->ctx->ocr, images, n, &js->text, &stats);
    proto_images_free(images, n);
    if (rc != RC_OK) {
        log_warn("ocr failed: %s", rc_str(rc));
        return DS_OCR_FAILURE;
    }
    log_info("ocr done pages=%d ms=%ld chars=%zu conf=%.0f", stats.pages,
             stats.ms_total, js->text.len, stats.mean_confidence);
    return DS_OK;
}

static enum ds_err
job_extract(struct job_state *js)
{
    struct extract_input  in;
    enum ds_err           code = DS_PROCESSING_ERROR;
    json_object          *form = NULL;
    int64_t               t0 = clock_mono_ms();

    memset(&in, 0, sizeof(in));
    in.kind = js->kind;
    in.file_lib = js->lib;
    if (js->kind == EXTRACT_FILL) {
        (void) json_object_object_get_ex(js->inner, "to_process", &form);
        in.form = form;
    } else {
        in.ocr_text = buf_cstr(&js->text);
    }
    if (extractor_run(js->ctx->extractor, &in, &js->result, &code)
        != RC_OK)
    {
        log_warn("extractor %s failed: %s",
                 extractor_name(js->ctx->extractor), ds_err_name(code));
        return code != DS_OK ? code : DS_PROCESSING_ERROR;
    }
    log_info("extract done extractor=%s ms=%" PRId64,
             extractor_name(js->ctx->extractor), clock_mono_ms() - t0);
    return DS_OK;
}

/* Seal the result and mark the job done. */
static rc_t
job_finish(struct job_state *js)
{
    const char  *json;
    char        *sealed = NULL;
    rc_t         rc;

    json = json_object_to_json_string_ext(js->result, JSON_C_TO_STRING_PLAIN
                                          | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (json == NULL) {
        return RC_NOMEM;
    }
    rc = proto_seal_result(&js->secret, json, strlen(json), &sealed);
    if (rc != RC_OK) {
        return rc;
    }
    rc = store_complete(js->st, js->job->id, js->job->token, sealed,
                        clock_now_ms());
    free(sealed);
    return rc;
}

static rc_t
job_fail(struct job_state *js, enum ds_err code)
{
    log_info("job failed code=%s", ds_err_name(code));
    return store_fail(js->st, js->job->id, js->job->token, ds_err_name(code),
                      clock_now_ms());
}

static void
job_cleanup(struct job_state *js)
{
    if (js->text.data != NULL) {
        OPENSSL_cleanse(js->text.data, js->text.cap);
    }
    buf_free(&js->text);
    json_object_put(js->result);
    json_object_put(js->lib);
    json_object_put(js->inner);
    OPENSSL_cleanse(&js->secret, sizeof(js->secret));
}

rc_t
job_run(const struct job_ctx *ctx, struct store *st,
    const struct store_job *job)
{
    struct job_state  js;
    enum ds_err       e;
    rc_t              rc;
    char              id[32];
    int64_t           t0 = clock_mono_ms();

    memset(&js, 0, sizeof(js));
    js.ctx = ctx;
    js.st = st;
    js.job = job;
    buf_init(&js.text, JOB_MAX_TEXT);
    snprintf(id, sizeof(id), "job-%" PRId64, job->id);
    log_set_ctx(id);
    log_info("job start type=%s attempt=%d bytes=%zu", job->type,
             job->attempts, job->content_len);

    e = job_open(&js);
    if (e == DS_OK) {
        e = job_ocr(&js);
    }
    if (e == DS_OK) {
        e = job_extract(&js);
    }
    if (e == DS_OK) {
        rc = job_finish(&js);
        /* a store failure leaves the job to its lease; others are ours */
        if (rc == RC_NOMEM || rc == RC_CRYPTO || rc == RC_INTERNAL) {
            rc = job_fail(&js, DS_PROCESSING_ERROR);
        }
    } else {
        rc = job_fail(&js, e);
    }
    if (rc == RC_NOTFOUND) {
        log_warn("claim was lost before the job ended");
        rc = RC_OK;
    }
    log_info("job end ms=%" PRId64 " rc=%s", clock_mono_ms() - t0,
             rc_str(rc));
    job_cleanup(&js);
    log_set_ctx(NULL);
    return rc;
}
