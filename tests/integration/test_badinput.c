/*
 * test_badinput.c - bad input and the security settings, end to end
 * through the real nginx (TLS) and FastCGI pool that tests/run starts
 * (MAIN: builtin extractor, max_body_bytes 8 MiB, max_image_bytes 2 MiB,
 * lease 2 s):
 *   - tables of malformed and odd requests (transport, JSON, crypto,
 *     payload), each row with the status and error_detail it must get;
 *     odd but valid images complete; afterwards the pool is the same
 *     processes, it answers, and no reply was an undocumented 5xx;
 *   - TLS 1.2 and 1.3 only, HTTP redirected, security headers;
 *   - rate limits, nginx's per address and the app's per client_id, on
 *     a small stack of the test's own (needs DS_SRCDIR and DS_BUILDDIR);
 *   - no image, key, document text, field value or client_id in a log.
 * Exits 77 without the MAIN stack.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <gif_lib.h>
#include <leptonica/allheaders.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "client.h"
#include "crypto.h"
#include "jsonx.h"
#include "tls.h"
#include "../unit/testutil.h"

#define NEED(flag) do { if (!(flag)) return; } while (0)

#define HEX64 "0123456789abcdef0123456789abcdef" \
              "0123456789abcdef0123456789abcdef"
#define POLL_BODY "{\"client_id\":\"badinput\",\"type\":\"doc\"," \
                  "\"SHA256\":\"" HEX64 "\",\"has_content\":false}"
#define RAW_HEAD "Host: 127.0.0.1\r\nConnection: close\r\n"
#define MIB (1024L * 1024)

#define MAX_PENDING   32
#define MAX_STALLS    10
#define MAX_NEEDLES   256
#define JOB_WAIT_S    300
#define BODY_TIMEOUT  30        /* client_body_timeout in the snippet */

struct blob {
    unsigned char  *data;
    size_t          len;
};

/* A request a row builds: over curl, or raw bytes over TLS. */
enum req_mode { REQ_CURL = 0, REQ_RAW, REQ_HALF_CLOSE, REQ_STALL };

struct req {
    enum req_mode     mode;
    const char       *method;
    char              verb[16];     /* method's storage when built */
    char             *path;         /* below the API URL; NULL: /process */
    const char       *ctype;
    char             *body;         /* raw modes: the whole request */
    size_t            len;
    const char       *type;         /* a sealed submission: to poll it */
    char              client[96];
    struct envelope   env;
    int               sealed;
};

struct row {
    const char   *name;
    int         (*build)(const struct row *w, struct req *q);
    const char   *arg;
    long          status;           /* 0: no reply, the server closes */
    const char   *code;             /* error_detail, or "processing" */
    const char   *done;             /* a job: "completed" or its code */
    int         (*check)(json_object *res, char *why, size_t whylen);
};

struct pending {
    const struct row  *row;
    char               client[96];
    const char        *type;
    struct envelope    env;
};

struct stall {
    struct itc_tls  t;
    time_t          opened;
};

static struct itc       main_stack, lim_stack;
static int              have_main, have_lim;
static char             corpus[1024];
static char             work[64];
static char             pool_before[1024];
static unsigned         seq;

static struct {
    struct blob  receipt;       /* sroie_000.jpg as the app sends it */
    struct blob  one;           /* 1x1 white PNG */
    struct blob  blank;         /* a white page */
    struct blob  png16;         /* the receipt as 16-bit grey PNG */
    struct blob  palette;       /* ... 4-bit palette, background clear */
    struct blob  progressive;   /* ... progressive JPEG */
    struct blob  cmyk;          /* ... CMYK JPEG (ImageMagick; or none) */
    struct blob  tiff2;         /* ... twice, a two-page TIFF */
    struct blob  tiff21;        /* 21 tiny pages */
    struct blob  gif;           /* ... two frames, looping */
    struct blob  png_cut;       /* a form PNG cut after 3000 bytes */
} img;

static struct pending   pending[MAX_PENDING];
static size_t           npending;
static struct stall     stalls[MAX_STALLS];
static size_t           nstalls;
static char            *needles[MAX_NEEDLES];
static size_t           nneedles;
static int              n5xx;
static struct buf       fails;          /* the failed rows, one a line */
static int              nfails;

/* ---- small helpers --------------------------------------------------- */

static char *
xstrdup(const char *s)
{
    char  *p = strdup(s);

    ck_assert_ptr_nonnull(p);
    return p;
}

static char *
xprintf(const char *fmt, ...)
{
    struct buf  b;
    va_list     ap;
    rc_t        rc;

    buf_init(&b, BUF_UNLIMITED);
    va_start(ap, fmt);
    rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(rc, RC_OK);
    return buf_steal(&b, NULL);
}

/* A string of n copies of c. */
static char *
repeat(char c, size_t n)
{
    char  *s = malloc(n + 1);

    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static const char *
new_client(char *out, size_t len)
{
    snprintf(out, len, "badinput-%d-%u-%ld", (int) getpid(), ++seq,
             (long) time(NULL));
    return out;
}

static void
needle_add(const char *s)
{
    if (nneedles < MAX_NEEDLES) {
        needles[nneedles++] = xstrdup(s);
    }
}

/* Note a row's failure; the table goes on and fails at its end. */
static void
row_fail(const char *name, const char *fmt, ...)
{
    va_list  ap;
    rc_t     rc;

    nfails++;
    ck_assert_int_eq(buf_printf(&fails, "  %s: ", name), RC_OK);
    va_start(ap, fmt);
    rc = buf_vprintf(&fails, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(rc, RC_OK);
    ck_assert_int_eq(buf_append_str(&fails, "\n"), RC_OK);
}

static void
fails_reset(void)
{
    nfails = 0;
    buf_free(&fails);
    buf_init(&fails, BUF_UNLIMITED);
}

/* A 5xx that is not one of the documented 503s. */
static void
count_5xx(const struct itc_reply *r)
{
    const char  *d = itc_detail(r);

    if (r->status >= 500 && !(r->status == 503
        && (strcmp(d, "DATABASE_ERROR") == 0
            || strcmp(d, "SERVICE_UNAVAILABLE") == 0)))
    {
        n5xx++;
    }
}

/* Lower-cased, spaces dropped: OCR splits words its own way. */
static void
squeeze(const char *s, char *out, size_t outlen)
{
    size_t  j = 0;

    for (; *s != '\0' && j + 1 < outlen; s++) {
        if (*s != ' ') {
            out[j++] = (char) tolower((unsigned char) *s);
        }
    }
    out[j] = '\0';
}

static int
json_has_text(json_object *o, const char *needle)
{
    static char  hay[65536];
    char         want[256];

    squeeze(json_object_to_json_string(o), hay, sizeof(hay));
    squeeze(needle, want, sizeof(want));
    return strstr(hay, want) != NULL;
}

/* The process ids under the stack's multiwatch, sorted. */
static void
pool_pids(const struct itc *c, char *out, size_t outlen)
{
    char    cmd[1200];
    FILE   *p;
    size_t  n;

    snprintf(cmd, sizeof(cmd), "pgrep -P \"$(cat '%s/run/pool.pid')\" "
             "| sort -n | tr '\\n' ' '", c->dir);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
}

/* ---- images, made at test time --------------------------------------- */

/* Take what a pixWriteMem* call made (it returned bad) into out. */
static void
blob_from_lept(l_ok bad, l_uint8 *data, size_t len, struct blob *out)
{
    ck_assert_int_eq(bad, 0);
    ck_assert_ptr_nonnull(data);
    out->data = malloc(len);
    ck_assert_ptr_nonnull(out->data);
    memcpy(out->data, data, len);
    out->len = len;
    lept_free(data);
}

static void
make_png(PIX *pix, struct blob *out)
{
    l_uint8  *d = NULL;
    size_t    n = 0;
    l_ok      bad;

    bad = pixWriteMemPng(&d, &n, pix, 0.0);
    blob_from_lept(bad, d, n, out);
}

/* White pixels of a size, as PNG. */
static void
make_white(int w, int h, struct blob *out)
{
    PIX  *pix = pixCreate(w, h, 8);

    ck_assert_ptr_nonnull(pix);
    pixSetAll(pix);
    make_png(pix, out);
    pixDestroy(&pix);
}

/* 16 grey levels in a colour map; the light ones made transparent
 * black, so only alpha put on white gives the page back. */
static void
make_palette(PIX *grey, struct blob *out)
{
    PIX       *pix = pixThresholdTo4bpp(grey, 16, 1);
    PIXCMAP   *cmap;
    l_int32    i, r, g, b;

    ck_assert_ptr_nonnull(pix);
    cmap = pixGetColormap(pix);
    ck_assert_ptr_nonnull(cmap);
    for (i = 0; i < pixcmapGetCount(cmap); i++) {
        ck_assert_int_eq(pixcmapGetColor(cmap, i, &r, &g, &b), 0);
        if (r >= 160) {
            ck_assert_int_eq(pixcmapResetColor(cmap, i, 0, 0, 0), 0);
            ck_assert_int_eq(pixcmapSetAlpha(cmap, i, 0), 0);
        }
    }
    make_png(pix, out);
    pixDestroy(&pix);
    ck_assert_ptr_nonnull(memmem(out->data, out->len, "PLTE", 4));
    ck_assert_ptr_nonnull(memmem(out->data, out->len, "tRNS", 4));
}

static void
make_tiff(PIX *page, int n, struct blob *out)
{
    PIXA     *pixa = pixaCreate(n);
    l_uint8  *d = NULL;
    size_t    len = 0;
    l_ok      bad;
    int       i;

    for (i = 0; i < n; i++) {
        ck_assert_int_eq(pixaAddPix(pixa, page, L_COPY), 0);
    }
    bad = pixaWriteMemMultipageTiff(&d, &len, pixa);
    blob_from_lept(bad, d, len, out);
    pixaDestroy(&pixa);
}

static int
gif_put(GifFileType *gif, const GifByteType *p, int n)
{
    struct buf  *b = gif->UserData;

    return buf_append(b, p, (size_t) n) == RC_OK ? n : 0;
}

/* One frame of the grey page, after its graphic control block. */
static void
gif_frame(GifFileType *gif, PIX *grey)
{
    static const GifByteType  gce[4] = { 0, 50, 0, 0 };     /* 0.5 s */
    GifPixelType             *line;
    l_uint32                  v;
    int                       w = pixGetWidth(grey), x, y;

    ck_assert_int_eq(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, 4, gce),
                     GIF_OK);
    ck_assert_int_eq(EGifPutImageDesc(gif, 0, 0, w, pixGetHeight(grey),
                                      false, NULL), GIF_OK);
    line = malloc((size_t) w);
    ck_assert_ptr_nonnull(line);
    for (y = 0; y < pixGetHeight(grey); y++) {
        for (x = 0; x < w; x++) {
            pixGetPixel(grey, x, y, &v);
            line[x] = (GifPixelType) v;
        }
        ck_assert_int_eq(EGifPutLine(gif, line, w), GIF_OK);
    }
    free(line);
}

/* An animated GIF: two frames of the page, looping (NETSCAPE2.0). */
static void
make_gif(PIX *grey, struct blob *out)
{
    static const GifByteType  loop[3] = { 1, 0, 0 };
    ColorMapObject           *map;
    GifFileType              *gif;
    struct buf                b;
    int                       i, err = 0;

    buf_init(&b, BUF_UNLIMITED);
    map = GifMakeMapObject(256, NULL);
    ck_assert_ptr_nonnull(map);
    for (i = 0; i < 256; i++) {
        map->Colors[i].Red = map->Colors[i].Green = (GifByteType) i;
        map->Colors[i].Blue = (GifByteType) i;
    }
    gif = EGifOpen(&b, gif_put, &err);
    ck_assert_ptr_nonnull(gif);
    EGifSetGifVersion(gif, true);
    ck_assert_int_eq(EGifPutScreenDesc(gif, pixGetWidth(grey),
                                       pixGetHeight(grey), 8, 0, map),
                     GIF_OK);
    ck_assert_int_eq(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE),
                     GIF_OK);
    ck_assert_int_eq(EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0"), GIF_OK);
    ck_assert_int_eq(EGifPutExtensionBlock(gif, 3, loop), GIF_OK);
    ck_assert_int_eq(EGifPutExtensionTrailer(gif), GIF_OK);
    gif_frame(gif, grey);
    gif_frame(gif, grey);
    ck_assert_int_eq(EGifCloseFile(gif, &err), GIF_OK);
    GifFreeMapObject(map);
    out->data = (unsigned char *) buf_steal(&b, &out->len);
}

/* The number of components in a JPEG's first start-of-frame, or -1. */
static int
jpeg_components(const struct blob *j, int *progressive)
{
    size_t  i;

    for (i = 2; i + 10 < j->len; i++) {
        if (j->data[i] == 0xff
            && (j->data[i + 1] == 0xc0 || j->data[i + 1] == 0xc2))
        {
            *progressive = j->data[i + 1] == 0xc2;
            return j->data[i + 9];
        }
    }
    return -1;
}

/* CMYK needs a writer leptonica does not have: ImageMagick, if there. */
static void
make_cmyk(const char *jpeg, struct blob *out)
{
    char  path[200];
    int   prog = 0;

    if (itc_sh("command -v convert >/dev/null 2>&1") != 0) {
        return;
    }
    snprintf(path, sizeof(path), "%s/cmyk.jpg", work);
    ck_assert_int_eq(itc_sh("convert '%s' -colorspace CMYK '%s'", jpeg,
                            path), 0);
    out->data = test_read_file(path, &out->len);
    ck_assert_ptr_nonnull(out->data);
    ck_assert_int_eq(jpeg_components(out, &prog), 4);
}

static void
make_receipt_variants(const char *path)
{
    PIX      *rgb, *grey, *p16, *tiny;
    l_uint8  *d = NULL;
    size_t    n = 0;
    l_ok      bad;
    int       prog = 0;

    rgb = pixRead(path);
    ck_assert_ptr_nonnull(rgb);
    grey = pixConvertRGBToLuminance(rgb);
    ck_assert_ptr_nonnull(grey);

    p16 = pixConvert8To16(grey, 8);
    ck_assert_ptr_nonnull(p16);
    make_png(p16, &img.png16);
    ck_assert_int_eq(img.png16.data[24], 16);           /* IHDR depth */
    pixDestroy(&p16);

    make_palette(grey, &img.palette);

    bad = pixWriteMemJpeg(&d, &n, rgb, 100, 1);
    blob_from_lept(bad, d, n, &img.progressive);
    ck_assert_int_eq(jpeg_components(&img.progressive, &prog), 3);
    ck_assert_int_eq(prog, 1);

    make_cmyk(path, &img.cmyk);
    make_tiff(grey, 2, &img.tiff2);
    make_gif(grey, &img.gif);

    tiny = pixCreate(16, 16, 1);
    ck_assert_ptr_nonnull(tiny);
    make_tiff(tiny, 21, &img.tiff21);
    pixDestroy(&tiny);
    pixDestroy(&grey);
    pixDestroy(&rgb);
}

START_TEST(test_make_images)
{
    char    path[1200];
    size_t  n;

    NEED(have_main);
    snprintf(path, sizeof(path), "%s/sroie_000.jpg", corpus);
    img.receipt.data = test_read_file(path, &img.receipt.len);
    ck_assert_msg(img.receipt.data != NULL, "no corpus at %s", corpus);
    make_receipt_variants(path);
    make_white(1, 1, &img.one);
    make_white(1240, 1754, &img.blank);

    snprintf(path, sizeof(path), "%s/funsd_82254765.png", corpus);
    img.png_cut.data = test_read_file(path, &n);
    ck_assert_ptr_nonnull(img.png_cut.data);
    img.png_cut.len = 3000;
}
END_TEST

/* ---- requests -------------------------------------------------------- */

static void
req_free(struct req *q)
{
    free(q->path);
    free(q->body);
    envelope_free(&q->env);
    memset(q, 0, sizeof(*q));
}

static void
req_json(struct req *q, char *body)
{
    q->method = "POST";
    q->ctype = "application/json";
    q->body = body;
    q->len = strlen(body);
}

static void
req_raw(struct req *q, enum req_mode mode, char *bytes, size_t len)
{
    q->mode = mode;
    q->body = bytes;
    q->len = len;
}

/* POST /process with the row's JSON text. */
static int
b_json(const struct row *w, struct req *q)
{
    req_json(q, xstrdup(w->arg));
    return 0;
}

/* A poll body under the row's Content-Type (NULL: none). */
static int
b_ctype(const struct row *w, struct req *q)
{
    req_json(q, xstrdup(POLL_BODY));
    q->ctype = w->arg;
    return 0;
}

/* "METHOD /path", no body. */
static int
b_route(const struct row *w, struct req *q)
{
    size_t  n = strcspn(w->arg, " ");

    ck_assert_uint_lt(n, sizeof(q->verb));
    memcpy(q->verb, w->arg, n);
    q->verb[n] = '\0';
    q->method = q->verb;
    q->path = xstrdup(w->arg + n + 1);
    return 0;
}

/* The row's text as the whole request. */
static int
b_raw(const struct row *w, struct req *q)
{
    req_raw(q, REQ_RAW, xstrdup(w->arg), strlen(w->arg));
    return 0;
}

static int
b_chunked(const struct row *w, struct req *q)
{
    char  *s;

    (void) w;
    s = xprintf("POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
                "Content-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
                "10\r\n%.16s\r\n%zx\r\n%s\r\n0\r\n\r\n", POLL_BODY,
                strlen(POLL_BODY) - 16, POLL_BODY + 16);
    req_raw(q, REQ_RAW, s, strlen(s));
    return 0;
}

/* Headers announcing 1000 bytes, then 100 of them. */
static char *
partial_request(size_t *len)
{
    char  *s, *pad;

    pad = repeat(' ', 99);
    s = xprintf("POST /api/v1/process HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: 1000\r\n\r\n{%s", pad);
    free(pad);
    *len = strlen(s);
    return s;
}

static int
b_half_close(const struct row *w, struct req *q)
{
    size_t  n;
    char   *s;

    (void) w;
    s = partial_request(&n);
    req_raw(q, REQ_HALF_CLOSE, s, n);
    return 0;
}

static int
b_stall(const struct row *w, struct req *q)
{
    size_t  n;
    char   *s;

    (void) w;
    s = partial_request(&n);
    req_raw(q, REQ_STALL, s, n);
    return 0;
}

static int
b_body_9mb(const struct row *w, struct req *q)
{
    char  *s = repeat(' ', 9 * MIB);

    (void) w;
    s[0] = '{';
    s[9 * MIB - 1] = '}';
    req_json(q, s);
    return 0;
}

/* Raw: itc_request's URL buffer would cut it short. */
static int
b_long_uri(const struct row *w, struct req *q)
{
    char  *a = repeat('a', 100 * 1024), *s;

    (void) w;
    s = xprintf("GET /api/v1/%s HTTP/1.1\r\n" RAW_HEAD "\r\n", a);
    free(a);
    req_raw(q, REQ_RAW, s, strlen(s));
    return 0;
}

static int
b_long_header(const struct row *w, struct req *q)
{
    char  *a = repeat('a', 64 * 1024), *s;

    (void) w;
    s = xprintf("GET /api/v1/check_status HTTP/1.1\r\n" RAW_HEAD
                "X-Long: %s\r\n\r\n", a);
    free(a);
    req_raw(q, REQ_RAW, s, strlen(s));
    return 0;
}

static int
b_many_headers(const struct row *w, struct req *q)
{
    struct buf  b;
    int         i;

    (void) w;
    buf_init(&b, BUF_UNLIMITED);
    ck_assert_int_eq(buf_append_str(&b, "GET /api/v1/check_status HTTP/1.1"
                                    "\r\n" RAW_HEAD), RC_OK);
    for (i = 0; i < 4000; i++) {
        ck_assert_int_eq(buf_printf(&b, "X-Header-%d: %d\r\n", i, i), RC_OK);
    }
    ck_assert_int_eq(buf_append_str(&b, "\r\n"), RC_OK);
    req_raw(q, REQ_RAW, NULL, 0);
    q->body = buf_steal(&b, &q->len);
    return 0;
}

static int
b_nul_header(const struct row *w, struct req *q)
{
    static const char  s[] = "GET /api/v1/check_status HTTP/1.1\r\n"
                             RAW_HEAD "X-Nul: a\0b\r\n\r\n";

    (void) w;
    req_raw(q, REQ_RAW, malloc(sizeof(s)), sizeof(s) - 1);
    ck_assert_ptr_nonnull(q->body);
    memcpy(q->body, s, sizeof(s));
    return 0;
}

/* ---- JSON rows that are built ---------------------------------------- */

static int
b_deep(const struct row *w, struct req *q)
{
    size_t  depth = 100000;
    char   *s = malloc(2 * depth + 1);

    (void) w;
    ck_assert_ptr_nonnull(s);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[2 * depth] = '\0';
    req_json(q, s);
    return 0;
}

static int
b_deep_field(const struct row *w, struct req *q)
{
    char  *open = repeat('[', 100000), *close = repeat(']', 100000);

    (void) w;
    req_json(q, xprintf("{\"client_id\":%s%s,\"type\":\"doc\",\"SHA256\":"
                        "\"" HEX64 "\",\"has_content\":false}", open,
                        close));
    free(open);
    free(close);
    return 0;
}

/* A poll whose client_id is the row's number of 'x' bytes. */
static int
b_long_client(const struct row *w, struct req *q)
{
    char  *id = repeat('x', strtoul(w->arg, NULL, 10));

    req_json(q, xprintf("{\"client_id\":\"%s\",\"type\":\"doc\",\"SHA256\":"
                        "\"" HEX64 "\",\"has_content\":false}", id));
    free(id);
    return 0;
}

/* The row's text with '@' made a NUL byte. */
static int
b_nul_body(const struct row *w, struct req *q)
{
    char  *s = xstrdup(w->arg), *at = strchr(s, '@');

    req_json(q, s);
    *at = '\0';
    return 0;
}

/* The row's text with '@' made 0xff and '#' 0xfe: never UTF-8. */
static int
b_bad_utf8(const struct row *w, struct req *q)
{
    char  *s = xstrdup(w->arg), *p;

    for (p = s; *p != '\0'; p++) {
        if (*p == '@' || *p == '#') {
            *p = *p == '@' ? (char) 0xff : (char) 0xfe;
        }
    }
    req_json(q, s);
    return 0;
}

/* ---- sealed submissions ---------------------------------------------- */

static void
seal_for(struct req *q, struct crypto_pubkey *pub, const char *type,
    const char *inner)
{
    new_client(q->client, sizeof(q->client));
    q->type = type;
    q->sealed = 1;
    ck_assert_int_eq(envelope_seal(pub, inner, strlen(inner), NULL, &q->env),
                     RC_OK);
    req_json(q, itc_body(q->client, type, &q->env, 1));
}

/* The body again after the envelope was changed; SHA256 made to match
 * the content unless keep_sha. */
static void
reseal_body(struct req *q, int keep_sha)
{
    if (!keep_sha) {
        ck_assert_int_eq(crypto_sha256_hex(q->env.content_b64,
                                           strlen(q->env.content_b64),
                                           q->env.sha256), RC_OK);
    }
    free(q->body);
    req_json(q, itc_body(q->client, q->type, &q->env, 1));
}

static int
b_seal_doc(const struct row *w, struct req *q)
{
    seal_for(q, main_stack.pub, "doc", w->arg);
    return 0;
}

static int
b_seal_fill(const struct row *w, struct req *q)
{
    seal_for(q, main_stack.pub, "fill", w->arg);
    return 0;
}

static void
seal_blob(struct req *q, const char *type, const struct blob *b,
    const char *file_lib)
{
    char  *inner = itc_inner_bytes(b->data, b->len, file_lib);

    ck_assert_ptr_nonnull(inner);
    seal_for(q, main_stack.pub, type, inner);
    free(inner);
}

/* A valid small submission to spoil: one 1x1 PNG. */
static void
seal_small(struct req *q)
{
    seal_blob(q, "doc", &img.one, NULL);
}

static void
set_b64(char **field, const unsigned char *p, size_t n)
{
    free(*field);
    *field = NULL;
    ck_assert_int_eq(crypto_b64_encode(p, n, field), RC_OK);
}

static int
b_sha_other(const struct row *w, struct req *q)
{
    (void) w;
    seal_small(q);
    ck_assert_int_eq(crypto_sha256_hex("other", 5, q->env.sha256), RC_OK);
    reseal_body(q, 1);
    return 0;
}

/* content or aes_key (by the row's arg) replaced by text. */
static void
replace_field(struct req *q, const char *which, const char *text)
{
    char  **f = strcmp(which, "content") == 0 ? &q->env.content_b64
                                               : &q->env.aes_key_b64;

    free(*f);
    *f = xstrdup(text);
    reseal_body(q, 0);
}

/* A stray character in the middle of the base64. */
static int
b_b64_badchar(const struct row *w, struct req *q)
{
    char  *s;

    seal_small(q);
    s = xstrdup(strcmp(w->arg, "content") == 0 ? q->env.content_b64
                                               : q->env.aes_key_b64);
    s[strlen(s) / 2] = '!';
    replace_field(q, w->arg, s);
    free(s);
    return 0;
}

/* One base64 digit too many. */
static int
b_b64_badlen(const struct row *w, struct req *q)
{
    char  *s;

    seal_small(q);
    s = xprintf("%sA", strcmp(w->arg, "content") == 0 ? q->env.content_b64
                                                      : q->env.aes_key_b64);
    replace_field(q, w->arg, s);
    free(s);
    return 0;
}

/* aes_key: the row's number of bytes, RSA-OAEP wrapped for our key. */
static int
b_key_wraps(const struct row *w, struct req *q)
{
    unsigned char   key[64];
    unsigned char  *wrapped = NULL;
    size_t          n = strtoul(w->arg, NULL, 10), len = 0;

    seal_small(q);
    ck_assert_int_eq(crypto_random(key, n), RC_OK);
    ck_assert_int_eq(crypto_rsa_wrap(main_stack.pub, key, n, 0, &wrapped,
                                     &len), RC_OK);
    set_b64(&q->env.aes_key_b64, wrapped, len);
    free(wrapped);
    reseal_body(q, 0);
    return 0;
}

/* aes_key: the row's number of random bytes, no RSA. */
static int
b_key_random(const struct row *w, struct req *q)
{
    unsigned char  raw[256];
    size_t         n = strtoul(w->arg, NULL, 10);

    seal_small(q);
    ck_assert_int_eq(crypto_random(raw, n), RC_OK);
    set_b64(&q->env.aes_key_b64, raw, n);
    reseal_body(q, 0);
    return 0;
}

static int
b_key_other_pub(const struct row *w, struct req *q)
{
    struct crypto_pubkey  *other = NULL;
    char                   priv[128], pub[128], err[256];
    char                  *inner;

    (void) w;
    snprintf(priv, sizeof(priv), "%s/other.pem", work);
    snprintf(pub, sizeof(pub), "%s/other.pub", work);
    if (access(pub, R_OK) != 0) {
        ck_assert_int_eq(crypto_keygen(priv, pub, 2048, err, sizeof(err)),
                         RC_OK);
    }
    ck_assert_int_eq(crypto_pubkey_load(pub, &other), RC_OK);
    inner = itc_inner_bytes(img.one.data, img.one.len, NULL);
    seal_for(q, other, "doc", inner);
    free(inner);
    crypto_pubkey_free(other);
    return 0;
}

/* content := base64(IV || data) for data the row's way of spoiling. */
static void
set_content(struct req *q, const unsigned char *p, size_t n)
{
    set_b64(&q->env.content_b64, p, n);
    reseal_body(q, 0);
}

static int
b_ct_cut(const struct row *w, struct req *q)
{
    unsigned char  *raw = NULL;
    size_t          n = 0, keep;

    seal_small(q);
    ck_assert_int_eq(crypto_b64_decode(q->env.content_b64,
                                       strlen(q->env.content_b64), &raw,
                                       &n), RC_OK);
    /* "iv": the IV alone; else 5 bytes short of whole blocks */
    keep = strcmp(w->arg, "iv") == 0 ? CRYPTO_IV_LEN : n - 5;
    set_content(q, raw, keep);
    free(raw);
    return 0;
}

/* Two blocks under the right key whose last byte (0) is no padding. */
static int
b_ct_bad_padding(const struct row *w, struct req *q)
{
    EVP_CIPHER_CTX        *ctx;
    unsigned char          out[CRYPTO_IV_LEN + 32], plain[32];
    int                    n = 0, fin = 0;
    const EVP_CIPHER      *c;

    (void) w;
    seal_small(q);
    memset(plain, 'a', sizeof(plain));
    plain[31] = 0;
    c = q->env.keylen == 16 ? EVP_aes_128_cbc()
        : q->env.keylen == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
    ck_assert_int_eq(crypto_random(out, CRYPTO_IV_LEN), RC_OK);
    ctx = EVP_CIPHER_CTX_new();
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(EVP_EncryptInit_ex(ctx, c, NULL, q->env.key, out), 1);
    ck_assert_int_eq(EVP_CIPHER_CTX_set_padding(ctx, 0), 1);
    ck_assert_int_eq(EVP_EncryptUpdate(ctx, out + CRYPTO_IV_LEN, &n, plain,
                                       sizeof(plain)), 1);
    ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, out + CRYPTO_IV_LEN + n,
                                         &fin), 1);
    EVP_CIPHER_CTX_free(ctx);
    ck_assert_int_eq(n + fin, 32);
    set_content(q, out, sizeof(out));
    return 0;
}

/* ---- payload rows ---------------------------------------------------- */

static const struct blob *
blob_named(const char *name)
{
    static const struct {
        const char   *name;
        struct blob  *b;
    } blobs[] = {
        { "receipt", &img.receipt }, { "one", &img.one },
        { "blank", &img.blank }, { "png16", &img.png16 },
        { "palette", &img.palette }, { "progressive", &img.progressive },
        { "cmyk", &img.cmyk }, { "tiff2", &img.tiff2 },
        { "tiff21", &img.tiff21 }, { "gif", &img.gif },
        { "png_cut", &img.png_cut },
    };
    size_t  i;

    for (i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++) {
        if (strcmp(blobs[i].name, name) == 0) {
            return blobs[i].b;
        }
    }
    ck_abort_msg("no image %s", name);
    return NULL;
}

/* A doc of the named image; 1 (skipped) when it could not be made. */
static int
b_image(const struct row *w, struct req *q)
{
    const struct blob  *b = blob_named(w->arg);

    if (b->data == NULL) {
        return 1;
    }
    seal_blob(q, "doc", b, NULL);
    return 0;
}

/* The receipt as sent; what the log scan looks for later. */
static int
b_receipt(const struct row *w, struct req *q)
{
    char  *b64 = NULL, hex[2 * CRYPTO_MAX_KEY_LEN + 1];
    size_t i;

    (void) w;
    seal_blob(q, "doc", &img.receipt, NULL);
    ck_assert_int_eq(crypto_b64_encode(img.receipt.data, img.receipt.len,
                                       &b64), RC_OK);
    b64[strlen(b64) / 2 + 48] = '\0';
    needle_add(b64 + strlen(b64) - 48);
    free(b64);
    b64 = NULL;
    for (i = 0; i < q->env.keylen; i++) {
        snprintf(hex + 2 * i, 3, "%02x", q->env.key[i]);
    }
    needle_add(hex);
    set_b64(&b64, q->env.key, q->env.keylen);
    needle_add(b64);
    free(b64);
    needle_add(q->client);
    return 0;
}

/* Bytes that are no image, by the row's text. */
static int
b_bytes(const struct row *w, struct req *q)
{
    struct blob  b = { (unsigned char *) w->arg, strlen(w->arg) };

    seal_blob(q, "doc", &b, NULL);
    return 0;
}

/* The first n bytes of the 1x1 PNG. */
static int
b_png_head(const struct row *w, struct req *q)
{
    struct blob  b = { img.one.data, strtoul(w->arg, NULL, 10) };

    seal_blob(q, "doc", &b, NULL);
    return 0;
}

/* The 1x1 PNG with an IHDR (and its CRC) claiming 60000 x 60000. */
static int
b_png_bomb(const struct row *w, struct req *q)
{
    struct blob  b;

    (void) w;
    b.len = img.one.len;
    b.data = malloc(b.len);
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, img.one.data, b.len);
    ck_assert_int_eq(memcmp(b.data + 12, "IHDR", 4), 0);
    itc_put_be32(b.data + 16, 60000);
    itc_put_be32(b.data + 20, 60000);
    itc_put_be32(b.data + 29, itc_crc32(b.data + 12, 17));
    seal_blob(q, "doc", &b, NULL);
    free(b.data);
    return 0;
}

/* The animated GIF with a logical screen of 60000 x 60000. */
static int
b_gif_bomb(const struct row *w, struct req *q)
{
    struct blob  b;

    (void) w;
    b.len = img.gif.len;
    b.data = malloc(b.len);
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, img.gif.data, b.len);
    b.data[6] = b.data[8] = 0x60;           /* 60000, little-endian */
    b.data[7] = b.data[9] = 0xea;
    seal_blob(q, "doc", &b, NULL);
    free(b.data);
    return 0;
}

/* 3 MiB (over max_image_bytes) starting as a PNG. */
static int
b_png_huge(const struct row *w, struct req *q)
{
    struct blob  b;

    (void) w;
    b.len = 3 * MIB;
    b.data = calloc(1, b.len);
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, img.one.data, img.one.len);
    seal_blob(q, "doc", &b, NULL);
    free(b.data);
    return 0;
}

static int
b_entries_1000(const struct row *w, struct req *q)
{
    json_object  *arr = json_object_new_array(), *o;
    char         *b64 = NULL, *inner;
    int           i;

    (void) w;
    ck_assert_int_eq(crypto_b64_encode(img.one.data, img.one.len, &b64),
                     RC_OK);
    for (i = 0; i < 1000; i++) {
        json_object_array_add(arr, json_object_new_string(b64));
    }
    free(b64);
    o = json_object_new_object();
    json_object_object_add(o, "to_process", arr);
    inner = jsonx_dump(o);
    json_object_put(o);
    seal_for(q, main_stack.pub, "doc", inner);
    free(inner);
    return 0;
}

/* A fill whose file_lib holds about the row's number of MB of docs. */
static int
b_big_lib(const struct row *w, struct req *q)
{
    struct buf  b;
    size_t      want = strtoul(w->arg, NULL, 10) * 1000 * 1000;
    int         i;

    buf_init(&b, BUF_UNLIMITED);
    ck_assert_int_eq(buf_append_str(&b, "{\"to_process\":{\"title\":\"Form\","
                                    "\"fields\":[\"Given name\"]},"
                                    "\"file_lib\":{\"docs\":["), RC_OK);
    for (i = 0; b.len < want; i++) {
        ck_assert_int_eq(buf_printf(&b, "%s{\"id\":\"d%d\",\"title\":"
                                    "\"Letter %d\",\"kv\":{\"Given name\":"
                                    "\"Anna\",\"Ref\":\"%08d\"}}",
                                    i ? "," : "", i, i, i), RC_OK);
    }
    ck_assert_int_eq(buf_append_str(&b, "],\"forms\":[]}}"), RC_OK);
    seal_for(q, main_stack.pub, "fill", buf_cstr(&b));
    buf_free(&b);
    return 0;
}

/* ---- what completed jobs must hold ----------------------------------- */

static int
chk_schema(json_object *res, char *why, size_t whylen)
{
    json_object  *tags = NULL, *v;
    const char   *s;
    size_t        n;

    n = jsonx_array(res, "tags", &tags) == JSONX_OK
        ? json_object_array_length(tags) : 0;
    if (jsonx_string(res, "title", &s) != JSONX_OK
        || jsonx_string(res, "description", &s) != JSONX_OK
        || n < 1 || n > 4
        || jsonx_object(res, "kv", &v) != JSONX_OK
        || jsonx_array(res, "related", &v) != JSONX_OK)
    {
        snprintf(why, whylen, "not a doc result: %.300s",
                 json_object_to_json_string(res));
        return -1;
    }
    return 0;
}

/* A page with nothing on it: the schema, and no key-value pair. */
static int
chk_empty_kv(json_object *res, char *why, size_t whylen)
{
    json_object  *kv;

    if (chk_schema(res, why, whylen) != 0) {
        return -1;
    }
    (void) jsonx_object(res, "kv", &kv);
    if (json_object_object_length(kv) != 0) {
        snprintf(why, whylen, "kv not empty: %.300s",
                 json_object_to_json_string(kv));
        return -1;
    }
    return 0;
}

/* The receipt, whatever its encoding: its company is read. */
static int
chk_company(json_object *res, char *why, size_t whylen)
{
    json_object  *kv;

    if (chk_schema(res, why, whylen) != 0) {
        return -1;
    }
    (void) jsonx_object(res, "kv", &kv);
    if (!json_has_text(kv, "TAMAN DAYA")) {
        snprintf(why, whylen, "company not read: %.300s",
                 json_object_to_json_string(kv));
        return -1;
    }
    return 0;
}

/* A fill with nothing to fill: {}. */
static int
chk_empty(json_object *res, char *why, size_t whylen)
{
    if (!json_object_is_type(res, json_type_object)
        || json_object_object_length(res) != 0)
    {
        snprintf(why, whylen, "not {}: %.300s",
                 json_object_to_json_string(res));
        return -1;
    }
    return 0;
}

static int
chk_given_name(json_object *res, char *why, size_t whylen)
{
    json_object  *f;
    const char   *v = NULL;

    if (jsonx_object(res, "Given name", &f) != JSONX_OK
        || jsonx_string(f, "value", &v) != JSONX_OK
        || strcmp(v, "Anna") != 0)
    {
        snprintf(why, whylen, "Given name not filled: %.300s",
                 json_object_to_json_string(res));
        return -1;
    }
    return 0;
}

/* ---- the tables ------------------------------------------------------ */

#define J(name, body, st, code) { name, b_json, body, st, code, NULL, NULL }
#define OUTER(fields) "{\"client_id\":\"badinput\",\"type\":\"doc\"," fields "}"
#define SEALED(fields) OUTER("\"SHA256\":\"" HEX64 "\",\"has_content\":true," \
                             fields)

static const struct row transport_rows[] = {
    J("empty body", "", 400, "INVALID_JSON"),
    { "Content-Type text/plain", b_ctype, "text/plain", 415,
      "UNSUPPORTED_MEDIA_TYPE", NULL, NULL },
    { "no Content-Type", b_ctype, NULL, 415, "UNSUPPORTED_MEDIA_TYPE",
      NULL, NULL },
    { "Content-Type application/jsonp", b_ctype, "application/jsonp", 415,
      "UNSUPPORTED_MEDIA_TYPE", NULL, NULL },
    { "Content-Type form-urlencoded", b_ctype,
      "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE",
      NULL, NULL },
    { "Content-Type JSON with charset (accepted)", b_ctype,
      "application/json; charset=utf-8", 400, "TASK_NOT_FOUND", NULL,
      NULL },
    { "GET /process", b_route, "GET /process", 405, "METHOD_NOT_ALLOWED",
      NULL, NULL },
    { "PUT /process", b_route, "PUT /process", 405, "METHOD_NOT_ALLOWED",
      NULL, NULL },
    { "GET /clear", b_route, "GET /clear", 405, "METHOD_NOT_ALLOWED", NULL,
      NULL },
    { "DELETE /clear", b_route, "DELETE /clear", 405, "METHOD_NOT_ALLOWED",
      NULL, NULL },
    { "POST /check_status", b_route, "POST /check_status", 405,
      "METHOD_NOT_ALLOWED", NULL, NULL },
    { "POST /public_key", b_route, "POST /public_key", 405,
      "METHOD_NOT_ALLOWED", NULL, NULL },
    { "unknown path", b_route, "GET /nope", 404, "NOT_FOUND", NULL, NULL },
    { "path below a route", b_route, "GET /process/x", 404, "NOT_FOUND",
      NULL, NULL },
    { "the bare prefix", b_route, "GET /", 404, "NOT_FOUND", NULL, NULL },
    { "chunked body (accepted)", b_chunked, NULL, 400, "TASK_NOT_FOUND",
      NULL, NULL },
    { "chunked, bad chunk size", b_raw,
      "POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
      "zz\r\n{}\r\n0\r\n\r\n", 400, "BAD_REQUEST", NULL, NULL },
    { "body over max_body_bytes", b_body_9mb, NULL, 413,
      "REQUEST_TOO_LARGE", NULL, NULL },
    { "Content-Length over nginx's limit", b_raw,
      "POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
      "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n",
      413, "REQUEST_TOO_LARGE", NULL, NULL },
    { "negative Content-Length", b_raw,
      "POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
      "Content-Type: application/json\r\nContent-Length: -5\r\n\r\n{}",
      400, "BAD_REQUEST", NULL, NULL },
    { "Content-Length not a number", b_raw,
      "POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
      "Content-Type: application/json\r\nContent-Length: 2x\r\n\r\n{}",
      400, "BAD_REQUEST", NULL, NULL },
    { "two Content-Length headers", b_raw,
      "POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
      "Content-Type: application/json\r\nContent-Length: 2\r\n"
      "Content-Length: 2\r\n\r\n{}", 400, "BAD_REQUEST", NULL, NULL },
    { "Content-Length and chunked", b_raw,
      "POST /api/v1/process HTTP/1.1\r\n" RAW_HEAD
      "Content-Type: application/json\r\nContent-Length: 2\r\n"
      "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 400,
      "BAD_REQUEST", NULL, NULL },
    { "body shorter than Content-Length, then closed", b_half_close, NULL,
      0, NULL, NULL, NULL },
    { "half a body, then silence (x10, checked at the end)", b_stall, NULL,
      0, NULL, NULL, NULL },
    { "URI of 100 KB", b_long_uri, NULL, 414, "URI_TOO_LONG", NULL, NULL },
    { "header of 64 KB", b_long_header, NULL, 400, "BAD_REQUEST", NULL,
      NULL },
    { "4000 headers", b_many_headers, NULL, 400, "BAD_REQUEST", NULL, NULL },
    { "garbage request line", b_raw, "GARBAGE\r\n\r\n", 400, "BAD_REQUEST",
      NULL, NULL },
    { "HTTP/1.1 without Host", b_raw,
      "GET /api/v1/check_status HTTP/1.1\r\nConnection: close\r\n\r\n", 400,
      "BAD_REQUEST", NULL, NULL },
    { "NUL in a header", b_nul_header, NULL, 400, "BAD_REQUEST", NULL,
      NULL },
};

static const struct row json_rows[] = {
    J("not JSON", "{client_id: c}", 400, "INVALID_JSON"),
    J("truncated", "{\"client_id\":\"c\",\"type\":\"do", 400,
      "INVALID_JSON"),
    J("top-level array", "[\"c\",\"doc\"]", 400, "INVALID_JSON"),
    J("top-level string", "\"client_id\"", 400, "INVALID_JSON"),
    J("top-level number", "42", 400, "INVALID_JSON"),
    J("top-level null", "null", 400, "INVALID_JSON"),
    { "nesting 100000 deep", b_deep, NULL, 400, "INVALID_JSON", NULL, NULL },
    { "a field nested 100000 deep", b_deep_field, NULL, 400, "INVALID_JSON",
      NULL, NULL },
    J("trailing bytes", POLL_BODY " x", 400, "INVALID_JSON"),
    J("byte order mark first", "\xef\xbb\xbf" POLL_BODY, 400,
      "INVALID_JSON"),
    { "NUL byte in the body", b_nul_body,
      "{\"client_id\":\"a@b\",\"type\":\"doc\"}", 400, "INVALID_JSON", NULL,
      NULL },
    { "invalid UTF-8 outside strings", b_bad_utf8, "{@#}", 400,
      "INVALID_JSON", NULL, NULL },
    /* bytes of an id are opaque: the entry is just not there */
    { "invalid UTF-8 in client_id", b_bad_utf8,
      OUTER("\"client_id\":\"@#\",\"SHA256\":\"" HEX64 "\","
            "\"has_content\":false"), 400, "TASK_NOT_FOUND", NULL, NULL },
    J("huge number as SHA256", OUTER("\"SHA256\":1e999999,"
      "\"has_content\":false"), 400, "INVALID_FIELD"),
    J("huge integer as has_content", OUTER("\"SHA256\":\"" HEX64 "\","
      "\"has_content\":123456789012345678901234567890"), 400,
      "INVALID_FIELD"),
    J("empty object", "{}", 400, "MISSING_REQUIRED_FIELD"),
    J("client_id missing", "{\"type\":\"doc\",\"SHA256\":\"" HEX64 "\","
      "\"has_content\":false}", 400, "MISSING_REQUIRED_FIELD"),
    J("type missing", "{\"client_id\":\"c\",\"SHA256\":\"" HEX64 "\","
      "\"has_content\":false}", 400, "MISSING_REQUIRED_FIELD"),
    J("SHA256 missing", OUTER("\"has_content\":false"), 400,
      "MISSING_REQUIRED_FIELD"),
    J("has_content missing", OUTER("\"SHA256\":\"" HEX64 "\""), 400,
      "MISSING_REQUIRED_FIELD"),
    J("client_id null", "{\"client_id\":null,\"type\":\"doc\",\"SHA256\":"
      "\"" HEX64 "\",\"has_content\":false}", 400,
      "MISSING_REQUIRED_FIELD"),
    J("has_content a string", OUTER("\"SHA256\":\"" HEX64 "\","
      "\"has_content\":\"true\""), 400, "INVALID_FIELD"),
    J("has_content a number", OUTER("\"SHA256\":\"" HEX64 "\","
      "\"has_content\":1"), 400, "INVALID_FIELD"),
    J("SHA256 a number", OUTER("\"SHA256\":12345,\"has_content\":false"),
      400, "INVALID_FIELD"),
    J("client_id a number", "{\"client_id\":7,\"type\":\"doc\",\"SHA256\":"
      "\"" HEX64 "\",\"has_content\":false}", 400, "INVALID_FIELD"),
    J("client_id an object", "{\"client_id\":{},\"type\":\"doc\","
      "\"SHA256\":\"" HEX64 "\",\"has_content\":false}", 400,
      "INVALID_FIELD"),
    J("type a number", "{\"client_id\":\"c\",\"type\":1,\"SHA256\":"
      "\"" HEX64 "\",\"has_content\":false}", 400, "INVALID_TYPE"),
    J("type unknown", "{\"client_id\":\"c\",\"type\":\"pdf\",\"SHA256\":"
      "\"" HEX64 "\",\"has_content\":false}", 400, "INVALID_TYPE"),
    J("content a number", SEALED("\"content\":5,\"aes_key\":\"QUJD\""),
      400, "INVALID_FIELD"),
    J("aes_key an array", SEALED("\"content\":\"QUJD\",\"aes_key\":[]"),
      400, "INVALID_FIELD"),
    J("client_id empty", "{\"client_id\":\"\",\"type\":\"doc\",\"SHA256\":"
      "\"" HEX64 "\",\"has_content\":false}", 400, "INVALID_FIELD"),
    { "client_id of 257 bytes", b_long_client, "257", 400, "INVALID_FIELD",
      NULL, NULL },
    { "client_id of 1 MB", b_long_client, "1000000", 400, "INVALID_FIELD",
      NULL, NULL },
    J("client_id with \\u0000", "{\"client_id\":\"a\\u0000b\",\"type\":"
      "\"doc\",\"SHA256\":\"" HEX64 "\",\"has_content\":false}", 400,
      "INVALID_FIELD"),
    /* json-c keeps the last of duplicate keys */
    J("duplicate client_id, last one valid", "{\"client_id\":\"\","
      "\"client_id\":\"c\",\"type\":\"doc\",\"SHA256\":\"" HEX64 "\","
      "\"has_content\":false}", 400, "TASK_NOT_FOUND"),
    J("duplicate client_id, last one empty", "{\"client_id\":\"c\","
      "\"client_id\":\"\",\"type\":\"doc\",\"SHA256\":\"" HEX64 "\","
      "\"has_content\":false}", 400, "INVALID_FIELD"),
    J("SHA256 not hex", OUTER("\"SHA256\":\"xyz\",\"has_content\":true,"
      "\"content\":\"QUJD\",\"aes_key\":\"QUJD\""), 400,
      "SHA256_VERIFICATION_FAILED"),
    J("has_content without content", SEALED("\"aes_key\":\"QUJD\""), 400,
      "MISSING_CONTENT"),
    J("content empty", SEALED("\"content\":\"\",\"aes_key\":\"QUJD\""), 400,
      "MISSING_CONTENT"),
};

static const struct row crypto_rows[] = {
    { "SHA256 of other content", b_sha_other, NULL, 400, "SHA256_MISMATCH",
      NULL, NULL },
    { "content base64 with a bad character", b_b64_badchar, "content", 400,
      "AES_DECRYPTION_FAILED", NULL, NULL },
    { "content base64 of a bad length", b_b64_badlen, "content", 400,
      "AES_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key base64 with a bad character", b_b64_badchar, "aes_key", 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key base64 of a bad length", b_b64_badlen, "aes_key", 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key wraps a 20-byte key", b_key_wraps, "20", 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key wraps a 64-byte key", b_key_wraps, "64", 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key 256 random bytes", b_key_random, "256", 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key 32 bytes, not wrapped", b_key_random, "32", 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "aes_key wrapped for another public key", b_key_other_pub, NULL, 400,
      "RSA_DECRYPTION_FAILED", NULL, NULL },
    { "ciphertext not whole blocks", b_ct_cut, "cut", 400,
      "AES_DECRYPTION_FAILED", NULL, NULL },
    { "bad PKCS7 padding", b_ct_bad_padding, NULL, 400,
      "AES_DECRYPTION_FAILED", NULL, NULL },
    { "IV only", b_ct_cut, "iv", 400, "AES_DECRYPTION_FAILED", NULL, NULL },
    { "decrypts to text", b_seal_doc, "this is not json", 400,
      "INVALID_JSON", NULL, NULL },
    { "decrypts to an array", b_seal_doc, "[{\"to_process\":[]}]", 400,
      "INVALID_JSON", NULL, NULL },
    { "decrypts to a truncated object", b_seal_doc, "{\"to_process\":[", 400,
      "INVALID_JSON", NULL, NULL },
};

static const struct row payload_rows[] = {
    { "to_process missing", b_seal_doc, "{\"file_lib\":{}}", 400,
      "MISSING_CONTENT", NULL, NULL },
    { "to_process null", b_seal_doc, "{\"to_process\":null}", 400,
      "MISSING_CONTENT", NULL, NULL },
    { "to_process a string", b_seal_doc, "{\"to_process\":\"iVBORw0K\"}",
      400, "INVALID_PAYLOAD", NULL, NULL },
    { "to_process an object (doc)", b_seal_doc, "{\"to_process\":{}}", 400,
      "INVALID_PAYLOAD", NULL, NULL },
    { "to_process an array (fill)", b_seal_fill, "{\"to_process\":[]}", 400,
      "INVALID_PAYLOAD", NULL, NULL },
    { "to_process empty", b_seal_doc, "{\"to_process\":[]}", 400,
      "MISSING_CONTENT", NULL, NULL },
    { "1000 entries", b_entries_1000, NULL, 413, "TOO_MANY_PAGES", NULL,
      NULL },
    { "entry not base64", b_seal_doc, "{\"to_process\":[\"@@@@\"]}", 400,
      "INVALID_PAYLOAD", NULL, NULL },
    { "entry a number", b_seal_doc, "{\"to_process\":[42]}", 400,
      "INVALID_PAYLOAD", NULL, NULL },
    { "entry empty", b_seal_doc, "{\"to_process\":[\"\"]}", 415,
      "UNSUPPORTED_IMAGE", NULL, NULL },
    { "entry text, not an image", b_bytes, "hello, world", 415,
      "UNSUPPORTED_IMAGE", NULL, NULL },
    { "entry a PDF", b_bytes, "%PDF-1.4\n1 0 obj << >> endobj\n", 415,
      "UNSUPPORTED_IMAGE", NULL, NULL },
    { "PNG cut in its header", b_png_head, "20", 415, "UNSUPPORTED_IMAGE",
      NULL, NULL },
    { "PNG header claiming 60000x60000", b_png_bomb, NULL, 413,
      "IMAGE_TOO_LARGE", NULL, NULL },
    { "GIF screen of 60000x60000", b_gif_bomb, NULL, 413, "IMAGE_TOO_LARGE",
      NULL, NULL },
    { "image over max_image_bytes", b_png_huge, NULL, 413,
      "IMAGE_TOO_LARGE", NULL, NULL },
    { "TIFF of 21 pages", b_image, "tiff21", 413, "TOO_MANY_PAGES", NULL,
      NULL },
    { "file_lib of 10 MB (over max_body_bytes)", b_big_lib, "10", 413,
      "REQUEST_TOO_LARGE", NULL, NULL },
    /* accepted, and the job decides */
    { "PNG cut after 3000 bytes", b_image, "png_cut", 202, "processing",
      "OCR_FAILURE", NULL },
    { "fill, file_lib a string", b_seal_fill,
      "{\"to_process\":{\"fields\":[\"Name\"]},\"file_lib\":\"x\"}", 202,
      "processing", "FILL_PROMPT_CONSTRUCTION_FAILED", NULL },
    { "receipt JPEG (control)", b_receipt, NULL, 202, "processing",
      "completed", chk_company },
    { "1x1 PNG", b_image, "one", 202, "processing", "completed",
      chk_empty_kv },
    { "blank white page", b_image, "blank", 202, "processing", "completed",
      chk_empty_kv },
    { "16-bit grey PNG", b_image, "png16", 202, "processing", "completed",
      chk_company },
    { "palette PNG, background transparent", b_image, "palette", 202,
      "processing", "completed", chk_company },
    { "progressive JPEG", b_image, "progressive", 202, "processing",
      "completed", chk_company },
    { "CMYK JPEG", b_image, "cmyk", 202, "processing", "completed",
      chk_company },
    { "two-page TIFF", b_image, "tiff2", 202, "processing", "completed",
      chk_company },
    { "animated GIF", b_image, "gif", 202, "processing", "completed",
      chk_company },
    { "fill, form without fields", b_seal_fill,
      "{\"to_process\":{\"title\":\"Form\"},\"file_lib\":{}}", 202,
      "processing", "completed", chk_empty },
    { "fill, fields empty", b_seal_fill,
      "{\"to_process\":{\"fields\":[]},\"file_lib\":{\"docs\":[]}}", 202,
      "processing", "completed", chk_empty },
    { "fill, file_lib of 5 MB", b_big_lib, "5", 202, "processing",
      "completed", chk_given_name },
};

/* ---- running a row --------------------------------------------------- */

/* Send a raw request, or leave it stalled (checked in test_stalls). */
static int
send_raw(const struct req *q, struct itc_reply *r)
{
    struct itc_tls  t;
    int             rc;

    if (itc_tls_open(&main_stack, 0, 0, &t) != 0
        || itc_tls_send(&t, q->body, q->len) != 0)
    {
        itc_tls_close(&t);
        return -1;
    }
    if (q->mode == REQ_STALL) {
        ck_assert_uint_lt(nstalls, MAX_STALLS);
        stalls[nstalls].t = t;
        stalls[nstalls++].opened = time(NULL);
        return 0;
    }
    if (q->mode == REQ_HALF_CLOSE) {
        (void) SSL_shutdown(t.ssl);             /* close_notify */
    }
    rc = itc_tls_reply(&t, 60000, r);
    if (rc != 0 && t.closed) {
        rc = 0;                 /* closed without a reply: status 0 */
    }
    itc_tls_close(&t);
    return rc;
}

static int
send_req(const struct req *q, struct itc_reply *r)
{
    memset(r, 0, sizeof(*r));
    if (q->mode != REQ_CURL) {
        return send_raw(q, r);
    }
    return itc_request(&main_stack, q->method, q->path ? q->path
                       : "/process", q->ctype, q->body, q->len, r);
}

static void
pending_add(const struct row *w, struct req *q)
{
    struct pending  *p;

    ck_assert_uint_lt(npending, MAX_PENDING);
    p = &pending[npending++];
    p->row = w;
    p->type = q->type;
    memcpy(p->client, q->client, sizeof(p->client));
    p->env = q->env;
    memset(&q->env, 0, sizeof(q->env));     /* now the pending's */
}

static void
row_run(const struct row *w)
{
    struct req        q;
    struct itc_reply  r;
    int               i, n = w->build == b_stall ? MAX_STALLS : 1;

    for (i = 0; i < n; i++) {
        memset(&q, 0, sizeof(q));
        memset(&r, 0, sizeof(r));
        if (w->build(w, &q) != 0) {
            fprintf(stderr, "test_badinput: %s: skipped, could not make the "
                    "input (no ImageMagick convert)\n", w->name);
            req_free(&q);
            return;
        }
        if (send_req(&q, &r) != 0) {
            row_fail(w->name, "no reply");
        } else if (q.mode != REQ_STALL && (r.status != w->status
                   || strcmp(itc_detail(&r), w->code ? w->code : "") != 0))
        {
            row_fail(w->name, "%ld %.200s, want %ld %s", r.status,
                     r.body ? r.body : "", w->status, w->code);
        } else if (w->done != NULL) {
            pending_add(w, &q);
        }
        count_5xx(&r);
        itc_reply_free(&r);
        req_free(&q);
    }
}

static void
table_run(const struct row *rows, size_t n)
{
    size_t  i;

    fails_reset();
    for (i = 0; i < n; i++) {
        row_run(&rows[i]);
    }
    printf("test_badinput: %zu rows, %d failed\n", n, nfails);
    ck_assert_msg(nfails == 0, "%d of %zu rows failed:\n%s", nfails, n,
                  buf_cstr(&fails));
}

#define TABLE(t) table_run(t, sizeof(t) / sizeof(t[0]))

START_TEST(test_health_before)
{
    struct itc_reply  r;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/check_status", NULL,
                                 NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    itc_reply_free(&r);
    pool_pids(&main_stack, pool_before, sizeof(pool_before));
    ck_assert_msg(strlen(pool_before) > 0, "no pool processes");
}
END_TEST

START_TEST(test_transport)
{
    NEED(have_main);
    TABLE(transport_rows);
}
END_TEST

START_TEST(test_json)
{
    NEED(have_main);
    TABLE(json_rows);
}
END_TEST

START_TEST(test_crypto)
{
    NEED(have_main);
    TABLE(crypto_rows);
}
END_TEST

START_TEST(test_payload)
{
    NEED(have_main);
    ck_assert_msg(img.one.data != NULL && img.gif.data != NULL,
                  "the test images were not made");
    TABLE(payload_rows);
}
END_TEST

/* What a result holds must not be in a log: its longer kv values. */
static void
needle_add_values(json_object *res)
{
    json_object  *kv;
    const char   *s;

    if (res == NULL || jsonx_object(res, "kv", &kv) != JSONX_OK) {
        return;
    }
    json_object_object_foreach(kv, k, v) {
        (void) k;
        s = json_object_get_string(v);
        if (s != NULL && strlen(s) >= 8) {
            needle_add(s);
        }
    }
}

/* Every accepted odd input ends as its row says. */
START_TEST(test_jobs)
{
    struct itc_reply   last;
    json_object       *res;
    struct pending    *p;
    char               why[512];
    const char        *got;
    size_t             i;

    NEED(have_main);
    fails_reset();
    for (i = 0; i < npending; i++) {
        p = &pending[i];
        res = NULL;
        if (itc_wait(&main_stack, p->client, p->type, &p->env, JOB_WAIT_S,
                     &last, &res) != 0)
        {
            row_fail(p->row->name, "did not end: %ld", last.status);
            itc_reply_free(&last);
            continue;
        }
        count_5xx(&last);
        got = last.status == 200 ? "completed" : itc_detail(&last);
        if (strcmp(got, p->row->done) != 0) {
            row_fail(p->row->name, "ended %ld %s, want %s", last.status,
                     got, p->row->done);
        } else if (p->row->check != NULL
                   && p->row->check(res, why, sizeof(why)) != 0)
        {
            row_fail(p->row->name, "%s", why);
        }
        needle_add_values(res);
        json_object_put(res);
        itc_reply_free(&last);
    }
    ck_assert_msg(nfails == 0, "%d of %zu jobs wrong:\n%s", nfails,
                  npending, buf_cstr(&fails));
}
END_TEST

/* The stalled bodies: nginx drops them after client_body_timeout and no
 * FastCGI process waited for them meanwhile (the tables ran). */
START_TEST(test_stalls)
{
    struct itc_reply  r;
    size_t            i;
    long              waited;

    NEED(have_main && nstalls > 0);
    for (i = 0; i < nstalls; i++) {
        ck_assert_int_eq(itc_tls_reply(&stalls[i].t, (BODY_TIMEOUT + 15)
                                       * 1000, &r), -1);
        waited = (long) (time(NULL) - stalls[i].opened);
        ck_assert_msg(stalls[i].t.closed, "stall %zu still open after %ld s",
                      i, waited);
        ck_assert_msg(waited >= BODY_TIMEOUT - 2, "closed after %ld s",
                      waited);
        itc_reply_free(&r);
        itc_tls_close(&stalls[i].t);
    }
}
END_TEST

/* The pool is the processes it was, answers, and never said 5xx. */
START_TEST(test_health_after)
{
    struct itc_reply  r;
    char              pids[1024];

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/check_status", NULL,
                                 NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    itc_reply_free(&r);
    pool_pids(&main_stack, pids, sizeof(pids));
    ck_assert_msg(strcmp(pids, pool_before) == 0,
                  "pool processes were [%s], now [%s]", pool_before, pids);
    ck_assert_msg(n5xx == 0, "%d replies were an undocumented 5xx", n5xx);
}
END_TEST

/* ---- TLS, redirect, headers ------------------------------------------ */

START_TEST(test_tls_versions)
{
    static const struct {
        int          version;
        const char  *name;
        int          ok;
    } cases[] = {
        { TLS1_VERSION, "TLS 1.0", 0 }, { TLS1_1_VERSION, "TLS 1.1", 0 },
        { TLS1_2_VERSION, "TLS 1.2", 1 }, { TLS1_3_VERSION, "TLS 1.3", 1 },
    };
    static const char  req[] = "GET /api/v1/check_status HTTP/1.1\r\n"
                               RAW_HEAD "\r\n";
    struct itc_reply   r;
    struct itc_tls     t;
    size_t             i;
    int                rc;

    NEED(have_main);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rc = itc_tls_open(&main_stack, cases[i].version, cases[i].version,
                          &t);
        if (!cases[i].ok) {
            /* refused by the server's alert, not left unsent by us */
            ck_assert_msg(rc != 0, "%s accepted", cases[i].name);
            ck_assert_msg(ERR_GET_REASON(t.err)
                          == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION,
                          "%s: %s", cases[i].name,
                          ERR_reason_error_string(t.err));
            itc_tls_close(&t);
            continue;
        }
        ck_assert_msg(rc == 0, "%s: %s", cases[i].name,
                      ERR_reason_error_string(t.err));
        ck_assert_int_eq(SSL_version(t.ssl), cases[i].version);
        ck_assert_int_eq(itc_tls_send(&t, req, sizeof(req) - 1), 0);
        ck_assert_int_eq(itc_tls_reply(&t, 10000, &r), 0);
        ck_assert_int_eq(r.status, 200);
        itc_reply_free(&r);
        itc_tls_close(&t);
    }
}
END_TEST

/* The plain port redirects any method to the same URI over HTTPS. */
START_TEST(test_http_redirect)
{
    static const char  *methods[] = { "GET", "POST" };
    const char         *http = getenv("MAIN_HTTP");
    CURL               *h;
    long                code;
    char                url[600], want[600], *loc;
    size_t              i;

    NEED(have_main && http != NULL);
    snprintf(url, sizeof(url), "%s/api/v1/process?x=1", http);
    snprintf(want, sizeof(want), "%s/process?x=1", main_stack.url);
    for (i = 0; i < 2; i++) {
        h = curl_easy_init();
        ck_assert_ptr_nonnull(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, methods[i]);
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
        code = 0;
        loc = NULL;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
        ck_assert_int_eq(code, 301);
        ck_assert_ptr_nonnull(loc);
        ck_assert_str_eq(loc, want);
        curl_easy_cleanup(h);
    }
}
END_TEST

static void
assert_security_headers(const struct itc_reply *r, const char *what)
{
    char         v[256];
    const char  *s;

    s = itc_header(r, "Strict-Transport-Security", v, sizeof(v));
    ck_assert_msg(s != NULL && strtol(s + strcspn(s, "0123456789"), NULL, 10)
                  >= 31536000, "%s: HSTS %s", what, s ? s : "missing");
    s = itc_header(r, "X-Content-Type-Options", v, sizeof(v));
    ck_assert_msg(s != NULL && strcasecmp(s, "nosniff") == 0,
                  "%s: X-Content-Type-Options %s", what, s ? s : "missing");
    s = itc_header(r, "Referrer-Policy", v, sizeof(v));
    ck_assert_msg(s != NULL && strcasecmp(s, "no-referrer") == 0,
                  "%s: Referrer-Policy %s", what, s ? s : "missing");
}

/* The headers are on every kind of API reply: the app's and nginx's. */
START_TEST(test_security_headers)
{
    static const char  too_big[] = "POST /api/v1/process HTTP/1.1\r\n"
        RAW_HEAD "Content-Type: application/json\r\n"
        "Content-Length: 100000000\r\n\r\n";
    struct itc_reply   r;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/check_status", NULL,
                                 NULL, 0, &r), 0);
    assert_security_headers(&r, "200 check_status");
    itc_reply_free(&r);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/public_key", NULL,
                                 NULL, 0, &r), 0);
    assert_security_headers(&r, "200 public_key");
    itc_reply_free(&r);
    ck_assert_int_eq(itc_request(&main_stack, "POST", "/process",
                                 "application/json", POLL_BODY,
                                 strlen(POLL_BODY), &r), 0);
    ck_assert_int_eq(r.status, 400);
    assert_security_headers(&r, "400 from the app");
    itc_reply_free(&r);
    ck_assert_int_eq(itc_raw(&main_stack, too_big, sizeof(too_big) - 1, &r),
                     0);
    ck_assert_int_eq(r.status, 413);
    assert_security_headers(&r, "413 from nginx");
    itc_reply_free(&r);
}
END_TEST

/* ---- rate limits, on a stack of their own ---------------------------- */

#define LIM_REQ      "10r/s 20"
#define LIM_SUBMITS  3

/* Start the LIM stack: nginx at LIM_REQ, LIM_SUBMITS a minute. */
static int
lim_up(void)
{
    const char  *src = getenv("DS_SRCDIR");
    char         ini[300], name[64], line[600], *cmd, *v;
    FILE        *f, *p;

    if (src == NULL || getenv("DS_BUILDDIR") == NULL) {
        return -1;
    }
    snprintf(ini, sizeof(ini), "%s/lim.ini", work);
    f = fopen(ini, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[limits]\nsubmissions_per_minute = %d\n", LIM_SUBMITS);
    ck_assert_int_eq(fclose(f), 0);
    cmd = xprintf("DS_LIMIT_REQ='%s' '%s/tests/stack' up '%s/lim' "
                  "--procs 1 --ini '%s'", LIM_REQ, src, work, ini);
    p = popen(cmd, "r");
    free(cmd);
    ck_assert_ptr_nonnull(p);
    /* url=, pubkey=, cacert=, http= as LIM_URL... for itc_open */
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        v = strchr(line, '=');
        if (v != NULL && v - line < 32) {
            *v = '\0';
            snprintf(name, sizeof(name), "LIM_%.32s", line);
            for (v = name; *v != '\0'; v++) {
                *v = (char) toupper((unsigned char) *v);
            }
            ck_assert_int_eq(setenv(name, line + strlen(line) + 1, 1), 0);
        }
    }
    ck_assert_int_eq(pclose(p), 0);
    snprintf(line, sizeof(line), "%s/lim", work);
    ck_assert_int_eq(setenv("LIM_DIR", line, 1), 0);
    return itc_open(&lim_stack, "LIM");
}

static void
lim_submit(const char *client, struct envelope *env, long status,
    const char *code, struct itc_reply *r)
{
    char  *inner = itc_inner_bytes(img.one.data, img.one.len, NULL);

    ck_assert_ptr_nonnull(inner);
    ck_assert_int_eq(itc_submit(&lim_stack, client, "doc", inner, NULL, env,
                                r), 0);
    free(inner);
    ck_assert_msg(r->status == status && strcmp(itc_detail(r), code) == 0,
                  "submit: %ld %s, want %ld %s", r->status, r->body,
                  status, code);
}

/* A poll (has_content false) of env: never rate limited. */
static void
lim_poll(const char *client, const struct envelope *env, long status)
{
    struct itc_reply  r;
    char             *body = itc_body(client, "doc", env, 0);

    ck_assert_int_eq(itc_request(&lim_stack, "POST", "/process",
                                 "application/json", body, strlen(body),
                                 &r), 0);
    ck_assert_msg(r.status == status || (status == 202 && r.status == 200),
                  "poll: %ld %s", r.status, r.body);
    itc_reply_free(&r);
    free(body);
}

START_TEST(test_client_limit)
{
    struct envelope   env[LIM_SUBMITS + 2];
    struct itc_reply  r;
    char              id[96], other[96], v[64];
    int               i;

    NEED(have_main && img.one.data != NULL);
    have_lim = lim_up() == 0;
    if (!have_lim) {
        fprintf(stderr, "test_badinput: rate limits not tested: no "
                "DS_SRCDIR and DS_BUILDDIR to start a stack with\n");
        return;
    }
    memset(env, 0, sizeof(env));
    new_client(id, sizeof(id));
    for (i = 0; i < LIM_SUBMITS; i++) {
        lim_submit(id, &env[i], 202, "processing", &r);
        itc_reply_free(&r);
    }
    lim_submit(id, &env[LIM_SUBMITS], 429, "RATE_LIMITED", &r);
    ck_assert_ptr_nonnull(itc_header(&r, "Retry-After", v, sizeof(v)));
    assert_security_headers(&r, "429 from the app");
    itc_reply_free(&r);

    /* polls and replays of known entries are answered, not counted */
    for (i = 0; i < 2 * LIM_SUBMITS; i++) {
        lim_poll(id, &env[i % LIM_SUBMITS], 202);
    }
    lim_poll(id, &env[LIM_SUBMITS], 400);           /* TASK_NOT_FOUND */
    /* another client is not held back by this one */
    lim_submit(new_client(other, sizeof(other)), &env[LIM_SUBMITS + 1], 202,
               "processing", &r);
    itc_reply_free(&r);
    for (i = 0; i < LIM_SUBMITS + 2; i++) {
        envelope_free(&env[i]);
    }
}
END_TEST

/* A burst past nginx's per-address rate: 429 RATE_LIMITED in JSON, and
 * service again once the burst is over. */
START_TEST(test_address_limit)
{
    struct itc_reply  r;
    int               i, ok = 0, limited = 0;

    NEED(have_lim);
    sleep(3);                       /* the bucket refills */
    for (i = 0; i < 150; i++) {
        ck_assert_int_eq(itc_request(&lim_stack, "GET", "/check_status",
                                     NULL, NULL, 0, &r), 0);
        if (r.status == 429) {
            ck_assert_str_eq(itc_detail(&r), "RATE_LIMITED");
            if (limited++ == 0) {
                assert_security_headers(&r, "429 from nginx");
            }
        } else {
            ck_assert_int_eq(r.status, 200);
            ok++;
        }
        itc_reply_free(&r);
    }
    printf("test_badinput: burst of 150 at %s: %d answered, %d limited\n",
           LIM_REQ, ok, limited);
    ck_assert_int_ge(ok, 20);
    ck_assert_int_gt(limited, 0);
    sleep(1);
    ck_assert_int_eq(itc_request(&lim_stack, "GET", "/check_status", NULL,
                                 NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    itc_reply_free(&r);
}
END_TEST

/* ---- logs ------------------------------------------------------------ */

/* Is needle (case-insensitive) in any file of dir? Names it in where. */
static int
logs_have(const char *dir, const char *needle, char *where, size_t wlen)
{
    struct dirent  *e;
    DIR            *d;
    char            path[1400];
    char           *text;
    size_t          n;
    int             found = 0;

    d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        text = (char *) test_read_file(path, &n);
        if (text != NULL && n == strlen(text) && strcasestr(text, needle)) {
            snprintf(where, wlen, "%s", path);
            found = 1;
        }
        free(text);
    }
    closedir(d);
    return found;
}

/*
 * After all of the above: no log of either stack holds the receipt's
 * bytes (base64), its AES key (hex, base64), its client_id, words on it
 * (from the corpus's ground truth) or a kv value of any result.
 */
START_TEST(test_logs_clean)
{
    static const char  *words[] = {
        "TAMAN DAYA", "JALAN SAGU", "JOHOR BAHRU", "TD01167104",
        "MODELLING CLAY", "TAN WOON YANN", "9556939040116",
    };
    const struct itc   *stacks[2] = { &main_stack, &lim_stack };
    char                dir[700], where[1400];
    size_t              i, k;

    NEED(have_main);
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        needle_add(words[i]);
    }
    ck_assert_uint_ge(nneedles, 11);
    /* the scan does read the logs */
    snprintf(dir, sizeof(dir), "%s/log", main_stack.dir);
    ck_assert(logs_have(dir, "job queued", where, sizeof(where)));
    ck_assert(logs_have(dir, "GET /api/v1/check_status", where,
                        sizeof(where)));
    for (k = 0; k < 2; k++) {
        if (k == 1 && !have_lim) {
            break;
        }
        snprintf(dir, sizeof(dir), "%s/log", stacks[k]->dir);
        for (i = 0; i < nneedles; i++) {
            ck_assert_msg(!logs_have(dir, needles[i], where, sizeof(where)),
                          "secret %zu (%.12s...) found in %s", i, needles[i],
                          where);
        }
    }
    printf("test_badinput: %zu secrets looked for in the logs, none found\n",
           nneedles);
}
END_TEST

/* ---- main ------------------------------------------------------------ */

static Suite *
badinput_suite(void)
{
    Suite  *s = suite_create("badinput");
    TCase  *tc;

    tc = tcase_create("bad input");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_make_images);
    tcase_add_test(tc, test_health_before);
    tcase_add_test(tc, test_transport);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_crypto);
    tcase_add_test(tc, test_payload);
    tcase_add_test(tc, test_jobs);
    tcase_add_test(tc, test_stalls);
    tcase_add_test(tc, test_health_after);
    suite_add_tcase(s, tc);

    tc = tcase_create("security");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_tls_versions);
    tcase_add_test(tc, test_http_redirect);
    tcase_add_test(tc, test_security_headers);
    tcase_add_test(tc, test_client_limit);
    tcase_add_test(tc, test_address_limit);
    tcase_add_test(tc, test_logs_clean);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * tests/run's MAIN_URL is stale once test_api has restarted the stack on
 * new ports; the stack's folder says where it is now.
 */
static void
main_stack_now(void)
{
    char   path[700], line[500];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/stack.env", main_stack.dir);
    f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "url=", 4) == 0) {
            snprintf(main_stack.url, sizeof(main_stack.url), "%s", line + 4);
        } else if (strncmp(line, "http=", 5) == 0) {
            (void) setenv("MAIN_HTTP", line + 5, 1);
        }
    }
    fclose(f);
}

static void
cleanup(void)
{
    size_t  i;

    if (have_lim) {
        itc_sh("'%s/tests/stack' down '%s/lim' >/dev/null 2>&1",
               getenv("DS_SRCDIR"), work);
    }
    itc_close(&lim_stack);
    itc_close(&main_stack);
    for (i = 0; i < npending; i++) {
        envelope_free(&pending[i].env);
    }
    for (i = 0; i < nneedles; i++) {
        free(needles[i]);
    }
    buf_free(&fails);
    if (getenv("DS_KEEP") == NULL || strcmp(getenv("DS_KEEP"), "1") != 0) {
        itc_sh("rm -rf '%s'", work);
    }
}

int
main(void)
{
    SRunner  *sr;
    char      path[1200];
    int       failed;

    snprintf(corpus, sizeof(corpus), "%s", test_corpus());
    curl_global_init(CURL_GLOBAL_DEFAULT);
    have_main = itc_open(&main_stack, "MAIN") == 0;
    if (!have_main) {
        fprintf(stderr, "no MAIN stack in the environment: skipped\n");
        return 77;
    }
    main_stack_now();
    snprintf(path, sizeof(path), "%s/sroie_000.jpg", corpus);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "no corpus in %s: skipped\n", corpus);
        return 77;
    }
    snprintf(work, sizeof(work), "/tmp/docusnap-badinput.XXXXXX");
    buf_init(&fails, BUF_UNLIMITED);
    if (mkdtemp(work) == NULL || chmod(work, 0755) != 0) {
        perror("mkdtemp");
        return 1;
    }
    sr = srunner_create(badinput_suite());
    /* one process: the tests share the stacks and run in order */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    cleanup();
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
