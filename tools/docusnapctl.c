/*
 * docusnapctl - administration: keys, database, queue, OCR check.
 *
 *   docusnapctl [-c config.ini] keygen [--bits N] [--force]
 *   docusnapctl [-c config.ini] migrate        (alias: initdb)
 *   docusnapctl [-c config.ini] work --drain   run queued jobs, then exit
 *   docusnapctl [-c config.ini] stats
 *   docusnapctl [-c config.ini] ocr FILE...    print what the engine reads
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MODULE "ctl"
#include "buf.h"
#include "cfg.h"
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
        "  stats                        entries by state\n"
        "  ocr FILE...                  print the OCR text of images\n");
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
    store_close(st);
    return 0;
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

static int
cmd_ocr(const struct cfg *cfg, int argc, char **argv)
{
    struct ocr_opts    oo;
    struct ocr_pool   *pool = NULL;
    struct ocr_image   img;
    struct ocr_stats   stats;
    struct buf         text;
    int                i, rc = 0;

    if (argc < 2) {
        usage();
    }
    ocr_options(cfg, &oo);
    if (ocr_pool_new(&oo, &pool) != RC_OK) {
        fprintf(stderr, "docusnapctl: cannot start OCR\n");
        return 1;
    }
    for (i = 1; i < argc; i++) {
        buf_init(&text, BUF_UNLIMITED);
        img.data = read_file(argv[i], &img.len);
        if (img.data == NULL
            || ocr_pool_run(pool, &img, 1, &text, &stats) != RC_OK)
        {
            fprintf(stderr, "docusnapctl: %s: cannot read\n", argv[i]);
            rc = 1;
        } else {
            fwrite(text.data, 1, text.len, stdout);
        }
        free((void *) img.data);
        buf_free(&text);
    }
    ocr_pool_free(pool);
    return rc;
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
    usage();
    return 64;
}
