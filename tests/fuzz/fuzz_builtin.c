/*
 * fuzz_builtin.c - the builtin extractor. The input is OCR text for a
 * doc and a form (related entries looked up in a small library); when
 * it also parses as a JSON object it is a fill payload too:
 * {"to_process": {form}, "file_lib": {...}} (or the form itself, with
 * the small library). Results must have the schema extract.h promises.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"
#include "jsonx.h"
#include "proto.h"
#include "fuzz.h"

#define FUZZ_LIB_ENTRIES  16

static const char  fuzz_lib_text[] =
    "{\"docs\": [{\"resource_id\": \"d1\", \"title\": \"Receipt\","
    " \"tags\": [\"receipt\"], \"kv\": {\"Company\": \"ACME TRADING\","
    " \"Total\": \"12.50\", \"Date\": \"Mar 07, 2021\"}},"
    " {\"id\": 2, \"title\": \"Passport\", \"kv\": {\"Surname\": \"DOE\","
    " \"Given Names\": \"JANE\", \"Passport No\": \"X1234567\"}}],"
    " \"forms\": [{\"resource_id\": \"f1\", \"title\": \"Visa form\","
    " \"kv\": {\"E-mail\": \"jane@example.org\"}}]}";

static json_object  *fuzz_lib;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    json_object  *raw;

    (void) argc;
    (void) argv;
    fuzz_quiet();
    raw = jsonx_parse(fuzz_lib_text, strlen(fuzz_lib_text), 8);
    if (raw == NULL || extract_lib_normalise(raw, -1, &fuzz_lib) != RC_OK) {
        abort();
    }
    json_object_put(raw);
    return 0;
}

static void
fuzz_check_doc(enum extract_kind kind, json_object *res)
{
    json_object  *v;
    const char   *title;

    fuzz_check(json_object_is_type(res, json_type_object));
    fuzz_check(jsonx_string(res, "title", &title) == JSONX_OK);
    fuzz_check(jsonx_array(res, "tags", &v) == JSONX_OK);
    fuzz_check(json_object_array_length(v) <= 4);
    fuzz_check(jsonx_object(res, "kv", &v) == JSONX_OK);
    json_object_object_foreach(v, k, val) {
        (void) k;
        fuzz_check(json_object_is_type(val, json_type_string));
    }
    fuzz_check(jsonx_array(res, "related", &v) == JSONX_OK);
    fuzz_check(json_object_array_length(v) <= 5);
    if (kind == EXTRACT_FORM) {
        fuzz_check(jsonx_array(res, "fields", &v) == JSONX_OK);
    }
}

/* A builtin result is valid as it stands: validation changes nothing. */
static void
fuzz_check_stable(enum extract_kind kind, json_object *res,
    json_object *lib)
{
    json_object  *copy = NULL;

    fuzz_check(json_object_deep_copy(res, &copy, NULL) == 0);
    fuzz_check(extract_validate(kind, copy, lib) == RC_OK);
    fuzz_check(json_object_equal(copy, res));
    json_object_put(copy);
}

/*
 * A fill keeps the library's values as they are (validation would trim
 * them), but validation drops no entry and no source: every source is
 * an entry of the library.
 */
static void
fuzz_check_fill(json_object *res, json_object *lib)
{
    json_object  *copy = NULL, *e;

    fuzz_check(json_object_deep_copy(res, &copy, NULL) == 0);
    fuzz_check(extract_validate(EXTRACT_FILL, copy, lib) == RC_OK);
    fuzz_check(json_object_object_length(copy)
               == json_object_object_length(res));
    json_object_object_foreach(res, k, v) {
        fuzz_check(json_object_is_type(v, json_type_object));
        fuzz_check(json_object_object_get_ex(copy, k, &e));
        fuzz_check(json_object_object_get_ex(v, "source", NULL)
                   == json_object_object_get_ex(e, "source", NULL));
    }
    json_object_put(copy);
}

static void
fuzz_text(enum extract_kind kind, const char *text)
{
    struct extract_input   in;
    json_object           *res = NULL;

    memset(&in, 0, sizeof(in));
    in.kind = kind;
    in.ocr_text = text;
    in.file_lib = fuzz_lib;
    fuzz_check(extract_builtin(&in, &res) == RC_OK);
    fuzz_check_doc(kind, res);
    fuzz_check_stable(kind, res, fuzz_lib);
    json_object_put(res);
}

static void
fuzz_fill(const char *text, size_t len)
{
    struct extract_input   in;
    json_object           *obj, *form, *lib = NULL, *norm = NULL, *res;

    obj = jsonx_parse(text, len, PROTO_MAX_DEPTH);
    if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return;
    }
    if (!json_object_object_get_ex(obj, "to_process", &form)) {
        form = obj;
    } else if (json_object_object_get_ex(obj, "file_lib", &lib)
               && extract_lib_normalise(lib, FUZZ_LIB_ENTRIES, &norm)
                  != RC_OK)
    {
        json_object_put(obj);
        return;
    }

    memset(&in, 0, sizeof(in));
    in.kind = EXTRACT_FILL;
    in.form = form;
    in.file_lib = norm != NULL ? norm : fuzz_lib;
    res = NULL;
    if (extract_builtin(&in, &res) == RC_OK) {
        fuzz_check_fill(res, in.file_lib);
    }
    json_object_put(res);
    json_object_put(norm);
    json_object_put(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *text;

    text = fuzz_cstr(data, size);
    fuzz_text(EXTRACT_DOC, text);
    fuzz_text(EXTRACT_FORM, text);
    fuzz_fill(text, size);
    free(text);
    return 0;
}
