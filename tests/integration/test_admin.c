/*
 * test_admin.c - operating the service, against the MAIN stack that
 * tests/run starts (MAIN_URL, MAIN_DIR, ...; LLM_DIR, when there, for
 * the endpoint check): GET /ready, docusnap-fcgi as a plain CGI program,
 * and docusnapctl's check, stats, purge, backup and restore. The backup
 * is taken while a thread submits a stream of jobs through nginx, and
 * must hold every job that had completed when it began.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "client.h"
#include "clock.h"
#include "jsonx.h"
#include "../unit/testutil.h"

#define LOAD_PAD        (256 * 1024)    /* bytes of tEXt per job's image */
#define LOAD_PAUSE_US   30000           /* under the stack's 50 r/s */

static struct itc  main_stack;
static int         have_main;
static char        tdir[] = "/tmp/docusnap-admin.XXXXXX";
static char        build[512];
static char        main_ini[600];
static char        main_db[600];

#define NEED(flag) do { if (!(flag)) return; } while (0)

/* ---- helpers ---------------------------------------------------------- */

/* A path in the scratch folder; sixteen in turn stay valid. */
static const char *
tpath(const char *name)
{
    static char  p[16][700];
    static int   k;

    k = (k + 1) % 16;
    snprintf(p[k], sizeof(p[k]), "%s/%s", tdir, name);
    return p[k];
}

static void
write_text(const char *path, const char *text)
{
    FILE  *f;

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

/* A file's text (caller frees); "" when it is empty. */
static char *
read_text(const char *path)
{
    unsigned char  *p;
    size_t          n;

    p = test_read_file(path, &n);
    ck_assert_msg(p != NULL, "cannot read %s", path);
    return (char *) p;
}

/* docusnapctl -c ini ARGS; its exit status, stdout and stderr in *out. */
static int
ctl(const char *ini, const char *args, char **out)
{
    const char  *o = tpath("ctl.out");
    int          st;

    st = itc_sh("OMP_THREAD_LIMIT=1 '%s/tools/docusnapctl' -c '%s' %s "
                ">'%s' 2>&1", build, ini, args, o);
    *out = read_text(o);
    return st;
}

/* A config beside the MAIN stack's keys, with extra lines appended. */
static const char *
side_ini(const char *name, const char *db, const char *key,
    const char *extra)
{
    const char  *path = tpath(name);
    char         text[4096];

    snprintf(text, sizeof(text),
             "[paths]\ndatabase = %s\nprivate_key = %s\n"
             "public_key = %s/keys/public_key.pem\nsql_dir = %s/sql\n"
             "prompts_dir = %s/prompts\n[log]\nfile =\n%s", db, key,
             main_stack.dir, test_srcdir(), test_srcdir(), extra);
    write_text(path, text);
    return path;
}

/* One integer from one query on a read-only connection to path. */
static int64_t
db_int(const char *path, const char *sql)
{
    sqlite3       *db;
    sqlite3_stmt  *s;
    int64_t        v;

    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    (void) sqlite3_busy_timeout(db, 5000);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* ---- GET /ready -------------------------------------------------------- */

/* The reply's checks: every one of names true, or false when it is in
 * failing. */
static void
assert_checks(const struct itc_reply *r, const char *failing)
{
    static const char *const  names[] = { "database", "ocr", "extractor",
                                          "private_key" };
    json_object              *checks, *v;
    size_t                    i;
    int                       want;

    ck_assert_msg(json_object_object_get_ex(r->json, "checks", &checks),
                  "no checks: %s", r->body);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        want = failing == NULL || strcmp(failing, names[i]) != 0;
        ck_assert_msg(json_object_object_get_ex(checks, names[i], &v)
                      && json_object_get_boolean(v) == want,
                      "%s: %s", names[i], r->body);
    }
}

START_TEST(test_ready)
{
    struct itc_reply  r;
    json_object      *v;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/ready", NULL, NULL,
                                 0, &r), 0);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert(json_object_object_get_ex(r.json, "ready", &v));
    ck_assert(json_object_get_boolean(v));
    ck_assert(!json_object_object_get_ex(r.json, "failing", &v));
    assert_checks(&r, NULL);
    itc_reply_free(&r);

    ck_assert_int_eq(itc_request(&main_stack, "HEAD", "/ready", NULL, NULL,
                                 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    itc_reply_free(&r);
    ck_assert_int_eq(itc_request(&main_stack, "POST", "/ready",
                                 "application/json", "{}", 2, &r), 0);
    ck_assert_int_eq(r.status, 405);
    itc_reply_free(&r);
}
END_TEST

/* With the write lock held elsewhere (past the stack's 300 ms busy
 * timeout), the database check fails and only it. */
START_TEST(test_ready_database_locked)
{
    struct itc_reply  r;
    json_object      *v;
    sqlite3          *db;

    NEED(have_main);
    ck_assert_int_eq(sqlite3_open(main_db, &db), SQLITE_OK);
    (void) sqlite3_busy_timeout(db, 5000);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/ready", NULL, NULL,
                                 0, &r), 0);
    ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    ck_assert_msg(r.status == 503, "%ld %s", r.status, r.body);
    ck_assert(json_object_object_get_ex(r.json, "ready", &v));
    ck_assert(!json_object_get_boolean(v));
    ck_assert(json_object_object_get_ex(r.json, "failing", &v));
    ck_assert_int_eq(json_object_array_length(v), 1);
    ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)),
                     "database");
    assert_checks(&r, "database");
    itc_reply_free(&r);

    ck_assert_int_eq(itc_request(&main_stack, "GET", "/ready", NULL, NULL,
                                 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    itc_reply_free(&r);
}
END_TEST

/* ---- CGI mode ---------------------------------------------------------- */

/*
 * Run docusnap-fcgi as a web server runs a CGI program: env holds the
 * CGI variables (shell words), body goes to stdin (NULL: /dev/null).
 * Returns its exit status; its stdout in *out.
 */
static int
cgi_run(const char *env, const char *body, char **out)
{
    const char  *in = tpath("cgi.in"), *o = tpath("cgi.out");
    int          st;

    write_text(in, body != NULL ? body : "");
    st = itc_sh("cd / && env -i OMP_THREAD_LIMIT=1 GATEWAY_INTERFACE=CGI/1.1"
                " SERVER_PROTOCOL=HTTP/1.1 %s timeout 20 "
                "'%s/fcgi/docusnap-fcgi' -c '%s' <'%s' >'%s' 2>'%s'", env,
                build, main_ini, body != NULL ? in : "/dev/null", o,
                tpath("cgi.err"));
    *out = read_text(o);
    return st;
}

/* The JSON after the CGI headers; json_object_put it. */
static json_object *
cgi_json(const char *out)
{
    const char  *b;

    b = strstr(out, "\r\n\r\n");
    ck_assert_msg(b != NULL, "no end of headers: %s", out);
    return jsonx_parse(b + 4, strlen(b + 4), 16);
}

START_TEST(test_cgi_get)
{
    json_object  *o, *v;
    const char   *s;
    char         *out;

    NEED(have_main);
    /* nginx + fcgiwrap: DOCUMENT_URI */
    ck_assert_int_eq(cgi_run("REQUEST_METHOD=GET SCRIPT_NAME=/api/v1/"
                             "check_status DOCUMENT_URI=/api/v1/check_status",
                             NULL, &out), 0);
    ck_assert_msg(strncmp(out, "Status: 200", 11) == 0, "out: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "Content-Type: application/json"));
    o = cgi_json(out);
    ck_assert_int_eq(jsonx_string(o, "server_status", &s), JSONX_OK);
    ck_assert_str_eq(s, "ok");
    json_object_put(o);
    free(out);

    /* Apache: the script at the prefix, the route in PATH_INFO */
    ck_assert_int_eq(cgi_run("REQUEST_METHOD=GET SCRIPT_NAME=/api/v1 "
                             "PATH_INFO=/ready", NULL, &out), 0);
    ck_assert_msg(strncmp(out, "Status: 200", 11) == 0, "out: %s", out);
    o = cgi_json(out);
    ck_assert(json_object_object_get_ex(o, "ready", &v));
    ck_assert(json_object_get_boolean(v));
    json_object_put(o);
    free(out);

    ck_assert_int_eq(cgi_run("REQUEST_METHOD=GET DOCUMENT_URI=/api/v1/nope",
                             NULL, &out), 0);
    ck_assert_msg(strncmp(out, "Status: 404", 11) == 0, "out: %s", out);
    free(out);
}
END_TEST

START_TEST(test_cgi_post_poll)
{
    json_object  *o;
    const char   *s;
    char          body[256], env[512], *out;
    int           n;

    NEED(have_main);
    n = snprintf(body, sizeof(body), "{\"client_id\":\"cgi-%d\",\"type\":"
                 "\"doc\",\"SHA256\":\"%064d\",\"has_content\":false}",
                 (int) getpid(), 7);
    snprintf(env, sizeof(env), "REQUEST_METHOD=POST DOCUMENT_URI=/api/v1/"
             "process CONTENT_TYPE=application/json CONTENT_LENGTH=%d", n);
    ck_assert_int_eq(cgi_run(env, body, &out), 0);
    ck_assert_msg(strncmp(out, "Status: 400", 11) == 0, "out: %s", out);
    o = cgi_json(out);
    ck_assert_int_eq(jsonx_string(o, "error_detail", &s), JSONX_OK);
    ck_assert_str_eq(s, "TASK_NOT_FOUND");
    json_object_put(o);
    free(out);
}
END_TEST

/*
 * A server need not close stdin after CONTENT_LENGTH bytes: the program
 * must answer without waiting for end of file. The body comes through
 * a FIFO whose writer stays open 15 s; the answer must come at once.
 */
START_TEST(test_cgi_stdin_left_open)
{
    const char  *fifo = tpath("fifo"), *in = tpath("cgi.in");
    char         body[256], *out;
    int64_t      t0;
    int          n, st;

    NEED(have_main);
    n = snprintf(body, sizeof(body), "{\"client_id\":\"cgi-%d\",\"type\":"
                 "\"doc\",\"SHA256\":\"%064d\",\"has_content\":false}",
                 (int) getpid(), 8);
    write_text(in, body);
    ck_assert_int_eq(itc_sh("rm -f '%s' && mkfifo '%s'", fifo, fifo), 0);
    t0 = clock_mono_ms();
    st = itc_sh("(cat '%s'; exec sleep 15) >'%s' & w=$!; "
                "env -i OMP_THREAD_LIMIT=1 REQUEST_METHOD=POST "
                "DOCUMENT_URI=/api/v1/process CONTENT_TYPE=application/json "
                "CONTENT_LENGTH=%d timeout 10 '%s/fcgi/docusnap-fcgi' -c '%s' "
                "<'%s' >'%s' 2>/dev/null; st=$?; kill $w; exit $st", in, fifo,
                n, build, main_ini, fifo, tpath("cgi.out"));
    ck_assert_int_eq(st, 0);
    ck_assert_int_lt(clock_mono_ms() - t0, 5000);
    out = read_text(tpath("cgi.out"));
    ck_assert_ptr_nonnull(strstr(out, "TASK_NOT_FOUND"));
    free(out);
}
END_TEST

/* Neither a FastCGI socket nor a CGI request: a clear refusal. */
START_TEST(test_cgi_not_a_request)
{
    char  *err;
    int    st;

    NEED(have_main);
    st = itc_sh("env -i OMP_THREAD_LIMIT=1 timeout 20 "
                "'%s/fcgi/docusnap-fcgi' -c '%s' </dev/null >/dev/null "
                "2>'%s'", build, main_ini, tpath("cgi.err"));
    ck_assert_int_eq(st, 1);
    err = read_text(tpath("cgi.err"));
    ck_assert_msg(strstr(err, "not started by a web server") != NULL,
                  "stderr: %s", err);
    free(err);
}
END_TEST

/* ---- docusnapctl check, stats, purge ---------------------------------- */

/* Lines of out that start with "ok " / "FAIL ". */
static void
count_lines(const char *out, int *ok, int *fail)
{
    const char  *p;

    *ok = *fail = 0;
    for (p = out; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        p += *p == '\n';
        *ok += strncmp(p, "ok ", 3) == 0;
        *fail += strncmp(p, "FAIL ", 5) == 0;
    }
}

START_TEST(test_ctl_check)
{
    const char  *ini;
    char         key[700], *out;
    int          ok, fail;

    NEED(have_main);
    ck_assert_int_eq(ctl(main_ini, "check", &out), 0);
    count_lines(out, &ok, &fail);
    ck_assert_msg(ok == 6 && fail == 0, "out: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "integrity ok"));
    ck_assert_ptr_nonnull(strstr(out, "extractor: builtin"));
    free(out);

    /* a key that group and others can read */
    snprintf(key, sizeof(key), "%s", tpath("key.pem"));
    ck_assert_int_eq(itc_sh("cp '%s/keys/private_key.pem' '%s' && chmod 644 "
                            "'%s'", main_stack.dir, key, key), 0);
    ini = side_ini("badkey.ini", main_db, key, "");
    ck_assert_int_eq(ctl(ini, "check", &out), 1);
    count_lines(out, &ok, &fail);
    ck_assert_msg(fail == 1 && strstr(out, "FAIL private key") != NULL
                  && strstr(out, "0644") != NULL, "out: %s", out);
    free(out);

    /* no database: reported, not created */
    ini = side_ini("nodb.ini", tpath("none.db"), key, "");
    ck_assert_int_eq(ctl(ini, "check", &out), 1);
    ck_assert_msg(strstr(out, "FAIL database") != NULL, "out: %s", out);
    ck_assert_int_eq(access(tpath("none.db"), F_OK), -1);
    free(out);

    /* a model endpoint nobody listens at */
    snprintf(key, sizeof(key), "%s/keys/private_key.pem", main_stack.dir);
    ini = side_ini("nollm.ini", main_db, key, "[extractor]\nname = openai\n"
                   "base_url = http://127.0.0.1:9/v1\nmodel = m\n"
                   "timeout_ms = 2000\n");
    ck_assert_int_eq(ctl(ini, "check", &out), 1);
    count_lines(out, &ok, &fail);
    ck_assert_msg(fail == 1 && strstr(out, "FAIL extractor") != NULL
                  && strstr(out, "unreachable") != NULL, "out: %s", out);
    free(out);

    /* a config that does not load */
    ini = side_ini("bad.ini", main_db, key, "[nosuchsection]\nx = 1\n");
    ck_assert_int_eq(ctl(ini, "check", &out), 1);
    ck_assert_msg(strncmp(out, "FAIL config:", 12) == 0, "out: %s", out);
    free(out);
}
END_TEST

/* The openai extractor against the stand-in: the endpoint answers. */
START_TEST(test_ctl_check_llm)
{
    const char  *dir = getenv("LLM_DIR");
    char         ini[600], *out;

    NEED(have_main && dir != NULL && dir[0] != '\0');
    snprintf(ini, sizeof(ini), "%s/docusnap.ini", dir);
    ck_assert_int_eq(ctl(ini, "check", &out), 0);
    ck_assert_msg(strstr(out, "ok   extractor: openai") != NULL
                  && strstr(out, "answers (HTTP") != NULL, "out: %s", out);
    free(out);
}
END_TEST

/* The number after "name " in out, or -1. */
static long long
out_value(const char *out, const char *name)
{
    const char  *p;
    size_t       n = strlen(name);

    for (p = out; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            return strtoll(p + n + 1, NULL, 10);
        }
    }
    return -1;
}

START_TEST(test_ctl_stats_purge)
{
    char  *out;

    NEED(have_main);
    ck_assert_int_eq(ctl(main_ini, "stats", &out), 0);
    ck_assert_msg(out_value(out, "queued") >= 0
                  && out_value(out, "done") >= 0
                  && out_value(out, "database_bytes") > 0
                  && strstr(out, "oldest_queued_seconds ") != NULL
                  && strstr(out, "oldest_running_seconds ") != NULL,
                  "out: %s", out);
    free(out);
    ck_assert_int_eq(ctl(main_ini, "purge", &out), 0);
    ck_assert_msg(out_value(out, "expired") >= 0
                  && out_value(out, "timed_out") >= 0
                  && out_value(out, "exhausted") >= 0, "out: %s", out);
    free(out);
}
END_TEST

/* ---- backup under load, restore ---------------------------------------- */

/*
 * A 1x1 grey PNG (quick to read) carrying pad bytes of tEXt, so each
 * queued job holds a few hundred KB in the database and the backup
 * takes many steps. Caller frees.
 */
static unsigned char *
padded_png(size_t pad, size_t *len)
{
    static const unsigned char  head[] = {      /* signature, IHDR */
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00,
        0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a, 0x7e, 0x9b, 0x55 };
    static const unsigned char  tail[] = {      /* IDAT, IEND */
        0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63,
        0xf8, 0x0f, 0x00, 0x01, 0x01, 0x01, 0x00, 0xb1, 0x38, 0xf6, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60,
        0x82 };
    unsigned char              *p, *t;

    *len = sizeof(head) + 12 + 8 + pad + sizeof(tail);
    p = malloc(*len);
    ck_assert_ptr_nonnull(p);
    memcpy(p, head, sizeof(head));
    t = p + sizeof(head);
    itc_put_be32(t, 8 + pad);
    memcpy(t + 4, "tEXtComment", 12);           /* keyword and its NUL */
    memset(t + 16, 'x', pad);
    itc_put_be32(t + 16 + pad, itc_crc32(t + 4, 4 + 8 + pad));
    memcpy(t + 20 + pad, tail, sizeof(tail));
    return p;
}

struct load {
    struct itc   *c;
    char         *inner;
    atomic_int    stop;
    atomic_int    sent;             /* accepted: 202 */
    atomic_int    limited;          /* nginx's 429 */
    atomic_int    failed;           /* anything else */
};

/* Submit jobs, each under a new client_id, until told to stop. No Check
 * asserts here: they belong to the test's own thread. */
static void *
load_run(void *arg)
{
    struct load      *l = arg;
    struct envelope   env;
    struct itc_reply  r;
    char              id[64];
    int               n = 0;

    while (!atomic_load(&l->stop)) {
        memset(&env, 0, sizeof(env));
        snprintf(id, sizeof(id), "admin-load-%d-%d", (int) getpid(), n++);
        if (itc_submit(l->c, id, "doc", l->inner, NULL, &env, &r) != 0) {
            atomic_fetch_add(&l->failed, 1);
        } else if (r.status == 202) {
            atomic_fetch_add(&l->sent, 1);
        } else if (r.status == 429) {
            atomic_fetch_add(&l->limited, 1);
        } else {
            atomic_fetch_add(&l->failed, 1);
        }
        itc_reply_free(&r);
        envelope_free(&env);
        usleep(LOAD_PAUSE_US);
    }
    return NULL;
}

/* Wait until cond_sql (a count) reaches n on the MAIN database. */
static void
wait_count(const char *sql, int64_t n, int timeout_s)
{
    int64_t  end = clock_mono_ms() + timeout_s * 1000LL;

    while (db_int(main_db, sql) < n) {
        ck_assert_msg(clock_mono_ms() < end, "timed out: %s < %lld", sql,
                      (long long) n);
        usleep(50000);
    }
}

struct done_set {
    int64_t  *ids;
    char    **results;
    size_t    n;
};

/* Every done entry of the MAIN database now, read-only. */
static void
done_read(struct done_set *d)
{
    sqlite3       *db;
    sqlite3_stmt  *s;
    size_t         cap = 0;

    memset(d, 0, sizeof(*d));
    ck_assert_int_eq(sqlite3_open_v2(main_db, &db, SQLITE_OPEN_READONLY,
                                     NULL), SQLITE_OK);
    (void) sqlite3_busy_timeout(db, 5000);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT id, result FROM entries"
                                        " WHERE state = 2", -1, &s, NULL),
                     SQLITE_OK);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (d->n == cap) {
            cap = cap ? cap * 2 : 64;
            d->ids = realloc(d->ids, cap * sizeof(*d->ids));
            d->results = realloc(d->results, cap * sizeof(*d->results));
            ck_assert(d->ids != NULL && d->results != NULL);
        }
        d->ids[d->n] = sqlite3_column_int64(s, 0);
        d->results[d->n] = strdup((const char *) sqlite3_column_text(s, 1));
        d->n++;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* The backup passes integrity_check and holds each of d, unchanged. */
static void
done_check(const struct done_set *d, const char *path)
{
    sqlite3       *db;
    sqlite3_stmt  *s;
    size_t         i;

    ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
                                        &s, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
    ck_assert_str_eq((const char *) sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT state, result FROM"
                                        " entries WHERE id = ?1", -1, &s,
                                        NULL), SQLITE_OK);
    for (i = 0; i < d->n; i++) {
        sqlite3_bind_int64(s, 1, d->ids[i]);
        ck_assert_msg(sqlite3_step(s) == SQLITE_ROW, "entry %lld missing",
                      (long long) d->ids[i]);
        ck_assert_int_eq(sqlite3_column_int(s, 0), 2);
        ck_assert_str_eq((const char *) sqlite3_column_text(s, 1),
                         d->results[i]);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void
done_free(struct done_set *d)
{
    size_t  i;

    for (i = 0; i < d->n; i++) {
        free(d->results[i]);
    }
    free(d->results);
    free(d->ids);
}

START_TEST(test_backup_under_load)
{
    struct done_set   done;
    struct load       l;
    unsigned char    *png;
    pthread_t         tid;
    const char       *bk = tpath("backup.db");
    char              args[800], *out;
    size_t            len;
    int               at_backup;

    NEED(have_main);
    memset(&l, 0, sizeof(l));
    l.c = &main_stack;
    png = padded_png(LOAD_PAD, &len);
    l.inner = itc_inner_bytes(png, len, NULL);
    free(png);
    ck_assert_ptr_nonnull(l.inner);
    ck_assert_int_eq(pthread_create(&tid, NULL, load_run, &l), 0);

    /* some of the stream has completed, more is queued and running */
    wait_count("SELECT count(*) FROM entries WHERE state = 2"
               " AND client_id LIKE 'admin-load-%'", 5, 120);
    while (atomic_load(&l.sent) < 10) {
        usleep(10000);
    }

    done_read(&done);
    at_backup = atomic_load(&l.sent);
    snprintf(args, sizeof(args), "backup '%s'", bk);
    ck_assert_msg(ctl(main_ini, args, &out) == 0, "out: %s", out);
    free(out);
    while (atomic_load(&l.sent) < at_backup + 5) {
        usleep(10000);
    }
    atomic_store(&l.stop, 1);
    ck_assert_int_eq(pthread_join(tid, NULL), 0);
    free(l.inner);

    ck_assert_msg(atomic_load(&l.failed) == 0, "%d submissions failed",
                  atomic_load(&l.failed));
    ck_assert_uint_ge(done.n, 5);
    done_check(&done, bk);
    done_free(&done);
}
END_TEST

START_TEST(test_restore)
{
    const char  *bk = tpath("backup.db"), *ini;
    char         args[800], *out;

    NEED(have_main);
    /* the one test_backup_under_load wrote */
    ck_assert_int_eq(access(bk, R_OK), 0);
    snprintf(args, sizeof(args), "restore '%s'", bk);

    /* the pool has the live database open */
    ck_assert_int_eq(ctl(main_ini, args, &out), 1);
    ck_assert_msg(strstr(out, "in use") != NULL, "out: %s", out);
    free(out);

    /* into a database of its own, as on a rebuilt server */
    ini = side_ini("restore.ini", tpath("restored.db"),
                   tpath("restore-key.pem"), "");
    ck_assert_int_eq(itc_sh("cp '%s/keys/private_key.pem' '%s' && chmod 600 "
                            "'%s'", main_stack.dir, tpath("restore-key.pem"),
                            tpath("restore-key.pem")), 0);
    ck_assert_msg(ctl(ini, args, &out) == 0, "out: %s", out);
    free(out);
    ck_assert_int_eq(db_int(tpath("restored.db"),
                            "SELECT count(*) FROM entries"),
                     db_int(bk, "SELECT count(*) FROM entries"));
    ck_assert_msg(ctl(ini, "check", &out) == 0, "out: %s", out);
    free(out);
}
END_TEST

static Suite *
admin_suite(void)
{
    Suite  *s = suite_create("admin");
    TCase  *tc;

    tc = tcase_create("ready");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_ready);
    tcase_add_test(tc, test_ready_database_locked);
    suite_add_tcase(s, tc);

    tc = tcase_create("cgi");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_cgi_get);
    tcase_add_test(tc, test_cgi_post_poll);
    tcase_add_test(tc, test_cgi_stdin_left_open);
    tcase_add_test(tc, test_cgi_not_a_request);
    suite_add_tcase(s, tc);

    tc = tcase_create("ctl");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ctl_check);
    tcase_add_test(tc, test_ctl_check_llm);
    tcase_add_test(tc, test_ctl_stats_purge);
    tcase_add_test(tc, test_backup_under_load);
    tcase_add_test(tc, test_restore);
    suite_add_tcase(s, tc);
    return s;
}

/* tests/stack up writes the current url= to DIR/stack.env: test_api
 * restarts MAIN on new ports, so MAIN_URL may be stale. */
static void
main_url_refresh(void)
{
    char   path[600], line[sizeof(main_stack.url)];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/stack.env", main_stack.dir);
    f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "url=", 4) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(main_stack.url, sizeof(main_stack.url), "%s", line + 4);
        }
    }
    fclose(f);
}

int
main(void)
{
    SRunner     *sr;
    const char  *b;
    int          failed;

    b = getenv("DS_BUILDDIR");
    have_main = itc_open(&main_stack, "MAIN") == 0 && b != NULL;
    if (!have_main) {
        fprintf(stderr, "no MAIN stack or DS_BUILDDIR: skipped\n");
        return 77;
    }
    snprintf(build, sizeof(build), "%s", b);
    snprintf(main_ini, sizeof(main_ini), "%s/docusnap.ini", main_stack.dir);
    snprintf(main_db, sizeof(main_db), "%s/state/docusnap.db",
             main_stack.dir);
    main_url_refresh();
    if (mkdtemp(tdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    sr = srunner_create(admin_suite());
    /* one process: the tests share the stack and run in order */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    itc_close(&main_stack);
    curl_global_cleanup();
    if (getenv("DS_KEEP") == NULL) {
        (void) itc_sh("rm -rf '%s'", tdir);
    }
    return failed == 0 ? 0 : 1;
}
