/*
 * docusnapctl - administration: keys, database, queue, OCR check.
 *
 *   docusnapctl [-c config.ini] keygen [--bits N] [--force]
 *   docusnapctl [-c config.ini] migrate        (alias: initdb)
 *   docusnapctl [-c config.ini] work --drain   run queued jobs, then exit
 *   docusnapctl [-c config.ini] stats          counts, size, oldest jobs
 *   docusnapctl [-c config.ini] purge          expiry sweep now
 *   docusnapctl [-c config.ini] backup FILE    online copy (service runs)
 *   docusnapctl [-c config.ini] restore FILE   (service stopped)
 *   docusnapctl [-c config.ini] check          config, keys, database,
 *                           OCR languages, LLM endpoint; exit 1 on a fault
 *   docusnapctl [-c config.ini] ocr FILE...    print what the engine reads
 *   docusnapctl [-c config.ini] ocr --words FILE...
 *                           the words with page, box and confidence, as
 *                           one JSON object per file and line
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define LOG_MODULE "ctl"
#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "crypto.h"
#include "extract.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "ocr.h"
#include "store.h"
#include "worker.h"

#define DEFAULT_CONFIG DS_SYSCONFDIR "/docusnap/docusnap.ini"
#define MAX_FILE (64L * 1024 * 1024)

static void
usage(void)
{
    fprintf(stderr,
        "usage: docusnapctl [-c config.ini] COMMAND [ARGS]\n"
        "  keygen [--bits N] [--force]  create the RSA key pair\n"
        "  migrate | initdb             create or upgrade the database\n"
        "  work --drain                 run queued jobs, then exit\n"
        "  stats                        entries by state, size, oldest "
        "jobs\n"
        "  purge                        delete expired entries now\n"
        "  backup FILE                  online copy of the database\n"
        "  restore FILE                 put a backup back (service "
        "stopped)\n"
        "  check                        config, keys, database, OCR, "
        "LLM\n"
        "  ocr FILE...                  print the OCR text of images\n"
        "  ocr --words FILE...          their words, boxes and confidence "
        "(JSON)\n");
    exit(64);
}

static int
parse_int(const char *s, long lo, long hi, long *out)
{
    char  *end;
    long   n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || n < lo || n > hi) {
        return -1;
    }
    *out = n;
    return 0;
}

static int
cmd_keygen(const struct cfg *cfg, int argc, char **argv)
{
    static const struct option  opts[] = {
        { "bits", required_argument, NULL, 'b' },
        { "force", no_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 }
    };
    struct stat  sb;
    char         err[512];
    long         bits = 3072;
    int          c, force = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'b' && parse_int(optarg, 2048, 16384, &bits) == 0) {
            continue;
        }
        if (c == 'f') {
            force = 1;
            continue;
        }
        usage();
    }
    if (!force && stat(cfg->private_key, &sb) == 0) {
        fprintf(stderr, "docusnapctl: %s exists; not overwritten "
                "(--force replaces it)\n", cfg->private_key);
        return 1;
    }
    if (crypto_keygen(cfg->private_key, cfg->public_key, (int) bits, err,
                      sizeof(err)) != RC_OK)
    {
        fprintf(stderr, "docusnapctl: keygen: %s\n", err);
        return 1;
    }
    printf("private key: %s (mode 0600)\npublic key: %s\n",
           cfg->private_key, cfg->public_key);
    return 0;
}

static int
cmd_migrate(const struct cfg *cfg)
{
    struct store  *st = NULL;
    int            ok;

    ok = store_open(cfg->database, cfg->busy_timeout_ms, &st) == RC_OK
         && store_migrate(st, cfg->sql_dir) == RC_OK;
    if (ok) {
        printf("database %s at schema version %d\n", cfg->database,
               store_schema_version(st));
    } else {
        fprintf(stderr, "docusnapctl: cannot migrate %s with %s\n",
                cfg->database, cfg->sql_dir);
    }
    store_close(st);
    return ok ? 0 : 1;
}

/* ---- stats, purge ------------------------------------------------------ */

/* "oldest_NAME_seconds N": the age of the state's oldest entry, or "-". */
static int
stats_age(struct store *st, enum store_state state, const char *name)
{
    int64_t  t;
    rc_t     rc;

    rc = store_oldest(st, state, &t);
    if (rc == RC_NOTFOUND) {
        printf("oldest_%s_seconds -\n", name);
        return 0;
    }
    if (rc != RC_OK) {
        return -1;
    }
    printf("oldest_%s_seconds %lld\n", name,
           (long long) ((clock_now_ms() - t) / 1000));
    return 0;
}

/* The lines after the counts: database size, oldest job ages. */
static int
stats_more(struct store *st)
{
    int64_t  bytes;

    if (store_size(st, &bytes) != RC_OK) {
        return -1;
    }
    printf("database_bytes %lld\n", (long long) bytes);
    if (stats_age(st, STORE_QUEUED, "queued") != 0
        || stats_age(st, STORE_RUNNING, "running") != 0)
    {
        return -1;
    }
    return 0;
}

static int
cmd_stats(const struct cfg *cfg)
{
    static const char *const  names[] = { "queued", "running", "done",
                                          "failed" };
    struct store             *st = NULL;
    int64_t                   n;
    int                       i;

    if (store_open(cfg->database, cfg->busy_timeout_ms, &st) != RC_OK) {
        fprintf(stderr, "docusnapctl: cannot open %s\n", cfg->database);
        return 1;
    }
    for (i = 0; i < 4; i++) {
        if (store_count(st, (enum store_state) i, &n) != RC_OK) {
            store_close(st);
            return 1;
        }
        printf("%s %lld\n", names[i], (long long) n);
    }
    i = stats_more(st);
    store_close(st);
    return i == 0 ? 0 : 1;
}

static void
ocr_options(const struct cfg *cfg, struct ocr_opts *oo)
{
    memset(oo, 0, sizeof(*oo));
    oo->languages = cfg->languages;
    oo->tessdata_dir = cfg->tessdata_dir;
    oo->slots = cfg->ocr_slots;
    oo->min_text_height = cfg->min_text_height;
    oo->osd = cfg->osd;
    oo->deskew = cfg->deskew;
    oo->max_pixels = cfg->max_pixels;
}

static int
cmd_work(const struct cfg *cfg, int argc, char **argv)
{
    struct job_ctx    ctx;
    struct ocr_opts   oo;
    char              err[512];
    int               ran = 0, rc = 1;

    if (argc != 2 || strcmp(argv[1], "--drain") != 0) {
        usage();
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.cfg = cfg;
    ocr_options(cfg, &oo);
    if (crypto_key_load(cfg->private_key, &ctx.key, err, sizeof(err))
        != RC_OK
        || ocr_pool_new(&oo, &ctx.ocr) != RC_OK
        || http_global_init() != RC_OK
        || extractor_new(cfg, &ctx.extractor, err, sizeof(err)) != RC_OK)
    {
        fprintf(stderr, "docusnapctl: work: cannot start: %s\n", err);
        goto out;
    }
    if (worker_drain(&ctx, &ran) == RC_OK) {
        printf("jobs run: %d\n", ran);
        rc = 0;
    }
out:
    extractor_free(ctx.extractor);
    ocr_pool_free(ctx.ocr);
    crypto_key_free(ctx.key);
    return rc;
}

static unsigned char *
read_file(const char *path, size_t *len)
{
    struct buf   b;
    FILE        *f;
    char         chunk[65536];
    size_t       n;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    buf_init(&b, MAX_FILE);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (buf_append(&b, chunk, n) != RC_OK) {
            fclose(f);
            buf_free(&b);
            return NULL;
        }
    }
    fclose(f);
    return (unsigned char *) buf_steal(&b, len);
}

/*
 * One file's words as one line of JSON: {"file", "pages", "confidence"
 * (the mean over pages), "words": [{"page", "line", "text", "conf",
 * "box": [left, top, right, bottom]}, ...]}.
 */
static int
ocr_words(struct ocr_pool *pool, const char *path,
          const struct ocr_image *img)
{
    struct ocr_stats   stats;
    json_object       *res, *words;
    char               conf[16];
    int                ok;

    res = json_object_new_object();
    words = json_object_new_array();
    ok = res != NULL && words != NULL
         && ocr_pool_run_words(pool, img, 1, NULL, words, &stats) == RC_OK;
    if (ok) {
        (void) snprintf(conf, sizeof(conf), "%.1f", stats.mean_confidence);
    }
    ok = ok
         && json_object_object_add(res, "file",
                                   json_object_new_string(path)) == 0
         && json_object_object_add(res, "pages",
                                   json_object_new_int(stats.pages)) == 0
         && json_object_object_add(res, "confidence",
                json_object_new_double_s(stats.mean_confidence, conf)) == 0
         && json_object_object_add(res, "words",
                                   json_object_get(words)) == 0;
    if (ok) {
        puts(json_object_to_json_string_ext(res, JSON_C_TO_STRING_SPACED
                                            | JSON_C_TO_STRING_NOSLASHESCAPE));
    }
    json_object_put(words);
    json_object_put(res);
    return ok ? 0 : -1;
}

static int
cmd_ocr(const struct cfg *cfg, int argc, char **argv)
{
    struct ocr_opts    oo;
    struct ocr_pool   *pool = NULL;
    struct ocr_image   img;
    struct ocr_stats   stats;
    struct buf         text;
    int                i, first = 1, words = 0, bad, rc = 0;

    if (argc > 1 && strcmp(argv[1], "--words") == 0) {
        words = 1;
        first = 2;
    }
    if (argc <= first) {
        usage();
    }
    ocr_options(cfg, &oo);
    if (ocr_pool_new(&oo, &pool) != RC_OK) {
        fprintf(stderr, "docusnapctl: cannot start OCR\n");
        return 1;
    }
    for (i = first; i < argc; i++) {
        buf_init(&text, BUF_UNLIMITED);
        img.data = read_file(argv[i], &img.len);
        if (img.data == NULL) {
            bad = 1;
        } else if (words) {
            bad = ocr_words(pool, argv[i], &img) != 0;
        } else {
            bad = ocr_pool_run(pool, &img, 1, &text, &stats) != RC_OK;
        }
        if (bad) {
            fprintf(stderr, "docusnapctl: %s: cannot read\n", argv[i]);
            rc = 1;
        } else if (!words) {
            fwrite(text.data, 1, text.len, stdout);
        }
        free((void *) img.data);
        buf_free(&text);
    }
    ocr_pool_free(pool);
    return rc;
}

/* Expiry now, with the configured times, as the job threads sweep. */
static int
cmd_purge(const struct cfg *cfg)
{
    struct store_sweep_stats   s;
    struct store              *st = NULL;
    int                        ok;

    memset(&s, 0, sizeof(s));
    ok = store_open(cfg->database, cfg->busy_timeout_ms, &st) == RC_OK
         && store_sweep(st, clock_now_ms(), cfg->max_attempts,
                        (int64_t) cfg->processing_timeout * 1000,
                        (int64_t) cfg->expiry_seconds * 1000, &s) == RC_OK;
    store_close(st);
    if (!ok) {
        fprintf(stderr, "docusnapctl: purge of %s failed\n", cfg->database);
        return 1;
    }
    printf("expired %d\ntimed_out %d\nexhausted %d\n", s.expired,
           s.timed_out, s.exhausted);
    return 0;
}

/* ---- backup, restore ---------------------------------------------------- */

static int
cmd_backup(const struct cfg *cfg, int argc, char **argv)
{
    struct store  *st = NULL;
    struct stat    sb;
    int64_t        t0;
    int            ok;

    if (argc != 2) {
        usage();
    }
    /* store_open would create an empty database */
    if (stat(cfg->database, &sb) != 0) {
        fprintf(stderr, "docusnapctl: backup: no database at %s\n",
                cfg->database);
        return 1;
    }
    t0 = clock_mono_ms();
    ok = store_open(cfg->database, cfg->busy_timeout_ms, &st) == RC_OK
         && store_backup(st, argv[1]) == RC_OK
         && stat(argv[1], &sb) == 0;
    store_close(st);
    if (!ok) {
        fprintf(stderr, "docusnapctl: backup of %s to %s failed\n",
                cfg->database, argv[1]);
        return 1;
    }
    printf("backup %s: %lld bytes in %lld ms\n", argv[1],
           (long long) sb.st_size, (long long) (clock_mono_ms() - t0));
    return 0;
}

/*
 * Replace the database with a backup. The service must be stopped:
 * store_restore refuses while any other process has the database open.
 */
static int
cmd_restore(const struct cfg *cfg, int argc, char **argv)
{
    struct store  *st = NULL;
    char           err[512];
    int            target, rc = 1;

    if (argc != 2) {
        usage();
    }
    err[0] = '\0';
    if (store_schema_target(cfg->sql_dir, &target) != RC_OK
        || store_open(cfg->database, cfg->busy_timeout_ms, &st) != RC_OK)
    {
        fprintf(stderr, "docusnapctl: restore: cannot open %s\n",
                cfg->database);
        goto out;
    }
    if (store_restore(st, argv[1], target, err, sizeof(err)) != RC_OK) {
        fprintf(stderr, "docusnapctl: restore: %s: %s\n", argv[1], err);
        goto out;
    }
    /* a backup taken before an upgrade holds the older schema */
    if (store_migrate(st, cfg->sql_dir) != RC_OK) {
        fprintf(stderr, "docusnapctl: restore: restored, but migrate "
                "failed\n");
        goto out;
    }
    printf("restored %s from %s (schema version %d)\n", cfg->database,
           argv[1], store_schema_version(st));
    rc = 0;
out:
    store_close(st);
    return rc;
}

/* ---- check --------------------------------------------------------------- */

#define CHECK_LLM_TIMEOUT_MS    5000

/* One line per check, "ok   NAME: detail" or "FAIL NAME: detail";
 * 0 for ok, 1 for a failure. */
static int __attribute__((format(printf, 3, 4)))
check_line(int ok, const char *name, const char *fmt, ...)
{
    va_list  ap;

    printf("%-4s %s: ", ok ? "ok" : "FAIL", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    return ok ? 0 : 1;
}

/* Mode 0600 (no group or other bits) and a key that loads. */
static int
check_private_key(const struct cfg *cfg)
{
    struct crypto_key  *key = NULL;
    struct stat         sb;
    char                err[512];
    rc_t                rc;

    if (stat(cfg->private_key, &sb) != 0) {
        return check_line(0, "private key", "%s: %s", cfg->private_key,
                          strerror(errno));
    }
    if ((sb.st_mode & 077) != 0) {
        return check_line(0, "private key", "%s is mode %04o: chmod 600 it",
                          cfg->private_key, (unsigned) (sb.st_mode & 07777));
    }
    rc = crypto_key_load(cfg->private_key, &key, err, sizeof(err));
    crypto_key_free(key);
    if (rc != RC_OK) {
        return check_line(0, "private key", "%s", err);
    }
    return check_line(1, "private key", "%s (mode %04o)", cfg->private_key,
                      (unsigned) (sb.st_mode & 07777));
}

static int
check_public_key(const struct cfg *cfg)
{
    struct crypto_pubkey  *pub = NULL;
    rc_t                   rc;

    rc = crypto_pubkey_load(cfg->public_key, &pub);
    crypto_pubkey_free(pub);
    return check_line(rc == RC_OK, "public key", "%s%s", cfg->public_key,
                      rc == RC_OK ? "" : " does not load");
}

/* Opens, passes integrity_check, is at the schema version of sql_dir. */
static int
check_database(const struct cfg *cfg)
{
    struct store  *st = NULL;
    char           err[512];
    int            target, version, bad;

    if (access(cfg->database, F_OK) != 0) {
        return check_line(0, "database", "no %s (docusnapctl migrate "
                          "creates it)", cfg->database);
    }
    if (store_open(cfg->database, cfg->busy_timeout_ms, &st) != RC_OK) {
        return check_line(0, "database", "%s does not open", cfg->database);
    }
    if (store_integrity(st, err, sizeof(err)) != RC_OK) {
        store_close(st);
        return check_line(0, "database", "%s: integrity_check: %s",
                          cfg->database, err);
    }
    version = store_schema_version(st);
    store_close(st);
    if (store_schema_target(cfg->sql_dir, &target) != RC_OK) {
        return check_line(0, "database", "cannot read %s", cfg->sql_dir);
    }
    bad = version != target;
    return check_line(!bad, "database", "%s: integrity ok, schema version "
                      "%d%s", cfg->database, version,
                      bad ? " (run docusnapctl migrate)" : "");
}

/* The languages' traineddata files, without loading an engine. */
static int
check_ocr(const struct cfg *cfg)
{
    struct ocr_opts   oo;
    struct ocr_pool  *pool = NULL;
    char              detail[4200];
    int               ok;

    ocr_options(cfg, &oo);
    if (ocr_pool_new(&oo, &pool) != RC_OK) {
        return check_line(0, "ocr languages", "cannot make the OCR pool");
    }
    ok = ocr_pool_ready(pool, detail, sizeof(detail)) == RC_OK;
    ocr_pool_free(pool);
    return check_line(ok, "ocr languages", "%s", detail);
}

/* Whether the model's base_url answers a GET at all (any status: the
 * API key is not sent), within CHECK_LLM_TIMEOUT_MS. */
static int
check_endpoint(const struct cfg *cfg)
{
    struct http_req  hr;
    struct buf       reply;
    long             status = 0;
    rc_t             rc;

    memset(&hr, 0, sizeof(hr));
    hr.url = cfg->llm_base_url;
    hr.timeout_ms = cfg->llm_timeout_ms < CHECK_LLM_TIMEOUT_MS
                    ? cfg->llm_timeout_ms : CHECK_LLM_TIMEOUT_MS;
    buf_init(&reply, 65536);
    rc = http_global_init();
    if (rc == RC_OK) {
        rc = http_get(&hr, &status, &reply);
    }
    buf_free(&reply);
    /* a body over the cap still proves the endpoint answers */
    if (status > 0 && (rc == RC_OK || rc == RC_NOMEM)) {
        return check_line(1, "extractor", "%s: %s answers (HTTP %ld)",
                          cfg->extractor, cfg->llm_base_url, status);
    }
    return check_line(0, "extractor", "%s: %s unreachable (%s)",
                      cfg->extractor, cfg->llm_base_url, rc_str(rc));
}

/* The extractor's settings; for a model, its endpoint. */
static int
check_extractor(const struct cfg *cfg)
{
    struct extractor  *ex = NULL;
    char               err[512];
    rc_t               rc;

    rc = extractor_new(cfg, &ex, err, sizeof(err));
    extractor_free(ex);
    if (rc != RC_OK) {
        return check_line(0, "extractor", "%s", err);
    }
    if (strcmp(cfg->extractor, "builtin") == 0) {
        return check_line(1, "extractor", "builtin (no endpoint)");
    }
    /* XXX: llm.h does not say which URL a provider defaults to, so an
     * empty base_url goes unchecked; an llm_base_url() would tell. */
    if (cfg->llm_base_url[0] == '\0') {
        return check_line(1, "extractor", "%s: the provider's default "
                          "endpoint (not checked)", cfg->extractor);
    }
    return check_endpoint(cfg);
}

static int
cmd_check(const struct cfg *cfg, const char *config)
{
    int  failed = 0;

    failed += check_line(1, "config", "%s",
                         config != NULL ? config : "(built-in defaults)");
    failed += check_private_key(cfg);
    failed += check_public_key(cfg);
    failed += check_database(cfg);
    failed += check_ocr(cfg);
    failed += check_extractor(cfg);
    return failed == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    struct cfg   cfg;
    const char  *config = NULL, *cmd;
    char         err[512];
    int          c;

    ocr_limit_threads(argv);
    while ((c = getopt(argc, argv, "+c:")) != -1) {
        if (c != 'c') {
            usage();
        }
        config = optarg;
    }
    if (optind >= argc) {
        usage();
    }
    if (config == NULL && access(DEFAULT_CONFIG, R_OK) == 0) {
        config = DEFAULT_CONFIG;
    }
    if (cfg_load(config, &cfg, err, sizeof(err)) != RC_OK) {
        if (strcmp(argv[optind], "check") == 0) {
            printf("FAIL config: %s\n", err);
            return 1;
        }
        fprintf(stderr, "docusnapctl: %s\n", err);
        return 1;
    }
    (void) log_open(NULL, LOG_WARN);
    cmd = argv[optind];
    argc -= optind;
    argv += optind;

    if (strcmp(cmd, "keygen") == 0) {
        return cmd_keygen(&cfg, argc, argv);
    }
    if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "initdb") == 0) {
        return cmd_migrate(&cfg);
    }
    if (strcmp(cmd, "work") == 0) {
        return cmd_work(&cfg, argc, argv);
    }
    if (strcmp(cmd, "stats") == 0) {
        return cmd_stats(&cfg);
    }
    if (strcmp(cmd, "ocr") == 0) {
        return cmd_ocr(&cfg, argc, argv);
    }
    if (strcmp(cmd, "purge") == 0) {
        return cmd_purge(&cfg);
    }
    if (strcmp(cmd, "backup") == 0) {
        return cmd_backup(&cfg, argc, argv);
    }
    if (strcmp(cmd, "restore") == 0) {
        return cmd_restore(&cfg, argc, argv);
    }
    if (strcmp(cmd, "check") == 0) {
        return cmd_check(&cfg, config);
    }
    usage();
    return 64;
}
