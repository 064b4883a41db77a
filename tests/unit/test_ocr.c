/*
 * test_ocr.c - ocr: header probing, decoding of every format we take,
 * recognition of real corpus scans with the real libtesseract, page
 * markers, words with their boxes mapped back onto the page as sent,
 * and the engine pool.
 *
 * Needs the corpus (test_corpus()) and tesseract's eng data; exits 77
 * without the corpus. Runs itself again with OMP_THREAD_LIMIT=1 when
 * that is unset: tesseract's OpenMP threads otherwise make every page
 * several times slower on two cores.
 */
#include "config.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <leptonica/allheaders.h>

#include "buf.h"
#include "errcode.h"
#include "log.h"
#include "ocr.h"
#include "testutil.h"

#define CAP_PIXELS      50000000L
#define OSD_DATA        "/usr/share/tesseract-ocr/5/tessdata/osd.traineddata"

/* Test hook in ocr.c, not in ocr.h. */
long ocr_pool_engines_made(struct ocr_pool *pool);

/* --- helpers ---------------------------------------------------------- */

static void
corpus_path(const char *name, char *path, size_t size)
{
    int  n;

    n = snprintf(path, size, "%s/%s", test_corpus(), name);
    ck_assert_msg(n > 0 && (size_t) n < size, "corpus path too long");
}

static unsigned char *
corpus_file(const char *name, size_t *len)
{
    char            path[1024];
    unsigned char  *p;

    corpus_path(name, path, sizeof(path));
    p = test_read_file(path, len);
    ck_assert_msg(p != NULL, "cannot read %s", path);
    return p;
}

static struct ocr_pool *
pool_new(int slots, int osd)
{
    struct ocr_opts   o;
    struct ocr_pool  *pool = NULL;

    memset(&o, 0, sizeof(o));
    o.languages = "eng";
    o.slots = slots;
    o.min_text_height = 30;
    o.osd = osd;
    o.deskew = 1;
    o.max_pixels = CAP_PIXELS;
    ck_assert_int_eq(ocr_pool_new(&o, &pool), RC_OK);
    ck_assert_ptr_nonnull(pool);
    return pool;
}

/* OCR one encoded image with a fresh pool into out. */
static rc_t
run_one(const unsigned char *data, size_t len, struct buf *out)
{
    struct ocr_pool   *pool;
    struct ocr_image   img = { data, len };
    rc_t               rc;

    pool = pool_new(1, 0);
    rc = ocr_pool_run(pool, &img, 1, out, NULL);
    ocr_pool_free(pool);
    return rc;
}

static void
assert_has(const char *text, const char *word)
{
    ck_assert_msg(strcasestr(text, word) != NULL,
        "\"%s\" not found in %zu bytes of OCR text", word, strlen(text));
}

/* phototest.tif decoded, or part of it: 640 wide, rows y..y+h. */
static PIX *
photo_pix(int y, int h)
{
    unsigned char  *data;
    size_t          len;
    PIX            *pix, *part;
    BOX            *box;

    data = corpus_file("page_phototest.tif", &len);
    pix = pixReadMem(data, len);
    free(data);
    ck_assert_ptr_nonnull(pix);
    if (h <= 0) {
        return pix;
    }
    box = boxCreate(0, y, pixGetWidth(pix), h);
    part = pixClipRectangle(pix, box, NULL);
    boxDestroy(&box);
    pixDestroy(&pix);
    ck_assert_ptr_nonnull(part);
    return part;
}

/* The first paragraph: "This is a lot of 12 point text ..." */
static PIX *
photo_top(void)
{
    return photo_pix(80, 110);
}

/* The second: "The quick brown dog jumped over the lazy fox ..." */
static PIX *
photo_bottom(void)
{
    return photo_pix(190, 170);
}

static l_uint8 *
encode(PIX *pix, int format, size_t *len)
{
    l_uint8  *data = NULL;

    ck_assert_int_eq(pixWriteMem(&data, len, pix, format), 0);
    ck_assert_ptr_nonnull(data);
    return data;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}

/* CRC-32 as PNG chunks carry it (ISO-HDLC polynomial, reflected). */
static uint32_t
png_crc(const unsigned char *p, size_t n)
{
    uint32_t  c = 0xffffffffu;
    size_t    i;
    int       k;

    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
    }
    return c ^ 0xffffffffu;
}

/* --- probe ------------------------------------------------------------ */

START_TEST(probe_rejects_garbage_and_empty)
{
    static const unsigned char  garbage[] = "this is not an image at all, "
        "just some bytes that a client might send by mistake";
    static const unsigned char  short_png[] = { 0x89, 'P', 'N', 'G' };
    int                         pages = -1;

    ck_assert_int_eq(ocr_probe(garbage, sizeof(garbage), CAP_PIXELS,
        &pages), DS_UNSUPPORTED_IMAGE);
    ck_assert_int_eq(pages, 0);
    ck_assert_int_eq(ocr_probe(garbage, 0, CAP_PIXELS, &pages),
        DS_UNSUPPORTED_IMAGE);
    ck_assert_int_eq(ocr_probe(NULL, 0, CAP_PIXELS, &pages),
        DS_UNSUPPORTED_IMAGE);
    ck_assert_int_eq(ocr_probe(short_png, sizeof(short_png), CAP_PIXELS,
        &pages), DS_UNSUPPORTED_IMAGE);
}
END_TEST

START_TEST(probe_accepts_corpus_images)
{
    static const char *const  names[] = { "funsd_00920294.png",
        "sroie_000.jpg", "page_phototest.tif" };
    unsigned char            *data;
    size_t                    len, i;
    int                       pages;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        data = corpus_file(names[i], &len);
        pages = 0;
        ck_assert_int_eq(ocr_probe(data, len, CAP_PIXELS, &pages), DS_OK);
        ck_assert_int_eq(pages, 1);
        /* the same file over a cap just below its size */
        ck_assert_int_eq(ocr_probe(data, len, 1000, &pages),
            DS_IMAGE_TOO_LARGE);
        free(data);
    }
}
END_TEST

/* A real small PNG whose IHDR (with a valid CRC) claims 60000x60000. */
START_TEST(probe_png_bomb_header)
{
    PIX            *pix;
    l_uint8        *png;
    size_t          len;
    int             pages;
    struct buf      out;

    pix = pixCreate(32, 32, 8);
    pixSetAll(pix);
    png = encode(pix, IFF_PNG, &len);
    pixDestroy(&pix);
    ck_assert_uint_gt(len, 33);
    ck_assert_int_eq(memcmp(png + 12, "IHDR", 4), 0);
    put_be32(png + 16, 60000);
    put_be32(png + 20, 60000);
    put_be32(png + 29, png_crc(png + 12, 17));

    ck_assert_int_eq(ocr_probe(png, len, CAP_PIXELS, &pages),
        DS_IMAGE_TOO_LARGE);
    /* and the run refuses it before decoding anything */
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(run_one(png, len, &out), RC_BADINPUT);
    ck_assert_uint_eq(out.len, 0);
    buf_free(&out);
    lept_free(png);
}
END_TEST

/* giflib would allocate the whole screen: the probe must not decode. */
START_TEST(probe_gif_bomb_header)
{
    PIX      *pix;
    l_uint8  *gif;
    size_t    len;
    int       pages;

    pix = pixCreate(16, 16, 8);
    pixSetAll(pix);
    gif = encode(pix, IFF_GIF, &len);
    pixDestroy(&pix);
    ck_assert_int_eq(ocr_probe(gif, len, CAP_PIXELS, &pages), DS_OK);
    gif[6] = gif[7] = gif[8] = gif[9] = 0xff;
    ck_assert_int_eq(ocr_probe(gif, len, CAP_PIXELS, &pages),
        DS_IMAGE_TOO_LARGE);
    lept_free(gif);
}
END_TEST

/*
 * Regression (found by trying to break the server): a 10x10 screen
 * holding one 40000x40000 frame passed the header check, and decoding
 * it took 2 GB. The frame descriptors are read now, not only the screen.
 */
START_TEST(probe_gif_frame_larger_than_screen)
{
    static const unsigned char  gif[] = {
        'G', 'I', 'F', '8', '9', 'a',
        10, 0, 10, 0, 0x00, 0, 0,           /* screen 10x10, no table */
        0x2c, 0, 0, 0, 0,                   /* frame at 0,0 */
        0x40, 0x9c, 0x40, 0x9c,             /* 40000 x 40000 */
        0x80, 0, 0, 0, 255, 255, 255,       /* a 2-colour local table */
        2, 1, 0x2c, 0,                      /* LZW: clear, end */
        0x3b
    };
    int  pages;

    ck_assert_int_eq(ocr_probe(gif, sizeof(gif), CAP_PIXELS, &pages),
        DS_IMAGE_TOO_LARGE);
    /* within the cap the same shape is fine */
    ck_assert_int_eq(ocr_probe(gif, sizeof(gif), 2000000000L, &pages),
        DS_OK);
}
END_TEST

/* Pages over the cap are refused before any page's size is read. */
START_TEST(probe_tiff_page_cap)
{
    PIXA     *pixa;
    PIX      *pix;
    l_uint8  *tif = NULL;
    size_t    len = 0;
    int       i, pages;

    pixa = pixaCreate(3);
    for (i = 0; i < 3; i++) {
        pix = pixCreate(8, 8, 1);
        pixaAddPix(pixa, pix, L_INSERT);
    }
    ck_assert_int_eq(pixaWriteMemMultipageTiff(&tif, &len, pixa), 0);
    pixaDestroy(&pixa);
    ck_assert_int_eq(ocr_probe_pages(tif, len, CAP_PIXELS, 2, &pages),
        DS_TOO_MANY_PAGES);
    ck_assert_int_eq(ocr_probe_pages(tif, len, CAP_PIXELS, 3, &pages),
        DS_OK);
    ck_assert_int_eq(pages, 3);
    lept_free(tif);
}
END_TEST

/* Every page of a TIFF is checked, not only the first. */
START_TEST(probe_tiff_checks_each_page)
{
    PIXA     *pixa;
    PIX      *small, *big;
    l_uint8  *tif = NULL;
    size_t    len;
    int       pages = 0;

    small = pixCreate(100, 100, 1);
    big = pixCreate(300, 300, 1);
    pixa = pixaCreate(2);
    pixaAddPix(pixa, small, L_INSERT);
    pixaAddPix(pixa, big, L_INSERT);
    ck_assert_int_eq(pixaWriteMemMultipageTiff(&tif, &len, pixa), 0);
    pixaDestroy(&pixa);

    ck_assert_int_eq(ocr_probe(tif, len, 100000, &pages), DS_OK);
    ck_assert_int_eq(pages, 2);
    ck_assert_int_eq(ocr_probe(tif, len, 50000, &pages),
        DS_IMAGE_TOO_LARGE);
    lept_free(tif);
}
END_TEST

/* --- recognition of the corpus ---------------------------------------- */

START_TEST(run_phototest)
{
    static const char *const  words[] = { "point", "format", "quick",
        "brown", "jumped", "lazy", "fox" };
    struct ocr_pool          *pool;
    struct ocr_image          img;
    struct ocr_stats          st;
    struct buf                out;
    unsigned char            *data;
    size_t                    len, i;

    data = corpus_file("page_phototest.tif", &len);
    img.data = data;
    img.len = len;
    buf_init(&out, BUF_UNLIMITED);
    pool = pool_new(1, 0);

    ck_assert_int_eq(ocr_pool_run(pool, &img, 1, &out, &st), RC_OK);
    ck_assert_msg(strncmp(buf_cstr(&out), "----page 1----\n", 15) == 0,
        "output does not start with the page marker");
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        assert_has(buf_cstr(&out), words[i]);
    }
    ck_assert_int_eq(out.data[out.len - 1], '\n');
    ck_assert_int_eq(st.pages, 1);
    ck_assert_msg(st.mean_confidence > 50.0 && st.mean_confidence <= 100.0,
        "confidence %.1f", st.mean_confidence);
    ck_assert_int_ge(st.ms_total, 0);

    ocr_pool_free(pool);
    buf_free(&out);
    free(data);
}
END_TEST

/* Chinese: runs where tesseract-ocr-chi-sim is installed (CI does). */
#define CHI_DATA "/usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata"

START_TEST(run_chinese_receipt)
{
    struct ocr_opts   o;
    struct ocr_pool  *pool = NULL;
    struct ocr_image  img;
    struct ocr_stats  st;
    struct buf        out;
    unsigned char    *data;
    char              path[1024];
    size_t            len;

    if (access(CHI_DATA, R_OK) != 0) {
        fprintf(stderr, "run_chinese_receipt: chi_sim not installed\n");
        return;
    }
    snprintf(path, sizeof(path), "%s/tests/fixtures/receipt_zh.png",
             test_srcdir());
    data = test_read_file(path, &len);
    ck_assert_ptr_nonnull(data);
    memset(&o, 0, sizeof(o));
    o.languages = "chi_sim+eng";
    o.slots = 1;
    o.min_text_height = 30;
    o.max_pixels = CAP_PIXELS;
    ck_assert_int_eq(ocr_pool_new(&o, &pool), RC_OK);
    img.data = data;
    img.len = len;
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(ocr_pool_run(pool, &img, 1, &out, &st), RC_OK);
    assert_has(buf_cstr(&out), "\xe5\x90\x88\xe8\xae\xa1");  /* total */
    assert_has(buf_cstr(&out), "\xe8\xb6\x85\xe5\xb8\x82");  /* market */
    assert_has(buf_cstr(&out), "5.09");
    ocr_pool_free(pool);
    buf_free(&out);
    free(data);
}
END_TEST

START_TEST(run_receipt)
{
    json_object    *meta, *fields, *total;
    struct buf      out;
    unsigned char  *data;
    size_t          len;
    char            path[1024];

    corpus_path("sroie_000.json", path, sizeof(path));
    meta = json_object_from_file(path);
    ck_assert_ptr_nonnull(meta);
    ck_assert(json_object_object_get_ex(meta, "fields", &fields));
    ck_assert(json_object_object_get_ex(fields, "total", &total));

    data = corpus_file("sroie_000.jpg", &len);
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(run_one(data, len, &out), RC_OK);
    assert_has(buf_cstr(&out), json_object_get_string(total));
    assert_has(buf_cstr(&out), "TAMAN DAYA");
    assert_has(buf_cstr(&out), "JOHOR");

    buf_free(&out);
    free(data);
    json_object_put(meta);
}
END_TEST

/* A 100 dpi FUNSD form: readable only once the upscale step works. */
START_TEST(run_form)
{
    static const char *const  words[] = { "SUGGESTION", "Supervisor",
        "licensee", "laboratory", "cigarette" };
    struct buf                out;
    unsigned char            *data;
    size_t                    len, i;

    data = corpus_file("funsd_0000971160.png", &len);
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(run_one(data, len, &out), RC_OK);
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        assert_has(buf_cstr(&out), words[i]);
    }
    buf_free(&out);
    free(data);
}
END_TEST

/* The 300 dpi two-column magazine page (the slowest image: once). */
START_TEST(run_unlv_page)
{
    struct buf      out;
    unsigned char  *data;
    size_t          len;

    data = corpus_file("page_unlv_8071_093_3B.tif", &len);
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(run_one(data, len, &out), RC_OK);
    assert_has(buf_cstr(&out), "She sighed");
    assert_has(buf_cstr(&out), "worried parents");
    buf_free(&out);
    free(data);
}
END_TEST

/* --- markers and pages ------------------------------------------------ */

START_TEST(run_two_images_in_order)
{
    struct ocr_pool   *pool;
    struct ocr_image   img[2];
    struct ocr_stats   st;
    struct buf         out;
    PIX               *top, *bottom;
    l_uint8           *a, *b;
    const char        *t, *m1, *w1, *m2, *w2;

    top = photo_top();
    bottom = photo_bottom();
    a = encode(top, IFF_PNG, &img[0].len);
    b = encode(bottom, IFF_PNG, &img[1].len);
    img[0].data = a;
    img[1].data = b;
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(buf_append_str(&out, "before\n"), RC_OK);
    pool = pool_new(1, 0);

    ck_assert_int_eq(ocr_pool_run(pool, img, 2, &out, &st), RC_OK);
    ck_assert_int_eq(st.pages, 2);
    t = buf_cstr(&out);
    ck_assert_int_eq(strncmp(t, "before\n----page 1----\n", 22), 0);
    m1 = strstr(t, "----page 1----\n");
    w1 = strcasestr(t, "point text");
    m2 = strstr(t, "----page 2----\n");
    w2 = strcasestr(t, "brown dog");
    ck_assert_ptr_nonnull(w1);
    ck_assert_ptr_nonnull(m2);
    ck_assert_ptr_nonnull(w2);
    ck_assert_msg(m1 < w1 && w1 < m2 && m2 < w2, "pages out of order");
    ck_assert_ptr_null(strstr(t, "----page 3----"));

    ocr_pool_free(pool);
    buf_free(&out);
    lept_free(a);
    lept_free(b);
    pixDestroy(&top);
    pixDestroy(&bottom);
}
END_TEST

START_TEST(run_multipage_tiff)
{
    PIXA        *pixa;
    l_uint8     *tif = NULL;
    size_t       len;
    int          pages = 0;
    struct buf       out;
    const char  *t, *m2;

    pixa = pixaCreate(2);
    pixaAddPix(pixa, photo_top(), L_INSERT);
    pixaAddPix(pixa, photo_bottom(), L_INSERT);
    ck_assert_int_eq(pixaWriteMemMultipageTiff(&tif, &len, pixa), 0);
    pixaDestroy(&pixa);
    ck_assert_int_eq(ocr_probe(tif, len, CAP_PIXELS, &pages), DS_OK);
    ck_assert_int_eq(pages, 2);

    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(run_one(tif, len, &out), RC_OK);
    t = buf_cstr(&out);
    m2 = strstr(t, "----page 2----\n");
    ck_assert_msg(strncmp(t, "----page 1----\n", 15) == 0, "no page 1");
    ck_assert_ptr_nonnull(m2);
    ck_assert_msg(strcasestr(t, "point") < m2, "page 1 text misplaced");
    ck_assert_msg(strcasestr(m2, "brown") != NULL, "page 2 text missing");
    buf_free(&out);
    lept_free(tif);
}
END_TEST

/* --- bad and odd input ------------------------------------------------ */

START_TEST(run_truncated_png)
{
    PIX         *pix;
    l_uint8     *png;
    size_t       len;
    int          pages;
    struct buf       out;

    pix = photo_bottom();
    png = encode(pix, IFF_PNG, &len);
    pixDestroy(&pix);

    /* the header is intact, so the probe passes; decoding fails */
    ck_assert_int_eq(ocr_probe(png, len / 2, CAP_PIXELS, &pages), DS_OK);
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(buf_append_str(&out, "kept"), RC_OK);
    ck_assert_int_eq(run_one(png, len / 2, &out), RC_OCR);
    ck_assert_str_eq(buf_cstr(&out), "kept");
    buf_free(&out);
    lept_free(png);
}
END_TEST

START_TEST(run_garbage_fails)
{
    static const unsigned char  garbage[64] = "GIF";
    struct buf                  out;

    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(run_one(garbage, 3, &out), RC_OCR);
    ck_assert_int_eq(run_one(garbage, 0, &out), RC_OCR);
    ck_assert_uint_eq(out.len, 0);
    buf_free(&out);
}
END_TEST

START_TEST(run_tiny_and_blank)
{
    PIX         *pix;
    l_uint8     *data;
    size_t       len;
    struct buf       out;
    int          i;

    for (i = 0; i < 2; i++) {
        /* a 1x1 pixel, then a white A4 page at 100 dpi */
        pix = i == 0 ? pixCreate(1, 1, 8) : pixCreate(827, 1169, 8);
        pixSetAll(pix);
        data = encode(pix, IFF_PNG, &len);
        pixDestroy(&pix);

        buf_init(&out, BUF_UNLIMITED);
        ck_assert_int_eq(run_one(data, len, &out), RC_OK);
        ck_assert_msg(strncmp(buf_cstr(&out), "----page 1----\n", 15) == 0,
            "no marker");
        ck_assert_uint_le(out.len, 15 + 4);
        buf_free(&out);
        lept_free(data);
    }
}
END_TEST

START_TEST(run_over_max_pixels)
{
    struct ocr_opts    o;
    struct ocr_pool   *pool;
    struct ocr_image   img;
    struct buf         out;
    unsigned char     *data;

    memset(&o, 0, sizeof(o));
    o.languages = "eng";
    o.slots = 1;
    o.max_pixels = 640 * 480 - 1;
    ck_assert_int_eq(ocr_pool_new(&o, &pool), RC_OK);
    data = corpus_file("page_phototest.tif", &img.len);
    img.data = data;
    buf_init(&out, BUF_UNLIMITED);
    ck_assert_int_eq(ocr_pool_run(pool, &img, 1, &out, NULL), RC_BADINPUT);
    ck_assert_uint_eq(out.len, 0);
    /* nothing was recognised: no engine was needed */
    ck_assert_int_eq(ocr_pool_engines_made(pool), 0);
    buf_free(&out);
    ocr_pool_free(pool);
    free(data);
}
END_TEST

/* --- formats ---------------------------------------------------------- */

/* Black text on a fully transparent black ground: only alpha shows it. */
static PIX *
alpha_text(PIX *grey)
{
    PIX  *rgba, *alpha;

    rgba = pixCreate(pixGetWidth(grey), pixGetHeight(grey), 32);
    ck_assert_ptr_nonnull(rgba);
    pixSetSpp(rgba, 4);
    alpha = pixInvert(NULL, grey);
    pixSetRGBComponent(rgba, alpha, L_ALPHA_CHANNEL);
    pixDestroy(&alpha);
    return rgba;
}

static PIX *
format_pix(PIX *grey, int i)
{
    switch (i) {
    case 0:
        return pixConvertGrayToColormap(grey);      /* palette PNG */
    case 1:
        return alpha_text(grey);                    /* RGBA PNG */
    case 2:
    case 3:
        return pixConvert8To16(grey, 8);            /* 16 bpp PNG, TIFF */
    case 4:
        return pixConvertTo32(grey);                /* colour JPEG */
    default:
        return pixClone(grey);
    }
}

START_TEST(run_formats)
{
    static const int          formats[] = { IFF_PNG, IFF_PNG, IFF_PNG,
        IFF_TIFF_ZIP, IFF_JFIF_JPEG, IFF_BMP, IFF_GIF, IFF_WEBP, IFF_PNM,
        IFF_JFIF_JPEG };
    static const char *const  names[] = { "palette png", "alpha png",
        "16-bit png", "16-bit tiff", "colour jpeg", "bmp", "gif", "webp",
        "pnm", "grey jpeg" };
    struct ocr_pool          *pool;
    struct ocr_image          img;
    struct buf                out;
    PIX                      *photo, *grey, *pix;
    l_uint8                  *data;
    size_t                    i;
    int                       pages;

    photo = photo_bottom();
    grey = pixConvertTo8(photo, 0);
    pool = pool_new(1, 0);

    for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        pix = format_pix(grey, (int) i);
        ck_assert_msg(pix != NULL, "%s: not made", names[i]);
        data = encode(pix, formats[i], &img.len);
        img.data = data;
        pixDestroy(&pix);

        ck_assert_msg(ocr_probe(data, img.len, CAP_PIXELS, &pages) == DS_OK,
            "%s: probe failed", names[i]);
        buf_init(&out, BUF_UNLIMITED);
        ck_assert_msg(ocr_pool_run(pool, &img, 1, &out, NULL) == RC_OK,
            "%s: run failed", names[i]);
        ck_assert_msg(strcasestr(buf_cstr(&out), "brown dog") != NULL,
            "%s: text not read", names[i]);
        buf_free(&out);
        lept_free(data);
    }

    ocr_pool_free(pool);
    pixDestroy(&grey);
    pixDestroy(&photo);
}
END_TEST

/* --- orientation ------------------------------------------------------ */

START_TEST(run_turned_pages)
{
    struct ocr_pool   *pool;
    struct ocr_image   img;
    struct buf         out;
    PIX               *photo, *turned;
    l_uint8           *data;
    int                quads;

    if (access(OSD_DATA, R_OK) != 0) {
        return;     /* no osd.traineddata: OSD is off by design */
    }
    photo = photo_pix(0, 0);
    pool = pool_new(1, 1);
    for (quads = 1; quads <= 3; quads++) {
        turned = pixRotateOrth(photo, quads);
        data = encode(turned, IFF_PNG, &img.len);
        img.data = data;
        pixDestroy(&turned);

        buf_init(&out, BUF_UNLIMITED);
        ck_assert_int_eq(ocr_pool_run(pool, &img, 1, &out, NULL), RC_OK);
        ck_assert_msg(strcasestr(buf_cstr(&out), "quick brown") != NULL,
            "page turned %d quarters not read upright", quads);
        buf_free(&out);
        lept_free(data);
    }
    ocr_pool_free(pool);
    pixDestroy(&photo);
}
END_TEST

/* --- words ------------------------------------------------------------ */

/* The first "quick" of phototest.tif as the tesseract CLI boxes it. */
static const int  quick_box[4] = { 102, 194, 177, 224 };

/* The words of one encoded image, read by a fresh pool; out may be NULL. */
static json_object *
words_of(const unsigned char *data, size_t len, int osd, struct buf *out)
{
    struct ocr_pool   *pool;
    struct ocr_image   img = { data, len };
    json_object       *words;

    words = json_object_new_array();
    ck_assert_ptr_nonnull(words);
    pool = pool_new(1, osd);
    ck_assert_int_eq(ocr_pool_run_words(pool, &img, 1, out, words, NULL),
        RC_OK);
    ocr_pool_free(pool);
    return words;
}

/* The first word whose text is text; its box into box. */
static json_object *
find_word(json_object *words, const char *text, int box[4])
{
    json_object  *w, *b;
    size_t        i, n;
    int           k;

    n = json_object_array_length(words);
    for (i = 0; i < n; i++) {
        w = json_object_array_get_idx(words, i);
        if (strcmp(json_object_get_string(json_object_object_get(w,
                "text")), text) != 0)
        {
            continue;
        }
        b = json_object_object_get(w, "box");
        ck_assert_int_eq(json_object_array_length(b), 4);
        for (k = 0; k < 4; k++) {
            box[k] = json_object_get_int(json_object_array_get_idx(b, k));
        }
        return w;
    }
    ck_assert_msg(0, "no word \"%s\" among %zu", text, n);
    return NULL;
}

static void
assert_box_near(const int got[4], const int want[4], int tol)
{
    int  k;

    for (k = 0; k < 4; k++) {
        ck_assert_msg(abs(got[k] - want[k]) <= tol,
            "box [%d %d %d %d], expected [%d %d %d %d] within %d px",
            got[0], got[1], got[2], got[3], want[0], want[1], want[2],
            want[3], tol);
    }
}

/* Words of the corpus page: text, page, line, box and confidence. */
START_TEST(words_phototest)
{
    json_object    *words, *w;
    struct buf      out;
    unsigned char  *data;
    size_t          len, i;
    double          conf;
    int             box[4], line, last = 0;

    data = corpus_file("page_phototest.tif", &len);
    buf_init(&out, BUF_UNLIMITED);
    words = words_of(data, len, 0, &out);
    assert_has(buf_cstr(&out), "quick brown");
    ck_assert_uint_gt(json_object_array_length(words), 40);

    w = find_word(words, "quick", box);
    ck_assert_int_eq(json_object_get_int(json_object_object_get(w, "page")),
        1);
    conf = json_object_get_double(json_object_object_get(w, "conf"));
    ck_assert_msg(conf > 50.0 && conf <= 100.0, "confidence %.2f", conf);
    ck_assert(box[0] >= 0 && box[0] < box[2] && box[2] <= 640);
    ck_assert(box[1] >= 0 && box[1] < box[3] && box[3] <= 480);
    ck_assert_int_gt(box[2] - box[0], box[3] - box[1]);
    assert_box_near(box, quick_box, 3);

    /* reading order: lines never go back */
    for (i = 0; i < json_object_array_length(words); i++) {
        w = json_object_array_get_idx(words, i);
        line = json_object_get_int(json_object_object_get(w, "line"));
        ck_assert_int_ge(line, last);
        last = line;
    }
    ck_assert_int_gt(last, 5);

    json_object_put(words);
    buf_free(&out);
    free(data);
}
END_TEST

/* Half size, so the pool upscales: boxes are on the page as sent. */
START_TEST(words_upscaled_page)
{
    json_object  *words;
    PIX          *photo, *grey, *half;
    l_uint8      *png;
    size_t        len;
    int           box[4], want[4], k;

    photo = photo_pix(0, 0);
    grey = pixConvertTo8(photo, 0);
    half = pixScale(grey, 0.5f, 0.5f);
    ck_assert_ptr_nonnull(half);
    png = encode(half, IFF_PNG, &len);

    words = words_of(png, len, 0, NULL);
    (void) find_word(words, "quick", box);
    for (k = 0; k < 4; k++) {
        want[k] = quick_box[k] / 2;
    }
    assert_box_near(box, want, 3);

    json_object_put(words);
    lept_free(png);
    pixDestroy(&half);
    pixDestroy(&grey);
    pixDestroy(&photo);
}
END_TEST

/* A page sent turned a quarter clockwise: boxes on the turned page. */
START_TEST(words_turned_page)
{
    json_object  *words;
    PIX          *photo, *turned;
    l_uint8      *png;
    size_t        len;
    int           box[4], want[4];

    if (access(OSD_DATA, R_OK) != 0) {
        return;
    }
    photo = photo_pix(0, 0);
    turned = pixRotateOrth(photo, 1);
    png = encode(turned, IFF_PNG, &len);

    /* (x, y) of the 480 px high page is (480 - y, x) turned */
    want[0] = 480 - quick_box[3];
    want[1] = quick_box[0];
    want[2] = 480 - quick_box[1];
    want[3] = quick_box[2];
    words = words_of(png, len, 1, NULL);
    (void) find_word(words, "quick", box);
    assert_box_near(box, want, 3);

    json_object_put(words);
    lept_free(png);
    pixDestroy(&turned);
    pixDestroy(&photo);
}
END_TEST

/*
 * A page sent 4 degrees askew, which the pool deskews: the box is the
 * word's place on the askew page (leptonica turns clockwise for a
 * positive angle, about the centre). A wrong sign is 25 px off.
 */
START_TEST(words_skewed_page)
{
    json_object  *words;
    PIX          *photo, *grey, *skewed;
    l_uint8      *png;
    size_t        len;
    double        a, x, y;
    int           box[4], want[4], i, px, py;

    photo = photo_pix(0, 0);
    grey = pixConvertTo8(photo, 0);
    a = 4.0 * M_PI / 180.0;
    skewed = pixRotate(grey, (l_float32) a, L_ROTATE_AREA_MAP,
        L_BRING_IN_WHITE, 0, 0);
    ck_assert_ptr_nonnull(skewed);
    png = encode(skewed, IFF_PNG, &len);

    want[0] = want[1] = INT_MAX;
    want[2] = want[3] = INT_MIN;
    for (i = 0; i < 4; i++) {
        x = quick_box[i & 1 ? 2 : 0] - 320.0;
        y = quick_box[i & 2 ? 3 : 1] - 240.0;
        px = (int) lround(320.0 + x * cos(a) - y * sin(a));
        py = (int) lround(240.0 + x * sin(a) + y * cos(a));
        want[0] = px < want[0] ? px : want[0];
        want[1] = py < want[1] ? py : want[1];
        want[2] = px > want[2] ? px : want[2];
        want[3] = py > want[3] ? py : want[3];
    }
    words = words_of(png, len, 0, NULL);
    (void) find_word(words, "quick", box);
    assert_box_near(box, want, 6);

    json_object_put(words);
    lept_free(png);
    pixDestroy(&skewed);
    pixDestroy(&grey);
    pixDestroy(&photo);
}
END_TEST

/* Bad arguments and failed runs leave words as they were. */
START_TEST(words_failures_keep_words)
{
    static const unsigned char  garbage[16] = "GIF89a";
    struct ocr_pool            *pool;
    struct ocr_image            img = { garbage, sizeof(garbage) };
    json_object                *words, *obj;

    pool = pool_new(1, 0);
    obj = json_object_new_object();
    ck_assert_int_eq(ocr_pool_run_words(pool, &img, 1, NULL, obj, NULL),
        RC_BADINPUT);
    ck_assert_int_eq(ocr_pool_run_words(pool, &img, 1, NULL, NULL, NULL),
        RC_BADINPUT);
    words = json_object_new_array();
    ck_assert_int_eq(json_object_array_add(words, json_object_new_int(7)),
        0);
    ck_assert_int_eq(ocr_pool_run_words(pool, &img, 1, NULL, words, NULL),
        RC_OCR);
    ck_assert_int_eq(json_object_array_length(words), 1);
    json_object_put(words);
    json_object_put(obj);
    ocr_pool_free(pool);
}
END_TEST

/* --- the pool --------------------------------------------------------- */

START_TEST(pool_reuses_engine)
{
    struct ocr_pool   *pool;
    struct ocr_image   img;
    struct buf         out;
    PIX               *pix;
    l_uint8           *data;
    int                i;

    pix = photo_top();
    data = encode(pix, IFF_PNG, &img.len);
    img.data = data;
    pixDestroy(&pix);
    pool = pool_new(1, 0);
    ck_assert_int_eq(ocr_pool_engines_made(pool), 0);

    for (i = 0; i < 3; i++) {
        buf_init(&out, BUF_UNLIMITED);
        ck_assert_int_eq(ocr_pool_run(pool, &img, 1, &out, NULL), RC_OK);
        assert_has(buf_cstr(&out), "point text");
        buf_free(&out);
    }
    ck_assert_int_eq(ocr_pool_engines_made(pool), 1);

    ocr_pool_free(pool);
    lept_free(data);
}
END_TEST

struct run_job {
    struct ocr_pool         *pool;
    const struct ocr_image  *img;
    rc_t                     rc;
    int                      found;
};

static void *
job_main(void *arg)
{
    struct run_job  *job = arg;
    struct buf       out;

    buf_init(&out, BUF_UNLIMITED);
    job->rc = ocr_pool_run(job->pool, job->img, 1, &out, NULL);
    job->found = strcasestr(buf_cstr(&out), "brown dog") != NULL;
    buf_free(&out);
    return NULL;
}

START_TEST(pool_two_threads_one_slot)
{
    struct ocr_pool   *pool;
    struct ocr_image   img;
    struct run_job     jobs[2];
    pthread_t          tid[2];
    PIX               *pix;
    l_uint8           *data;
    int                i;

    pix = photo_bottom();
    data = encode(pix, IFF_PNG, &img.len);
    img.data = data;
    pixDestroy(&pix);
    pool = pool_new(1, 0);

    for (i = 0; i < 2; i++) {
        jobs[i].pool = pool;
        jobs[i].img = &img;
        jobs[i].rc = RC_INTERNAL;
        jobs[i].found = 0;
        ck_assert_int_eq(pthread_create(&tid[i], NULL, job_main, &jobs[i]),
            0);
    }
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(tid[i], NULL), 0);
        ck_assert_int_eq(jobs[i].rc, RC_OK);
        ck_assert_msg(jobs[i].found, "thread %d: text not read", i);
    }
    ck_assert_int_eq(ocr_pool_engines_made(pool), 1);

    ocr_pool_free(pool);
    lept_free(data);
}
END_TEST

/* --- main ------------------------------------------------------------- */

static Suite *
ocr_suite(void)
{
    Suite  *s;
    TCase  *probe, *run, *words, *pool;

    s = suite_create("ocr");

    probe = tcase_create("probe");
    tcase_add_test(probe, probe_rejects_garbage_and_empty);
    tcase_add_test(probe, probe_accepts_corpus_images);
    tcase_add_test(probe, probe_png_bomb_header);
    tcase_add_test(probe, probe_gif_bomb_header);
    tcase_add_test(probe, probe_gif_frame_larger_than_screen);
    tcase_add_test(probe, probe_tiff_page_cap);
    tcase_add_test(probe, probe_tiff_checks_each_page);
    tcase_set_timeout(probe, 30);
    suite_add_tcase(s, probe);

    run = tcase_create("run");
    tcase_add_test(run, run_phototest);
    tcase_add_test(run, run_receipt);
    tcase_add_test(run, run_chinese_receipt);
    tcase_add_test(run, run_form);
    tcase_add_test(run, run_unlv_page);
    tcase_add_test(run, run_two_images_in_order);
    tcase_add_test(run, run_multipage_tiff);
    tcase_add_test(run, run_truncated_png);
    tcase_add_test(run, run_garbage_fails);
    tcase_add_test(run, run_tiny_and_blank);
    tcase_add_test(run, run_over_max_pixels);
    tcase_add_test(run, run_formats);
    tcase_add_test(run, run_turned_pages);
    tcase_set_timeout(run, 120);
    suite_add_tcase(s, run);

    words = tcase_create("words");
    tcase_add_test(words, words_phototest);
    tcase_add_test(words, words_upscaled_page);
    tcase_add_test(words, words_turned_page);
    tcase_add_test(words, words_skewed_page);
    tcase_add_test(words, words_failures_keep_words);
    tcase_set_timeout(words, 60);
    suite_add_tcase(s, words);

    pool = tcase_create("pool");
    tcase_add_test(pool, pool_reuses_engine);
    tcase_add_test(pool, pool_two_threads_one_slot);
    tcase_set_timeout(pool, 60);
    suite_add_tcase(s, pool);
    return s;
}

int
main(int argc, char **argv)
{
    SRunner  *sr;
    char      path[1024];
    int       n, failed;

    (void) argc;
    if (getenv("OMP_THREAD_LIMIT") == NULL) {
        /* libgomp reads it at load time: start again with it set */
        if (setenv("OMP_THREAD_LIMIT", "1", 1) == 0) {
            execv("/proc/self/exe", argv);
        }
        fprintf(stderr, "cannot restart with OMP_THREAD_LIMIT=1: slow\n");
    }
    n = snprintf(path, sizeof(path), "%s/page_phototest.tif",
        test_corpus());
    if (n < 0 || (size_t) n >= sizeof(path) || access(path, R_OK) != 0) {
        fprintf(stderr, "corpus not found at %s: skipped\n", test_corpus());
        return 77;
    }
    if (log_open(NULL, LOG_WARN) != RC_OK) {
        return 1;
    }

    sr = srunner_create(ocr_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
