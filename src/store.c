/*
 * store.c - the job store on SQLite: migrations from sql/, prepared
 * statements, a lease-based queue.
 *
 * One struct store owns one connection, opened SQLITE_OPEN_NOMUTEX: the
 * header promises one thread at a time per struct store, so the
 * per-connection mutex would only cost. Statements are prepared on first
 * use (the schema may not exist before store_migrate) and kept until
 * store_close. Every statement is reset and its bindings cleared before
 * the function using it returns, so no caller pointer outlives the call.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "clock.h"
#include "errcode.h"
#define LOG_MODULE "store"
#include "log.h"
#include "store.h"

#define STORE_SQLITE_MIN    3037000     /* STRICT; RETURNING is 3.35 */
#define STORE_SQL_FILE_MAX  (1024 * 1024)
#define STORE_WAL_RETRY_MS  10
#define STORE_COPY_PAGES    256         /* per backup step: 1 MiB at 4 KiB */
#define STORE_COPY_RETRY_MS 10

enum store_sql {
    SQL_BEGIN = 0,
    SQL_COMMIT,
    SQL_ROLLBACK,
    SQL_VERSION,
    SQL_LOOKUP,
    SQL_TOUCH,
    SQL_INSERT,
    SQL_CLAIM,
    SQL_RENEW,
    SQL_COMPLETE,
    SQL_FAIL,
    SQL_EXHAUSTED,
    SQL_TIMED_OUT,
    SQL_EXPIRE,
    SQL_CLEAR,
    SQL_COUNT,
    SQL_OLDEST,
    SQL_PAGE_COUNT,
    SQL_PAGE_SIZE,
    SQL_RECENT,
    SQL_N
};

static const char *const store_sqls[SQL_N] = {
    [SQL_BEGIN] = "BEGIN IMMEDIATE",
    [SQL_COMMIT] = "COMMIT",
    [SQL_ROLLBACK] = "ROLLBACK",
    [SQL_VERSION] = "PRAGMA user_version",

    [SQL_LOOKUP] =
        "SELECT id, state, error_code, result, accessed_at FROM entries"
        " WHERE client_id = ?1 AND sha256 = ?2 AND type = ?3",

    [SQL_TOUCH] =
        "UPDATE entries SET accessed_at = ?2"
        " WHERE id = ?1 AND accessed_at < ?2",

    [SQL_INSERT] =
        "INSERT INTO entries (client_id, sha256, type, state, content,"
        " wrapped_key, created_at, updated_at, accessed_at)"
        " VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?6, ?6)",

    /*
     * One statement, so one write transaction: its write lock is taken
     * before the subqueries read, which makes the pick and the update
     * atomic across connections and processes. Expired leases go first:
     * they have waited longest. Queued rows have lease_until NULL, which
     * lets entries_claim deliver them in created_at, id order.
     */
    [SQL_CLAIM] =
        "UPDATE entries SET state = 1, attempts = attempts + 1,"
        " token = ?3, lease_until = ?1 + ?2, updated_at = ?1"
        " WHERE id = coalesce("
        "  (SELECT id FROM entries"
        "    WHERE state = 1 AND lease_until < ?1 AND attempts < ?4"
        "    ORDER BY lease_until LIMIT 1),"
        "  (SELECT id FROM entries"
        "    WHERE state = 0 AND lease_until IS NULL"
        "    ORDER BY created_at, id LIMIT 1))"
        " RETURNING id, token, attempts, created_at, client_id, sha256,"
        " type, content, wrapped_key",

    [SQL_RENEW] =
        "UPDATE entries SET lease_until = ?3"
        " WHERE id = ?1 AND token = ?2 AND state = 1",

    [SQL_COMPLETE] =
        "UPDATE entries SET state = 2, result = ?3, error_code = NULL,"
        " content = NULL, wrapped_key = NULL, lease_until = NULL,"
        " updated_at = ?4"
        " WHERE id = ?1 AND token = ?2 AND state = 1",

    [SQL_FAIL] =
        "UPDATE entries SET state = 3, error_code = ?3, result = NULL,"
        " content = NULL, wrapped_key = NULL, lease_until = NULL,"
        " updated_at = ?4"
        " WHERE id = ?1 AND token = ?2 AND state = 1",

    [SQL_EXHAUSTED] =
        "UPDATE entries SET state = 3, error_code = ?3,"
        " content = NULL, wrapped_key = NULL, lease_until = NULL,"
        " updated_at = ?1"
        " WHERE state = 1 AND lease_until < ?1 AND attempts >= ?2",

    [SQL_TIMED_OUT] =
        "UPDATE entries SET state = 3, error_code = ?3,"
        " content = NULL, wrapped_key = NULL, lease_until = NULL,"
        " updated_at = ?1"
        " WHERE created_at < ?2"
        " AND ((state = 0 AND lease_until IS NULL) OR state = 1)",

    [SQL_EXPIRE] = "DELETE FROM entries WHERE accessed_at < ?1",

    /* NULL for sha256 or type: any */
    [SQL_CLEAR] = "DELETE FROM entries WHERE client_id = ?1"
        " AND (?2 IS NULL OR sha256 = ?2) AND (?3 IS NULL OR type = ?3)",

    [SQL_COUNT] = "SELECT count(*) FROM entries WHERE state = ?1",

    /* NULL when the state has no entry */
    [SQL_OLDEST] = "SELECT min(created_at) FROM entries WHERE state = ?1",
    [SQL_PAGE_COUNT] = "PRAGMA page_count",
    [SQL_PAGE_SIZE] = "PRAGMA page_size",

    /*
     * The unique index leads with client_id, so this reads the client's
     * rows only.
     * XXX: all of them, not just the recent ones; an index on
     * (client_id, created_at) would read only those (a migration).
     */
    [SQL_RECENT] = "SELECT count(*) FROM entries"
        " WHERE client_id = ?1 AND created_at >= ?2"
};

struct store {
    sqlite3       *db;
    sqlite3_stmt  *stmt[SQL_N];
    int            busy_ms;         /* the busy timeout it was opened with */
};

/*
 * Map an SQLite result code to an rc and log it. The message names the
 * statement and SQLite's text; SQLite does not put bound values in its
 * messages, so no content reaches the log.
 */
static rc_t
store_err(struct store *st, int src, const char *what)
{
    int  primary;

    primary = src & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        log_warn("%s: database busy (%d)", what, src);
        return RC_BUSY;
    }
    if (primary == SQLITE_NOMEM) {
        log_err("%s: out of memory", what);
        return RC_NOMEM;
    }
    log_err("%s: \"%s\" (%d)", what, sqlite3_errmsg(st->db), src);
    return RC_STORE;
}

/* The cached statement for id, prepared on first use. */
static rc_t
store_stmt(struct store *st, enum store_sql id, sqlite3_stmt **out)
{
    int  src;

    *out = NULL;
    if (st->stmt[id] == NULL) {
        src = sqlite3_prepare_v3(st->db, store_sqls[id], -1,
                                 SQLITE_PREPARE_PERSISTENT, &st->stmt[id],
                                 NULL);
        if (src != SQLITE_OK) {
            return store_err(st, src, "prepare");
        }
    }
    *out = st->stmt[id];
    return RC_OK;
}

/* Make s ready for its next use and drop pointers to caller memory. */
static void
store_reset(sqlite3_stmt *s)
{
    if (s == NULL) {
        return;
    }
    /* Both return the last step's error, which the caller has seen. */
    (void) sqlite3_reset(s);
    (void) sqlite3_clear_bindings(s);
}

/* Run a statement that returns no rows; *changes gets the row count. */
static rc_t
store_run(struct store *st, sqlite3_stmt *s, const char *what,
    int *changes)
{
    int   src;
    rc_t  rc;

    src = sqlite3_step(s);
    if (src != SQLITE_DONE) {
        rc = store_err(st, src, what);
        store_reset(s);
        return rc;
    }
    if (changes != NULL) {
        *changes = sqlite3_changes(st->db);
    }
    store_reset(s);
    return RC_OK;
}

/* Run one of the bodiless statements: BEGIN, COMMIT, ROLLBACK. */
static rc_t
store_simple(struct store *st, enum store_sql id)
{
    sqlite3_stmt  *s;
    rc_t           rc;

    rc = store_stmt(st, id, &s);
    if (rc != RC_OK) {
        return rc;
    }
    return store_run(st, s, store_sqls[id], NULL);
}

static void
store_rollback(struct store *st)
{
    if (sqlite3_get_autocommit(st->db)) {
        return;
    }
    if (store_simple(st, SQL_ROLLBACK) != RC_OK) {
        log_err("rollback failed");
    }
}

static rc_t
store_bind_err(struct store *st, sqlite3_stmt *s, const char *what)
{
    rc_t  rc;

    rc = store_err(st, sqlite3_errcode(st->db), what);
    store_reset(s);
    return rc;
}

/* A malloc'd copy of a text column, or NULL when the column is NULL. */
static rc_t
store_col_text(sqlite3_stmt *s, int col, char **out)
{
    const unsigned char  *p;

    *out = NULL;
    p = sqlite3_column_text(s, col);
    if (p == NULL) {
        return sqlite3_column_type(s, col) == SQLITE_NULL ? RC_OK
                                                          : RC_NOMEM;
    }
    *out = strdup((const char *) p);
    return *out != NULL ? RC_OK : RC_NOMEM;
}

/* A malloc'd copy of a blob column; NULL and 0 when NULL or empty. */
static rc_t
store_col_blob(sqlite3_stmt *s, int col, unsigned char **out,
    size_t *len)
{
    const void  *p;
    int          n;

    *out = NULL;
    *len = 0;
    p = sqlite3_column_blob(s, col);
    n = sqlite3_column_bytes(s, col);
    if (n <= 0) {
        return RC_OK;
    }
    if (p == NULL) {
        return RC_NOMEM;
    }
    *out = malloc((size_t) n);
    if (*out == NULL) {
        return RC_NOMEM;
    }
    memcpy(*out, p, (size_t) n);
    *len = (size_t) n;
    return RC_OK;
}

/*
 * Run statement id (?1 = arg when it has a parameter) and read the one
 * integer of its one row. RC_NOTFOUND when that value is NULL.
 */
static rc_t
store_one_int(struct store *st, enum store_sql id, int64_t arg,
    int64_t *v)
{
    sqlite3_stmt  *s;
    int            src;
    rc_t           rc;

    *v = 0;
    rc = store_stmt(st, id, &s);
    if (rc != RC_OK) {
        return rc;
    }
    if (sqlite3_bind_parameter_count(s) > 0
        && sqlite3_bind_int64(s, 1, arg) != SQLITE_OK)
    {
        return store_bind_err(st, s, store_sqls[id]);
    }
    src = sqlite3_step(s);
    if (src != SQLITE_ROW) {
        rc = store_err(st, src, store_sqls[id]);
    } else if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
        rc = RC_NOTFOUND;
    } else {
        *v = sqlite3_column_int64(s, 0);
    }
    store_reset(s);
    return rc;
}

/* *v gets PRAGMA user_version. */
static rc_t
store_version(struct store *st, int *v)
{
    int64_t  n;
    rc_t     rc;

    rc = store_one_int(st, SQL_VERSION, 0, &n);
    *v = rc == RC_OK ? (int) n : -1;
    return rc;
}

/* ---- open, close ------------------------------------------------------ */

/*
 * Switch to WAL, which lets pollers read while a worker writes. The
 * pragma can meet SQLITE_BUSY without calling the busy handler when
 * another process opens or closes a new file at the same moment (seen
 * in test_migrate_fork), so it is retried until the busy timeout ends.
 */
static rc_t
store_wal(struct store *st, int busy_timeout_ms)
{
    sqlite3_stmt         *s;
    const unsigned char  *mode;
    int64_t               deadline;
    int                   src;

    src = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s,
                             NULL);
    if (src != SQLITE_OK) {
        return store_err(st, src, "journal_mode");
    }
    deadline = clock_mono_ms() + busy_timeout_ms;
    for (;;) {
        src = sqlite3_step(s);
        if ((src & 0xff) != SQLITE_BUSY || clock_mono_ms() >= deadline) {
            break;
        }
        (void) sqlite3_reset(s);
        (void) sqlite3_sleep(STORE_WAL_RETRY_MS);
    }
    if (src != SQLITE_ROW) {
        (void) sqlite3_finalize(s);
        return store_err(st, src, "journal_mode");
    }

    mode = sqlite3_column_text(s, 0);
    if (mode == NULL || strcmp((const char *) mode, "wal") != 0) {
        log_warn("journal mode is \"%s\", not wal",
                 mode != NULL ? (const char *) mode : "?");
    }
    (void) sqlite3_finalize(s);
    return RC_OK;
}

static rc_t
store_pragmas(struct store *st, int busy_timeout_ms)
{
    char  *msg;
    int    src;
    rc_t   rc;

    rc = store_wal(st, busy_timeout_ms);
    if (rc != RC_OK) {
        return rc;
    }

    /* NORMAL under WAL: a power cut may lose the last commits only. */
    msg = NULL;
    src = sqlite3_exec(st->db, "PRAGMA synchronous = NORMAL;"
                       " PRAGMA foreign_keys = ON;", NULL, NULL, &msg);
    if (src != SQLITE_OK) {
        log_err("pragmas: \"%s\"", msg != NULL ? msg : "?");
        sqlite3_free(msg);
        return store_err(st, src, "pragmas");
    }
    return RC_OK;
}

/*
 * Open (creating) the database at path. *out is the caller's, freed with
 * store_close; use it from one thread at a time. The schema is applied
 * separately by store_migrate. Returns RC_STORE (logged) on failure.
 */
rc_t
store_open(const char *path, int busy_timeout_ms, struct store **out)
{
    struct store  *st;
    int            src;
    rc_t           rc;

    *out = NULL;
    if (sqlite3_libversion_number() < STORE_SQLITE_MIN) {
        log_err("sqlite %s is too old: 3.37 or later needed",
                sqlite3_libversion());
        return RC_STORE;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return RC_NOMEM;
    }

    src = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE
                          | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        log_err("open \"%s\": \"%s\"", path,
                st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
        rc = RC_STORE;
        goto out;
    }

    /* Before any pragma: switching to WAL on a new file takes a lock. */
    st->busy_ms = busy_timeout_ms;
    (void) sqlite3_extended_result_codes(st->db, 1);
    (void) sqlite3_busy_timeout(st->db, busy_timeout_ms);
    rc = store_pragmas(st, busy_timeout_ms);
    if (rc != RC_OK) {
        goto out;
    }

    *out = st;
    st = NULL;

out:
    store_close(st);
    return rc;
}

/* Finalize the cached statements and close; st may be NULL. */
void
store_close(struct store *st)
{
    size_t  i;
    int     src;

    if (st == NULL) {
        return;
    }
    for (i = 0; i < SQL_N; i++) {
        /* finalize returns the last step's error, already handled. */
        (void) sqlite3_finalize(st->stmt[i]);
    }
    src = sqlite3_close(st->db);
    if (src != SQLITE_OK) {
        log_err("close: \"%s\" (%d)", sqlite3_errmsg(st->db), src);
    }
    free(st);
}

/* ---- migrations ------------------------------------------------------- */

/* The schema version (PRAGMA user_version), or -1 on error (logged). */
int
store_schema_version(struct store *st)
{
    int  v;

    if (store_version(st, &v) != RC_OK) {
        return -1;
    }
    return v;
}

/* scandir filter: NNN_*.sql */
static int
store_mig_name(const struct dirent *d)
{
    const char  *n;
    size_t       len;

    n = d->d_name;
    len = strlen(n);
    return len > 8
           && n[0] >= '0' && n[0] <= '9'
           && n[1] >= '0' && n[1] <= '9'
           && n[2] >= '0' && n[2] <= '9'
           && n[3] == '_'
           && strcmp(n + len - 4, ".sql") == 0;
}

static int
store_mig_num(const char *name)
{
    return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static rc_t
store_read_sql(const char *path, struct buf *b)
{
    FILE    *f;
    char     chunk[8192];
    size_t   n;
    rc_t     rc;

    f = fopen(path, "re");
    if (f == NULL) {
        log_err_errno("open \"%s\"", path);
        return RC_STORE;
    }
    rc = RC_OK;
    do {
        n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0) {
            rc = buf_append(b, chunk, n);
        }
    } while (rc == RC_OK && n == sizeof(chunk));

    if (rc == RC_OK && ferror(f)) {
        log_err_errno("read \"%s\"", path);
        rc = RC_STORE;
    } else if (rc != RC_OK) {
        log_err("\"%s\" is over %d bytes", path, STORE_SQL_FILE_MAX);
    }
    if (fclose(f) != 0 && rc == RC_OK) {
        rc = RC_STORE;
    }
    return rc;
}

/* Run file num's text and set user_version = num, in one transaction. */
static rc_t
store_mig_apply(struct store *st, const char *name, int num,
    const char *sql)
{
    char  *msg, pragma[64];
    int    src, v;
    rc_t   rc;

    msg = NULL;

    /* IMMEDIATE: a second process waits here, then sees our version. */
    rc = store_simple(st, SQL_BEGIN);
    if (rc != RC_OK) {
        return rc;
    }
    rc = store_version(st, &v);
    if (rc != RC_OK) {
        goto out;
    }
    if (v >= num) {
        log_info("migration \"%s\" applied meanwhile", name);
        goto out;
    }

    (void) snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                    num);
    src = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (src == SQLITE_OK) {
        src = sqlite3_exec(st->db, pragma, NULL, NULL, &msg);
    }
    if (src != SQLITE_OK) {
        log_err("migration \"%s\": \"%s\"", name, msg != NULL ? msg : "?");
        rc = (src & 0xff) == SQLITE_BUSY ? RC_BUSY : RC_STORE;
        goto out;
    }
    log_info("migration \"%s\" applied", name);

out:
    sqlite3_free(msg);
    if (rc == RC_OK) {
        rc = store_simple(st, SQL_COMMIT);
    }
    if (rc != RC_OK) {
        store_rollback(st);
    }
    return rc;
}

static rc_t
store_mig_file(struct store *st, const char *dir, const char *name,
    int num)
{
    struct buf  sql;
    char        path[4096];
    int         n;
    rc_t        rc;

    n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        log_err("migration path too long");
        return RC_BADINPUT;
    }
    buf_init(&sql, STORE_SQL_FILE_MAX);
    rc = store_read_sql(path, &sql);
    if (rc != RC_OK) {
        goto out;
    }
    rc = store_mig_apply(st, name, num, buf_cstr(&sql));

out:
    buf_free(&sql);
    return rc;
}

/*
 * Apply sql_dir's NNN_*.sql files above user_version, in number order,
 * each in its own BEGIN IMMEDIATE transaction. Safe against concurrent
 * callers in other processes. RC_STORE (logged with the file name) when
 * a file fails; the files before it stay applied.
 */
rc_t
store_migrate(struct store *st, const char *sql_dir)
{
    struct dirent  **list;
    int              n, i, num, prev, v;
    rc_t             rc;

    rc = store_version(st, &v);
    if (rc != RC_OK) {
        return rc;
    }
    n = scandir(sql_dir, &list, store_mig_name, alphasort);
    if (n < 0) {
        log_err_errno("migrations \"%s\"", sql_dir);
        return RC_STORE;
    }

    rc = RC_OK;
    prev = 0;
    for (i = 0; i < n && rc == RC_OK; i++) {
        num = store_mig_num(list[i]->d_name);
        if (num <= prev) {
            log_err("migration \"%s\": number 0 or used twice",
                    list[i]->d_name);
            rc = RC_STORE;
        } else if (num > v) {
            rc = store_mig_file(st, sql_dir, list[i]->d_name, num);
        }
        prev = num;
    }

    for (i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
    return rc;
}

/* ---- entries ---------------------------------------------------------- */

/* Frees the strings e holds, not e; e may be NULL. */
void
store_entry_free(struct store_entry *e)
{
    if (e == NULL) {
        return;
    }
    free(e->error_code);
    free(e->result);
    e->error_code = NULL;
    e->result = NULL;
}

/* Move accessed_at to now; a busy database only delays it (logged). */
static rc_t
store_touch(struct store *st, int64_t id, int64_t now)
{
    sqlite3_stmt  *s;
    rc_t           rc;

    rc = store_stmt(st, SQL_TOUCH, &s);
    if (rc != RC_OK) {
        return rc;
    }
    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK
        || sqlite3_bind_int64(s, 2, now) != SQLITE_OK)
    {
        return store_bind_err(st, s, "touch");
    }
    rc = store_run(st, s, "touch", NULL);
    return rc == RC_BUSY ? RC_OK : rc;
}

/*
 * Find an entry. out's strings are malloc'd, freed by store_entry_free
 * (also on error). RC_NOTFOUND when there is none.
 */
rc_t
store_lookup(struct store *st, const char *client_id,
    const char *sha256, const char *type, int64_t now, int64_t touch_ms,
    struct store_entry *out)
{
    sqlite3_stmt  *s;
    int64_t        accessed;
    int            src;
    rc_t           rc;

    memset(out, 0, sizeof(*out));
    accessed = 0;
    rc = store_stmt(st, SQL_LOOKUP, &s);
    if (rc != RC_OK) {
        return rc;
    }
    if (sqlite3_bind_text(s, 1, client_id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(s, 2, sha256, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC) != SQLITE_OK)
    {
        return store_bind_err(st, s, "lookup");
    }

    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        out->id = sqlite3_column_int64(s, 0);
        out->state = (enum store_state) sqlite3_column_int(s, 1);
        accessed = sqlite3_column_int64(s, 4);
        rc = store_col_text(s, 2, &out->error_code);
        if (rc == RC_OK) {
            rc = store_col_text(s, 3, &out->result);
        }
    } else {
        rc = src == SQLITE_DONE ? RC_NOTFOUND : store_err(st, src, "lookup");
    }
    /* Ends the read before the touch writes. */
    store_reset(s);

    if (rc == RC_OK && now - accessed >= touch_ms) {
        rc = store_touch(st, out->id, now);
    }
    if (rc != RC_OK) {
        store_entry_free(out);
    }
    return rc;
}

/*
 * Queue a job. The bytes are copied by SQLite. RC_EXISTS when the
 * (client_id, sha256, type) row exists, RC_BADINPUT when sha256 is not
 * 64 lowercase hex digits.
 */
rc_t
store_insert(struct store *st, const char *client_id,
    const char *sha256, const char *type, const unsigned char *content,
    size_t content_len, const unsigned char *wrapped_key,
    size_t wrapped_len, int64_t now, int64_t *id_out)
{
    sqlite3_stmt  *s;
    int            src;
    rc_t           rc;

    if ((content == NULL && content_len > 0)
        || (wrapped_key == NULL && wrapped_len > 0))
    {
        return RC_BADINPUT;
    }
    rc = store_stmt(st, SQL_INSERT, &s);
    if (rc != RC_OK) {
        return rc;
    }
    if (sqlite3_bind_text(s, 1, client_id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(s, 2, sha256, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_blob64(s, 4, content, content_len, SQLITE_STATIC)
           != SQLITE_OK
        || sqlite3_bind_blob64(s, 5, wrapped_key, wrapped_len,
                               SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(s, 6, now) != SQLITE_OK)
    {
        return store_bind_err(st, s, "insert");
    }

    src = sqlite3_step(s);
    if (src == SQLITE_CONSTRAINT_UNIQUE) {
        rc = RC_EXISTS;
    } else if (src == SQLITE_CONSTRAINT_CHECK) {
        log_warn("insert: bad sha256");
        rc = RC_BADINPUT;
    } else if (src != SQLITE_DONE) {
        rc = store_err(st, src, "insert");
    } else if (id_out != NULL) {
        *id_out = sqlite3_last_insert_rowid(st->db);
    }
    store_reset(s);
    return rc;
}

/* ---- jobs ------------------------------------------------------------- */

/* Frees what job holds, not job; job may be NULL. */
void
store_job_free(struct store_job *job)
{
    if (job == NULL) {
        return;
    }
    free(job->client_id);
    free(job->sha256);
    free(job->type);
    free(job->content);
    free(job->wrapped_key);
    memset(job, 0, sizeof(*job));
}

/* Copy the RETURNING row of SQL_CLAIM into job. */
static rc_t
store_claim_row(sqlite3_stmt *s, struct store_job *job)
{
    rc_t  rc;

    job->id = sqlite3_column_int64(s, 0);
    job->token = sqlite3_column_int64(s, 1);
    job->attempts = sqlite3_column_int(s, 2);
    job->created_at = sqlite3_column_int64(s, 3);

    rc = store_col_text(s, 4, &job->client_id);
    if (rc == RC_OK) {
        rc = store_col_text(s, 5, &job->sha256);
    }
    if (rc == RC_OK) {
        rc = store_col_text(s, 6, &job->type);
    }
    if (rc == RC_OK) {
        rc = store_col_blob(s, 7, &job->content, &job->content_len);
    }
    if (rc == RC_OK) {
        rc = store_col_blob(s, 8, &job->wrapped_key, &job->wrapped_len);
    }
    return rc;
}

/*
 * Claim the next job with a fresh random token and a lease to
 * now + lease_ms. out's members are malloc'd, freed by store_job_free
 * (also on error). RC_NOTFOUND when none is ready, RC_BUSY when another
 * connection held the write lock past the busy timeout.
 */
rc_t
store_claim(struct store *st, int64_t now, int64_t lease_ms,
    int max_attempts, struct store_job *out)
{
    sqlite3_stmt  *s;
    int64_t        token;
    int            src;
    rc_t           rc;

    memset(out, 0, sizeof(*out));
    rc = store_stmt(st, SQL_CLAIM, &s);
    if (rc != RC_OK) {
        return rc;
    }
    sqlite3_randomness(sizeof(token), &token);
    if (sqlite3_bind_int64(s, 1, now) != SQLITE_OK
        || sqlite3_bind_int64(s, 2, lease_ms) != SQLITE_OK
        || sqlite3_bind_int64(s, 3, token) != SQLITE_OK
        || sqlite3_bind_int(s, 4, max_attempts) != SQLITE_OK)
    {
        return store_bind_err(st, s, "claim");
    }

    src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        rc = RC_NOTFOUND;
        goto out;
    }
    if (src != SQLITE_ROW) {
        rc = store_err(st, src, "claim");
        goto out;
    }
    rc = store_claim_row(s, out);
    if (rc != RC_OK) {
        goto out;
    }

    /* The implicit transaction commits when the statement runs out. */
    src = sqlite3_step(s);
    if (src != SQLITE_DONE) {
        rc = store_err(st, src, "claim commit");
    }

out:
    store_reset(s);
    if (rc != RC_OK) {
        store_job_free(out);
    }
    return rc;
}

/* Run SQL_RENEW, _COMPLETE or _FAIL: ?1 id, ?2 token, ?3 text, ?4 now. */
static rc_t
store_finish(struct store *st, enum store_sql id, int64_t job_id,
    int64_t token, const char *text, int64_t now)
{
    sqlite3_stmt  *s;
    int            changes, src;
    rc_t           rc;

    rc = store_stmt(st, id, &s);
    if (rc != RC_OK) {
        return rc;
    }
    src = sqlite3_bind_int64(s, 1, job_id);
    if (src == SQLITE_OK) {
        src = sqlite3_bind_int64(s, 2, token);
    }
    if (src == SQLITE_OK && id == SQL_RENEW) {
        src = sqlite3_bind_int64(s, 3, now);
    } else if (src == SQLITE_OK) {
        src = sqlite3_bind_text(s, 3, text, -1, SQLITE_STATIC);
        if (src == SQLITE_OK) {
            src = sqlite3_bind_int64(s, 4, now);
        }
    }
    if (src != SQLITE_OK) {
        return store_bind_err(st, s, store_sqls[id]);
    }

    rc = store_run(st, s, id == SQL_RENEW ? "renew" : "finish", &changes);
    if (rc == RC_OK && changes == 0) {
        rc = RC_NOTFOUND;
    }
    return rc;
}

/* Move the lease of our claim to lease_until. */
rc_t
store_renew(struct store *st, int64_t id, int64_t token,
    int64_t lease_until)
{
    return store_finish(st, SQL_RENEW, id, token, NULL, lease_until);
}

/* Done with result_b64 (copied); content and wrapped key are dropped. */
rc_t
store_complete(struct store *st, int64_t id, int64_t token,
    const char *result_b64, int64_t now)
{
    if (result_b64 == NULL) {
        return RC_BADINPUT;
    }
    return store_finish(st, SQL_COMPLETE, id, token, result_b64, now);
}

/* Failed with the wire code (copied); content and key are dropped. */
rc_t
store_fail(struct store *st, int64_t id, int64_t token,
    const char *code, int64_t now)
{
    if (code == NULL) {
        return RC_BADINPUT;
    }
    return store_finish(st, SQL_FAIL, id, token, code, now);
}

/* ---- housekeeping ----------------------------------------------------- */

/* Run one sweep statement: ?1 a time, ?2 a number, ?3 a code or none. */
static rc_t
store_sweep_one(struct store *st, enum store_sql id, int64_t t,
    int64_t n, const char *code, int *changes)
{
    sqlite3_stmt  *s;
    int            src;
    rc_t           rc;

    rc = store_stmt(st, id, &s);
    if (rc != RC_OK) {
        return rc;
    }
    src = sqlite3_bind_int64(s, 1, t);
    if (src == SQLITE_OK && id != SQL_EXPIRE) {
        src = sqlite3_bind_int64(s, 2, n);
    }
    if (src == SQLITE_OK && code != NULL) {
        src = sqlite3_bind_text(s, 3, code, -1, SQLITE_STATIC);
    }
    if (src != SQLITE_OK) {
        return store_bind_err(st, s, "sweep");
    }
    return store_run(st, s, "sweep", changes);
}

/*
 * In one transaction: fail expired leases at max_attempts
 * (PROCESSING_ERROR), fail queued and running jobs created more than
 * timeout_ms ago (PROCESSING_TIMEOUT), delete entries not accessed for
 * expiry_ms. A timeout_ms or expiry_ms <= 0 skips that step. out may be
 * NULL.
 */
rc_t
store_sweep(struct store *st, int64_t now, int max_attempts,
    int64_t timeout_ms, int64_t expiry_ms, struct store_sweep_stats *out)
{
    struct store_sweep_stats  stats;
    rc_t                      rc;

    memset(&stats, 0, sizeof(stats));
    rc = store_simple(st, SQL_BEGIN);
    if (rc != RC_OK) {
        return rc;
    }

    rc = store_sweep_one(st, SQL_EXHAUSTED, now, max_attempts,
                         ds_err_name(DS_PROCESSING_ERROR), &stats.exhausted);
    if (rc == RC_OK && timeout_ms > 0) {
        rc = store_sweep_one(st, SQL_TIMED_OUT, now, now - timeout_ms,
                             ds_err_name(DS_PROCESSING_TIMEOUT),
                             &stats.timed_out);
    }
    if (rc == RC_OK && expiry_ms > 0) {
        rc = store_sweep_one(st, SQL_EXPIRE, now - expiry_ms, 0, NULL,
                             &stats.expired);
    }
    if (rc == RC_OK) {
        rc = store_simple(st, SQL_COMMIT);
    }
    store_rollback(st);

    if (rc == RC_OK && out != NULL) {
        *out = stats;
    }
    return rc;
}

/* Delete one entry or, when sha256 or type is NULL, all of a client's. */
rc_t
store_clear(struct store *st, const char *client_id,
    const char *sha256, const char *type, int *deleted)
{
    sqlite3_stmt  *s;
    int            src;
    rc_t           rc;

    *deleted = 0;
    if (client_id == NULL) {
        return RC_BADINPUT;
    }
    rc = store_stmt(st, SQL_CLEAR, &s);
    if (rc != RC_OK) {
        return rc;
    }
    src = sqlite3_bind_text(s, 1, client_id, -1, SQLITE_STATIC);
    if (src == SQLITE_OK) {
        src = sha256 != NULL
              ? sqlite3_bind_text(s, 2, sha256, -1, SQLITE_STATIC)
              : sqlite3_bind_null(s, 2);
    }
    if (src == SQLITE_OK) {
        src = type != NULL ? sqlite3_bind_text(s, 3, type, -1, SQLITE_STATIC)
                           : sqlite3_bind_null(s, 3);
    }
    if (src != SQLITE_OK) {
        return store_bind_err(st, s, "clear");
    }
    return store_run(st, s, "clear", deleted);
}

/* *n gets the number of entries in state. */
rc_t
store_count(struct store *st, enum store_state state, int64_t *n)
{
    return store_one_int(st, SQL_COUNT, (int64_t) state, n);
}

/* *n gets the number of client_id's entries created at since or later. */
rc_t
store_count_recent(struct store *st, const char *client_id, int64_t since,
    int64_t *n)
{
    sqlite3_stmt  *s;
    int            src;
    rc_t           rc;

    *n = 0;
    rc = store_stmt(st, SQL_RECENT, &s);
    if (rc != RC_OK) {
        return rc;
    }
    if (sqlite3_bind_text(s, 1, client_id, -1, SQLITE_STATIC) != SQLITE_OK
        || sqlite3_bind_int64(s, 2, since) != SQLITE_OK)
    {
        return store_bind_err(st, s, "count recent");
    }
    src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *n = sqlite3_column_int64(s, 0);
    } else {
        rc = store_err(st, src, "count recent");
    }
    store_reset(s);
    return rc;
}

/* ---- administration --------------------------------------------------- */

/* Pages in use and free times the page size. */
rc_t
store_size(struct store *st, int64_t *bytes)
{
    int64_t  pages, size;
    rc_t     rc;

    *bytes = 0;
    rc = store_one_int(st, SQL_PAGE_COUNT, 0, &pages);
    if (rc == RC_OK) {
        rc = store_one_int(st, SQL_PAGE_SIZE, 0, &size);
    }
    if (rc == RC_OK) {
        *bytes = pages * size;
    }
    return rc;
}

/* The smallest created_at in state; RC_NOTFOUND when the state is empty. */
rc_t
store_oldest(struct store *st, enum store_state state, int64_t *created_at)
{
    return store_one_int(st, SQL_OLDEST, (int64_t) state, created_at);
}

/* Take the write lock and give it back at once: nothing is written. */
rc_t
store_writable(struct store *st)
{
    rc_t  rc;

    rc = store_simple(st, SQL_BEGIN);
    if (rc != RC_OK) {
        return rc;
    }
    return store_simple(st, SQL_ROLLBACK);
}

/*
 * The highest NNN of sql_dir's NNN_*.sql files (0 when there is none):
 * the schema version store_migrate brings a database to.
 */
rc_t
store_schema_target(const char *sql_dir, int *version)
{
    struct dirent  **list;
    int              n, i, num;

    *version = 0;
    n = scandir(sql_dir, &list, store_mig_name, alphasort);
    if (n < 0) {
        log_err_errno("migrations \"%s\"", sql_dir);
        return RC_STORE;
    }
    for (i = 0; i < n; i++) {
        num = store_mig_num(list[i]->d_name);
        if (num > *version) {
            *version = num;
        }
        free(list[i]);
    }
    free(list);
    return RC_OK;
}

/* The rc for a failed check: damage is the file's fault, not ours. */
static rc_t
store_check_rc(int src)
{
    switch (src & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return RC_BADINPUT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return RC_BUSY;
    case SQLITE_NOMEM:
        return RC_NOMEM;
    default:
        return RC_STORE;
    }
}

/*
 * PRAGMA integrity_check on db's main database. RC_OK when it answers
 * "ok"; RC_BADINPUT with its first complaint in err when it finds
 * damage (or the file is no database); RC_BUSY, RC_STORE with SQLite's
 * text when it cannot run.
 */
static rc_t
store_check_db(sqlite3 *db, char *err, size_t errlen)
{
    sqlite3_stmt         *s = NULL;
    const unsigned char  *msg;
    int                   src;
    rc_t                  rc = RC_OK;

    src = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(s);
    }
    if (src != SQLITE_ROW) {
        (void) snprintf(err, errlen, "%s", sqlite3_errmsg(db));
        rc = store_check_rc(src);
        goto out;
    }
    msg = sqlite3_column_text(s, 0);
    if (msg == NULL || strcmp((const char *) msg, "ok") != 0) {
        (void) snprintf(err, errlen, "%s",
                        msg != NULL ? (const char *) msg : "no answer");
        rc = RC_BADINPUT;
    }

out:
    (void) sqlite3_finalize(s);
    return rc;
}

/* PRAGMA integrity_check of st's database (a read: blocks no writer). */
rc_t
store_integrity(struct store *st, char *err, size_t errlen)
{
    err[0] = '\0';
    return store_check_db(st->db, err, errlen);
}

/* Open path read-only, never creating it; err says why not. */
static rc_t
store_open_ro(const char *path, sqlite3 **out, char *err, size_t errlen)
{
    int  src;

    src = sqlite3_open_v2(path, out, SQLITE_OPEN_READONLY
                          | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        (void) snprintf(err, errlen, "cannot open: %s",
                        *out != NULL ? sqlite3_errmsg(*out)
                                     : "out of memory");
        (void) sqlite3_close(*out);
        *out = NULL;
        return RC_STORE;
    }
    (void) sqlite3_extended_result_codes(*out, 1);
    return RC_OK;
}

/* *v gets db's PRAGMA user_version. */
static rc_t
store_db_version(sqlite3 *db, int *v, char *err, size_t errlen)
{
    sqlite3_stmt  *s = NULL;
    int            src;

    *v = -1;
    src = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(s);
    }
    if (src == SQLITE_ROW) {
        *v = sqlite3_column_int(s, 0);
    } else {
        (void) snprintf(err, errlen, "user_version: %s", sqlite3_errmsg(db));
    }
    (void) sqlite3_finalize(s);
    return src == SQLITE_ROW ? RC_OK : store_check_rc(src);
}

/* Open path read-only, check its integrity and read its version. */
static rc_t
store_open_checked(const char *path, sqlite3 **db, int *version, char *err,
    size_t errlen)
{
    rc_t  rc;

    *version = -1;
    err[0] = '\0';
    rc = store_open_ro(path, db, err, errlen);
    if (rc != RC_OK) {
        return rc;
    }
    rc = store_check_db(*db, err, errlen);
    if (rc == RC_OK) {
        rc = store_db_version(*db, version, err, errlen);
    }
    if (rc != RC_OK) {
        (void) sqlite3_close(*db);
        *db = NULL;
    }
    return rc;
}

/* Check a database file without changing it (opened read-only). */
rc_t
store_check_file(const char *path, int *version, char *err, size_t errlen)
{
    sqlite3  *db = NULL;
    rc_t      rc;

    rc = store_open_checked(path, &db, version, err, errlen);
    (void) sqlite3_close(db);
    return rc;
}

/*
 * Copy from's main database over to's with the backup API, in steps of
 * STORE_COPY_PAGES. A step that meets a lock waits a little and tries
 * again, until busy_ms pass without progress. Whatever was in to is
 * replaced.
 */
static rc_t
store_copy(sqlite3 *from, sqlite3 *to, int busy_ms)
{
    sqlite3_backup  *bk;
    int64_t          deadline;
    int              src, fsrc;

    bk = sqlite3_backup_init(to, "main", from, "main");
    if (bk == NULL) {
        log_err("backup init: \"%s\"", sqlite3_errmsg(to));
        return RC_STORE;
    }

    deadline = clock_mono_ms() + busy_ms;
    do {
        src = sqlite3_backup_step(bk, STORE_COPY_PAGES);
        if (src == SQLITE_OK) {
            deadline = clock_mono_ms() + busy_ms;
        } else if (((src & 0xff) == SQLITE_BUSY
                    || (src & 0xff) == SQLITE_LOCKED)
                   && clock_mono_ms() < deadline)
        {
            (void) sqlite3_sleep(STORE_COPY_RETRY_MS);
            src = SQLITE_OK;
        }
    } while (src == SQLITE_OK);

    /* finish repeats a step's error, which src holds already */
    fsrc = sqlite3_backup_finish(bk);
    if (src != SQLITE_DONE) {
        log_err("backup step: \"%s\" (%d)", sqlite3_errstr(src), src);
        return store_check_rc(src) == RC_BUSY ? RC_BUSY : RC_STORE;
    }
    if (fsrc != SQLITE_OK) {
        log_err("backup finish: \"%s\" (%d)", sqlite3_errmsg(to), fsrc);
        return RC_STORE;
    }
    return RC_OK;
}

/*
 * Hold one read snapshot of st's database: BEGIN, then a read. In WAL
 * mode a reader blocks no writer, and while the snapshot is held the
 * backup sees no change, so it never restarts (a backup step outside a
 * transaction starts over whenever another connection has written).
 */
static rc_t
store_snapshot(struct store *st)
{
    char  *msg = NULL;
    int    src;

    src = sqlite3_exec(st->db, "BEGIN; SELECT count(*) FROM sqlite_schema",
                       NULL, NULL, &msg);
    if (src != SQLITE_OK) {
        log_err("snapshot: \"%s\"", msg != NULL ? msg : "?");
        sqlite3_free(msg);
        store_rollback(st);
        return store_check_rc(src) == RC_BUSY ? RC_BUSY : RC_STORE;
    }
    return RC_OK;
}

/* The finished copy as one self-contained file: out of WAL, closed. */
static rc_t
store_copy_close(sqlite3 *to)
{
    char  *msg = NULL;
    int    src;
    rc_t   rc = RC_OK;

    /* the copied header says WAL, as the source's does */
    src = sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL,
                       &msg);
    if (src != SQLITE_OK) {
        log_err("backup journal_mode: \"%s\"", msg != NULL ? msg : "?");
        sqlite3_free(msg);
        rc = RC_STORE;
    }
    src = sqlite3_close(to);
    if (src != SQLITE_OK) {
        log_err("backup close: (%d)", src);
        rc = RC_STORE;
    }
    return rc;
}

/* An empty file for the copy, mode 0600 as the private key's; SQLite
 * gives its journal the same mode. */
static rc_t
store_copy_create(const char *path)
{
    int  fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_err_errno("backup: create \"%s\"", path);
        return RC_STORE;
    }
    if (close(fd) != 0) {
        log_err_errno("backup: close \"%s\"", path);
        (void) unlink(path);
        return RC_STORE;
    }
    return RC_OK;
}

/*
 * Online backup into path.tmp, renamed over path once whole. Other
 * connections and processes keep reading and writing meanwhile.
 */
rc_t
store_backup(struct store *st, const char *path)
{
    sqlite3  *to = NULL;
    char      tmp[4096];
    int       n, src;
    rc_t      rc;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t) n >= sizeof(tmp)) {
        return RC_BADINPUT;
    }
    /* one left by an interrupted run is stale */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        log_err_errno("backup: remove \"%s\"", tmp);
        return RC_STORE;
    }
    rc = store_copy_create(tmp);
    if (rc != RC_OK) {
        return rc;
    }
    src = sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE
                          | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src != SQLITE_OK) {
        log_err("backup: open \"%s\": \"%s\"", tmp,
                to != NULL ? sqlite3_errmsg(to) : "out of memory");
        rc = RC_STORE;
        goto out;
    }

    rc = store_snapshot(st);
    if (rc != RC_OK) {
        goto out;
    }
    rc = store_copy(st->db, to, st->busy_ms);
    store_rollback(st);
    if (rc != RC_OK) {
        goto out;
    }

    rc = store_copy_close(to);
    to = NULL;
    if (rc == RC_OK && rename(tmp, path) != 0) {
        log_err_errno("backup: rename to \"%s\"", path);
        rc = RC_STORE;
    }

out:
    (void) sqlite3_close(to);
    if (rc != RC_OK) {
        (void) unlink(tmp);
    }
    return rc;
}

/*
 * Leave WAL mode. SQLite allows it only when no other connection has
 * the database open: the proof that no server process is using it.
 */
static rc_t
store_leave_wal(struct store *st, char *err, size_t errlen)
{
    sqlite3_stmt         *s = NULL;
    const unsigned char  *mode = NULL;
    int                   src;
    rc_t                  rc = RC_OK;

    src = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = DELETE", -1,
                             &s, NULL);
    if (src == SQLITE_OK) {
        src = sqlite3_step(s);
    }
    if (src == SQLITE_ROW) {
        mode = sqlite3_column_text(s, 0);
    }
    if (mode == NULL || strcmp((const char *) mode, "delete") != 0) {
        rc = src == SQLITE_ROW ? RC_BUSY : store_check_rc(src);
        (void) snprintf(err, errlen, "%s",
                        rc == RC_BUSY ? "the database is in use by another"
                        " process (stop the service first)"
                        : sqlite3_errmsg(st->db));
    }
    (void) sqlite3_finalize(s);
    return rc;
}

/*
 * Replace st's database with the file at path: checked first, copied
 * only when no other connection has the database open.
 */
rc_t
store_restore(struct store *st, const char *path, int max_version,
    char *err, size_t errlen)
{
    sqlite3  *from = NULL;
    int       version;
    rc_t      rc, wal;

    rc = store_open_checked(path, &from, &version, err, errlen);
    if (rc != RC_OK) {
        return rc;
    }
    if (version > max_version) {
        (void) snprintf(err, errlen, "schema version %d is newer than %d",
                        version, max_version);
        rc = RC_BADINPUT;
        goto out;
    }
    rc = store_leave_wal(st, err, errlen);
    if (rc != RC_OK) {
        goto out;
    }

    rc = store_copy(from, st->db, st->busy_ms);
    if (rc != RC_OK) {
        (void) snprintf(err, errlen, "copy failed (%s)", rc_str(rc));
    }
    /* back to WAL whether or not the copy went through */
    wal = store_wal(st, st->busy_ms);
    if (rc == RC_OK && wal != RC_OK) {
        (void) snprintf(err, errlen, "cannot switch back to WAL");
        rc = wal;
    }

out:
    (void) sqlite3_close(from);
    return rc;
}
