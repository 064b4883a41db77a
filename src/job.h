/*
 * job.h - run one claimed job: open the envelope, OCR the pages, run the
 * extractor, seal the result with the client's key and end the job in
 * the store. One step per function.
 */
#ifndef DS_JOB_H
#define DS_JOB_H

#include "rc.h"

struct cfg;
struct crypto_key;
struct extractor;
struct ocr_pool;
struct store;
struct store_job;

/* What every job needs; shared read-only by all job threads. */
struct job_ctx {
    const struct cfg    *cfg;
    struct crypto_key   *key;
    struct ocr_pool     *ocr;
    struct extractor    *extractor;
};

/*
 * Take job to its end state (done or failed) in st. Returns RC_OK when
 * the job ended either way, or the rc of a store failure (the job is
 * then left to its lease and taken again). Thread-safe given one st per
 * thread.
 */
rc_t job_run(const struct job_ctx *ctx, struct store *st,
    const struct store_job *job);

#endif
