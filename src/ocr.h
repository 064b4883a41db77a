/*
 * ocr.h - page images to text, with leptonica and libtesseract.
 *
 * An ocr_pool holds up to `slots` Tesseract engines, created on first
 * use and reused for every later page; ocr_pool_run takes one engine
 * per page and blocks (condition variable, no polling) while all are
 * busy, which caps OCR concurrency in the process. Thread-safe.
 */
#ifndef DS_OCR_H
#define DS_OCR_H

#include <stddef.h>

#include "errcode.h"
#include "rc.h"

struct ocr_opts {
    const char  *languages;         /* e.g. "eng" or "eng+chi_sim" */
    const char  *tessdata_dir;      /* NULL or "" = library default */
    int          slots;             /* engines at most; <= 0: cores */
    int          min_text_height;   /* upscale small scans toward this */
    int          osd;               /* fix orientation when osd is there */
    int          deskew;
    long         max_pixels;        /* per page, before any scaling */
};

struct ocr_image {
    const unsigned char  *data;     /* encoded file bytes, borrowed */
    size_t                len;
};

struct ocr_pool;

rc_t ocr_pool_new(const struct ocr_opts *opts, struct ocr_pool **out);
void ocr_pool_free(struct ocr_pool *pool);

/*
 * Check one encoded image before accepting a job, reading only its
 * header: format supported (PNG, JPEG, TIFF, WebP, BMP, GIF, PNM),
 * width * height within max_pixels. *pages gets the page count (TIFF
 * may hold several). Returns DS_OK, DS_UNSUPPORTED_IMAGE or
 * DS_IMAGE_TOO_LARGE.
 */
enum ds_err ocr_probe(const unsigned char *data, size_t len,
    long max_pixels, int *pages);

/* ocr_probe with a page cap (<= 0: none): more pages than max_pages is
 * DS_TOO_MANY_PAGES, found before any page's size is read. */
enum ds_err ocr_probe_pages(const unsigned char *data, size_t len,
    long max_pixels, int max_pages, int *pages);

struct ocr_stats {
    int     pages;
    long    ms_total;
    double  mean_confidence;        /* 0..100 */
};

/*
 * Recognise every page of every image, in order, and append the text to
 * out (a struct buf, see buf.h), each page preceded by a marker line
 * "----page N----" (N from 1). Returns RC_OK, or RC_OCR when an image
 * cannot be decoded (nothing useful appended then), RC_BADINPUT when a
 * page is over max_pixels. A page with no text is not an error.
 */
struct buf;
rc_t ocr_pool_run(struct ocr_pool *pool, const struct ocr_image *images,
    size_t n, struct buf *out, struct ocr_stats *stats);

/*
 * ocr_pool_run that also gives every word it read: appends to words (a
 * json-c array, borrowed) one object per word, pages in order and each
 * page in reading order:
 *   {"page": N, "line": L, "text": str, "conf": 0..100,
 *    "box": [left, top, right, bottom]}
 * N counts pages from 1 as the markers do; L counts the page's text
 * lines from 1; box is in pixels of the page as decoded (the upscale,
 * deskew and quarter turns undone; a deskewed box is the bounds of the
 * turned-back box, so a little larger), right and bottom exclusive.
 * out may be NULL: words only. Returns as ocr_pool_run, RC_BADINPUT
 * when words is not an array; a failed run leaves out and words as
 * they were. Thread-safe, like ocr_pool_run.
 */
struct json_object;
rc_t ocr_pool_run_words(struct ocr_pool *pool,
    const struct ocr_image *images, size_t n, struct buf *out,
    struct json_object *words, struct ocr_stats *stats);

/*
 * Tesseract's OpenMP threads make a page about ten times slower on a
 * shared machine, and libgomp reads OMP_THREAD_LIMIT only when it loads.
 * Call first thing in main: when the variable is unset it sets it to 1
 * and re-executes the program (argv unchanged); returns if that fails.
 */
void ocr_limit_threads(char **argv);

/*
 * Whether the pool's engines can load, without loading one (cheap: for
 * a readiness probe): every language's <lang>.traineddata is readable in
 * the tessdata folder (the configured one, else TESSDATA_PREFIX, else
 * the Debian default). RC_OK with "LANGS in DIR" in detail, or RC_OCR
 * with the missing file in detail. Thread-safe.
 */
rc_t ocr_pool_ready(struct ocr_pool *pool, char *detail, size_t len);

#endif
