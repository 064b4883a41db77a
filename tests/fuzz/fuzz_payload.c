/*
 * fuzz_payload.c - the decrypted inner JSON of a submission: parsed as
 * proto_open parses it, checked by proto_check_payload for doc and fill
 * with small limits, its images decoded by proto_images when the doc
 * check passed (as the job does), and its file_lib normalised.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"
#include "jsonx.h"
#include "ocr.h"
#include "proto.h"
#include "fuzz.h"

/* Small enough that inputs reach every limit. */
static const struct proto_limits  fuzz_limits = {
    .max_image_bytes = 64 * 1024,
    .max_pixels = 1000 * 1000,
    .max_pages = 4
};

#define FUZZ_LIB_ENTRIES  8

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzz_quiet();
    return 0;
}

static void
fuzz_images(json_object *inner)
{
    struct ocr_image  *images = NULL;
    size_t             i, n = 0;

    fuzz_check(proto_images(inner, &images, &n) == DS_OK);
    fuzz_check(n >= 1 && n <= (size_t) fuzz_limits.max_pages);
    for (i = 0; i < n; i++) {
        fuzz_check(images[i].data != NULL);
        fuzz_check(images[i].len <= (size_t) fuzz_limits.max_image_bytes);
    }
    proto_images_free(images, n);
}

static void
fuzz_lib(json_object *inner)
{
    json_object  *lib = NULL, *norm = NULL, *docs, *forms;

    (void) json_object_object_get_ex(inner, "file_lib", &lib);
    if (extract_lib_normalise(lib, FUZZ_LIB_ENTRIES, &norm) != RC_OK) {
        fuzz_check(norm == NULL);
        return;
    }
    fuzz_check(jsonx_array(norm, "docs", &docs) == JSONX_OK);
    fuzz_check(jsonx_array(norm, "forms", &forms) == JSONX_OK);
    fuzz_check(json_object_array_length(docs)
               + json_object_array_length(forms) <= FUZZ_LIB_ENTRIES);
    json_object_put(norm);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object  *inner;

    inner = jsonx_parse((const char *) data, size, PROTO_MAX_DEPTH);
    if (inner == NULL || !json_object_is_type(inner, json_type_object)) {
        json_object_put(inner);
        return 0;
    }
    if (proto_check_payload(inner, EXTRACT_DOC, &fuzz_limits) == DS_OK) {
        fuzz_images(inner);
    }
    (void) proto_check_payload(inner, EXTRACT_FILL, &fuzz_limits);
    fuzz_lib(inner);
    json_object_put(inner);
    return 0;
}
