/*
 * fuzz_image.c - an encoded image: ocr_probe reads its header, and
 * when it passes (at most FUZZ_MAX_PIXELS a page, FUZZ_MAX_PAGES pages)
 * ocr_pool_run decodes, prepares and reads it with one engine, OSD off
 * to keep a run short.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "ocr.h"
#include "fuzz.h"

#define FUZZ_MAX_PIXELS  (2L * 1000 * 1000)
#define FUZZ_MAX_PAGES   2
#define FUZZ_MAX_TEXT    (1024 * 1024)

static struct ocr_pool  *fuzz_pool;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct ocr_opts  opts;

    (void) argc;
    (void) argv;
    fuzz_quiet();
    memset(&opts, 0, sizeof(opts));
    opts.languages = "eng";
    opts.slots = 1;
    opts.min_text_height = 30;
    opts.osd = 0;
    opts.deskew = 1;
    opts.max_pixels = FUZZ_MAX_PIXELS;
    if (ocr_pool_new(&opts, &fuzz_pool) != RC_OK) {
        abort();
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ocr_image  img;
    struct ocr_stats  stats;
    struct buf        text;
    enum ds_err       e;
    int               pages = -1;
    rc_t              rc;

    e = ocr_probe(data, size, FUZZ_MAX_PIXELS, &pages);
    if (e != DS_OK) {
        fuzz_check(pages == 0);
        return 0;
    }
    fuzz_check(pages >= 1);
    if (pages > FUZZ_MAX_PAGES) {
        return 0;
    }

    img.data = data;
    img.len = size;
    buf_init(&text, FUZZ_MAX_TEXT);
    memset(&stats, 0, sizeof(stats));
    rc = ocr_pool_run(fuzz_pool, &img, 1, &text, &stats);
    if (rc == RC_OK) {
        fuzz_check(stats.pages == pages);
        fuzz_check(text.len == 0 || strstr(buf_cstr(&text), "----page 1")
                                    == buf_cstr(&text));
    } else {
        fuzz_check(text.len == 0);
    }
    buf_free(&text);
    return 0;
}
