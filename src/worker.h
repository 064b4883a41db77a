/*
 * worker.h - the job threads of one process.
 *
 * Each thread has its own store connection and loops: claim a job, run
 * it, and when the queue is empty wait on a condition variable until a
 * request in this process queues a job (worker_notify) or the sweep
 * interval passes (jobs queued by other processes, leases that ran out,
 * timeouts, expiry). No polling loop spins.
 */
#ifndef DS_WORKER_H
#define DS_WORKER_H

#include "rc.h"

struct job_ctx;
struct worker;

/* Start ctx->cfg->job_threads threads (none when 0). */
rc_t worker_start(const struct job_ctx *ctx, struct worker **out);

/* A job was queued: wake one idle thread. Thread-safe, never blocks
 * for long. */
void worker_notify(struct worker *w);

/* Ask the threads to stop after their current job, and join them. */
void worker_stop(struct worker *w);

/* Run jobs on the calling thread until the queue is empty; for
 * `docusnapctl work --drain`. *ran gets the count. */
rc_t worker_drain(const struct job_ctx *ctx, int *ran);

#endif
