/*
 * store.h - the job store: one row per (client_id, SHA256, type).
 *
 * A row is an entry the client polls and, until it ends, a job in the
 * durable queue. States: queued -> running -> done | failed. A running
 * job holds a lease (lease_until) and a claim token; a job whose lease
 * ran out is claimed again, and after max_attempts claims it fails with
 * PROCESSING_ERROR. Stale workers cannot write: completion and failure
 * name the token they were claimed with.
 *
 * One struct store is one SQLite connection (WAL, busy timeout) and is
 * used by one thread at a time; each thread opens its own. Times are
 * unix milliseconds. Strings returned in structs are malloc'd and freed
 * by the matching _free function.
 */
#ifndef DS_STORE_H
#define DS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "rc.h"

enum store_state {
    STORE_QUEUED = 0,
    STORE_RUNNING,
    STORE_DONE,
    STORE_FAILED
};

struct store;

/* Open (creating) the database file. Migrations are applied separately
 * with store_migrate. */
rc_t store_open(const char *path, int busy_timeout_ms, struct store **out);
void store_close(struct store *st);

/*
 * Apply every sql_dir/NNN_*.sql whose number is above PRAGMA
 * user_version, in order, each in one transaction. Safe to call from
 * several processes at once.
 */
rc_t store_migrate(struct store *st, const char *sql_dir);
int  store_schema_version(struct store *st);

struct store_entry {
    int64_t           id;
    enum store_state  state;
    char             *error_code;   /* failed: the wire code */
    char             *result;       /* done: base64(IV || AES(result)) */
};
void store_entry_free(struct store_entry *e);

/*
 * Find an entry; RC_NOTFOUND when there is none. Touches its access
 * time when the stored one is older than touch_ms (polls do not write
 * every time).
 */
rc_t store_lookup(struct store *st, const char *client_id,
    const char *sha256, const char *type, int64_t now, int64_t touch_ms,
    struct store_entry *out);

/*
 * Queue a new job holding the encrypted content and wrapped key.
 * RC_EXISTS when the (client_id, sha256, type) row exists already.
 */
rc_t store_insert(struct store *st, const char *client_id,
    const char *sha256, const char *type, const unsigned char *content,
    size_t content_len, const unsigned char *wrapped_key,
    size_t wrapped_len, int64_t now, int64_t *id_out);

struct store_job {
    int64_t         id;
    int64_t         token;
    int             attempts;       /* including this claim */
    int64_t         created_at;
    char           *client_id;
    char           *sha256;
    char           *type;
    unsigned char  *content;
    size_t          content_len;
    unsigned char  *wrapped_key;
    size_t          wrapped_len;
};
void store_job_free(struct store_job *job);

/*
 * Atomically claim the oldest queued job, or a running one whose lease
 * expired and whose attempts are below max_attempts. RC_NOTFOUND when
 * none is ready.
 */
rc_t store_claim(struct store *st, int64_t now, int64_t lease_ms,
    int max_attempts, struct store_job *out);

/* Extend a lease; RC_NOTFOUND when the claim is no longer ours. */
rc_t store_renew(struct store *st, int64_t id, int64_t token,
    int64_t lease_until);

/*
 * End a job: done with its encrypted result, or failed with a code.
 * Drops content and wrapped key. RC_NOTFOUND when the claim is stale
 * (lease taken over or the job timed out meanwhile).
 */
rc_t store_complete(struct store *st, int64_t id, int64_t token,
    const char *result_b64, int64_t now);
rc_t store_fail(struct store *st, int64_t id, int64_t token,
    const char *code, int64_t now);

struct store_sweep_stats {
    int  exhausted;     /* leases expired at max_attempts: PROCESSING_ERROR */
    int  timed_out;     /* older than the timeout: PROCESSING_TIMEOUT */
    int  expired;       /* entries deleted after expiry */
};

/* Housekeeping; cheap enough to run each time a job thread wakes up. */
rc_t store_sweep(struct store *st, int64_t now, int max_attempts,
    int64_t timeout_ms, int64_t expiry_ms, struct store_sweep_stats *out);

/* Delete a client's entries, only those of sha256 and of type where
 * these are not NULL. *deleted gets the count. */
rc_t store_clear(struct store *st, const char *client_id,
    const char *sha256, const char *type, int *deleted);

/* Entries per state, for stats and metrics. */
rc_t store_count(struct store *st, enum store_state state, int64_t *n);

/* ---- administration: docusnapctl and the readiness check ---- */

/*
 * *created_at gets the creation time of the oldest entry in state;
 * RC_NOTFOUND when there is none.
 */
rc_t store_oldest(struct store *st, enum store_state state,
    int64_t *created_at);

/*
 * *bytes gets the database's size: its pages, in use and free, times
 * the page size (the -wal file is not counted).
 */
rc_t store_size(struct store *st, int64_t *bytes);

/*
 * Whether this connection can write: BEGIN IMMEDIATE, then ROLLBACK.
 * Writes nothing. RC_OK, RC_BUSY when another connection held the write
 * lock past the busy timeout, RC_STORE (logged) when the file is read-
 * only or broken.
 */
rc_t store_writable(struct store *st);

/*
 * PRAGMA integrity_check of st's database (a read: blocks no writer in
 * WAL mode; reads every page, so it takes a while on a large file).
 * RC_OK when SQLite answers "ok"; RC_BADINPUT with its first complaint
 * in err when it finds damage; RC_BUSY or RC_STORE with SQLite's text
 * in err when the check cannot run.
 */
rc_t store_integrity(struct store *st, char *err, size_t errlen);

/*
 * The same for the database file at path, which is opened read-only,
 * never created or changed; *version gets its schema version. A file
 * that does not open is RC_STORE, one that is no database RC_BADINPUT,
 * each with the reason in err.
 */
rc_t store_check_file(const char *path, int *version, char *err,
    size_t errlen);

/*
 * *version gets the highest NNN of sql_dir's NNN_*.sql files (0 when
 * there is none): the version store_migrate brings a database to.
 * RC_STORE (logged) when the folder cannot be read.
 */
rc_t store_schema_target(const char *sql_dir, int *version);

/*
 * Online backup of st's database into path, with SQLite's backup API,
 * while other connections and processes go on reading and writing. The
 * copy is the database as it was when the call began: one read snapshot
 * is held throughout, which in WAL mode blocks no writer (checkpoints
 * stop at it until the call returns). Pages are copied in steps into
 * path.tmp, which is renamed over path once whole, so an existing path
 * is only ever replaced by a complete copy. The copy is one
 * self-contained file in rollback-journal mode, mode 0600. RC_BADINPUT
 * when path is too long, RC_BUSY or RC_STORE (logged) on failure;
 * path.tmp is removed then. Uses st: not at the same time as other
 * calls on it.
 */
rc_t store_backup(struct store *st, const char *path);

/*
 * Replace st's database with the file at path (a store_backup copy).
 * The file is checked first (store_check_file): damage, or a schema
 * version above max_version, is RC_BADINPUT. Then st's database leaves
 * WAL mode, which SQLite allows only when no other connection has it
 * open: RC_BUSY when one has (a server process), and nothing is
 * changed. The copy goes in with the backup API and the database is
 * put back into WAL mode. The reason for any failure is in err. Run
 * store_migrate afterwards: the file may hold an older schema.
 */
rc_t store_restore(struct store *st, const char *path, int max_version,
    char *err, size_t errlen);

/*
 * Entries of client_id created at since (unix ms) or later, whatever
 * their state, into *n: what a per-client rate limit counts. Entries
 * cleared or expired meanwhile are not counted.
 */
rc_t store_count_recent(struct store *st, const char *client_id,
    int64_t since, int64_t *n);

#endif
