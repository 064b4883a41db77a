/*
 * worker.c - the job threads of one process.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "worker"
#include "cfg.h"
#include "clock.h"
#include "job.h"
#include "log.h"
#include "store.h"
#include "worker.h"

/* The claim a job thread is running, for the heartbeat to renew. */
struct worker_claim {
    int64_t  id;
    int64_t  token;             /* 0: none */
};

struct worker {
    const struct job_ctx  *ctx;
    pthread_mutex_t        lock;
    pthread_cond_t         wake;        /* job threads wait here */
    pthread_cond_t         hb_wake;     /* the heartbeat waits here */
    int                    pending;     /* notifications not yet taken */
    int                    stop;
    int64_t                next_sweep;  /* mono ms; shared by the threads */
    int                    nthreads;
    int                    next_slot;
    pthread_t             *threads;
    struct worker_claim   *claims;      /* one per job thread */
    pthread_t              heartbeat;
    int                    has_heartbeat;
};

void
worker_notify(struct worker *w)
{
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->pending++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

/* One thread of the process sweeps per interval. */
static void
worker_sweep(struct worker *w, struct store *st)
{
    const struct cfg          *cfg = w->ctx->cfg;
    struct store_sweep_stats   s;
    int64_t                    now = clock_mono_ms();
    int                        mine = 0;

    pthread_mutex_lock(&w->lock);
    if (now >= w->next_sweep) {
        w->next_sweep = now + cfg->sweep_interval_ms;
        mine = 1;
    }
    pthread_mutex_unlock(&w->lock);
    if (!mine) {
        return;
    }
    memset(&s, 0, sizeof(s));
    if (store_sweep(st, clock_now_ms(), cfg->max_attempts,
                    (int64_t) cfg->processing_timeout * 1000,
                    (int64_t) cfg->expiry_seconds * 1000, &s) != RC_OK)
    {
        log_warn("sweep failed");
        return;
    }
    if (s.exhausted || s.timed_out || s.expired) {
        log_info("sweep exhausted=%d timed_out=%d expired=%d",
                 s.exhausted, s.timed_out, s.expired);
    }
}

static void
worker_set_claim(struct worker *w, struct worker_claim *slot, int64_t id,
    int64_t token)
{
    if (w == NULL || slot == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    slot->id = id;
    slot->token = token;
    pthread_mutex_unlock(&w->lock);
}

/*
 * Claim and run one job. RC_NOTFOUND when the queue had none. With a
 * worker, the claim is published in slot for the heartbeat to renew.
 */
static rc_t
worker_run_one(const struct job_ctx *ctx, struct store *st, struct worker *w,
    struct worker_claim *slot)
{
    const struct cfg  *cfg = ctx->cfg;
    struct store_job   job;
    rc_t               rc;

    memset(&job, 0, sizeof(job));
    rc = store_claim(st, clock_now_ms(), (int64_t) cfg->lease_seconds * 1000,
                     cfg->max_attempts, &job);
    if (rc != RC_OK) {
        return rc;
    }
    worker_set_claim(w, slot, job.id, job.token);
    rc = job_run(ctx, st, &job);
    worker_set_claim(w, slot, 0, 0);
    store_job_free(&job);
    return rc;
}

/* The monotonic time ms from now, for pthread_cond_timedwait. */
static void
worker_deadline(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long) (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Wait for a notification or the sweep interval; 0 when told to stop. */
static int
worker_wait(struct worker *w)
{
    struct timespec  ts;
    int              ms = w->ctx->cfg->sweep_interval_ms;
    int              r = 0, go;

    worker_deadline(&ts, ms);
    pthread_mutex_lock(&w->lock);
    while (!w->stop && w->pending == 0 && r != ETIMEDOUT) {
        r = pthread_cond_timedwait(&w->wake, &w->lock, &ts);
    }
    if (w->pending > 0) {
        w->pending--;
    }
    go = !w->stop;
    pthread_mutex_unlock(&w->lock);
    return go;
}

/*
 * Renew the leases of this process's running jobs a few times per lease
 * period, so a slow job keeps its claim while the process lives, and a
 * killed process's jobs are taken again one lease after it died.
 */
static void *
worker_heartbeat(void *arg)
{
    struct worker        *w = arg;
    struct store         *st = NULL;
    struct worker_claim   c;
    struct timespec       ts;
    int64_t               lease = (int64_t) w->ctx->cfg->lease_seconds * 1000;
    int64_t               period = lease / 3 > 0 ? lease / 3 : 1;
    int                   i, stop = 0;

    if (store_open(w->ctx->cfg->database, w->ctx->cfg->busy_timeout_ms, &st)
        != RC_OK)
    {
        log_err("heartbeat cannot open the store; leases are not renewed");
        return NULL;
    }
    while (!stop) {
        worker_deadline(&ts, period);
        pthread_mutex_lock(&w->lock);
        while (!w->stop
               && pthread_cond_timedwait(&w->hb_wake, &w->lock, &ts) == 0)
        {
            /* spurious wake-up: keep waiting */
        }
        stop = w->stop;
        pthread_mutex_unlock(&w->lock);

        for (i = 0; !stop && i < w->nthreads; i++) {
            pthread_mutex_lock(&w->lock);
            c = w->claims[i];
            pthread_mutex_unlock(&w->lock);
            if (c.token != 0
                && store_renew(st, c.id, c.token, clock_now_ms() + lease)
                   != RC_OK)
            {
                log_warn("lease of job %lld not renewed", (long long) c.id);
            }
        }
    }
    store_close(st);
    return NULL;
}

static void *
worker_thread(void *arg)
{
    struct worker        *w = arg;
    struct worker_claim  *slot;
    struct store         *st = NULL;
    rc_t                  rc;

    pthread_mutex_lock(&w->lock);
    slot = &w->claims[w->next_slot++];
    pthread_mutex_unlock(&w->lock);

    if (store_open(w->ctx->cfg->database, w->ctx->cfg->busy_timeout_ms, &st)
        != RC_OK)
    {
        log_err("job thread cannot open the store; it stops");
        return NULL;
    }
    for ( ;; ) {
        worker_sweep(w, st);
        rc = worker_run_one(w->ctx, st, w, slot);
        if (rc == RC_OK) {
            continue;
        }
        if (rc != RC_NOTFOUND) {
            log_warn("claim failed: %s", rc_str(rc));
        }
        if (!worker_wait(w)) {
            break;
        }
    }
    store_close(st);
    return NULL;
}

static rc_t
worker_init_sync(struct worker *w)
{
    pthread_condattr_t  attr;

    if (pthread_condattr_init(&attr) != 0) {
        return RC_INTERNAL;
    }
    if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&w->wake, &attr) != 0)
    {
        pthread_condattr_destroy(&attr);
        return RC_INTERNAL;
    }
    if (pthread_cond_init(&w->hb_wake, &attr) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_condattr_destroy(&attr);
        return RC_INTERNAL;
    }
    pthread_condattr_destroy(&attr);
    if (pthread_mutex_init(&w->lock, NULL) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_cond_destroy(&w->hb_wake);
        return RC_INTERNAL;
    }
    return RC_OK;
}

rc_t
worker_start(const struct job_ctx *ctx, struct worker **out)
{
    struct worker  *w;
    int             i, n = ctx->cfg->job_threads;

    *out = NULL;
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return RC_NOMEM;
    }
    w->ctx = ctx;
    w->threads = calloc(n > 0 ? (size_t) n : 1, sizeof(pthread_t));
    w->claims = calloc(n > 0 ? (size_t) n : 1, sizeof(*w->claims));
    if (w->threads == NULL || w->claims == NULL
        || worker_init_sync(w) != RC_OK)
    {
        free(w->threads);
        free(w->claims);
        free(w);
        return RC_NOMEM;
    }
    for (i = 0; i < n; i++) {
        if (pthread_create(&w->threads[i], NULL, worker_thread, w) != 0) {
            log_err("cannot start job thread %d", i);
            break;
        }
        w->nthreads++;
    }
    if (n > 0 && w->nthreads == n) {
        w->has_heartbeat = pthread_create(&w->heartbeat, NULL,
                                          worker_heartbeat, w) == 0;
    }
    *out = w;
    if (w->nthreads < n || (n > 0 && !w->has_heartbeat)) {
        worker_stop(w);
        *out = NULL;
        return RC_INTERNAL;
    }
    return RC_OK;
}

void
worker_stop(struct worker *w)
{
    int  i;

    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_broadcast(&w->wake);
    pthread_cond_broadcast(&w->hb_wake);
    pthread_mutex_unlock(&w->lock);
    for (i = 0; i < w->nthreads; i++) {
        pthread_join(w->threads[i], NULL);
    }
    if (w->has_heartbeat) {
        pthread_join(w->heartbeat, NULL);
    }
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->hb_wake);
    pthread_mutex_destroy(&w->lock);
    free(w->claims);
    free(w->threads);
    free(w);
}

rc_t
worker_drain(const struct job_ctx *ctx, int *ran)
{
    const struct cfg          *cfg = ctx->cfg;
    struct store              *st = NULL;
    struct store_sweep_stats   s;
    rc_t                       rc;

    *ran = 0;
    rc = store_open(cfg->database, cfg->busy_timeout_ms, &st);
    if (rc != RC_OK) {
        return rc;
    }
    rc = store_sweep(st, clock_now_ms(), cfg->max_attempts,
                     (int64_t) cfg->processing_timeout * 1000,
                     (int64_t) cfg->expiry_seconds * 1000, &s);
    while (rc == RC_OK) {
        /* XXX: no heartbeat here; a drained job longer than a lease may
         * be taken again by a pool process (the first to end wins). */
        rc = worker_run_one(ctx, st, NULL, NULL);
        if (rc == RC_OK) {
            (*ran)++;
        }
    }
    store_close(st);
    return rc == RC_NOTFOUND ? RC_OK : rc;
}
