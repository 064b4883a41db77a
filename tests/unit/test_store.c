/*
 * test_store.c - the job store against a real SQLite file in a fresh
 * mkdtemp directory, migrated with the real sql/ directory.
 */
#include "config.h"

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "testutil.h"

#define T0          1700000000000LL     /* a fixed "now", in ms */
#define TOUCH_MS    60000
#define BUSY_MS     5000
#define N_JOBS      50

static char           tdir[256];
static char           tdb[300];
static char           tsql[512];
static struct store  *st;

/* ---- fixture ---------------------------------------------------------- */

static void
rm_tree(const char *dir)
{
    DIR            *d;
    struct dirent  *e;
    char            p[600];

    d = opendir(dir);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

static void
setup(void)
{
    snprintf(tdir, sizeof(tdir), "/tmp/test_store.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tdir));
    snprintf(tdb, sizeof(tdb), "%s/ds.db", tdir);
    snprintf(tsql, sizeof(tsql), "%s/sql", test_srcdir());
    ck_assert_int_eq(store_open(tdb, BUSY_MS, &st), RC_OK);
    ck_assert_int_eq(store_migrate(st, tsql), RC_OK);
}

static void
teardown(void)
{
    store_close(st);
    st = NULL;
    rm_tree(tdir);
}

/* ---- helpers ---------------------------------------------------------- */

/* sha256-shaped: 64 lowercase hex digits of n. */
static const char *
sha(int n, char out[65])
{
    snprintf(out, 65, "%064x", n);
    return out;
}

static int64_t
insert(const char *client, int n, const char *type, int64_t now)
{
    char     h[65];
    int64_t  id;

    ck_assert_int_eq(store_insert(st, client, sha(n, h), type,
                                  (const unsigned char *) "CONTENT", 7,
                                  (const unsigned char *) "KEY", 3, now,
                                  &id), RC_OK);
    return id;
}

/* One integer column of one row, read on a separate raw connection;
 * id binds ?1 when the query has it. */
static int64_t
raw_int(const char *sql, int64_t id)
{
    sqlite3       *db;
    sqlite3_stmt  *s;
    int64_t        v;

    ck_assert_int_eq(sqlite3_open_v2(tdb, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_bind_parameter_count(s) > 0) {
        ck_assert_int_eq(sqlite3_bind_int64(s, 1, id), SQLITE_OK);
    }
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static enum store_state
state_of(const char *client, int n, const char *type, char **code)
{
    struct store_entry  e;
    enum store_state    state;
    char                h[65];

    ck_assert_int_eq(store_lookup(st, client, sha(n, h), type, T0,
                                  TOUCH_MS, &e), RC_OK);
    state = e.state;
    if (code != NULL) {
        *code = e.error_code;
        e.error_code = NULL;
    }
    store_entry_free(&e);
    return state;
}

/* ---- migrations ------------------------------------------------------- */

START_TEST(test_migrate_version)
{
    struct store  *fresh;
    char           db[400];

    snprintf(db, sizeof(db), "%s/fresh.db", tdir);
    ck_assert_int_eq(store_open(db, BUSY_MS, &fresh), RC_OK);
    ck_assert_int_eq(store_schema_version(fresh), 0);
    ck_assert_int_eq(store_migrate(fresh, tsql), RC_OK);
    ck_assert_int_eq(store_schema_version(fresh), 1);
    store_close(fresh);

    ck_assert_int_eq(store_schema_version(st), 1);
    /* A second run is a no-op: re-running CREATE TABLE would fail. */
    ck_assert_int_eq(store_migrate(st, tsql), RC_OK);
    ck_assert_int_eq(store_schema_version(st), 1);
}
END_TEST

START_TEST(test_migrate_bad_file)
{
    char   dir[600], p[700];
    FILE  *f;

    snprintf(dir, sizeof(dir), "%s/mig", tdir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(p, sizeof(p), "%s/002_ok.sql", dir);
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs("CREATE TABLE t2 (a INTEGER);\n", f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/003_bad.sql", dir);
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs("CREATE TABLE t3 (a INTEGER);\nCREATE TABLEX oops;\n", f);
    fclose(f);

    /* 002 applies, 003 fails whole: t3 is rolled back with it. */
    ck_assert_int_eq(store_migrate(st, dir), RC_STORE);
    ck_assert_int_eq(store_schema_version(st), 2);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_schema"
                             " WHERE name = 't3'", 0), 0);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM sqlite_schema"
                             " WHERE name = 't2'", 0), 1);
    unlink(p);
    snprintf(p, sizeof(p), "%s/002_ok.sql", dir);
    unlink(p);
    rmdir(dir);
}
END_TEST

START_TEST(test_migrate_fork)
{
    struct store  *mine;
    char           db[400];
    pid_t          pid;
    int            i, status;
    rc_t           rc;

    for (i = 0; i < 8; i++) {
        snprintf(db, sizeof(db), "%s/race%d.db", tdir, i);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            rc = store_open(db, BUSY_MS, &mine);
            if (rc == RC_OK) {
                rc = store_migrate(mine, tsql);
            }
            if (rc == RC_OK && store_schema_version(mine) != 1) {
                rc = RC_STORE;
            }
            store_close(mine);
            _exit(rc == RC_OK ? 0 : 1);
        }
        ck_assert_int_eq(store_open(db, BUSY_MS, &mine), RC_OK);
        ck_assert_int_eq(store_migrate(mine, tsql), RC_OK);
        ck_assert_int_eq(store_schema_version(mine), 1);
        store_close(mine);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
}
END_TEST

/* ---- entries ---------------------------------------------------------- */

START_TEST(test_insert_lookup)
{
    struct store_entry  e;
    int64_t             id;
    char                h[65];

    id = insert("c1", 1, "doc", T0);
    ck_assert_int_gt(id, 0);
    ck_assert_int_eq(store_lookup(st, "c1", sha(1, h), "doc", T0, TOUCH_MS,
                                  &e), RC_OK);
    ck_assert_int_eq(e.id, id);
    ck_assert_int_eq(e.state, STORE_QUEUED);
    ck_assert_ptr_null(e.error_code);
    ck_assert_ptr_null(e.result);
    store_entry_free(&e);

    ck_assert_int_eq(store_lookup(st, "c1", sha(1, h), "form", T0, TOUCH_MS,
                                  &e), RC_NOTFOUND);
    ck_assert_int_eq(store_lookup(st, "c2", sha(1, h), "doc", T0, TOUCH_MS,
                                  &e), RC_NOTFOUND);
}
END_TEST

START_TEST(test_insert_duplicate)
{
    char     h[65];
    int64_t  id;

    insert("c1", 1, "doc", T0);
    ck_assert_int_eq(store_insert(st, "c1", sha(1, h), "doc",
                                  (const unsigned char *) "x", 1,
                                  (const unsigned char *) "k", 1, T0 + 1,
                                  &id), RC_EXISTS);
    /* Another type or another client is another row. */
    insert("c1", 1, "form", T0);
    insert("c2", 1, "doc", T0);
    /* Not 64 lowercase hex digits: refused by the schema. */
    ck_assert_int_eq(store_insert(st, "c1", "ABC", "doc", NULL, 0, NULL, 0,
                                  T0, &id), RC_BADINPUT);
}
END_TEST

START_TEST(test_lookup_touch)
{
    const char          *q = "SELECT accessed_at FROM entries WHERE id = ?1";
    struct store_entry   e;
    int64_t              id;
    char                 h[65];

    id = insert("c1", 1, "doc", T0);

    ck_assert_int_eq(store_lookup(st, "c1", sha(1, h), "doc",
                                  T0 + TOUCH_MS - 1, TOUCH_MS, &e), RC_OK);
    store_entry_free(&e);
    ck_assert_int_eq(raw_int(q, id), T0);

    ck_assert_int_eq(store_lookup(st, "c1", sha(1, h), "doc",
                                  T0 + TOUCH_MS, TOUCH_MS, &e), RC_OK);
    store_entry_free(&e);
    ck_assert_int_eq(raw_int(q, id), T0 + TOUCH_MS);
}
END_TEST

/* ---- claims ----------------------------------------------------------- */

START_TEST(test_claim_order)
{
    struct store_job  j;
    int64_t           a, b, c;
    char              h[65];

    /* Inserted out of id order: age is created_at. */
    b = insert("c1", 2, "doc", T0 + 20);
    a = insert("c1", 1, "doc", T0 + 10);
    c = insert("c2", 3, "form", T0 + 30);

    ck_assert_int_eq(store_claim(st, T0 + 100, 60000, 3, &j), RC_OK);
    ck_assert_int_eq(j.id, a);
    ck_assert_int_eq(j.attempts, 1);
    ck_assert_int_eq(j.created_at, T0 + 10);
    ck_assert_str_eq(j.client_id, "c1");
    ck_assert_str_eq(j.sha256, sha(1, h));
    ck_assert_str_eq(j.type, "doc");
    ck_assert_uint_eq(j.content_len, 7);
    ck_assert_mem_eq(j.content, "CONTENT", 7);
    ck_assert_uint_eq(j.wrapped_len, 3);
    ck_assert_mem_eq(j.wrapped_key, "KEY", 3);
    store_job_free(&j);
    ck_assert_int_eq(state_of("c1", 1, "doc", NULL), STORE_RUNNING);

    ck_assert_int_eq(store_claim(st, T0 + 100, 60000, 3, &j), RC_OK);
    ck_assert_int_eq(j.id, b);
    store_job_free(&j);
    ck_assert_int_eq(store_claim(st, T0 + 100, 60000, 3, &j), RC_OK);
    ck_assert_int_eq(j.id, c);
    ck_assert_str_eq(j.type, "form");
    store_job_free(&j);
    ck_assert_int_eq(store_claim(st, T0 + 100, 60000, 3, &j), RC_NOTFOUND);
    ck_assert_ptr_null(j.content);
}
END_TEST

struct claimer {
    pthread_t  tid;
    int64_t    ids[N_JOBS];
    int        n;
    rc_t       rc;
};

static void *
claimer_run(void *arg)
{
    struct claimer    *c = arg;
    struct store      *mine;
    struct store_job   j;
    rc_t               rc;

    c->rc = store_open(tdb, BUSY_MS, &mine);
    if (c->rc != RC_OK) {
        return NULL;
    }
    for (;;) {
        rc = store_claim(mine, T0, 600000, 3, &j);
        if (rc == RC_BUSY) {
            continue;
        }
        if (rc != RC_OK) {
            break;
        }
        if (c->n < N_JOBS) {
            c->ids[c->n] = j.id;
        }
        c->n++;
        store_job_free(&j);
    }
    c->rc = rc == RC_NOTFOUND ? RC_OK : rc;
    store_close(mine);
    return NULL;
}

START_TEST(test_claim_concurrent)
{
    struct claimer  c[2];
    int             seen[N_JOBS + 1];
    int64_t         ids[N_JOBS + 1];
    int             i, k;

    memset(c, 0, sizeof(c));
    memset(seen, 0, sizeof(seen));
    for (i = 1; i <= N_JOBS; i++) {
        ids[i] = insert("c1", i, "doc", T0 - N_JOBS + i);
    }

    for (k = 0; k < 2; k++) {
        ck_assert_int_eq(pthread_create(&c[k].tid, NULL, claimer_run, &c[k]),
                         0);
    }
    for (k = 0; k < 2; k++) {
        ck_assert_int_eq(pthread_join(c[k].tid, NULL), 0);
        ck_assert_int_eq(c[k].rc, RC_OK);
    }

    ck_assert_int_eq(c[0].n + c[1].n, N_JOBS);
    for (k = 0; k < 2; k++) {
        for (i = 0; i < c[k].n; i++) {
            ck_assert_int_ge(c[k].ids[i], ids[1]);
            ck_assert_int_le(c[k].ids[i], ids[N_JOBS]);
            seen[c[k].ids[i] - ids[1] + 1]++;
        }
    }
    for (i = 1; i <= N_JOBS; i++) {
        ck_assert_int_eq(seen[i], 1);
    }
}
END_TEST

START_TEST(test_lease_expiry)
{
    struct store_entry  e;
    struct store_job    j;
    int64_t             id, tok1, tok2;
    char                h[65];

    id = insert("c1", 1, "doc", T0);
    ck_assert_int_eq(store_claim(st, T0, 1000, 3, &j), RC_OK);
    tok1 = j.token;
    store_job_free(&j);

    ck_assert_int_eq(store_claim(st, T0 + 500, 1000, 3, &j), RC_NOTFOUND);
    ck_assert_int_eq(store_claim(st, T0 + 1500, 1000, 3, &j), RC_OK);
    ck_assert_int_eq(j.id, id);
    ck_assert_int_eq(j.attempts, 2);
    ck_assert_int_ne(j.token, tok1);
    ck_assert_mem_eq(j.content, "CONTENT", 7);
    tok2 = j.token;
    store_job_free(&j);

    /* Renewing keeps the job ours past the old lease end. */
    ck_assert_int_eq(store_renew(st, id, tok1, T0 + 9000), RC_NOTFOUND);
    ck_assert_int_eq(store_renew(st, id, tok2, T0 + 9000), RC_OK);
    ck_assert_int_eq(store_claim(st, T0 + 5000, 1000, 3, &j), RC_NOTFOUND);

    ck_assert_int_eq(store_complete(st, id, tok1, "STALE", T0 + 5000),
                     RC_NOTFOUND);
    ck_assert_int_eq(store_fail(st, id, tok1, "OCR_FAILURE", T0 + 5000),
                     RC_NOTFOUND);
    ck_assert_int_eq(store_complete(st, id, tok2, "RESULT", T0 + 5000),
                     RC_OK);
    /* Ended: the token is spent too. */
    ck_assert_int_eq(store_complete(st, id, tok2, "AGAIN", T0 + 5000),
                     RC_NOTFOUND);

    ck_assert_int_eq(store_lookup(st, "c1", sha(1, h), "doc", T0 + 5000,
                                  TOUCH_MS, &e), RC_OK);
    ck_assert_int_eq(e.state, STORE_DONE);
    ck_assert_str_eq(e.result, "RESULT");
    ck_assert_ptr_null(e.error_code);
    store_entry_free(&e);
}
END_TEST

START_TEST(test_exhausted)
{
    struct store_sweep_stats  ss;
    struct store_job          j;
    int64_t                   id;
    char                     *code;

    id = insert("c1", 1, "doc", T0);
    ck_assert_int_eq(store_claim(st, T0, 1000, 2, &j), RC_OK);
    store_job_free(&j);
    ck_assert_int_eq(store_claim(st, T0 + 1500, 1000, 2, &j), RC_OK);
    ck_assert_int_eq(j.attempts, 2);
    store_job_free(&j);

    /* Lease over at max_attempts: not claimed again, swept instead. */
    ck_assert_int_eq(store_claim(st, T0 + 3000, 1000, 2, &j), RC_NOTFOUND);
    ck_assert_int_eq(store_sweep(st, T0 + 2000, 2, 3600000, 86400000, &ss),
                     RC_OK);
    ck_assert_int_eq(ss.exhausted, 0);
    ck_assert_int_eq(store_sweep(st, T0 + 3000, 2, 3600000, 86400000, &ss),
                     RC_OK);
    ck_assert_int_eq(ss.exhausted, 1);
    ck_assert_int_eq(ss.timed_out, 0);
    ck_assert_int_eq(ss.expired, 0);

    ck_assert_int_eq(state_of("c1", 1, "doc", &code), STORE_FAILED);
    ck_assert_str_eq(code, "PROCESSING_ERROR");
    free(code);
    ck_assert_int_eq(raw_int("SELECT content IS NULL AND wrapped_key IS NULL"
                             " FROM entries WHERE id = ?1", id), 1);
}
END_TEST

START_TEST(test_timeout)
{
    struct store_sweep_stats  ss;
    struct store_job          j;
    int64_t                   id1, tok1;
    char                     *code;

    /* 3: done before the sweep, left alone. */
    insert("c1", 3, "doc", T0 - 2);
    ck_assert_int_eq(store_claim(st, T0, 600000, 3, &j), RC_OK);
    ck_assert_int_eq(store_complete(st, j.id, j.token, "R", T0), RC_OK);
    store_job_free(&j);

    /* 1: running, too old; 2: queued, too old; 4: young. */
    id1 = insert("c1", 1, "doc", T0);
    insert("c1", 2, "doc", T0 + 1);
    insert("c1", 4, "doc", T0 + 10000);
    ck_assert_int_eq(store_claim(st, T0, 600000, 3, &j), RC_OK);
    ck_assert_int_eq(j.id, id1);
    tok1 = j.token;
    store_job_free(&j);

    ck_assert_int_eq(store_sweep(st, T0 + 5002, 3, 5000, 86400000, &ss),
                     RC_OK);
    ck_assert_int_eq(ss.timed_out, 2);
    ck_assert_int_eq(ss.exhausted, 0);
    ck_assert_int_eq(ss.expired, 0);

    ck_assert_int_eq(state_of("c1", 1, "doc", &code), STORE_FAILED);
    ck_assert_str_eq(code, "PROCESSING_TIMEOUT");
    free(code);
    ck_assert_int_eq(state_of("c1", 2, "doc", &code), STORE_FAILED);
    ck_assert_str_eq(code, "PROCESSING_TIMEOUT");
    free(code);
    ck_assert_int_eq(state_of("c1", 3, "doc", NULL), STORE_DONE);
    ck_assert_int_eq(state_of("c1", 4, "doc", NULL), STORE_QUEUED);
    ck_assert_int_eq(raw_int("SELECT content IS NULL FROM entries"
                             " WHERE id = ?1", id1), 1);

    /* The worker still holding job 1 cannot overwrite the timeout. */
    ck_assert_int_eq(store_complete(st, id1, tok1, "LATE", T0 + 6000),
                     RC_NOTFOUND);
}
END_TEST

START_TEST(test_expiry)
{
    struct store_sweep_stats  ss;
    struct store_entry        e;
    char                      h[65];

    insert("c1", 1, "doc", T0);
    insert("c1", 2, "doc", T0);
    insert("c1", 3, "doc", T0 + 50000);
    /* A poll keeps entry 2 alive. */
    ck_assert_int_eq(store_lookup(st, "c1", sha(2, h), "doc", T0 + 70000,
                                  TOUCH_MS, &e), RC_OK);
    store_entry_free(&e);

    ck_assert_int_eq(store_sweep(st, T0 + 100001, 3, 0, 100000, &ss),
                     RC_OK);
    ck_assert_int_eq(ss.expired, 1);
    ck_assert_int_eq(ss.timed_out, 0);
    ck_assert_int_eq(store_lookup(st, "c1", sha(1, h), "doc", T0, TOUCH_MS,
                                  &e), RC_NOTFOUND);
    ck_assert_int_eq(state_of("c1", 2, "doc", NULL), STORE_QUEUED);
    ck_assert_int_eq(state_of("c1", 3, "doc", NULL), STORE_QUEUED);
}
END_TEST

START_TEST(test_complete_drops_content)
{
    const char        *q = "SELECT content IS NULL AND wrapped_key IS NULL"
                           " AND lease_until IS NULL FROM entries"
                           " WHERE id = ?1";
    struct store_job   j;
    int64_t            a, b;
    char              *code;

    a = insert("c1", 1, "doc", T0);
    b = insert("c1", 2, "doc", T0 + 1);
    ck_assert_int_eq(raw_int(q, a), 0);

    ck_assert_int_eq(store_claim(st, T0, 1000, 3, &j), RC_OK);
    ck_assert_int_eq(store_complete(st, j.id, j.token, "R", T0 + 1), RC_OK);
    store_job_free(&j);
    ck_assert_int_eq(raw_int(q, a), 1);

    ck_assert_int_eq(store_claim(st, T0, 1000, 3, &j), RC_OK);
    ck_assert_int_eq(store_fail(st, j.id, j.token, "OCR_FAILURE", T0 + 1),
                     RC_OK);
    store_job_free(&j);
    ck_assert_int_eq(raw_int(q, b), 1);
    ck_assert_int_eq(state_of("c1", 2, "doc", &code), STORE_FAILED);
    ck_assert_str_eq(code, "OCR_FAILURE");
    free(code);
}
END_TEST

START_TEST(test_clear)
{
    int64_t  n;
    int      deleted;
    char     h[65];

    insert("c1", 1, "doc", T0);
    insert("c1", 1, "form", T0);
    insert("c1", 2, "doc", T0);
    insert("c2", 1, "doc", T0);

    ck_assert_int_eq(store_clear(st, "c1", sha(1, h), "doc", &deleted),
                     RC_OK);
    ck_assert_int_eq(deleted, 1);
    ck_assert_int_eq(state_of("c1", 1, "form", NULL), STORE_QUEUED);
    ck_assert_int_eq(store_clear(st, "c1", sha(1, h), "doc", &deleted),
                     RC_OK);
    ck_assert_int_eq(deleted, 0);

    ck_assert_int_eq(store_clear(st, "c1", NULL, NULL, &deleted), RC_OK);
    ck_assert_int_eq(deleted, 2);
    ck_assert_int_eq(state_of("c2", 1, "doc", NULL), STORE_QUEUED);
    ck_assert_int_eq(store_count(st, STORE_QUEUED, &n), RC_OK);
    ck_assert_int_eq(n, 1);
}
END_TEST

START_TEST(test_count)
{
    struct store_job  j;
    int64_t           n;
    int               i;

    for (i = 1; i <= 4; i++) {
        insert("c1", i, "doc", T0 + i);
    }
    ck_assert_int_eq(store_claim(st, T0, 1000, 3, &j), RC_OK);
    ck_assert_int_eq(store_complete(st, j.id, j.token, "R", T0), RC_OK);
    store_job_free(&j);
    ck_assert_int_eq(store_claim(st, T0, 1000, 3, &j), RC_OK);
    store_job_free(&j);

    ck_assert_int_eq(store_count(st, STORE_QUEUED, &n), RC_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(store_count(st, STORE_RUNNING, &n), RC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(store_count(st, STORE_DONE, &n), RC_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(store_count(st, STORE_FAILED, &n), RC_OK);
    ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_busy)
{
    struct store  *quick;
    sqlite3       *db;
    char           h[65];
    int64_t        id;

    /* Another connection holds the write lock past our busy timeout. */
    ck_assert_int_eq(sqlite3_open(tdb, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(store_open(tdb, 50, &quick), RC_OK);
    ck_assert_int_eq(store_insert(quick, "c1", sha(1, h), "doc", NULL, 0,
                                  NULL, 0, T0, &id), RC_BUSY);
    ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(store_insert(quick, "c1", sha(1, h), "doc", NULL, 0,
                                  NULL, 0, T0, &id), RC_OK);
    store_close(quick);
    sqlite3_close(db);
}
END_TEST

/* ---- administration --------------------------------------------------- */

/* A string result of one query on a separate raw connection to path. */
static void
raw_text(const char *path, const char *sql, char *out, size_t len)
{
    sqlite3       *db;
    sqlite3_stmt  *s;

    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    snprintf(out, len, "%s", (const char *) sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* Run sql on a raw read-write connection to path. */
static void
raw_exec(const char *path, const char *sql)
{
    sqlite3  *db;

    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Insert n jobs with size bytes of content each, numbered from first. */
static void
insert_big(struct store *to, int first, int n, size_t size)
{
    unsigned char  *content;
    char            h[65];
    int             i;

    content = calloc(1, size);
    ck_assert_ptr_nonnull(content);
    for (i = first; i < first + n; i++) {
        ck_assert_int_eq(store_insert(to, "big", sha(i, h), "doc", content,
                                      size, (const unsigned char *) "K", 1,
                                      T0 + i, NULL), RC_OK);
    }
    free(content);
}

START_TEST(test_oldest_and_size)
{
    struct store_job  j;
    int64_t           t, before, after;

    ck_assert_int_eq(store_oldest(st, STORE_QUEUED, &t), RC_NOTFOUND);
    ck_assert_int_eq(store_oldest(st, STORE_RUNNING, &t), RC_NOTFOUND);
    insert("c1", 1, "doc", T0 + 50);
    insert("c1", 2, "doc", T0 + 30);
    insert("c1", 3, "doc", T0 + 40);
    ck_assert_int_eq(store_oldest(st, STORE_QUEUED, &t), RC_OK);
    ck_assert_int_eq(t, T0 + 30);

    /* the claim takes the oldest; the queue's oldest moves on */
    ck_assert_int_eq(store_claim(st, T0 + 100, 1000, 3, &j), RC_OK);
    store_job_free(&j);
    ck_assert_int_eq(store_oldest(st, STORE_RUNNING, &t), RC_OK);
    ck_assert_int_eq(t, T0 + 30);
    ck_assert_int_eq(store_oldest(st, STORE_QUEUED, &t), RC_OK);
    ck_assert_int_eq(t, T0 + 40);

    ck_assert_int_eq(store_size(st, &before), RC_OK);
    ck_assert_int_eq(before, raw_int("SELECT page_count * page_size"
                                     " FROM pragma_page_count,"
                                     " pragma_page_size", 0));
    insert_big(st, 100, 20, 8192);
    ck_assert_int_eq(store_size(st, &after), RC_OK);
    ck_assert_int_ge(after, before + 20 * 8192);
}
END_TEST

START_TEST(test_writable)
{
    struct store  *quick;
    sqlite3       *db;
    int64_t        n;

    ck_assert_int_eq(store_writable(st), RC_OK);
    ck_assert_int_eq(store_writable(st), RC_OK);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM entries", 0), 0);

    /* another connection holds the write lock past the busy timeout */
    ck_assert_int_eq(sqlite3_open(tdb, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(store_open(tdb, 50, &quick), RC_OK);
    ck_assert_int_eq(store_writable(quick), RC_BUSY);
    ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(store_writable(quick), RC_OK);
    /* and the connection is left usable, outside a transaction */
    insert("c1", 1, "doc", T0);
    ck_assert_int_eq(store_count(quick, STORE_QUEUED, &n), RC_OK);
    ck_assert_int_eq(n, 1);
    store_close(quick);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_schema_target)
{
    char   dir[600], p[700];
    FILE  *f;
    int    v;

    ck_assert_int_eq(store_schema_target(tsql, &v), RC_OK);
    ck_assert_int_eq(v, store_schema_version(st));

    snprintf(dir, sizeof(dir), "%s/mig", tdir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(store_schema_target(dir, &v), RC_OK);
    ck_assert_int_eq(v, 0);
    snprintf(p, sizeof(p), "%s/007_b.sql", dir);
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/003_a.sql", dir);
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    snprintf(p, sizeof(p), "%s/notes.txt", dir);
    f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(store_schema_target(dir, &v), RC_OK);
    ck_assert_int_eq(v, 7);
    rm_tree(dir);

    ck_assert_int_eq(store_schema_target(dir, &v), RC_STORE);
}
END_TEST

START_TEST(test_integrity)
{
    char   bk[400], junk[400], err[256];
    FILE  *f;
    int    v;

    ck_assert_int_eq(store_integrity(st, err, sizeof(err)), RC_OK);

    /* a file that is no database; a file that is not there */
    snprintf(junk, sizeof(junk), "%s/junk.db", tdir);
    f = fopen(junk, "w");
    ck_assert_ptr_nonnull(f);
    fputs("this is not an SQLite database, just some text in a file\n", f);
    fclose(f);
    ck_assert_int_eq(store_check_file(junk, &v, err, sizeof(err)),
                     RC_BADINPUT);
    ck_assert_msg(strstr(err, "not a database") != NULL, "err: %s", err);
    snprintf(bk, sizeof(bk), "%s/missing.db", tdir);
    ck_assert_int_eq(store_check_file(bk, &v, err, sizeof(err)), RC_STORE);
    ck_assert_int_eq(access(bk, F_OK), -1);     /* not created */
}
END_TEST

/* Overwrite len bytes at off of path with a pattern. */
static void
scribble(const char *path, long off, size_t len)
{
    FILE  *f;
    char   junk[4096];

    ck_assert_uint_le(len, sizeof(junk));
    memset(junk, 0x5a, len);
    f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
    ck_assert_uint_eq(fwrite(junk, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_integrity_damage)
{
    char  bk[400], err[256];
    int   v;
    rc_t  rc;

    /* enough rows for the table and its indexes to span many pages */
    insert_big(st, 1, 200, 600);
    snprintf(bk, sizeof(bk), "%s/bk.db", tdir);
    ck_assert_int_eq(store_backup(st, bk), RC_OK);
    ck_assert_int_eq(store_check_file(bk, &v, err, sizeof(err)), RC_OK);
    ck_assert_int_eq(v, 1);

    /* the cell area of an index page in the middle of the file */
    scribble(bk, 4096L * 10 + 2048, 1024);
    scribble(bk, 4096L * 20 + 2048, 1024);
    rc = store_check_file(bk, &v, err, sizeof(err));
    ck_assert_msg(rc == RC_BADINPUT, "rc %d err %s", rc, err);
    ck_assert_msg(err[0] != '\0', "no complaint");
}
END_TEST

START_TEST(test_backup_restore)
{
    struct stat   sb;
    sqlite3      *other;
    char          bk[400], tmp[420], mode[16], err[256];
    char          h[65];
    int           v, deleted;

    insert("c1", 1, "doc", T0);
    insert("c1", 2, "doc", T0 + 1);
    snprintf(bk, sizeof(bk), "%s/bk.db", tdir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", bk);
    ck_assert_int_eq(store_backup(st, bk), RC_OK);

    /* one file, mode 0600, out of WAL, no leftovers */
    ck_assert_int_eq(stat(bk, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    raw_text(bk, "PRAGMA journal_mode", mode, sizeof(mode));
    ck_assert_str_eq(mode, "delete");
    ck_assert_int_eq(store_check_file(bk, &v, err, sizeof(err)), RC_OK);

    /* a second backup replaces the first */
    insert("c1", 3, "doc", T0 + 2);
    ck_assert_int_eq(store_backup(st, bk), RC_OK);

    /* the live database moves on */
    ck_assert_int_eq(store_clear(st, "c1", sha(1, h), NULL, &deleted), RC_OK);
    insert("c2", 9, "doc", T0 + 3);

    /* refused while another connection has the database open */
    ck_assert_int_eq(sqlite3_open(tdb, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "SELECT count(*) FROM entries",
                                  NULL, NULL, NULL), SQLITE_OK);
    ck_assert_int_eq(store_restore(st, bk, 1, err, sizeof(err)), RC_BUSY);
    ck_assert_msg(strstr(err, "in use") != NULL, "err: %s", err);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM entries", 0), 3);
    sqlite3_close(other);

    ck_assert_int_eq(store_restore(st, bk, 1, err, sizeof(err)), RC_OK);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM entries", 0), 3);
    ck_assert_int_eq(raw_int("SELECT count(*) FROM entries"
                             " WHERE client_id = 'c2'", 0), 0);
    ck_assert_int_eq(state_of("c1", 1, "doc", NULL), STORE_QUEUED);
    raw_text(tdb, "PRAGMA journal_mode", mode, sizeof(mode));
    ck_assert_str_eq(mode, "wal");
    /* st goes on working on the restored data */
    insert("c2", 9, "doc", T0 + 4);
    ck_assert_int_eq(store_schema_version(st), 1);
}
END_TEST

START_TEST(test_restore_refuses)
{
    char  bk[400], junk[400], err[256];
    FILE *f;

    insert("c1", 1, "doc", T0);
    snprintf(bk, sizeof(bk), "%s/bk.db", tdir);
    ck_assert_int_eq(store_backup(st, bk), RC_OK);

    /* from a newer schema than this build knows */
    raw_exec(bk, "PRAGMA user_version = 99");
    ck_assert_int_eq(store_restore(st, bk, 1, err, sizeof(err)),
                     RC_BADINPUT);
    ck_assert_msg(strstr(err, "99") != NULL, "err: %s", err);

    snprintf(junk, sizeof(junk), "%s/junk.db", tdir);
    f = fopen(junk, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not a database at all, not even close to one, really\n", f);
    fclose(f);
    ck_assert_int_eq(store_restore(st, junk, 1, err, sizeof(err)),
                     RC_BADINPUT);

    /* nothing changed, and still in WAL mode */
    ck_assert_int_eq(raw_int("SELECT count(*) FROM entries", 0), 1);
    raw_text(tdb, "PRAGMA journal_mode", junk, sizeof(junk));
    ck_assert_str_eq(junk, "wal");
}
END_TEST

START_TEST(test_backup_bad_path)
{
    char  bk[400];

    snprintf(bk, sizeof(bk), "%s/no/such/dir/bk.db", tdir);
    ck_assert_int_eq(store_backup(st, bk), RC_STORE);
    ck_assert_int_eq(store_writable(st), RC_OK);    /* snapshot let go */
}
END_TEST

struct writer {
    volatile int  stop;
    int           inserted;
};

/* Insert rows on a connection of its own until told to stop. */
static void *
writer_run(void *arg)
{
    struct writer  *w = arg;
    struct store   *mine;

    if (store_open(tdb, BUSY_MS, &mine) != RC_OK) {
        return NULL;
    }
    while (!w->stop) {
        insert_big(mine, 100000 + w->inserted, 1, 2000);
        w->inserted++;
    }
    store_close(mine);
    return NULL;
}

/*
 * A backup while another connection writes all the time: it finishes
 * (the snapshot keeps it from restarting), is whole, and holds every
 * row that existed when it began.
 */
START_TEST(test_backup_under_writes)
{
    struct writer  w;
    pthread_t      tid;
    sqlite3       *db;
    sqlite3_stmt  *s;
    char           bk[400], err[256];
    int64_t        before, in_backup;
    int            v;

    insert_big(st, 1, 3000, 3000);     /* ~10 MB: many backup steps */
    memset(&w, 0, sizeof(w));
    ck_assert_int_eq(pthread_create(&tid, NULL, writer_run, &w), 0);
    while (w.inserted < 20) {
        usleep(1000);
    }
    before = raw_int("SELECT count(*) FROM entries", 0);
    snprintf(bk, sizeof(bk), "%s/bk.db", tdir);
    ck_assert_int_eq(store_backup(st, bk), RC_OK);
    w.stop = 1;
    ck_assert_int_eq(pthread_join(tid, NULL), 0);

    ck_assert_int_eq(store_check_file(bk, &v, err, sizeof(err)), RC_OK);
    ck_assert_int_eq(sqlite3_open_v2(bk, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM entries",
                                        -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    in_backup = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    ck_assert_msg(in_backup >= before, "backup %lld rows, %lld before",
                  (long long) in_backup, (long long) before);
    ck_assert_int_le(in_backup, raw_int("SELECT count(*) FROM entries", 0));
}
END_TEST

static Suite *
store_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("store");
    tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_migrate_version);
    tcase_add_test(tc, test_migrate_bad_file);
    tcase_add_test(tc, test_migrate_fork);
    tcase_add_test(tc, test_insert_lookup);
    tcase_add_test(tc, test_insert_duplicate);
    tcase_add_test(tc, test_lookup_touch);
    tcase_add_test(tc, test_claim_order);
    tcase_add_test(tc, test_claim_concurrent);
    tcase_add_test(tc, test_lease_expiry);
    tcase_add_test(tc, test_exhausted);
    tcase_add_test(tc, test_timeout);
    tcase_add_test(tc, test_expiry);
    tcase_add_test(tc, test_complete_drops_content);
    tcase_add_test(tc, test_clear);
    tcase_add_test(tc, test_count);
    tcase_add_test(tc, test_busy);
    suite_add_tcase(s, tc);

    tc = tcase_create("admin");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_oldest_and_size);
    tcase_add_test(tc, test_writable);
    tcase_add_test(tc, test_schema_target);
    tcase_add_test(tc, test_integrity);
    tcase_add_test(tc, test_integrity_damage);
    tcase_add_test(tc, test_backup_restore);
    tcase_add_test(tc, test_restore_refuses);
    tcase_add_test(tc, test_backup_bad_path);
    tcase_add_test(tc, test_backup_under_writes);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner  *sr;
    int       failed;

    (void) log_open(NULL, getenv("DS_LOG_DEBUG") != NULL ? LOG_DEBUG : LOG_ERR);
    sr = srunner_create(store_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
