/*
 * eval.c - OCR and extraction accuracy on the shared corpus.
 *
 *   bench/eval [--corpus DIR] [--no-cli] [--no-extract] [--dump DIR]
 *              [--min-text-height N] [--no-deskew] [--no-osd] [NAME...]
 *
 * For every image of the corpus (NAME.json beside NAME.png, .jpg or
 * .tif; NAME... picks some): our OCR path (ocr_pool_run with the
 * server's defaults from cfg_defaults), then the tesseract CLI
 * (`tesseract IMG - -l eng`), one after the other, both with
 * OMP_THREAD_LIMIT=1. Each reading is scored against NAME.txt; the
 * builtin extractor then reads our text and is scored against the
 * fields of NAME.json. The tables go to stdout as Markdown, progress to
 * stderr. docs/ACCURACY.md says what every figure means.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include <json-c/json.h>
#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#define LOG_MODULE "eval"
#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "extract.h"
#include "jsonx.h"
#include "log.h"
#include "ocr.h"

#define EV_PATH         4096
#define EV_NAME         256
#define EV_TEXT         8192        /* bytes of one normalised value */
#define EV_FILE_MAX     (64L * 1024 * 1024)
#define EV_CLI          "tesseract"
#define EV_WARM_SIDE    200         /* px of the blank warm-up page */

enum ev_kind {
    EV_FORM = 0,
    EV_RECEIPT,
    EV_PAGE,
    EV_KINDS
};

enum ev_engine {
    EV_OURS = 0,
    EV_TESS,                        /* the tesseract CLI */
    EV_ENGINES
};

enum ev_cmp {
    EV_CMP_TEXT,                    /* letters and digits, any case */
    EV_CMP_DATE,                    /* the same day */
    EV_CMP_AMOUNT                   /* the same number of cents */
};

/* How a kv entry is compared with a ground-truth pair. */
enum ev_match {
    EV_KEY,                         /* the question only */
    EV_EXACT,                       /* and the answer, or its date */
    EV_CLOSE,                       /* or within EV_CLOSE_EDITS */
    EV_MATCHES
};

/* A receipt field: its name in NAME.json, its key in the builtin kv. */
struct ev_field {
    const char   *gt;
    const char   *kv;
    enum ev_cmp   cmp;
};

#define EV_RFIELDS 4

static const struct ev_field  ev_rfields[EV_RFIELDS] = {
    { "company", "Company", EV_CMP_TEXT },
    { "date", "Date", EV_CMP_DATE },
    { "address", "Address", EV_CMP_TEXT },
    { "total", "Total", EV_CMP_AMOUNT }
};

static const char *const  ev_kind_names[EV_KINDS] = {
    "form", "receipt", "page"
};

static const char *const  ev_exts[] = {
    ".png", ".jpg", ".jpeg", ".tif", ".tiff"
};

static const char *const  ev_months[12] = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"
};

/* Recall is hit_r / expected, precision hit_p / returned. */
struct ev_count {
    long  hit_r;
    long  expected;
    long  hit_p;
    long  returned;
};

/* One engine's reading of one image. */
struct ev_read {
    int     done;
    double  cer;
    double  cer_nows;               /* all white space removed */
    double  secs;                   /* the whole image, wall clock */
    double  cpu;                    /* the same in CPU time */
};

/* The extractor's score on one image. */
struct ev_score {
    int              done;
    int              rfield[EV_RFIELDS];    /* -1 none, 0 wrong, 1 right */
    struct ev_count  field[EV_RFIELDS];     /* receipts */
    struct ev_count  qa[EV_MATCHES];        /* forms, by ev_match */
    struct ev_count  blank;                 /* forms: blank fields */
};

struct ev_item {
    char              name[EV_NAME];
    char              image[EV_PATH];
    enum ev_kind      kind;
    int               pages;
    json_object      *meta;                 /* NAME.json */
    json_object      *pairs;                /* every qa pair, or NULL */
    struct ev_read    read[EV_ENGINES];
    struct ev_score   score;
};

struct ev_opts {
    const char   *corpus;
    const char   *dump;                     /* NULL: no dump */
    int           cli;
    int           extract;
    int           min_text_height;          /* -1: the default */
    int           osd;
    int           deskew;
    char        **names;
    int           nnames;
};

struct ev {
    struct ev_opts    opts;
    struct cfg        cfg;
    struct ocr_pool  *pool;
    json_object      *lib;                  /* an empty file_lib */
    struct ev_item   *items;
    size_t            n;
    struct ev_read    cli_start;            /* the CLI on a blank page */
};

/* A normalised text as wide characters. */
struct ev_wstr {
    wchar_t  *v;
    size_t    n;
};

/* -------------------------------------------------------------------- */
/* files                                                                */

static int
ev_path(char *out, const char *dir, const char *name, const char *ext)
{
    int  n;

    n = snprintf(out, EV_PATH, "%s/%s%s", dir, name, ext);
    return n > 0 && n < EV_PATH ? 0 : -1;
}

/* The whole file in a NUL-terminated buffer the caller frees; or NULL. */
static char *
ev_read_file(const char *path, size_t *len)
{
    struct buf   b;
    FILE        *f;
    char         chunk[65536];
    size_t       n;
    int          bad = 0;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    buf_init(&b, EV_FILE_MAX);
    while (!bad && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        bad = buf_append(&b, chunk, n) != RC_OK;
    }
    bad = bad || ferror(f) || b.data == NULL;
    fclose(f);
    if (bad) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b, len);
}

static void
ev_write_file(const char *dir, const char *name, const char *ext,
    const char *data, size_t len)
{
    char   path[EV_PATH];
    FILE  *f;

    if (ev_path(path, dir, name, ext) != 0) {
        return;
    }
    f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "eval: cannot write %s: %s\n", path,
            strerror(errno));
        return;
    }
    if (fwrite(data, 1, len, f) != len) {
        fprintf(stderr, "eval: short write to %s\n", path);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "eval: cannot close %s\n", path);
    }
}

/* -------------------------------------------------------------------- */
/* text normalisation and the character error rate                      */

/* A page marker line of ours: "----page N----". */
static int
ev_is_marker(const char *s, size_t n)
{
    static const char  head[] = "----page ";
    size_t             i = sizeof(head) - 1;

    if (n < i + 5 || strncmp(s, head, i) != 0
        || strncmp(s + n - 4, "----", 4) != 0)
    {
        return 0;
    }
    while (i < n - 4 && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    return i == n - 4 && i > sizeof(head) - 1;
}

/* text without our page marker lines, into out. */
static rc_t
ev_strip_markers(const char *text, struct buf *out)
{
    const char  *p = text, *nl;
    size_t       n;
    rc_t         rc = RC_OK;

    while (rc == RC_OK && *p != '\0') {
        nl = strchr(p, '\n');
        n = nl != NULL ? (size_t) (nl - p) : strlen(p);
        if (!ev_is_marker(p, n)) {
            rc = buf_append(out, p, n);
            if (rc == RC_OK) {
                rc = buf_append(out, "\n", 1);
            }
        }
        p += n + (nl != NULL);
    }
    return rc == RC_OK ? buf_append(out, "", 0) : rc;
}

static int
ev_is_space(wchar_t c)
{
    return iswspace((wint_t) c) || c == 0x00a0 || c == 0x202f;
}

/* Typographic quotes and dashes as ASCII, then lower case. */
static wchar_t
ev_fold(wchar_t c)
{
    switch (c) {
    case 0x2018: case 0x2019: case 0x201a: case 0x201b: case 0x2032:
        return L'\'';
    case 0x201c: case 0x201d: case 0x201e: case 0x201f: case 0x2033:
        return L'"';
    case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014:
    case 0x2015: case 0x2212:
        return L'-';
    default:
        return (wchar_t) towlower((wint_t) c);
    }
}

/*
 * text folded (ev_fold) with white space runs as one space, ends
 * trimmed; with spaces 0, white space dropped. Bytes that are not
 * UTF-8 count as U+FFFD. out->v is the caller's (free).
 */
static rc_t
ev_wtext(const char *text, int spaces, struct ev_wstr *out)
{
    mbstate_t  st;
    wchar_t    c;
    size_t     len, k;
    int        gap = 0;

    len = strlen(text);
    out->n = 0;
    out->v = malloc((len + 1) * sizeof(wchar_t));
    if (out->v == NULL) {
        return RC_NOMEM;
    }
    memset(&st, 0, sizeof(st));
    while (len > 0) {
        k = mbrtowc(&c, text, len, &st);
        if (k == (size_t) -1 || k == (size_t) -2 || k == 0) {
            memset(&st, 0, sizeof(st));
            c = 0xfffd;
            k = 1;
        }
        text += k;
        len -= k;
        if (ev_is_space(c)) {
            gap = 1;
            continue;
        }
        if (spaces && gap && out->n > 0) {
            out->v[out->n++] = L' ';
        }
        out->v[out->n++] = ev_fold(c);
        gap = 0;
    }
    return RC_OK;
}

/* Levenshtein distance of a and b, two rows of b->n + 1. */
static rc_t
ev_distance(const struct ev_wstr *a, const struct ev_wstr *b, size_t *out)
{
    size_t  *prev, *cur, *t, i, j, best;

    prev = calloc(b->n + 1, sizeof(size_t));
    cur = calloc(b->n + 1, sizeof(size_t));
    if (prev == NULL || cur == NULL) {
        free(prev);
        free(cur);
        return RC_NOMEM;
    }
    for (j = 0; j <= b->n; j++) {
        prev[j] = j;
    }
    for (i = 1; i <= a->n; i++) {
        cur[0] = i;
        for (j = 1; j <= b->n; j++) {
            best = prev[j - 1] + (a->v[i - 1] != b->v[j - 1]);
            best = prev[j] + 1 < best ? prev[j] + 1 : best;
            best = cur[j - 1] + 1 < best ? cur[j - 1] + 1 : best;
            cur[j] = best;
        }
        t = prev;
        prev = cur;
        cur = t;
    }
    *out = prev[b->n];
    free(prev);
    free(cur);
    return RC_OK;
}

/* Edit distance / reference length after ev_wtext. */
static rc_t
ev_cer(const char *ref, const char *hyp, int spaces, double *out)
{
    struct ev_wstr  r = { NULL, 0 }, h = { NULL, 0 };
    size_t          d = 0;
    rc_t            rc;

    rc = ev_wtext(ref, spaces, &r);
    if (rc == RC_OK) {
        rc = ev_wtext(hyp, spaces, &h);
    }
    if (rc == RC_OK) {
        rc = ev_distance(&r, &h, &d);
    }
    if (rc == RC_OK) {
        *out = r.n > 0 ? (double) d / r.n : (h.n > 0 ? 1.0 : 0.0);
    }
    free(r.v);
    free(h.v);
    return rc;
}

/* Score one engine's text (ours still has its markers) against ref. */
static rc_t
ev_score_text(const char *ref, const char *text, struct ev_read *rd)
{
    struct buf  plain;
    rc_t        rc;

    buf_init(&plain, BUF_UNLIMITED);
    rc = ev_strip_markers(text, &plain);
    if (rc == RC_OK) {
        rc = ev_cer(ref, buf_cstr(&plain), 1, &rd->cer);
    }
    if (rc == RC_OK) {
        rc = ev_cer(ref, buf_cstr(&plain), 0, &rd->cer_nows);
    }
    rd->done = rc == RC_OK;
    buf_free(&plain);
    return rc;
}

/* -------------------------------------------------------------------- */
/* the two engines                                                      */

/* CPU seconds of this process (not of its children). */
static double
ev_cpu_now(void)
{
    struct timespec  ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
        return 0.0;
    }
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Our reading of one image. The pool reads in the calling thread with
 * OpenMP limited to one thread, so process CPU time is the page's.
 */
static rc_t
ev_ours(struct ev *ev, const char *data, size_t len, struct buf *out,
    struct ev_item *it)
{
    struct ocr_image  img;
    struct ocr_stats  st;
    int64_t           t0;
    double            c0;
    rc_t              rc;

    img.data = (const unsigned char *) data;
    img.len = len;
    t0 = clock_mono_ms();
    c0 = ev_cpu_now();
    rc = ocr_pool_run(ev->pool, &img, 1, out, &st);
    it->read[EV_OURS].cpu = ev_cpu_now() - c0;
    it->read[EV_OURS].secs = (clock_mono_ms() - t0) / 1000.0;
    it->pages = st.pages;
    if (rc == RC_OK) {
        rc = buf_append(out, "", 0);    /* a string even when empty */
    }
    return rc;
}

/* Read the child's stdout from fd to its end into out. */
static rc_t
ev_drain(int fd, struct buf *out)
{
    char     chunk[16384];
    ssize_t  n;
    rc_t     rc = RC_OK;

    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        if (rc == RC_OK) {
            rc = buf_append(out, chunk, (size_t) n);
        }
    }
    if (n < 0) {
        fprintf(stderr, "eval: reading tesseract: %s\n", strerror(errno));
        rc = RC_OCR;
    }
    return rc;
}

/* Start `tesseract path - -l eng`, stdout on a pipe, stderr discarded. */
static rc_t
ev_spawn(const char *path, pid_t *pid, int *fd)
{
    posix_spawn_file_actions_t   fa;
    char                        *args[] = { EV_CLI, (char *) path, "-",
                                            "-l", "eng", NULL };
    int                          p[2], e;

    if (pipe2(p, O_CLOEXEC) != 0) {
        return RC_OCR;
    }
    e = posix_spawn_file_actions_init(&fa);
    if (e == 0) {
        e = posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
    }
    if (e == 0) {
        e = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO,
            "/dev/null", O_WRONLY, 0);
    }
    if (e == 0) {
        e = posix_spawnp(pid, EV_CLI, &fa, NULL, args, environ);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (e != 0) {
        fprintf(stderr, "eval: cannot run %s: %s\n", EV_CLI, strerror(e));
        close(p[0]);
        return RC_OCR;
    }
    *fd = p[0];
    return RC_OK;
}

/* The CLI's text of path into out; its wall and CPU time into rd. */
static rc_t
ev_cli(const char *path, struct buf *out, struct ev_read *rd)
{
    struct rusage  ru;
    int64_t        t0;
    pid_t          pid;
    int            fd, status;
    rc_t           rc;

    t0 = clock_mono_ms();
    rc = ev_spawn(path, &pid, &fd);
    if (rc != RC_OK) {
        return rc;
    }
    rc = ev_drain(fd, out);
    close(fd);
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            return RC_OCR;
        }
    }
    rd->secs = (clock_mono_ms() - t0) / 1000.0;
    rd->cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
        + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "eval: %s failed on %s\n", EV_CLI, path);
        return RC_OCR;
    }
    return rc == RC_OK ? buf_append(out, "", 0) : rc;
}

/* A blank PNG, for starting each engine once before the clock runs. */
static rc_t
ev_blank_png(l_uint8 **data, size_t *len)
{
    PIX  *pix;
    int   bad;

    pix = pixCreate(EV_WARM_SIDE, EV_WARM_SIDE, 8);
    if (pix == NULL) {
        return RC_NOMEM;
    }
    pixSetAll(pix);
    bad = pixWriteMem(data, len, pix, IFF_PNG);
    pixDestroy(&pix);
    return bad ? RC_NOMEM : RC_OK;
}

/*
 * Make our engine (the server keeps its engines), and time the CLI on
 * a blank page: its start-up and model load, paid on every page.
 */
static rc_t
ev_warm_up(struct ev *ev)
{
    struct ocr_image  img;
    struct buf        out;
    l_uint8          *png = NULL;
    char              path[] = "/tmp/ds-eval-XXXXXX";
    int               fd = -1;
    rc_t              rc;

    buf_init(&out, BUF_UNLIMITED);
    rc = ev_blank_png(&png, &img.len);
    if (rc != RC_OK) {
        goto out;
    }
    img.data = png;
    rc = ocr_pool_run(ev->pool, &img, 1, &out, NULL);
    if (rc != RC_OK || !ev->opts.cli) {
        goto out;
    }

    fd = mkstemp(path);
    if (fd < 0 || write(fd, png, img.len) != (ssize_t) img.len) {
        rc = RC_INTERNAL;
        goto out;
    }
    buf_reset(&out);
    rc = ev_cli(path, &out, &ev->cli_start);

out:
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
    lept_free(png);
    buf_free(&out);
    return rc;
}

/* -------------------------------------------------------------------- */
/* values: labels, dates, amounts                                       */

/*
 * A label or value for comparison: letters and digits lower-cased,
 * everything else (punctuation, tick boxes) a word break, one space
 * between words.
 */
static void
ev_label(const char *s, char *out, size_t outlen)
{
    mbstate_t  st, wst;
    wchar_t    c;
    char       mb[MB_LEN_MAX];
    size_t     k, m, o = 0, len = strlen(s);
    int        gap = 0;

    memset(&st, 0, sizeof(st));
    memset(&wst, 0, sizeof(wst));
    while (len > 0) {
        k = mbrtowc(&c, s, len, &st);
        if (k == (size_t) -1 || k == (size_t) -2 || k == 0) {
            memset(&st, 0, sizeof(st));
            c = L' ';
            k = 1;
        }
        s += k;
        len -= k;
        if (!iswalnum((wint_t) c)) {
            gap = 1;
            continue;
        }
        m = wcrtomb(mb, (wchar_t) towlower((wint_t) c), &wst);
        if (m == (size_t) -1 || o + m + 2 > outlen) {
            break;
        }
        if (gap && o > 0) {
            out[o++] = ' ';
        }
        memcpy(out + o, mb, m);
        o += m;
        gap = 0;
    }
    out[o] = '\0';
}

/* s with ASCII letters lower-cased and white space dropped. */
static void
ev_squash(const char *s, char *out, size_t outlen)
{
    size_t  o = 0;

    for (; *s != '\0' && o + 1 < outlen; s++) {
        if (*s == ' ' || (*s >= '\t' && *s <= '\r')) {
            continue;
        }
        out[o++] = *s >= 'A' && *s <= 'Z' ? (char) (*s - 'A' + 'a') : *s;
    }
    out[o] = '\0';
}

/*
 * Only the letters and digits of s, lower-cased: "NO.53 55,57" and
 * "NO 53, 55, 57" are the same. The extractor joins an address's lines
 * with ", " where the receipt may have none.
 */
static void
ev_alnum(const char *s, char *out, size_t outlen)
{
    size_t  i, o = 0;

    ev_label(s, out, outlen);
    for (i = 0; out[i] != '\0'; i++) {
        if (out[i] != ' ') {
            out[o++] = out[i];
        }
    }
    out[o] = '\0';
}

/* The month named at s (three letters or more), 1-12; 0 when none. */
static int
ev_month(const char *s)
{
    char  w[4];
    int   i;

    for (i = 0; i < 3; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
            return 0;
        }
        w[i] = (char) (s[i] | 0x20);
    }
    w[3] = '\0';
    for (i = 0; i < 12; i++) {
        if (strcmp(w, ev_months[i]) == 0) {
            return i + 1;
        }
    }
    return 0;
}


static int
ev_is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * The first 3 numbers and the first month name of a date's text;
 * returns how many numbers. *wide: the first number has 4 digits.
 */
static int
ev_date_parts(const char *s, long num[3], int *wide, int *month)
{
    const char  *p = s;
    char        *end;
    int          n = 0;

    *month = 0;
    *wide = 0;
    while (*p != '\0' && n < 3) {
        if (*p >= '0' && *p <= '9') {
            num[n] = strtol(p, &end, 10);
            if (n == 0) {
                *wide = end - p >= 4;
            }
            n++;
            p = end;
            continue;
        }
        if (*month == 0 && (p == s || !ev_is_letter(p[-1]))) {
            *month = ev_month(p);
        }
        p++;
    }
    return n;
}

/*
 * A date as yyyymmdd, 0 when s is none: "Dec 25, 2018", "25 Dec 2018",
 * "2018-12-25", and "25/12/18" day first (dayfirst, as on the corpus
 * receipts) or "12/25/18" month first.
 */
static long
ev_date(const char *s, int dayfirst)
{
    long  num[3], y, m, d;
    int   n, wide, month;

    n = ev_date_parts(s, num, &wide, &month);
    if (month != 0 && n >= 2) {
        m = month;
        d = wide ? num[1] : num[0];
        y = wide ? num[0] : num[1];
    } else if (month == 0 && n == 3 && wide) {
        y = num[0];
        m = num[1];
        d = num[2];
    } else if (month == 0 && n == 3) {
        y = num[2];
        m = dayfirst ? num[1] : num[0];
        d = dayfirst ? num[0] : num[1];
    } else {
        return 0;
    }
    if (y >= 0 && y < 100) {
        y += 2000;
    }
    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31) {
        return 0;
    }
    return (y * 100 + m) * 100 + d;
}

static int
ev_is_numch(char c)
{
    return (c >= '0' && c <= '9') || c == '.' || c == ',';
}

/*
 * The last amount in s, in cents: "RM5.00", "RM 1,234.50", "9", "5,00";
 * -1 when there is none. A separator followed by 1 or 2 digits at the
 * end is the decimal point (a comma only with 2); others group digits.
 */
static long
ev_amount(const char *s)
{
    const char  *p, *b = NULL, *e, *sep = NULL;
    long         units = 0;
    int          frac;

    for (p = s; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9' && (p == s || !ev_is_numch(p[-1]))) {
            b = p;
        }
    }
    if (b == NULL) {
        return -1;
    }
    for (e = b; ev_is_numch(*e); e++) {
        continue;
    }
    while (e[-1] == '.' || e[-1] == ',') {
        e--;
    }
    for (p = b; p < e; p++) {
        sep = *p == '.' || *p == ',' ? p : sep;
    }
    frac = sep != NULL ? (int) (e - sep - 1) : 0;
    if (frac < 1 || frac > 2 || (*sep == ',' && frac != 2)) {
        sep = NULL;
    }

    for (p = b; p < (sep != NULL ? sep : e); p++) {
        if (*p >= '0' && *p <= '9') {
            if (units > 100000000000L) {
                return -1;
            }
            units = units * 10 + (*p - '0');
        }
    }
    if (sep == NULL) {
        return units * 100;
    }
    return units * 100 + (sep[1] - '0') * 10 + (frac == 2 ? sep[2] - '0' : 0);
}

static int
ev_same(enum ev_cmp cmp, const char *gt, const char *got)
{
    char  a[EV_TEXT], b[EV_TEXT];
    long  x, y;

    switch (cmp) {
    case EV_CMP_DATE:
        x = ev_date(gt, 1);
        y = ev_date(got, 1);
        return x != 0 && x == y;
    case EV_CMP_AMOUNT:
        x = ev_amount(gt);
        y = ev_amount(got);
        return x >= 0 && x == y;
    default:
        ev_alnum(gt, a, sizeof(a));
        ev_alnum(got, b, sizeof(b));
        return a[0] != '\0' && strcmp(a, b) == 0;
    }
}

/* -------------------------------------------------------------------- */
/* FUNSD ground truth: every question/answer pair                        */

/* The entity with the given id, or NULL. */
static json_object *
ev_entity(json_object *form, int64_t id)
{
    json_object  *e, *v;
    size_t        i, n;

    n = json_object_array_length(form);
    for (i = 0; i < n; i++) {
        e = json_object_array_get_idx(form, i);
        if (json_object_object_get_ex(e, "id", &v)
            && json_object_get_int64(v) == id)
        {
            return e;
        }
    }
    return NULL;
}

/* Page order of two entities: top, then left, of their boxes. */
static int
ev_entity_cmp(const void *a, const void *b)
{
    json_object  *ea = *(json_object *const *) a;
    json_object  *eb = *(json_object *const *) b;
    json_object  *ba = NULL, *bb = NULL;
    int64_t       d;
    int           k;

    (void) json_object_object_get_ex(ea, "box", &ba);
    (void) json_object_object_get_ex(eb, "box", &bb);
    for (k = 1; k >= 0; k--) {
        d = json_object_get_int64(json_object_array_get_idx(ba, k))
            - json_object_get_int64(json_object_array_get_idx(bb, k));
        if (d != 0) {
            return d < 0 ? -1 : 1;
        }
    }
    return 0;
}

/* Whether entity e has the label and a text that is not blank. */
static int
ev_entity_is(json_object *e, const char *label)
{
    const char  *l, *t;
    char         sq[EV_TEXT];

    if (e == NULL || jsonx_string(e, "label", &l) != JSONX_OK
        || strcmp(l, label) != 0 || jsonx_string(e, "text", &t) != JSONX_OK)
    {
        return 0;
    }
    ev_squash(t, sq, sizeof(sq));
    return sq[0] != '\0';
}

/* The answers linked to question q, in page order, into answers. */
static rc_t
ev_answers(json_object *form, json_object *q, json_object *answers)
{
    json_object  *links = NULL, *link, *a;
    int64_t       id, x, y;
    size_t        i, j, n;

    id = json_object_get_int64(json_object_object_get(q, "id"));
    (void) jsonx_array(q, "linking", &links);
    n = links != NULL ? json_object_array_length(links) : 0;
    for (i = 0; i < n; i++) {
        link = json_object_array_get_idx(links, i);
        x = json_object_get_int64(json_object_array_get_idx(link, 0));
        y = json_object_get_int64(json_object_array_get_idx(link, 1));
        a = ev_entity(form, x == id ? y : x);
        if (!ev_entity_is(a, "answer")) {
            continue;
        }
        for (j = 0; j < json_object_array_length(answers); j++) {
            if (json_object_array_get_idx(answers, j) == a) {
                break;
            }
        }
        if (j == json_object_array_length(answers)
            && json_object_array_add(answers, json_object_get(a)) != 0)
        {
            json_object_put(a);
            return RC_NOMEM;
        }
    }
    json_object_array_sort(answers, ev_entity_cmp);
    return RC_OK;
}

/* Add {"question", "answer"} for question q to pairs, when answered. */
static rc_t
ev_pair_add(json_object *form, json_object *q, json_object *pairs)
{
    json_object  *answers, *pair = NULL;
    struct buf    text;
    size_t        i;
    rc_t          rc;

    answers = json_object_new_array();
    if (answers == NULL) {
        return RC_NOMEM;
    }
    buf_init(&text, BUF_UNLIMITED);
    rc = ev_answers(form, q, answers);
    for (i = 0; rc == RC_OK && i < json_object_array_length(answers); i++) {
        rc = buf_printf(&text, "%s%s", i > 0 ? " " : "",
            json_object_get_string(json_object_object_get(
                json_object_array_get_idx(answers, i), "text")));
    }
    if (rc == RC_OK && text.len > 0) {
        pair = json_object_new_object();
        rc = pair != NULL ? RC_OK : RC_NOMEM;
    }
    if (pair != NULL) {
        json_object_object_add(pair, "question",
            json_object_get(json_object_object_get(q, "text")));
        json_object_object_add(pair, "answer",
            json_object_new_string(buf_cstr(&text)));
        rc = json_object_array_add(pairs, pair) == 0 ? RC_OK : RC_NOMEM;
        if (rc != RC_OK) {
            json_object_put(pair);
        }
    }
    buf_free(&text);
    json_object_put(answers);
    return rc;
}

/*
 * Every question/answer pair of a FUNSD form from its annotation file
 * (NAME.json lists only the first 10), for scoring precision. A form
 * without the file keeps it->pairs NULL.
 */
static rc_t
ev_funsd_pairs(const char *corpus, struct ev_item *it)
{
    json_object  *ann, *form = NULL, *e;
    char          path[EV_PATH];
    size_t        i, n;
    rc_t          rc = RC_OK;

    n = (size_t) snprintf(path, sizeof(path), "%s/annotations/%s.funsd.json",
        corpus, it->name);
    if (n >= sizeof(path)) {
        return RC_BADINPUT;
    }
    ann = json_object_from_file(path);
    if (ann == NULL) {
        return RC_OK;
    }
    it->pairs = json_object_new_array();
    if (it->pairs == NULL || jsonx_array(ann, "form", &form) != JSONX_OK) {
        json_object_put(ann);
        return it->pairs == NULL ? RC_NOMEM : RC_BADINPUT;
    }
    n = json_object_array_length(form);
    for (i = 0; rc == RC_OK && i < n; i++) {
        e = json_object_array_get_idx(form, i);
        if (ev_entity_is(e, "question")) {
            rc = ev_pair_add(form, e, it->pairs);
        }
    }
    json_object_put(ann);
    return rc;
}

/* -------------------------------------------------------------------- */
/* scoring the extractor                                                */

static void
ev_score_receipt(struct ev_item *it, json_object *res)
{
    json_object      *fields = NULL, *kv = NULL;
    struct ev_count  *c;
    const char       *gt = NULL, *got = NULL;
    int               i, has_gt, has_got;

    (void) jsonx_object(it->meta, "fields", &fields);
    (void) jsonx_object(res, "kv", &kv);
    for (i = 0; i < EV_RFIELDS; i++) {
        has_gt = fields != NULL
            && jsonx_string(fields, ev_rfields[i].gt, &gt) == JSONX_OK
            && gt[0] != '\0';
        has_got = kv != NULL
            && jsonx_string(kv, ev_rfields[i].kv, &got) == JSONX_OK
            && got[0] != '\0';
        c = &it->score.field[i];
        c->expected += has_gt;
        c->returned += has_got;
        it->score.rfield[i] = !has_got ? -1
            : has_gt && ev_same(ev_rfields[i].cmp, gt, got);
        c->hit_r += it->score.rfield[i] == 1;
        c->hit_p += it->score.rfield[i] == 1;
    }
}

#define EV_CLOSE_EDITS  0.1         /* of the answer's characters */

/* Whether a and v, both from ev_label, are within EV_CLOSE_EDITS. */
static int
ev_close(const char *a, const char *v)
{
    struct ev_wstr  wa = { NULL, 0 }, wv = { NULL, 0 };
    size_t          d = 0;
    int             ok = 0;

    if (ev_wtext(a, 1, &wa) == RC_OK && ev_wtext(v, 1, &wv) == RC_OK
        && ev_distance(&wa, &wv, &d) == RC_OK)
    {
        ok = (double) d <= EV_CLOSE_EDITS * wa.n;
    }
    free(wa.v);
    free(wv.v);
    return ok;
}

/*
 * Whether value v is answer a (both from ev_label). A date matches in
 * either order of day and month: forms write 9/3/92 without saying.
 */
static int
ev_answer_is(const char *a, const char *v, enum ev_match how)
{
    long  d;

    if (strcmp(a, v) == 0) {
        return 1;
    }
    d = ev_date(a, 1);
    if (d != 0 && d == ev_date(v, 1)) {
        return 1;
    }
    d = ev_date(a, 0);
    if (d != 0 && d == ev_date(v, 0)) {
        return 1;
    }
    return how == EV_CLOSE && ev_close(a, v);
}

/* Whether pair {"question", "answer"} is (nkey, nval) from ev_label. */
static int
ev_pair_is(json_object *pair, const char *nkey, const char *nval,
    enum ev_match how)
{
    const char  *q, *a;
    char         t[EV_TEXT];

    if (jsonx_string(pair, "question", &q) != JSONX_OK
        || jsonx_string(pair, "answer", &a) != JSONX_OK)
    {
        return 0;
    }
    ev_label(q, t, sizeof(t));
    if (t[0] == '\0' || strcmp(t, nkey) != 0) {
        return 0;
    }
    if (how == EV_KEY) {
        return 1;
    }
    ev_label(a, t, sizeof(t));
    return ev_answer_is(t, nval, how);
}

static int
ev_pairs_have(json_object *pairs, const char *nkey, const char *nval,
    enum ev_match how)
{
    size_t  i, n;

    n = pairs != NULL ? json_object_array_length(pairs) : 0;
    for (i = 0; i < n; i++) {
        if (ev_pair_is(json_object_array_get_idx(pairs, i), nkey, nval,
                how))
        {
            return 1;
        }
    }
    return 0;
}

/* Whether some entry of kv is pair as how compares them. */
static int
ev_kv_has(json_object *kv, json_object *pair, enum ev_match how)
{
    char  nk[EV_TEXT], nv[EV_TEXT];

    json_object_object_foreach(kv, key, val) {
        ev_label(key, nk, sizeof(nk));
        ev_label(json_object_get_string(val), nv, sizeof(nv));
        if (ev_pair_is(pair, nk, nv, how)) {
            return 1;
        }
    }
    return 0;
}

/*
 * Recall over the pairs NAME.json lists (the first 10), precision over
 * every pair of the form (its annotation file) as well.
 */
static void
ev_score_qa(struct ev_item *it, json_object *kv, json_object *listed)
{
    struct ev_count  *c = it->score.qa;
    char              nk[EV_TEXT], nv[EV_TEXT];
    enum ev_match     how;
    size_t            i, n;

    n = listed != NULL ? json_object_array_length(listed) : 0;
    for (how = 0; how < EV_MATCHES; how++) {
        for (i = 0; i < n; i++) {
            c[how].hit_r += ev_kv_has(kv, json_object_array_get_idx(listed,
                i), how);
        }
        c[how].expected += (long) n;
    }

    json_object_object_foreach(kv, key, val) {
        ev_label(key, nk, sizeof(nk));
        ev_label(json_object_get_string(val), nv, sizeof(nv));
        for (how = 0; how < EV_MATCHES; how++) {
            c[how].hit_p += ev_pairs_have(listed, nk, nv, how)
                || ev_pairs_have(it->pairs, nk, nv, how);
            c[how].returned++;
        }
    }
}

/* Whether the array of strings list holds nlabel after ev_label. */
static int
ev_list_has(json_object *list, const char *nlabel)
{
    char    t[EV_TEXT];
    size_t  i, n;

    n = list != NULL ? json_object_array_length(list) : 0;
    for (i = 0; i < n; i++) {
        ev_label(json_object_get_string(json_object_array_get_idx(list, i)),
            t, sizeof(t));
        if (strcmp(t, nlabel) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Labels that normalise to nothing (":") are not counted. */
static void
ev_score_blank(struct ev_count *c, json_object *truth, json_object *got)
{
    char    t[EV_TEXT];
    size_t  i, n;

    n = truth != NULL ? json_object_array_length(truth) : 0;
    for (i = 0; i < n; i++) {
        ev_label(json_object_get_string(json_object_array_get_idx(truth, i)),
            t, sizeof(t));
        if (t[0] != '\0') {
            c->expected++;
            c->hit_r += ev_list_has(got, t);
        }
    }
    n = got != NULL ? json_object_array_length(got) : 0;
    for (i = 0; i < n; i++) {
        ev_label(json_object_get_string(json_object_array_get_idx(got, i)),
            t, sizeof(t));
        c->returned++;
        c->hit_p += t[0] != '\0' && ev_list_has(truth, t);
    }
}

static void
ev_score_form(struct ev_item *it, json_object *res)
{
    json_object  *fields = NULL, *listed = NULL, *blank = NULL;
    json_object  *kv = NULL, *got = NULL;

    (void) jsonx_object(it->meta, "fields", &fields);
    if (fields != NULL) {
        (void) jsonx_array(fields, "qa_pairs", &listed);
        (void) jsonx_array(fields, "blank_fields", &blank);
    }
    (void) jsonx_object(res, "kv", &kv);
    (void) jsonx_array(res, "fields", &got);
    if (kv != NULL) {
        ev_score_qa(it, kv, listed);
    }
    ev_score_blank(&it->score.blank, blank, got);
}

/* The builtin extractor on our text, as the server runs it. */
static rc_t
ev_extract(struct ev *ev, struct ev_item *it, const char *text)
{
    struct extract_input   in;
    json_object           *res = NULL;
    const char            *js;
    rc_t                   rc;

    memset(&in, 0, sizeof(in));
    in.kind = it->kind == EV_FORM ? EXTRACT_FORM : EXTRACT_DOC;
    in.ocr_text = text;
    in.file_lib = ev->lib;
    rc = extract_builtin(&in, &res);
    if (rc != RC_OK) {
        fprintf(stderr, "eval: %s: extractor: %s\n", it->name, rc_str(rc));
        return rc;
    }
    if (it->kind == EV_RECEIPT) {
        ev_score_receipt(it, res);
    } else if (it->kind == EV_FORM) {
        ev_score_form(it, res);
    }
    it->score.done = 1;
    if (ev->opts.dump != NULL) {
        js = json_object_to_json_string_ext(res, JSON_C_TO_STRING_PRETTY
            | JSON_C_TO_STRING_NOSLASHESCAPE);
        ev_write_file(ev->opts.dump, it->name, ".result.json", js,
            strlen(js));
    }
    json_object_put(res);
    return RC_OK;
}

/* -------------------------------------------------------------------- */
/* the corpus                                                           */

static int
ev_is_json(const struct dirent *d)
{
    size_t  n;

    n = strlen(d->d_name);
    return n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/*
 * Whether the command line picked file (NAME.json): it names NAME, or
 * NAME.ext, or a path to one of them.
 */
static int
ev_wanted(const struct ev_opts *o, const char *file)
{
    const char  *b, *dot;
    size_t       n;
    int          i;

    if (o->nnames == 0) {
        return 1;
    }
    for (i = 0; i < o->nnames; i++) {
        b = strrchr(o->names[i], '/');
        b = b != NULL ? b + 1 : o->names[i];
        dot = strchr(b, '.');
        n = dot != NULL ? (size_t) (dot - b) : strlen(b);
        if (n == strlen(file) - 5 && strncmp(b, file, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The image beside NAME.json; RC_NOTFOUND when there is none. */
static rc_t
ev_find_image(const char *corpus, const char *name, char *out)
{
    size_t  i;

    for (i = 0; i < sizeof(ev_exts) / sizeof(ev_exts[0]); i++) {
        if (ev_path(out, corpus, name, ev_exts[i]) == 0
            && access(out, R_OK) == 0)
        {
            return RC_OK;
        }
    }
    return RC_NOTFOUND;
}

static void
ev_item_free(struct ev_item *it)
{
    json_object_put(it->pairs);
    json_object_put(it->meta);
    it->pairs = NULL;
    it->meta = NULL;
}

/* it from NAME.json; RC_NOTFOUND for a file that is no corpus entry. */
static rc_t
ev_item_load(const char *corpus, const char *file, struct ev_item *it)
{
    const char  *kind = "";
    char         path[EV_PATH];
    size_t       n;
    int          k;

    n = strlen(file) - 5;
    if (n >= sizeof(it->name)) {
        return RC_NOTFOUND;
    }
    memcpy(it->name, file, n);
    it->name[n] = '\0';
    if (ev_find_image(corpus, it->name, it->image) != RC_OK
        || ev_path(path, corpus, file, "") != 0)
    {
        return RC_NOTFOUND;
    }

    it->meta = json_object_from_file(path);
    (void) jsonx_string(it->meta, "kind", &kind);
    for (k = 0; k < EV_KINDS && strcmp(kind, ev_kind_names[k]) != 0; k++) {
        continue;
    }
    if (it->meta == NULL || k == EV_KINDS) {
        fprintf(stderr, "eval: %s: no kind form, receipt or page\n", file);
        ev_item_free(it);
        return RC_NOTFOUND;
    }
    it->kind = (enum ev_kind) k;
    return it->kind == EV_FORM ? ev_funsd_pairs(corpus, it) : RC_OK;
}

static rc_t
ev_load(struct ev *ev)
{
    struct dirent  **list = NULL;
    struct ev_item  *it;
    int              n, i;
    rc_t             rc = RC_OK;

    n = scandir(ev->opts.corpus, &list, ev_is_json, alphasort);
    if (n < 0) {
        fprintf(stderr, "eval: cannot list %s: %s\n", ev->opts.corpus,
            strerror(errno));
        return RC_NOTFOUND;
    }
    ev->items = calloc(n > 0 ? (size_t) n : 1, sizeof(*ev->items));
    rc = ev->items != NULL ? RC_OK : RC_NOMEM;
    for (i = 0; i < n; i++) {
        it = ev->items + ev->n;
        if (rc == RC_OK && ev_wanted(&ev->opts, list[i]->d_name)) {
            rc = ev_item_load(ev->opts.corpus, list[i]->d_name, it);
            ev->n += rc == RC_OK;
            rc = rc == RC_NOTFOUND ? RC_OK : rc;
        }
        free(list[i]);
    }
    free(list);
    if (rc == RC_OK && ev->n == 0) {
        fprintf(stderr, "eval: no images in %s\n", ev->opts.corpus);
        rc = RC_NOTFOUND;
    }
    return rc;
}

/* -------------------------------------------------------------------- */
/* the run                                                              */

/* --dump: both engines' text beside the extractor's result. */
static void
ev_dump(const struct ev *ev, const struct ev_item *it,
    const struct buf *ours, const struct buf *cli)
{
    if (ev->opts.dump == NULL) {
        return;
    }
    ev_write_file(ev->opts.dump, it->name, ".ours.txt", ours->data,
        ours->len);
    ev_write_file(ev->opts.dump, it->name, ".tesseract.txt", cli->data,
        cli->len);
}

/* One image: ours, then the CLI, then the extractor on our text. */
static rc_t
ev_run_item(struct ev *ev, struct ev_item *it)
{
    struct buf   ours, cli;
    char         path[EV_PATH];
    char        *data = NULL, *ref = NULL;
    size_t       len, rlen;
    rc_t         rc = RC_BADINPUT;

    buf_init(&ours, BUF_UNLIMITED);
    buf_init(&cli, BUF_UNLIMITED);
    data = ev_read_file(it->image, &len);
    if (ev_path(path, ev->opts.corpus, it->name, ".txt") == 0) {
        ref = ev_read_file(path, &rlen);
    }
    if (data == NULL || ref == NULL) {
        fprintf(stderr, "eval: %s: cannot read image or text\n", it->name);
        goto out;
    }

    rc = ev_ours(ev, data, len, &ours, it);
    if (rc == RC_OK) {
        rc = ev_score_text(ref, buf_cstr(&ours), &it->read[EV_OURS]);
    }
    if (rc == RC_OK && ev->opts.cli) {
        rc = ev_cli(it->image, &cli, &it->read[EV_TESS]);
        if (rc == RC_OK) {
            rc = ev_score_text(ref, buf_cstr(&cli), &it->read[EV_TESS]);
        }
    }
    if (rc == RC_OK && ev->opts.extract) {
        rc = ev_extract(ev, it, buf_cstr(&ours));
    }
    ev_dump(ev, it, &ours, &cli);

out:
    buf_free(&cli);
    buf_free(&ours);
    free(ref);
    free(data);
    return rc;
}

static int
ev_run(struct ev *ev)
{
    struct ev_item  *it;
    size_t           i;
    int              failed = 0;

    for (i = 0; i < ev->n; i++) {
        it = &ev->items[i];
        if (ev_run_item(ev, it) != RC_OK) {
            fprintf(stderr, "eval: %s: failed\n", it->name);
            failed++;
            continue;
        }
        fprintf(stderr, "eval: [%zu/%zu] %s: ours %.2f s", i + 1, ev->n,
            it->name, it->read[EV_OURS].secs);
        if (ev->opts.cli) {
            fprintf(stderr, ", tesseract %.2f s", it->read[EV_TESS].secs);
        }
        fprintf(stderr, "\n");
    }
    return failed;
}

/* -------------------------------------------------------------------- */
/* tables                                                               */

/* Means over one kind (EV_KINDS: all) of what each engine read. */
struct ev_sum {
    int     n[EV_ENGINES];
    double  cer[EV_ENGINES];
    double  nows[EV_ENGINES];
    double  spp[EV_ENGINES];        /* seconds per page, wall */
    double  cpp[EV_ENGINES];        /* CPU seconds per page */
    double  both[EV_ENGINES];       /* wall s, images read by both */
    double  cboth[EV_ENGINES];      /* CPU s, the same images */
};

static void
ev_sum_kind(const struct ev *ev, int kind, struct ev_sum *s)
{
    const struct ev_item  *it;
    const struct ev_read  *r;
    size_t                 i;
    int                    e, both, p;

    memset(s, 0, sizeof(*s));
    for (i = 0; i < ev->n; i++) {
        it = &ev->items[i];
        if (kind != EV_KINDS && (int) it->kind != kind) {
            continue;
        }
        both = it->read[EV_OURS].done && it->read[EV_TESS].done;
        p = it->pages > 0 ? it->pages : 1;
        for (e = 0; e < EV_ENGINES; e++) {
            r = &it->read[e];
            if (!r->done) {
                continue;
            }
            s->n[e]++;
            s->cer[e] += r->cer;
            s->nows[e] += r->cer_nows;
            s->spp[e] += r->secs / p;
            s->cpp[e] += r->cpu / p;
            s->both[e] += both ? r->secs : 0.0;
            s->cboth[e] += both ? r->cpu : 0.0;
        }
    }
}

/* v with prec decimals, or "-" when there is no value. */
static const char *
ev_num(char *out, size_t len, int ok, int prec, double v)
{
    if (!ok) {
        return "-";
    }
    (void) snprintf(out, len, "%.*f", prec, v);
    return out;
}

/* sum / n for engine e of s, or "-". */
static const char *
ev_mean(char *out, const struct ev_sum *s, const double *sum, int e,
    int prec)
{
    return ev_num(out, 32, s->n[e] > 0, prec, sum[e] / (s->n[e] > 0
        ? s->n[e] : 1));
}

static const char *
ev_ratio_of(char *out, const double *v)
{
    return ev_num(out, 32, v[EV_TESS] > 0, 2, v[EV_OURS] / (v[EV_TESS] > 0
        ? v[EV_TESS] : 1));
}

static void
ev_print_sum(const struct ev *ev, int kind)
{
    struct ev_sum  s;
    char           b[12][32];

    ev_sum_kind(ev, kind, &s);
    printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
        kind == EV_KINDS ? "all" : ev_kind_names[kind], s.n[EV_OURS],
        ev_mean(b[0], &s, s.cer, EV_OURS, 3),
        ev_mean(b[1], &s, s.cer, EV_TESS, 3),
        ev_mean(b[2], &s, s.nows, EV_OURS, 3),
        ev_mean(b[3], &s, s.nows, EV_TESS, 3),
        ev_mean(b[4], &s, s.spp, EV_OURS, 2),
        ev_mean(b[5], &s, s.spp, EV_TESS, 2),
        ev_ratio_of(b[6], s.both),
        ev_mean(b[7], &s, s.cpp, EV_OURS, 2),
        ev_mean(b[8], &s, s.cpp, EV_TESS, 2),
        ev_ratio_of(b[9], s.cboth));
}

static void
ev_print_ocr(const struct ev *ev)
{
    const struct ev_item  *it;
    const struct ev_read  *o, *t;
    char                   b[8][32];
    size_t                 i;
    int                    k, p;

    printf("\n## OCR, per image\n\n"
        "| image | kind | pages | CER ours | CER CLI | no-space ours "
        "| no-space CLI | s/page ours | s/page CLI | CPU s ours "
        "| CPU s CLI |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (i = 0; i < ev->n; i++) {
        it = &ev->items[i];
        o = &it->read[EV_OURS];
        t = &it->read[EV_TESS];
        p = it->pages > 0 ? it->pages : 1;
        printf("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            it->name, ev_kind_names[it->kind], it->pages,
            ev_num(b[0], 32, o->done, 3, o->cer),
            ev_num(b[1], 32, t->done, 3, t->cer),
            ev_num(b[2], 32, o->done, 3, o->cer_nows),
            ev_num(b[3], 32, t->done, 3, t->cer_nows),
            ev_num(b[4], 32, o->done, 2, o->secs / p),
            ev_num(b[5], 32, t->done, 2, t->secs / p),
            ev_num(b[6], 32, o->done, 2, o->cpu / p),
            ev_num(b[7], 32, t->done, 2, t->cpu / p));
    }

    printf("\n## OCR, mean per kind\n\n"
        "| kind | images | CER ours | CER CLI | no-space ours "
        "| no-space CLI | s/page ours | s/page CLI | time ours/CLI "
        "| CPU s/page ours | CPU s/page CLI | CPU ours/CLI |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (k = 0; k <= EV_KINDS; k++) {
        ev_print_sum(ev, k);
    }
}

/* "0.60 (3/5)", or "- (0/0)" without a denominator. */
static const char *
ev_ratio(char *out, size_t len, long num, long den)
{
    if (den <= 0) {
        (void) snprintf(out, len, "- (0/0)");
    } else {
        (void) snprintf(out, len, "%.2f (%ld/%ld)", (double) num / den, num,
            den);
    }
    return out;
}

static void
ev_add(struct ev_count *to, const struct ev_count *c)
{
    to->hit_r += c->hit_r;
    to->expected += c->expected;
    to->hit_p += c->hit_p;
    to->returned += c->returned;
}

static void
ev_print_count(const char *kind, const char *what, const struct ev_count *c)
{
    char  r[64], p[64];

    printf("| %s | %s | %s | %s |\n", kind, what,
        ev_ratio(r, sizeof(r), c->hit_r, c->expected),
        ev_ratio(p, sizeof(p), c->hit_p, c->returned));
}

static void
ev_print_receipts(const struct ev *ev, struct ev_count *sum)
{
    static const char *const  mark[] = { "none", "wrong", "right" };
    const struct ev_item     *it;
    size_t                    i;
    int                       f;

    printf("\n## Extraction, receipts (builtin on our OCR text)\n\n"
        "| receipt | company | date | address | total |\n"
        "|---|---|---|---|---|\n");
    for (i = 0; i < ev->n; i++) {
        it = &ev->items[i];
        if (it->kind != EV_RECEIPT || !it->score.done) {
            continue;
        }
        printf("| %s |", it->name);
        for (f = 0; f < EV_RFIELDS; f++) {
            printf(" %s |", mark[it->score.rfield[f] + 1]);
            ev_add(&sum[f], &it->score.field[f]);
        }
        printf("\n");
    }
}

static void
ev_print_forms(const struct ev *ev, struct ev_count *sum)
{
    const struct ev_item   *it;
    const struct ev_score  *s;
    const struct ev_count  *q;
    size_t                  i;
    int                     how;

    printf("\n## Extraction, forms (builtin on our OCR text)\n\n"
        "found / listed pairs, and matched / returned kv entries\n\n"
        "| form | pairs | close pairs | keys | kv pairs | kv close "
        "| kv keys | blank found | fields matched |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for (i = 0; i < ev->n; i++) {
        it = &ev->items[i];
        s = &it->score;
        q = s->qa;
        if (it->kind != EV_FORM || !s->done) {
            continue;
        }
        printf("| %s | %ld/%ld | %ld/%ld | %ld/%ld | %ld/%ld | %ld/%ld "
            "| %ld/%ld | %ld/%ld | %ld/%ld |\n", it->name,
            q[EV_EXACT].hit_r, q[EV_EXACT].expected, q[EV_CLOSE].hit_r,
            q[EV_CLOSE].expected, q[EV_KEY].hit_r, q[EV_KEY].expected,
            q[EV_EXACT].hit_p, q[EV_EXACT].returned, q[EV_CLOSE].hit_p,
            q[EV_CLOSE].returned, q[EV_KEY].hit_p, q[EV_KEY].returned,
            s->blank.hit_r, s->blank.expected, s->blank.hit_p,
            s->blank.returned);
        for (how = 0; how < EV_MATCHES; how++) {
            ev_add(&sum[how], &q[how]);
        }
        ev_add(&sum[EV_MATCHES], &s->blank);
    }
}

static void
ev_print_extract(const struct ev *ev)
{
    struct ev_count  rsum[EV_RFIELDS], fsum[EV_MATCHES + 1];
    int              f;

    memset(rsum, 0, sizeof(rsum));
    memset(fsum, 0, sizeof(fsum));
    ev_print_receipts(ev, rsum);
    ev_print_forms(ev, fsum);
    printf("\n## Extraction, per kind\n\n"
        "| kind | measure | recall | precision |\n|---|---|--:|--:|\n");
    for (f = 0; f < EV_RFIELDS; f++) {
        ev_print_count("receipt", ev_rfields[f].gt, &rsum[f]);
    }
    ev_print_count("form", "question/answer pairs", &fsum[EV_EXACT]);
    ev_print_count("form", "pairs, answer within 10% edits",
        &fsum[EV_CLOSE]);
    ev_print_count("form", "questions as keys", &fsum[EV_KEY]);
    ev_print_count("form", "blank fields", &fsum[EV_MATCHES]);
}

static void
ev_print_head(const struct ev *ev)
{
    char        when[64];
    time_t      now;
    struct tm   tm;

    now = time(NULL);
    if (gmtime_r(&now, &tm) == NULL
        || strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm) == 0)
    {
        when[0] = '\0';
    }
    printf("# OCR and extraction accuracy\n\n"
        "- run: %s; images: %zu from %s\n"
        "- ours: libtesseract %s, languages %s, min_text_height %d, "
        "osd %d, deskew %d, one engine made before timing\n",
        when, ev->n, ev->opts.corpus, TessVersion(), ev->cfg.languages,
        ev->cfg.min_text_height, ev->cfg.osd, ev->cfg.deskew);
    if (ev->opts.cli) {
        printf("- CLI: `%s IMG - -l eng`; its start-up and model load "
            "(%.2f s, CPU %.2f s, on a blank page) is in every CLI time\n",
            EV_CLI, ev->cli_start.secs, ev->cli_start.cpu);
    } else {
        printf("- CLI: not run (--no-cli)\n");
    }
    printf("- OMP_THREAD_LIMIT=%s for both\n", getenv("OMP_THREAD_LIMIT"));
}

/* -------------------------------------------------------------------- */
/* setup                                                                */

static void
ev_usage(void)
{
    fprintf(stderr, "usage: eval [--corpus DIR] [--no-cli] [--no-extract] "
        "[--dump DIR]\n"
        "            [--min-text-height N] [--no-deskew] [--no-osd] "
        "[NAME...]\n");
}

/* The corpus: --corpus, DS_CORPUS, or ../shared/corpus of DS_SRCDIR. */
static const char *
ev_default_corpus(void)
{
    static char  path[EV_PATH];
    const char  *d;

    d = getenv("DS_CORPUS");
    if (d != NULL && d[0] != '\0') {
        return d;
    }
    d = getenv("DS_SRCDIR");
    (void) snprintf(path, sizeof(path), "%s/../shared/corpus",
        d != NULL && d[0] != '\0' ? d : ".");
    return path;
}

/* --min-text-height: 0-200 as the config takes it; -1 when not. */
static int
ev_height(const char *s)
{
    char  *end;
    long   v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < 0 || v > 200) {
        return -1;
    }
    return (int) v;
}

static int
ev_args(struct ev_opts *o, int argc, char **argv)
{
    static const struct option  longs[] = {
        { "corpus", required_argument, NULL, 'C' },
        { "dump", required_argument, NULL, 'D' },
        { "min-text-height", required_argument, NULL, 'm' },
        { "no-cli", no_argument, NULL, 'c' },
        { "no-extract", no_argument, NULL, 'x' },
        { "no-deskew", no_argument, NULL, 'd' },
        { "no-osd", no_argument, NULL, 'o' },
        { NULL, 0, NULL, 0 }
    };
    int                         c;

    o->corpus = ev_default_corpus();
    o->cli = o->extract = 1;
    o->min_text_height = o->osd = o->deskew = -1;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (c) {
        case 'C':
            o->corpus = optarg;
            break;
        case 'D':
            o->dump = optarg;
            break;
        case 'c':
            o->cli = 0;
            break;
        case 'x':
            o->extract = 0;
            break;
        case 'd':
            o->deskew = 0;
            break;
        case 'o':
            o->osd = 0;
            break;
        case 'm':
            o->min_text_height = ev_height(optarg);
            if (o->min_text_height < 0) {
                return -1;
            }
            break;
        default:
            return -1;
        }
    }
    o->names = argv + optind;
    o->nnames = argc - optind;
    return 0;
}

static rc_t
ev_setup(struct ev *ev)
{
    struct ocr_opts  oo;
    rc_t             rc;

    cfg_defaults(&ev->cfg);
    if (ev->opts.min_text_height >= 0) {
        ev->cfg.min_text_height = ev->opts.min_text_height;
    }
    ev->cfg.osd = ev->opts.osd == 0 ? 0 : ev->cfg.osd;
    ev->cfg.deskew = ev->opts.deskew == 0 ? 0 : ev->cfg.deskew;

    memset(&oo, 0, sizeof(oo));
    oo.languages = ev->cfg.languages;
    oo.tessdata_dir = ev->cfg.tessdata_dir;
    oo.slots = 1;                   /* one page at a time, as the CLI */
    oo.min_text_height = ev->cfg.min_text_height;
    oo.osd = ev->cfg.osd;
    oo.deskew = ev->cfg.deskew;
    oo.max_pixels = ev->cfg.max_pixels;
    rc = ocr_pool_new(&oo, &ev->pool);
    if (rc == RC_OK) {
        rc = extract_lib_normalise(NULL, -1, &ev->lib);
    }
    if (rc == RC_OK) {
        rc = ev_load(ev);
    }
    if (rc == RC_OK) {
        rc = ev_warm_up(ev);
    }
    return rc;
}

static void
ev_teardown(struct ev *ev)
{
    size_t  i;

    for (i = 0; i < ev->n; i++) {
        ev_item_free(&ev->items[i]);
    }
    free(ev->items);
    json_object_put(ev->lib);
    ocr_pool_free(ev->pool);
}

/*
 * Both engines run with OMP_THREAD_LIMIT=1: libgomp reads it when it
 * loads, so set it and start again (the CLI inherits it).
 */
static void
ev_limit_threads(char **argv)
{
    const char  *v;

    v = getenv("OMP_THREAD_LIMIT");
    if (v != NULL && strcmp(v, "1") == 0) {
        return;
    }
    if (setenv("OMP_THREAD_LIMIT", "1", 1) == 0) {
        execv("/proc/self/exe", argv);
    }
    fprintf(stderr, "eval: cannot restart with OMP_THREAD_LIMIT=1\n");
}

int
main(int argc, char **argv)
{
    struct ev  ev;
    int        failed = 0;

    ev_limit_threads(argv);
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
        fprintf(stderr, "eval: no C.UTF-8 locale\n");
        return 1;
    }
    memset(&ev, 0, sizeof(ev));
    if (ev_args(&ev.opts, argc, argv) != 0) {
        ev_usage();
        return 64;
    }
    if (log_open(NULL, LOG_WARN) != RC_OK || ev_setup(&ev) != RC_OK) {
        fprintf(stderr, "eval: cannot start\n");
        ev_teardown(&ev);
        return 1;
    }

    failed = ev_run(&ev);
    ev_print_head(&ev);
    ev_print_ocr(&ev);
    if (ev.opts.extract) {
        ev_print_extract(&ev);
    }
    ev_teardown(&ev);
    return failed == 0 ? 0 : 1;
}
