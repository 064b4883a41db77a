/*
 * ocr.c - page images to text: leptonica decodes and cleans each page,
 * a pooled libtesseract engine reads it.
 *
 * Per page: the header is checked against max_pixels before anything
 * is decoded; the page is decoded, flattened onto white, made 8 bpp
 * grey, upscaled when its text is small and deskewed. With an engine
 * taken from the pool, orientation is fixed (OSD) and the text read.
 * When words are asked for, each word's box is mapped back through
 * those steps onto the page as decoded.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <leptonica/allheaders.h>
#include <gif_lib.h>
#include <tesseract/capi.h>

#define LOG_MODULE "ocr"
#include "buf.h"
#include "clock.h"
#include "log.h"
#include "ocr.h"

/*
 * Full layout analysis without Tesseract's own OSD (we run OSD below).
 * On the corpus it read forms better than PSM_SINGLE_BLOCK, which runs
 * side-by-side columns together, and receipts far better than
 * PSM_SPARSE_TEXT.
 */
#define OCR_PSM                 PSM_AUTO

/*
 * The resolution tesseract is told. After the upscale step capitals
 * are about min_text_height (30) px tall: 10 pt text at 300 dpi. The
 * files' own tags are not used: cameras and encoders write 72 or 96
 * whatever the scale. 150 and 600 both read worse on the corpus.
 */
#define OCR_DPI                 300

/*
 * Text height is the 80th percentile of glyph heights: in mixed case
 * the median is the x-height, the upper fifth capitals and ascenders;
 * receipts are all capitals anyway.
 */
#define OCR_GLYPH_RANK          0.8f
#define OCR_GLYPH_MIN_H         4           /* px; smaller ones are specks */
#define OCR_GLYPHS_MIN          10          /* fewer: no estimate */
#define OCR_SCALE_MIN           1.25f       /* less is not worth resampling */
#define OCR_SCALE_MAX           4.0f
#define OCR_SCALED_MAX_PIXELS   40000000.0  /* 40 MB of 8 bpp */

/*
 * OSD gives a quarter turn and a confidence margin. Turned corpus pages
 * scored 2 to 11; below 2 the page is read as it is. An upside-down
 * verdict is checked by reading (ocr_recognize_either_way).
 */
#define OCR_OSD_MIN_CONF        2.0f

#define OCR_MARKER              "----page %d----\n"

struct ocr_engine {
    TessBaseAPI         *api;       /* the pool's languages */
    TessBaseAPI         *osd;       /* "osd", or NULL: no OSD */
    struct ocr_engine   *next;      /* on the idle list */
};

struct ocr_pool {
    pthread_mutex_t      lock;      /* guards idle, live, made */
    pthread_cond_t       freed;     /* an engine went idle or away */
    pthread_mutex_t      init_lock; /* one engine Init at a time */
    struct ocr_engine   *idle;
    int                  live;      /* engines idle or in use */
    long                 made;      /* engines ever created */
    int                  slots;
    char                *languages;
    char                *tessdata;  /* NULL: library default */
    int                  min_text_height;
    int                  osd;
    int                  deskew;
    long                 max_pixels;
};

/* One image as checked before decoding. */
struct ocr_src {
    const unsigned char  *data;
    size_t                len;
    int                   format;   /* IFF_* */
    int                   pages;
};

/* One page's reading. */
struct ocr_text {
    char         *text;             /* TessDeleteText */
    int           conf;             /* 0..100 */
    int           turns;            /* clockwise quarter turns read at */
    json_object  *words;            /* asked for: boxes as read, or NULL */
};

/* How a decoded page became the image the engine read (before turns). */
struct ocr_geom {
    l_int32  w0, h0;                /* decoded */
    l_int32  w1, h1;                /* scaled; deskew keeps the size */
    float    angle;                 /* deskew applied, degrees */
};

/* The state of one ocr_pool_run. */
struct ocr_run {
    struct buf    text;
    int           page;             /* last page number handed out */
    double        conf_sum;
    int           conf_pages;       /* pages that gave any text */
    json_object  *words;            /* NULL: not asked for */
};

long ocr_pool_engines_made(struct ocr_pool *pool);

static pthread_once_t  ocr_once = PTHREAD_ONCE_INIT;

static void
ocr_lock(pthread_mutex_t *m)
{
    /* fails only on a bug (EINVAL, EDEADLK): no way to go on */
    if (pthread_mutex_lock(m) != 0) {
        abort();
    }
}

static void
ocr_unlock(pthread_mutex_t *m)
{
    if (pthread_mutex_unlock(m) != 0) {
        abort();
    }
}

/* Leptonica prints errors on stderr: send them to our log instead. */
static void
ocr_lept_message(const char *msg)
{
    size_t  n;

    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        n--;
    }
    log_debug("leptonica: \"%.*s\"", (int) n, msg);
}

static void
ocr_init_once(void)
{
    leptSetStderrHandler(ocr_lept_message);
}

static int
ocr_is_tiff(int format)
{
    return L_FORMAT_IS_TIFF(format);
}

/* The IFF_* format of data, IFF_UNKNOWN for what we do not take. */
static int
ocr_format(const unsigned char *data, size_t len)
{
    l_uint8  head[16];
    l_int32  format;

    /* findFileFormatBuffer reads up to 12 bytes whatever len is */
    memset(head, 0, sizeof(head));
    memcpy(head, data, len < sizeof(head) ? len : sizeof(head));
    if (findFileFormatBuffer(head, &format) != 0) {
        return IFF_UNKNOWN;
    }

    switch (format) {
    case IFF_PNG:
    case IFF_JFIF_JPEG:
    case IFF_WEBP:
    case IFF_BMP:
    case IFF_GIF:
    case IFF_PNM:
        return format;
    default:
        return ocr_is_tiff(format) ? format : IFF_UNKNOWN;
    }
}

static enum ds_err
ocr_tiff_pages(const unsigned char *data, size_t len, int *pages)
{
    FILE     *fp;
    l_int32   n;
    l_ok      bad;

    fp = fmemopen((void *) data, len, "rb");
    if (fp == NULL) {
        log_err_errno("fmemopen of %zu bytes", len);
        return DS_UNSUPPORTED_IMAGE;
    }
    bad = tiffGetCount(fp, &n);
    fclose(fp);
    if (bad || n < 1) {
        return DS_UNSUPPORTED_IMAGE;
    }
    *pages = n;
    return DS_OK;
}

struct ocr_gif_reader {
    const unsigned char  *data;
    size_t                len;
    size_t                off;
};

static int
ocr_gif_read(GifFileType *gif, GifByteType *out, int n)
{
    struct ocr_gif_reader  *r = gif->UserData;
    size_t                  k;

    if (n <= 0) {
        return 0;
    }
    k = r->len - r->off < (size_t) n ? r->len - r->off : (size_t) n;
    memcpy(out, r->data + r->off, k);
    r->off += k;
    return (int) k;
}

/* Skip one record's data sub-blocks without decoding them. */
static int
ocr_gif_skip(GifFileType *gif, GifRecordType type)
{
    GifByteType  *block = NULL;
    int           code, size;

    if (type == IMAGE_DESC_RECORD_TYPE) {
        if (DGifGetCode(gif, &size, &block) != GIF_OK) {
            return -1;
        }
        while (block != NULL) {
            if (DGifGetCodeNext(gif, &block) != GIF_OK) {
                return -1;
            }
        }
        return 0;
    }
    if (DGifGetExtension(gif, &code, &block) != GIF_OK) {
        return -1;
    }
    while (block != NULL) {
        if (DGifGetExtensionNext(gif, &block) != GIF_OK) {
            return -1;
        }
    }
    return 0;
}

/*
 * A GIF's size for the pixel cap, from its frame descriptors (giflib,
 * no pixel decoded): leptonica decodes every frame (DGifSlurp), and a
 * frame may be larger than the screen the header declares, so *w x *h
 * is made to cover the screen and all frames' areas added up.
 */
static enum ds_err
ocr_gif_size(const unsigned char *data, size_t len, l_int32 *w, l_int32 *h)
{
    struct ocr_gif_reader  r = { data, len, 0 };
    GifFileType           *gif;
    GifRecordType          type;
    int64_t                area = 0;
    int                    err = 0, ok = 0;

    gif = DGifOpen(&r, ocr_gif_read, &err);
    if (gif == NULL) {
        return DS_UNSUPPORTED_IMAGE;
    }
    *w = gif->SWidth;
    *h = gif->SHeight;
    for ( ;; ) {
        if (DGifGetRecordType(gif, &type) != GIF_OK) {
            break;
        }
        if (type == TERMINATE_RECORD_TYPE) {
            ok = 1;
            break;
        }
        if (type == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(gif) != GIF_OK) {
                break;
            }
            area += (int64_t) gif->Image.Width * gif->Image.Height;
        }
        if ((type == IMAGE_DESC_RECORD_TYPE || type == EXTENSION_RECORD_TYPE)
            && ocr_gif_skip(gif, type) != 0)
        {
            break;
        }
    }
    (void) DGifCloseFile(gif, &err);

    /* a truncated GIF whose frames read so far fit is left to decode */
    if (!ok && area == 0) {
        return DS_UNSUPPORTED_IMAGE;
    }
    if (area > (int64_t) *w * *h) {
        *w = area > INT32_MAX ? INT32_MAX : (l_int32) area;
        *h = 1;
    }
    return DS_OK;
}

/* Width and height of one page, from the header only. */
static enum ds_err
ocr_page_size(const struct ocr_src *src, int page, l_int32 *w, l_int32 *h)
{
    const unsigned char  *d = src->data;
    l_ok                  bad;

    if (ocr_is_tiff(src->format)) {
        bad = readHeaderMemTiff(d, src->len, page, w, h, NULL, NULL, NULL,
            NULL, NULL);
    } else if (src->format == IFF_GIF) {
        return ocr_gif_size(d, src->len, w, h);
    } else {
        bad = pixReadHeaderMem(d, src->len, NULL, w, h, NULL, NULL, NULL);
    }

    if (bad || *w <= 0 || *h <= 0) {
        return DS_UNSUPPORTED_IMAGE;
    }
    return DS_OK;
}

/*
 * Fill src from data: format, page count, and every page's size checked
 * against max_pixels (<= 0: no limit). More than max_pages pages (<= 0:
 * no limit) is DS_TOO_MANY_PAGES before any page is looked at: each TIFF
 * page header is found by walking the directory chain from the start,
 * so checking n pages costs n^2 directory reads.
 * XXX: counting the pages still reads every directory (linear in the
 * file's size); libtiff could stop at the cap.
 */
static enum ds_err
ocr_inspect(const unsigned char *data, size_t len, long max_pixels,
    int max_pages, struct ocr_src *src)
{
    enum ds_err  e;
    l_int32      w, h;
    int          i;

    src->data = data;
    src->len = len;
    src->pages = 1;
    if (data == NULL || len == 0) {
        return DS_UNSUPPORTED_IMAGE;
    }
    src->format = ocr_format(data, len);
    if (src->format == IFF_UNKNOWN) {
        return DS_UNSUPPORTED_IMAGE;
    }
    if (ocr_is_tiff(src->format)) {
        e = ocr_tiff_pages(data, len, &src->pages);
        if (e != DS_OK) {
            return e;
        }
    }
    if (max_pages > 0 && src->pages > max_pages) {
        return DS_TOO_MANY_PAGES;
    }

    for (i = 0; i < src->pages; i++) {
        e = ocr_page_size(src, i, &w, &h);
        if (e != DS_OK) {
            return e;
        }
        if (max_pixels > 0 && (int64_t) w * h > (int64_t) max_pixels) {
            log_info("page %d of %d is %dx%d: over %ld pixels", i + 1,
                src->pages, (int) w, (int) h, max_pixels);
            return DS_IMAGE_TOO_LARGE;
        }
    }
    return DS_OK;
}

enum ds_err
ocr_probe_pages(const unsigned char *data, size_t len, long max_pixels,
    int max_pages, int *pages)
{
    struct ocr_src  src;
    enum ds_err     e;

    e = ocr_inspect(data, len, max_pixels, max_pages, &src);
    if (pages != NULL) {
        *pages = e == DS_OK ? src.pages : 0;
    }
    return e;
}

enum ds_err
ocr_probe(const unsigned char *data, size_t len, long max_pixels,
    int *pages)
{
    return ocr_probe_pages(data, len, max_pixels, 0, pages);
}

/* -------------------------------------------------------------------- */
/* engines                                                              */

static void
ocr_api_free(TessBaseAPI *api)
{
    if (api != NULL) {
        TessBaseAPIEnd(api);
        TessBaseAPIDelete(api);
    }
}

/* A tesseract handle loaded with languages; NULL on failure. */
static TessBaseAPI *
ocr_api_new(const char *tessdata, const char *languages)
{
    TessBaseAPI  *api;

    api = TessBaseAPICreate();
    if (api == NULL) {
        return NULL;
    }
    /* tprintf chatter (warnings, "Empty page!!") stays off stderr */
    if (!TessBaseAPISetVariable(api, "debug_file", "/dev/null")) {
        log_warn("cannot set tesseract debug_file");
    }
    if (TessBaseAPIInit3(api, tessdata, languages) != 0) {
        log_err("cannot load tesseract languages \"%s\" from \"%s\"",
            languages, tessdata != NULL ? tessdata : "(default)");
        TessBaseAPIDelete(api);
        return NULL;
    }
    TessBaseAPISetPageSegMode(api, OCR_PSM);
    return api;
}

/* OSD needs osd.traineddata next to the languages' data. */
static int
ocr_osd_available(TessBaseAPI *api)
{
    const char  *dir;
    char         path[4096];
    int          n;

    dir = TessBaseAPIGetDatapath(api);
    if (dir == NULL || dir[0] == '\0') {
        return 0;
    }
    n = snprintf(path, sizeof(path), "%s/osd.traineddata", dir);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        return 0;
    }
    return access(path, R_OK) == 0;
}

static void
ocr_engine_free(struct ocr_engine *eng)
{
    if (eng != NULL) {
        ocr_api_free(eng->osd);
        ocr_api_free(eng->api);
        free(eng);
    }
}

static rc_t
ocr_engine_new(struct ocr_pool *pool, struct ocr_engine **out)
{
    struct ocr_engine  *eng;
    int64_t             t0;
    rc_t                rc = RC_OK;

    eng = calloc(1, sizeof(*eng));
    if (eng == NULL) {
        return RC_NOMEM;
    }
    t0 = clock_mono_ms();

    /* Init writes tesseract's global parameters: one at a time */
    ocr_lock(&pool->init_lock);
    eng->api = ocr_api_new(pool->tessdata, pool->languages);
    if (eng->api == NULL) {
        rc = RC_OCR;
        goto out;
    }
    if (pool->osd && ocr_osd_available(eng->api)) {
        eng->osd = ocr_api_new(pool->tessdata, "osd");
        if (eng->osd == NULL) {
            log_warn("osd data did not load: orientation is not fixed");
        }
    }

out:
    ocr_unlock(&pool->init_lock);
    if (rc != RC_OK) {
        ocr_engine_free(eng);
        return rc;
    }
    log_info("engine ready: \"%s\", osd %s, %lld ms", pool->languages,
        eng->osd != NULL ? "on" : "off",
        (long long) (clock_mono_ms() - t0));
    *out = eng;
    return RC_OK;
}

/*
 * Take an idle engine, or make one while fewer than slots exist, or
 * wait until one is given back.
 */
static rc_t
ocr_engine_take(struct ocr_pool *pool, struct ocr_engine **out)
{
    struct ocr_engine  *eng;
    rc_t                rc;

    ocr_lock(&pool->lock);
    while (pool->idle == NULL && pool->live >= pool->slots) {
        if (pthread_cond_wait(&pool->freed, &pool->lock) != 0) {
            abort();
        }
    }
    eng = pool->idle;
    if (eng != NULL) {
        pool->idle = eng->next;
        eng->next = NULL;
        ocr_unlock(&pool->lock);
        *out = eng;
        return RC_OK;
    }
    pool->live++;
    ocr_unlock(&pool->lock);

    /* made outside the lock: Init takes a while */
    rc = ocr_engine_new(pool, out);

    ocr_lock(&pool->lock);
    if (rc == RC_OK) {
        pool->made++;
    } else {
        pool->live--;
        if (pthread_cond_signal(&pool->freed) != 0) {
            abort();
        }
    }
    ocr_unlock(&pool->lock);
    return rc;
}

static void
ocr_engine_give(struct ocr_pool *pool, struct ocr_engine *eng)
{
    ocr_lock(&pool->lock);
    eng->next = pool->idle;
    pool->idle = eng;
    if (pthread_cond_signal(&pool->freed) != 0) {
        abort();
    }
    ocr_unlock(&pool->lock);
}

/* -------------------------------------------------------------------- */
/* pool                                                                 */

static int
ocr_default_slots(void)
{
    long  n;

    n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) {
        return 1;
    }
    return n > 256 ? 256 : (int) n;
}

static rc_t
ocr_pool_sync_init(struct ocr_pool *pool)
{
    if (pthread_mutex_init(&pool->lock, NULL) != 0) {
        return RC_NOMEM;
    }
    if (pthread_mutex_init(&pool->init_lock, NULL) != 0) {
        pthread_mutex_destroy(&pool->lock);
        return RC_NOMEM;
    }
    if (pthread_cond_init(&pool->freed, NULL) != 0) {
        pthread_mutex_destroy(&pool->init_lock);
        pthread_mutex_destroy(&pool->lock);
        return RC_NOMEM;
    }
    return RC_OK;
}

/*
 * Make a pool; no engine is loaded until the first page. Free it with
 * ocr_pool_free. Returns RC_NOMEM or RC_INTERNAL on failure. Sets the
 * process-wide leptonica message handler (to log_debug) on first call.
 * Thread-safe.
 */
rc_t
ocr_pool_new(const struct ocr_opts *opts, struct ocr_pool **out)
{
    struct ocr_pool  *pool;
    const char       *lang, *dir;

    *out = NULL;
    if (pthread_once(&ocr_once, ocr_init_once) != 0) {
        return RC_INTERNAL;
    }
    pool = calloc(1, sizeof(*pool));
    if (pool == NULL) {
        return RC_NOMEM;
    }

    lang = opts->languages != NULL && opts->languages[0] != '\0'
        ? opts->languages : "eng";
    dir = opts->tessdata_dir != NULL && opts->tessdata_dir[0] != '\0'
        ? opts->tessdata_dir : NULL;
    pool->languages = strdup(lang);
    pool->tessdata = dir != NULL ? strdup(dir) : NULL;
    if (pool->languages == NULL || (dir != NULL && pool->tessdata == NULL)
        || ocr_pool_sync_init(pool) != RC_OK)
    {
        free(pool->tessdata);
        free(pool->languages);
        free(pool);
        return RC_NOMEM;
    }
    pool->slots = opts->slots > 0 ? opts->slots : ocr_default_slots();
    pool->min_text_height = opts->min_text_height;
    pool->osd = opts->osd;
    pool->deskew = opts->deskew;
    pool->max_pixels = opts->max_pixels;

    /* libgomp reads this at load: it cannot be set from here */
    if (getenv("OMP_THREAD_LIMIT") == NULL) {
        log_warn("OMP_THREAD_LIMIT is unset: tesseract's OpenMP threads "
            "compete with the engines; set it to 1 in the environment");
    }
    log_info("pool: %d slots, languages \"%s\"", pool->slots, lang);
    *out = pool;
    return RC_OK;
}

/*
 * End every engine and free the pool. Call only when no ocr_pool_run is
 * in progress. NULL is a no-op.
 */
void
ocr_pool_free(struct ocr_pool *pool)
{
    struct ocr_engine  *eng;
    int                 ended = 0;

    if (pool == NULL) {
        return;
    }
    while (pool->idle != NULL) {
        eng = pool->idle;
        pool->idle = eng->next;
        ocr_engine_free(eng);
        ended++;
    }
    if (ended != pool->live) {
        log_err("pool freed with %d engines in use", pool->live - ended);
    }
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->init_lock);
    pthread_mutex_destroy(&pool->lock);
    free(pool->tessdata);
    free(pool->languages);
    free(pool);
}

/*
 * Test hook, deliberately not in ocr.h: how many engines the pool has
 * created in all. Thread-safe.
 */
long
ocr_pool_engines_made(struct ocr_pool *pool)
{
    long  n;

    ocr_lock(&pool->lock);
    n = pool->made;
    ocr_unlock(&pool->lock);
    return n;
}

/* -------------------------------------------------------------------- */
/* page preparation                                                     */

/* Estimated capital height in px of the text on grey; 0: no estimate. */
static int
ocr_text_height(PIX *grey)
{
    PIX        *bin = NULL;
    BOXA       *all = NULL, *tall = NULL, *glyphs = NULL;
    NUMA       *heights = NULL;
    l_float32   v = 0.0f;
    l_int32     w, h, cap;

    pixGetDimensions(grey, &w, &h, NULL);
    cap = (w < h ? w : h) / 10;
    if (cap < OCR_GLYPH_MIN_H) {
        return 0;
    }

    /* one Otsu threshold for the page: the tile is the whole image */
    if (pixOtsuAdaptiveThreshold(grey, w, h, 0, 0, 0.0f, NULL, &bin) != 0) {
        goto out;
    }
    all = pixConnCompBB(bin, 8);
    if (all == NULL) {
        goto out;
    }
    tall = boxaSelectBySize(all, 0, OCR_GLYPH_MIN_H, L_SELECT_HEIGHT,
        L_SELECT_IF_GTE, NULL);
    if (tall == NULL) {
        goto out;
    }
    /* rules, boxes and pictures are not glyphs */
    glyphs = boxaSelectBySize(tall, cap, cap, L_SELECT_IF_BOTH,
        L_SELECT_IF_LTE, NULL);
    if (glyphs == NULL || boxaGetCount(glyphs) < OCR_GLYPHS_MIN) {
        goto out;
    }
    if (boxaGetSizes(glyphs, NULL, &heights) != 0
        || numaGetRankValue(heights, OCR_GLYPH_RANK, NULL, 0, &v) != 0)
    {
        v = 0.0f;
    }

out:
    numaDestroy(&heights);
    boxaDestroy(&glyphs);
    boxaDestroy(&tall);
    boxaDestroy(&all);
    pixDestroy(&bin);
    return (int) lroundf(v);
}

/* How much to enlarge grey so its text reaches min_text_height. */
static float
ocr_scale_factor(const struct ocr_pool *pool, PIX *grey)
{
    double   f, pixels;
    int      th;

    if (pool->min_text_height <= 0) {
        return 1.0f;
    }
    th = ocr_text_height(grey);
    if (th <= 0 || th >= pool->min_text_height) {
        return 1.0f;
    }

    f = (double) pool->min_text_height / th;
    if (f > OCR_SCALE_MAX) {
        f = OCR_SCALE_MAX;
    }
    pixels = (double) pixGetWidth(grey) * pixGetHeight(grey);
    if (pixels * f * f > OCR_SCALED_MAX_PIXELS) {
        f = sqrt(OCR_SCALED_MAX_PIXELS / pixels);
    }
    log_debug("text height %d px, scale %.2f", th, f);
    return f < OCR_SCALE_MIN ? 1.0f : (float) f;
}

/* Replace *pix by next, or fail when next could not be made. */
static rc_t
ocr_pix_step(PIX **pix, PIX *next, const char *what)
{
    if (next == NULL) {
        log_err("%s failed", what);
        return RC_OCR;
    }
    pixDestroy(pix);
    *pix = next;
    return RC_OK;
}

/* Deskew *pix when a credible skew is found; geom->angle gets it. */
static void
ocr_deskew(PIX **pix, struct ocr_geom *geom)
{
    PIX        *next;
    l_float32   angle = 0.0f, conf = 0.0f;

    /* a clone when no credible skew is found, NULL when too small */
    next = pixFindSkewAndDeskew(*pix, 2, &angle, &conf);
    log_debug("skew %.2f deg (conf %.1f)", angle, conf);
    if (next == NULL) {
        return;
    }
    if (next != *pix) {
        geom->angle = angle;
    }
    pixDestroy(pix);
    *pix = next;
}

/*
 * From a decoded page to what tesseract reads: alpha composited onto
 * white, 8 bpp grey (colour maps dropped, 16 bpp cut to its high byte),
 * small text enlarged, deskewed. Deskew comes last: turning a receipt
 * by 0.1 degree before enlarging it took its CER from 11% to 75%.
 * *out is the caller's; geom says how the page was changed.
 */
static rc_t
ocr_prepare(const struct ocr_pool *pool, PIX *page, PIX **out,
    struct ocr_geom *geom)
{
    PIX    *pix;
    float   f;
    rc_t    rc;

    pix = pixClone(page);
    if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4) {
        rc = ocr_pix_step(&pix, pixAlphaBlendUniform(pix, 0xffffff00),
            "alpha blend");
        if (rc != RC_OK) {
            goto out;
        }
    }

    rc = ocr_pix_step(&pix, pixConvertTo8(pix, 0), "grey conversion");
    if (rc != RC_OK) {
        goto out;
    }

    f = ocr_scale_factor(pool, pix);
    if (f > 1.0f) {
        rc = ocr_pix_step(&pix, pixScaleGrayLI(pix, f, f), "upscale");
        if (rc != RC_OK) {
            goto out;
        }
    }

    pixGetDimensions(page, &geom->w0, &geom->h0, NULL);
    pixGetDimensions(pix, &geom->w1, &geom->h1, NULL);
    geom->angle = 0.0f;
    if (pool->deskew) {
        ocr_deskew(&pix, geom);
    }
    log_debug("prepared %dx%d, scale %.2f, deskewed %.2f deg",
        (int) pixGetWidth(pix), (int) pixGetHeight(pix), f, geom->angle);

out:
    if (rc != RC_OK) {
        pixDestroy(&pix);
    }
    *out = pix;
    return rc;
}

/* -------------------------------------------------------------------- */
/* recognition                                                          */

/*
 * Clockwise quarter turns (0-3) that put pix upright, as far as the
 * engine's OSD can tell.
 */
static int
ocr_osd_turns(struct ocr_engine *eng, PIX *pix)
{
    int    deg = 0;
    float  conf = 0.0f;
    BOOL   ok;

    if (eng->osd == NULL) {
        return 0;
    }
    TessBaseAPISetImage2(eng->osd, pix);
    TessBaseAPISetSourceResolution(eng->osd, OCR_DPI);
    ok = TessBaseAPIDetectOrientationScript(eng->osd, &deg, &conf, NULL,
        NULL);
    TessBaseAPIClear(eng->osd);
    if (!ok) {
        /* too little text to judge: read the page as it is */
        log_debug("osd: no result");
        return 0;
    }
    log_debug("osd: %d deg, margin %.2f", deg, conf);
    if (conf < OCR_OSD_MIN_CONF || deg % 90 != 0) {
        return 0;
    }
    /* OSD reports how far the page is turned clockwise */
    return ((360 - deg) / 90) % 4;
}

/* Add v under key to o; v is released when that fails. */
static rc_t
ocr_obj_add(json_object *o, const char *key, json_object *v)
{
    if (v == NULL) {
        return RC_NOMEM;
    }
    if (json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        return RC_NOMEM;
    }
    return RC_OK;
}

/*
 * A word as the engine read it, to words: {"page": 0 (set later),
 * "line", "text", "conf", "box": [left, top, right, bottom]}.
 */
static rc_t
ocr_word_add(json_object *words, const char *text, float conf, int line,
    const int box[4])
{
    json_object  *w, *b;
    char          num[16];
    int           i;
    rc_t          rc;

    w = json_object_new_object();
    if (w == NULL) {
        return RC_NOMEM;
    }
    b = json_object_new_array_ext(4);
    rc = ocr_obj_add(w, "page", json_object_new_int(0));
    for (i = 0; rc == RC_OK && b != NULL && i < 4; i++) {
        if (json_object_array_add(b, json_object_new_int(box[i])) != 0) {
            rc = RC_NOMEM;
        }
    }
    (void) snprintf(num, sizeof(num), "%.2f", conf);
    if (rc == RC_OK) {
        rc = ocr_obj_add(w, "line", json_object_new_int(line));
    }
    if (rc == RC_OK) {
        rc = ocr_obj_add(w, "text", json_object_new_string(text));
    }
    if (rc == RC_OK) {
        rc = ocr_obj_add(w, "conf", json_object_new_double_s(conf, num));
    }
    if (rc == RC_OK) {
        rc = ocr_obj_add(w, "box", b);
        b = NULL;
    }
    if (rc == RC_OK && json_object_array_add(words, w) != 0) {
        rc = RC_NOMEM;
    }
    json_object_put(b);
    if (rc != RC_OK) {
        json_object_put(w);
    }
    return rc;
}

/* Every word of the engine's last reading, in reading order. */
static rc_t
ocr_words_collect(TessBaseAPI *api, json_object **out)
{
    TessResultIterator      *it;
    const TessPageIterator  *pit;
    json_object             *words;
    char                    *text;
    int                      box[4], line = 0;
    rc_t                     rc = RC_OK;

    words = json_object_new_array();
    if (words == NULL) {
        return RC_NOMEM;
    }
    it = TessBaseAPIGetIterator(api);
    pit = it != NULL ? TessResultIteratorGetPageIteratorConst(it) : NULL;
    while (rc == RC_OK && pit != NULL) {
        line += TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE) != 0;
        text = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        if (text != NULL && TessPageIteratorBoundingBox(pit, RIL_WORD,
                &box[0], &box[1], &box[2], &box[3]))
        {
            rc = ocr_word_add(words, text,
                TessResultIteratorConfidence(it, RIL_WORD), line, box);
        }
        TessDeleteText(text);
        if (!TessResultIteratorNext(it, RIL_WORD)) {
            break;
        }
    }
    if (it != NULL) {
        TessResultIteratorDelete(it);
    }
    if (rc != RC_OK) {
        json_object_put(words);
        return rc;
    }
    *out = words;
    return RC_OK;
}

/* Read pix; with words, keep each word's box as read (out->words). */
static rc_t
ocr_recognize(struct ocr_engine *eng, PIX *pix, int words,
    struct ocr_text *out)
{
    rc_t  rc = RC_OK;

    TessBaseAPISetImage2(eng->api, pix);
    TessBaseAPISetSourceResolution(eng->api, OCR_DPI);
    out->text = TessBaseAPIGetUTF8Text(eng->api);
    out->conf = out->text != NULL ? TessBaseAPIMeanTextConf(eng->api) : 0;
    if (out->text != NULL && words) {
        rc = ocr_words_collect(eng->api, &out->words);
    }
    TessBaseAPIClear(eng->api);
    if (out->text == NULL) {
        log_err("recognition failed on a %dx%d page",
            (int) pixGetWidth(pix), (int) pixGetHeight(pix));
        return RC_OCR;
    }
    return rc;
}

static void
ocr_text_free(struct ocr_text *t)
{
    TessDeleteText(t->text);
    json_object_put(t->words);
    t->text = NULL;
    t->words = NULL;
}

/*
 * OSD says "upside down" of many upright receipts, with margins up to
 * 7.5. Read the page both ways and keep the more confident reading:
 * upright corpus pages scored 59-95, the same turned over 22-44.
 */
static rc_t
ocr_recognize_either_way(struct ocr_engine *eng, PIX *pix, int words,
    struct ocr_text *out)
{
    struct ocr_text   turned = { NULL, 0, 2, NULL };
    PIX              *rot;
    rc_t              rc;

    rc = ocr_recognize(eng, pix, words, out);
    if (rc != RC_OK) {
        return rc;
    }
    rot = pixRotateOrth(pix, 2);
    if (rot == NULL) {
        log_warn("cannot turn the page over: read as it is");
        return RC_OK;
    }
    rc = ocr_recognize(eng, rot, words, &turned);
    pixDestroy(&rot);
    if (rc == RC_OK && turned.conf > out->conf) {
        log_debug("page read turned over: confidence %d over %d",
            turned.conf, out->conf);
        ocr_text_free(out);
        *out = turned;
        return RC_OK;
    }
    ocr_text_free(&turned);
    return RC_OK;
}

/*
 * Orient pix with the engine's OSD, then read it; out->turns says how
 * it was turned. With words, out->words gets the words as read.
 */
static rc_t
ocr_read(struct ocr_engine *eng, PIX *pix, int words, struct ocr_text *out)
{
    PIX   *rot;
    int    turns;
    rc_t   rc;

    turns = ocr_osd_turns(eng, pix);
    out->turns = 0;
    if (turns == 0) {
        return ocr_recognize(eng, pix, words, out);
    }
    if (turns == 2) {
        return ocr_recognize_either_way(eng, pix, words, out);
    }
    rot = pixRotateOrth(pix, turns);
    if (rot == NULL) {
        log_err("rotation by %d quarter turns failed", turns);
        return RC_OCR;
    }
    out->turns = turns;
    rc = ocr_recognize(eng, rot, words, out);
    pixDestroy(&rot);
    return rc;
}

/* Append page's marker and text to run. */
static rc_t
ocr_append(struct ocr_run *run, const struct ocr_text *page)
{
    size_t  n;
    rc_t    rc;

    rc = buf_printf(&run->text, OCR_MARKER, run->page);
    if (rc != RC_OK) {
        return rc;
    }
    n = strlen(page->text);
    rc = buf_append(&run->text, page->text, n);
    if (rc == RC_OK && n > 0 && page->text[n - 1] != '\n') {
        rc = buf_append(&run->text, "\n", 1);
    }
    if (n > 0) {
        run->conf_sum += page->conf;
        run->conf_pages++;
    }
    log_debug("page %d: %zu bytes of text, confidence %d", run->page, n,
        page->conf);
    return rc;
}

/*
 * Undo one clockwise quarter turn of box, read in an image w wide:
 * the turned point (x, y) was (y, w - x).
 */
static void
ocr_box_unturn(double box[4], double w)
{
    double  l = box[0], t = box[1], r = box[2], b = box[3];

    box[0] = t;
    box[1] = w - r;
    box[2] = b;
    box[3] = w - l;
}

/*
 * Undo the deskew: pixRotate turned the page by angle degrees (positive
 * clockwise) about its centre, keeping its size; turn the box's corners
 * back and take their bounds.
 */
static void
ocr_box_unskew(double box[4], const struct ocr_geom *g)
{
    double  in[4], a, c, s, cx, cy, dx, dy, x, y;
    int     i;

    memcpy(in, box, sizeof(in));
    a = -g->angle * M_PI / 180.0;
    c = cos(a);
    s = sin(a);
    cx = g->w1 / 2.0;
    cy = g->h1 / 2.0;
    for (i = 0; i < 4; i++) {
        dx = in[i & 1 ? 2 : 0] - cx;
        dy = in[i & 2 ? 3 : 1] - cy;
        x = cx + dx * c - dy * s;
        y = cy + dx * s + dy * c;
        if (i == 0) {
            box[0] = box[2] = x;
            box[1] = box[3] = y;
        }
        box[0] = fmin(box[0], x);
        box[1] = fmin(box[1], y);
        box[2] = fmax(box[2], x);
        box[3] = fmax(box[3], y);
    }
}

/*
 * A box (left, top, right, bottom) in the image the engine read, mapped
 * onto the page as decoded: quarter turns, deskew and scaling undone,
 * clamped to the page.
 */
static void
ocr_box_unmap(const struct ocr_geom *g, int turns, int box[4])
{
    double  b[4], w, h, t;
    int     i;

    for (i = 0; i < 4; i++) {
        b[i] = box[i];
    }
    w = turns % 2 != 0 ? g->h1 : g->w1;
    h = turns % 2 != 0 ? g->w1 : g->h1;
    for (i = 0; i < turns; i++) {
        ocr_box_unturn(b, w);
        t = w;
        w = h;
        h = t;
    }
    if (g->angle != 0.0f) {
        ocr_box_unskew(b, g);
    }
    for (i = 0; i < 4; i++) {
        b[i] *= i % 2 == 0 ? (double) g->w0 / g->w1
            : (double) g->h0 / g->h1;
        b[i] = fmax(0.0, fmin(b[i], i % 2 == 0 ? g->w0 : g->h0));
        box[i] = (int) lround(b[i]);
    }
}

/* Move page's words to the run, with page numbers and mapped boxes. */
static rc_t
ocr_append_words(struct ocr_run *run, struct ocr_text *page,
    const struct ocr_geom *geom)
{
    json_object  *w, *b;
    size_t        i, n;
    int           box[4], k;

    n = page->words != NULL ? json_object_array_length(page->words) : 0;
    for (i = 0; i < n; i++) {
        w = json_object_array_get_idx(page->words, i);
        b = json_object_object_get(w, "box");
        for (k = 0; k < 4; k++) {
            box[k] = json_object_get_int(json_object_array_get_idx(b, k));
        }
        ocr_box_unmap(geom, page->turns, box);
        for (k = 0; k < 4; k++) {
            (void) json_object_set_int(json_object_array_get_idx(b, k),
                box[k]);
        }
        (void) json_object_set_int(json_object_object_get(w, "page"),
            run->page);
        if (json_object_array_add(run->words, json_object_get(w)) != 0) {
            json_object_put(w);
            return RC_NOMEM;
        }
    }
    return RC_OK;
}

/* Prepare one decoded page, then orient and read it with an engine. */
static rc_t
ocr_page(struct ocr_pool *pool, PIX *page, struct ocr_run *run)
{
    struct ocr_engine  *eng = NULL;
    struct ocr_text     text = { NULL, 0, 0, NULL };
    struct ocr_geom     geom;
    PIX                *pix = NULL;
    rc_t                rc;

    rc = ocr_prepare(pool, page, &pix, &geom);
    if (rc != RC_OK) {
        goto out;
    }

    rc = ocr_engine_take(pool, &eng);
    if (rc != RC_OK) {
        goto out;
    }

    rc = ocr_read(eng, pix, run->words != NULL, &text);
    ocr_engine_give(pool, eng);
    if (rc != RC_OK) {
        goto out;
    }

    rc = ocr_append(run, &text);
    if (rc == RC_OK && run->words != NULL) {
        rc = ocr_append_words(run, &text, &geom);
    }

out:
    ocr_text_free(&text);
    pixDestroy(&pix);
    return rc;
}

/*
 * Decode page i of src; a second size check covers lying headers.
 * XXX: the EXIF orientation of camera JPEGs is ignored (leptonica does
 * not read it); only OSD, when enabled, turns such pages upright.
 */
static rc_t
ocr_decode(const struct ocr_pool *pool, const struct ocr_src *src, int i,
    PIX **out)
{
    PIX      *pix;
    l_int32   w, h;

    if (ocr_is_tiff(src->format)) {
        pix = pixReadMemTiff(src->data, src->len, i);
    } else {
        pix = pixReadMem(src->data, src->len);
    }
    if (pix == NULL) {
        log_err("page %d of %d: cannot decode %zu bytes", i + 1,
            src->pages, src->len);
        return RC_OCR;
    }

    pixGetDimensions(pix, &w, &h, NULL);
    if (pool->max_pixels > 0 && (int64_t) w * h > pool->max_pixels) {
        log_err("page %d decoded to %dx%d: over %ld pixels", i + 1,
            (int) w, (int) h, pool->max_pixels);
        pixDestroy(&pix);
        return RC_BADINPUT;
    }
    *out = pix;
    return RC_OK;
}

static rc_t
ocr_image(struct ocr_pool *pool, const struct ocr_src *src,
    struct ocr_run *run)
{
    PIX   *page = NULL;
    int    i;
    rc_t   rc = RC_OK;

    for (i = 0; i < src->pages; i++) {
        rc = ocr_decode(pool, src, i, &page);
        if (rc != RC_OK) {
            break;
        }
        run->page++;
        rc = ocr_page(pool, page, run);
        pixDestroy(&page);
        if (rc != RC_OK) {
            break;
        }
    }
    return rc;
}

/* Check every image before any is read, so a bad last one costs little. */
static rc_t
ocr_check(const struct ocr_pool *pool, const struct ocr_image *images,
    size_t n, struct ocr_src *srcs)
{
    enum ds_err  e;
    size_t       i;

    for (i = 0; i < n; i++) {
        e = ocr_inspect(images[i].data, images[i].len, pool->max_pixels, 0,
            &srcs[i]);
        if (e == DS_IMAGE_TOO_LARGE) {
            return RC_BADINPUT;
        }
        if (e != DS_OK) {
            log_err("image %zu of %zu (%zu bytes): not a supported image",
                i + 1, n, images[i].len);
            return RC_OCR;
        }
    }
    return RC_OK;
}

/* Hand the run's words to words, all or (RC_NOMEM) none. */
static rc_t
ocr_words_give(struct ocr_run *run, json_object *words)
{
    json_object  *w;
    size_t        i, n, had;

    had = json_object_array_length(words);
    n = json_object_array_length(run->words);
    for (i = 0; i < n; i++) {
        w = json_object_array_get_idx(run->words, i);
        if (json_object_array_add(words, json_object_get(w)) != 0) {
            json_object_put(w);
            (void) json_object_array_del_idx(words, had, i);
            return RC_NOMEM;
        }
    }
    return RC_OK;
}

/* Hand the run's text to out and its words to words: all or nothing. */
static rc_t
ocr_run_give(struct ocr_run *run, struct buf *out, json_object *words)
{
    size_t  had = 0;
    rc_t    rc = RC_OK;

    if (words != NULL) {
        had = json_object_array_length(words);
        rc = ocr_words_give(run, words);
    }
    if (rc == RC_OK && out != NULL && run->text.len > 0) {
        rc = buf_append(out, run->text.data, run->text.len);
        if (rc != RC_OK && words != NULL) {
            (void) json_object_array_del_idx(words, had,
                json_object_array_length(words) - had);
        }
    }
    return rc;
}

/*
 * ocr_pool_run and ocr_pool_run_words. The text and words are gathered
 * apart and handed over only when every page was read, so a failed run
 * leaves out and words as they were. stats may be NULL; its confidence
 * is the mean over pages that gave any text.
 */
static rc_t
ocr_run_images(struct ocr_pool *pool, const struct ocr_image *images,
    size_t n, struct buf *out, json_object *words, struct ocr_stats *stats)
{
    struct ocr_src  *srcs = NULL;
    struct ocr_run   run;
    int64_t          t0;
    rc_t             rc;
    size_t           i;

    t0 = clock_mono_ms();
    memset(&run, 0, sizeof(run));
    buf_init(&run.text, out != NULL ? out->max : BUF_UNLIMITED);
    run.words = words != NULL ? json_object_new_array() : NULL;
    srcs = n > 0 ? calloc(n, sizeof(*srcs)) : NULL;
    if ((words != NULL && run.words == NULL) || (n > 0 && srcs == NULL)) {
        rc = RC_NOMEM;
        goto out;
    }

    rc = ocr_check(pool, images, n, srcs);
    if (rc != RC_OK) {
        goto out;
    }

    for (i = 0; i < n; i++) {
        rc = ocr_image(pool, &srcs[i], &run);
        if (rc != RC_OK) {
            goto out;
        }
    }

    rc = ocr_run_give(&run, out, words);

out:
    if (stats != NULL) {
        stats->pages = run.page;
        stats->ms_total = (long) (clock_mono_ms() - t0);
        stats->mean_confidence = run.conf_pages > 0
            ? run.conf_sum / run.conf_pages : 0.0;
    }
    log_info("%zu images, %d pages, %zu bytes of text, %lld ms: %s", n,
        run.page, run.text.len, (long long) (clock_mono_ms() - t0),
        rc_str(rc));
    json_object_put(run.words);
    buf_free(&run.text);
    free(srcs);
    return rc;
}

/* See ocr.h. */
rc_t
ocr_pool_run(struct ocr_pool *pool, const struct ocr_image *images,
    size_t n, struct buf *out, struct ocr_stats *stats)
{
    return ocr_run_images(pool, images, n, out, NULL, stats);
}

/* See ocr.h. */
rc_t
ocr_pool_run_words(struct ocr_pool *pool, const struct ocr_image *images,
    size_t n, struct buf *out, json_object *words, struct ocr_stats *stats)
{
    if (words == NULL || !json_object_is_type(words, json_type_array)) {
        return RC_BADINPUT;
    }
    return ocr_run_images(pool, images, n, out, words, stats);
}

void
ocr_limit_threads(char **argv)
{
    if (getenv("OMP_THREAD_LIMIT") != NULL) {
        return;
    }
    if (setenv("OMP_THREAD_LIMIT", "1", 1) != 0) {
        return;
    }
    execv("/proc/self/exe", argv);
    /* exec failed: run on, slower */
}

/*
 * Where the engines will look: the configured folder, else tesseract's
 * own choice, TESSDATA_PREFIX or the folder it was built with.
 */
#define OCR_TESSDATA_DEFAULT    "/usr/share/tesseract-ocr/5/tessdata"

/* See ocr.h. */
rc_t
ocr_pool_ready(struct ocr_pool *pool, char *detail, size_t len)
{
    const char  *dir, *lang;
    char         path[4096];
    size_t       n;
    int          w;

    dir = pool->tessdata != NULL ? pool->tessdata
                                 : getenv("TESSDATA_PREFIX");
    if (dir == NULL || dir[0] == '\0') {
        dir = OCR_TESSDATA_DEFAULT;
    }
    for (lang = pool->languages; *lang != '\0'; lang += n) {
        lang += *lang == '+';
        n = strcspn(lang, "+");
        w = snprintf(path, sizeof(path), "%s/%.*s.traineddata", dir,
                     (int) n, lang);
        if (w < 0 || (size_t) w >= sizeof(path)) {
            (void) snprintf(detail, len, "tessdata path too long");
            return RC_OCR;
        }
        if (n > 0 && access(path, R_OK) != 0) {
            (void) snprintf(detail, len, "%s is missing", path);
            return RC_OCR;
        }
    }
    (void) snprintf(detail, len, "%s in %s", pool->languages, dir);
    return RC_OK;
}
