/*
 * cfg.c - the settings table, read with inih.
 *
 * Every key is one row: section, name, type, bounds, default, offset.
 * Unknown keys and out-of-range numbers are errors that name file:line.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "cfg.h"

enum cfg_type { CFG_T_STR, CFG_T_INT, CFG_T_LONG, CFG_T_BOOL };

struct cfg_key {
    const char     *section;
    const char     *name;
    enum cfg_type   type;
    long            min;
    long            max;
    const char     *dflt;
    size_t          offset;
    size_t          size;       /* strings: the field's size */
};

#define S(sec, key, field, d) \
    { sec, key, CFG_T_STR, 0, 0, d, offsetof(struct cfg, field), \
      sizeof(((struct cfg *) 0)->field) }
#define I(sec, key, field, lo, hi, d) \
    { sec, key, CFG_T_INT, lo, hi, d, offsetof(struct cfg, field), 0 }
#define L(sec, key, field, lo, hi, d) \
    { sec, key, CFG_T_LONG, lo, hi, d, offsetof(struct cfg, field), 0 }
#define B(sec, key, field, d) \
    { sec, key, CFG_T_BOOL, 0, 1, d, offsetof(struct cfg, field), 0 }

static const struct cfg_key cfg_keys[] = {
    S("server", "prefix", prefix, "/api/v1"),
    I("server", "request_threads", request_threads, 1, 256, "4"),
    I("server", "job_threads", job_threads, 0, 64, "2"),

    S("paths", "state_dir", state_dir, "/var/lib/docusnap"),
    S("paths", "database", database, "/var/lib/docusnap/docusnap.db"),
    S("paths", "private_key", private_key,
      "/var/lib/docusnap/private_key.pem"),
    S("paths", "public_key", public_key, "/var/lib/docusnap/public_key.pem"),
    S("paths", "sql_dir", sql_dir, DS_DATADIR "/sql"),
    S("paths", "prompts_dir", prompts_dir, DS_DATADIR "/prompts"),

    L("limits", "max_body_bytes", max_body_bytes, 1024, 1L << 30,
      "67108864"),
    L("limits", "max_image_bytes", max_image_bytes, 1024, 1L << 30,
      "20971520"),
    L("limits", "max_pixels", max_pixels, 1, 1L << 32, "50000000"),
    I("limits", "max_pages", max_pages, 1, 1000, "20"),
    I("limits", "max_file_lib_entries", max_file_lib_entries, 0, 100000,
      "500"),
    I("limits", "submissions_per_minute", submissions_per_minute, 0,
      1000000, "60"),

    I("jobs", "lease_seconds", lease_seconds, 1, 86400, "60"),
    I("jobs", "max_attempts", max_attempts, 1, 100, "3"),
    I("jobs", "processing_timeout", processing_timeout, 1, 86400, "600"),
    I("jobs", "expiry_seconds", expiry_seconds, 60, 31536000, "86400"),
    I("jobs", "touch_interval", touch_interval, 0, 86400, "60"),
    I("jobs", "sweep_interval_ms", sweep_interval_ms, 10, 600000, "1000"),
    I("jobs", "busy_timeout_ms", busy_timeout_ms, 0, 600000, "5000"),

    S("ocr", "languages", languages, "eng"),
    S("ocr", "tessdata_dir", tessdata_dir, ""),
    I("ocr", "slots", ocr_slots, 0, 256, "0"),
    I("ocr", "min_text_height", min_text_height, 0, 200, "30"),
    B("ocr", "osd", osd, "1"),
    B("ocr", "deskew", deskew, "1"),

    S("extractor", "name", extractor, "builtin"),
    S("extractor", "base_url", llm_base_url, ""),
    S("extractor", "model", llm_model, ""),
    S("extractor", "api_key", llm_api_key, ""),
    S("extractor", "api_key_env", llm_api_key_env, "DOCUSNAP_LLM_API_KEY"),
    I("extractor", "timeout_ms", llm_timeout_ms, 100, 600000, "60000"),
    I("extractor", "retries", llm_retries, 0, 10, "3"),
    I("extractor", "backoff_ms", llm_backoff_ms, 0, 60000, "500"),

    S("log", "file", log_file, ""),
    S("log", "level", log_level, "info"),
};

#define CFG_NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

struct cfg_parse {
    struct cfg  *cfg;
    const char  *path;
    char        *err;
    size_t       errlen;
    int          failed;
    char         why[256];
};

static int
cfg_parse_bool(const char *v, long *out)
{
    if (strcasecmp(v, "1") == 0 || strcasecmp(v, "yes") == 0
        || strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0)
    {
        *out = 1;
        return 0;
    }
    if (strcasecmp(v, "0") == 0 || strcasecmp(v, "no") == 0
        || strcasecmp(v, "false") == 0 || strcasecmp(v, "off") == 0)
    {
        *out = 0;
        return 0;
    }
    return -1;
}

static int
cfg_parse_long(const char *v, long *out)
{
    char  *end;
    long   n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0') {
        return -1;
    }
    *out = n;
    return 0;
}

/* Store one value into its field; text for errors into err. */
static rc_t
cfg_apply(struct cfg *c, const struct cfg_key *k, const char *value,
    char *err, size_t errlen)
{
    char  *field = (char *) c + k->offset;
    long   n;
    int    bad;

    if (k->type == CFG_T_STR) {
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s.%s: value too long", k->section,
                     k->name);
            return RC_BADINPUT;
        }
        memcpy(field, value, strlen(value) + 1);
        return RC_OK;
    }

    bad = k->type == CFG_T_BOOL ? cfg_parse_bool(value, &n)
                                : cfg_parse_long(value, &n);
    if (bad || n < k->min || n > k->max) {
        snprintf(err, errlen, "%s.%s: \"%.64s\" is not %s %ld..%ld",
                 k->section, k->name, value,
                 k->type == CFG_T_BOOL ? "a boolean" : "a number in",
                 k->min, k->max);
        return RC_BADINPUT;
    }
    if (k->type == CFG_T_LONG) {
        *(long *) (void *) field = n;
    } else {
        *(int *) (void *) field = (int) n;
    }
    return RC_OK;
}

rc_t
cfg_set(struct cfg *c, const char *section, const char *key,
    const char *value, char *err, size_t errlen)
{
    size_t  i;

    for (i = 0; i < CFG_NKEYS; i++) {
        if (strcmp(cfg_keys[i].section, section) == 0
            && strcmp(cfg_keys[i].name, key) == 0)
        {
            return cfg_apply(c, &cfg_keys[i], value, err, errlen);
        }
    }
    snprintf(err, errlen, "unknown key %s.%s", section, key);
    return RC_BADINPUT;
}

void
cfg_defaults(struct cfg *c)
{
    char    err[256];
    size_t  i;

    memset(c, 0, sizeof(*c));
    for (i = 0; i < CFG_NKEYS; i++) {
        if (cfg_apply(c, &cfg_keys[i], cfg_keys[i].dflt, err, sizeof(err))
            != RC_OK)
        {
            /* a default out of its own bounds is a bug in the table */
            abort();
        }
    }
}

/*
 * Debian's libinih hands no line number to the handler; ini_parse
 * returns the first failing line, so keep the first reason here.
 */
static int
cfg_ini_handler(void *user, const char *section, const char *name,
    const char *value)
{
    struct cfg_parse  *p = user;

    if (p->failed) {
        return 0;
    }
    if (cfg_set(p->cfg, section, name, value, p->why, sizeof(p->why))
        != RC_OK)
    {
        p->failed = 1;
        return 0;
    }
    return 1;
}

/* Secrets may come from the environment instead of the file. */
static rc_t
cfg_apply_env(struct cfg *c, char *err, size_t errlen)
{
    const char  *v;

    v = getenv(c->llm_api_key_env[0] ? c->llm_api_key_env
                                     : "DOCUSNAP_LLM_API_KEY");
    if (v != NULL && v[0] != '\0') {
        return cfg_set(c, "extractor", "api_key", v, err, errlen);
    }
    return RC_OK;
}

/*
 * libinih reads into a fixed buffer (200 bytes as Debian builds it) and
 * would hand on the rest of a longer line as a line of its own, which
 * cuts a value short in silence when the rest looks like a comment.
 * This reader stops at such a line instead; cfg_load reports it.
 * XXX: so a value in the file has at most about 190 bytes, not CFG_STR;
 * a longer api_key has to come from the environment.
 */
struct cfg_reader {
    FILE  *f;
    int    line;
    int    too_long;        /* number of the first over-long line */
    int    max;             /* the library's buffer size */
};

static char *
cfg_ini_reader(char *str, int num, void *stream)
{
    struct cfg_reader  *r = stream;
    size_t              n;
    int                 ch;

    if (r->too_long || fgets(str, num, r->f) == NULL) {
        return NULL;
    }
    r->line++;
    n = strlen(str);
    if (n > 0 && str[n - 1] != '\n') {
        ch = getc(r->f);
        if (ch != EOF && ch != '\n') {
            r->too_long = r->line;
            r->max = num;
            return NULL;
        }
    }
    return str;
}

static rc_t
cfg_load_file(const char *path, struct cfg_parse *p, char *err,
    size_t errlen)
{
    struct cfg_reader  rd = { NULL, 0, 0, 0 };
    int                r, bad;

    rd.f = fopen(path, "r");
    if (rd.f == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return RC_BADINPUT;
    }
    r = ini_parse_stream(cfg_ini_reader, &rd, cfg_ini_handler, p);
    bad = ferror(rd.f);
    fclose(rd.f);

    if (r > 0) {
        snprintf(err, errlen, "%s:%d: %s", path, r,
                 p->failed ? p->why : "syntax error");
        return RC_BADINPUT;
    }
    if (rd.too_long) {
        snprintf(err, errlen, "%s:%d: line longer than %d characters",
                 path, rd.too_long, rd.max - 1);
        return RC_BADINPUT;
    }
    if (r < 0 || bad) {
        snprintf(err, errlen, "%s: cannot read", path);
        return RC_BADINPUT;
    }
    return RC_OK;
}

rc_t
cfg_load(const char *path, struct cfg *c, char *err, size_t errlen)
{
    struct cfg_parse  p = { c, path, err, errlen, 0, "" };
    rc_t              rc;

    cfg_defaults(c);
    if (path != NULL) {
        rc = cfg_load_file(path, &p, err, errlen);
        if (rc != RC_OK) {
            return rc;
        }
    }
    return cfg_apply_env(c, err, errlen);
}
