/*
 * fuzz_reply.c - a model's reply as the LLM extractor takes it:
 * extract_clean_reply, jsonx_parse, then extract_validate for each
 * kind against a small library, and extract_flatten_kv. The repaired
 * result must have the schema extract.h promises.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"
#include "jsonx.h"
#include "fuzz.h"

#define FUZZ_REPLY_DEPTH  32

/* Seeds refer to these ids: d1, 2 (docs) and f1 (forms). */
static const char  fuzz_lib_text[] =
    "{\"docs\": [{\"resource_id\": \"d1\", \"title\": \"Receipt\"},"
    " {\"id\": 2, \"title\": \"Passport\"}],"
    " \"forms\": [{\"resource_id\": \"f1\", \"title\": \"Visa form\"}]}";

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

static int
fuzz_is_str(json_object *o, const char *key)
{
    json_object  *v;

    return json_object_object_get_ex(o, key, &v)
           && json_object_is_type(v, json_type_string);
}

/* Every value of obj is a string. */
static int
fuzz_all_strings(json_object *obj)
{
    if (!json_object_is_type(obj, json_type_object)) {
        return 0;
    }
    json_object_object_foreach(obj, k, v) {
        (void) k;
        if (!json_object_is_type(v, json_type_string)) {
            return 0;
        }
    }
    return 1;
}

/* {"type": "doc"|"form", "resource_id": id of that list}. */
static int
fuzz_is_ref(json_object *r)
{
    const char  *type;

    return json_object_is_type(r, json_type_object)
           && jsonx_string(r, "type", &type) == JSONX_OK
           && (strcmp(type, "doc") == 0 || strcmp(type, "form") == 0)
           && fuzz_is_str(r, "resource_id");
}

static void
fuzz_check_array(json_object *res, const char *key, size_t max, int refs)
{
    json_object  *a, *e;
    size_t        i, n;

    fuzz_check(jsonx_array(res, key, &a) == JSONX_OK);
    n = json_object_array_length(a);
    fuzz_check(n <= max);
    for (i = 0; i < n; i++) {
        e = json_object_array_get_idx(a, i);
        fuzz_check(refs ? fuzz_is_ref(e)
                        : json_object_is_type(e, json_type_string));
    }
}

static void
fuzz_check_result(enum extract_kind kind, json_object *res)
{
    json_object  *kv, *src;

    if (kind == EXTRACT_FILL) {
        json_object_object_foreach(res, k, v) {
            (void) k;
            fuzz_check(json_object_is_type(v, json_type_object));
            fuzz_check(fuzz_is_str(v, "value"));
            if (json_object_object_get_ex(v, "source", &src)) {
                fuzz_check(fuzz_is_ref(src));
            }
        }
        return;
    }
    fuzz_check(fuzz_is_str(res, "title"));
    fuzz_check(fuzz_is_str(res, "description"));
    fuzz_check(jsonx_object(res, "kv", &kv) == JSONX_OK);
    fuzz_check(fuzz_all_strings(kv));
    fuzz_check_array(res, "tags", 4, 0);
    fuzz_check_array(res, "related", 5, 1);
    if (kind == EXTRACT_FORM) {
        fuzz_check_array(res, "fields", (size_t) -1, 0);
    }
}

static void
fuzz_kind(enum extract_kind kind, const char *clean)
{
    json_object  *obj;

    obj = jsonx_parse(clean, strlen(clean), FUZZ_REPLY_DEPTH);
    if (obj == NULL) {
        return;
    }
    if (extract_validate(kind, obj, fuzz_lib) == RC_OK) {
        fuzz_check_result(kind, obj);
        fuzz_check(json_object_to_json_string(obj) != NULL);
    }
    json_object_put(obj);
}

static void
fuzz_flatten(const char *clean)
{
    json_object  *obj, *kv, *flat;

    obj = jsonx_parse(clean, strlen(clean), FUZZ_REPLY_DEPTH);
    if (obj == NULL) {
        return;
    }
    flat = extract_flatten_kv(obj);
    fuzz_check(fuzz_all_strings(flat));
    json_object_put(flat);
    if (json_object_object_get_ex(obj, "kv", &kv)) {
        flat = extract_flatten_kv(kv);
        fuzz_check(fuzz_all_strings(flat));
        json_object_put(flat);
    }
    json_object_put(obj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *reply, *clean;

    reply = fuzz_cstr(data, size);
    clean = extract_clean_reply(reply);
    if (clean != NULL) {
        fuzz_check(clean[0] == '{' && clean[strlen(clean) - 1] == '}');
        fuzz_kind(EXTRACT_DOC, clean);
        fuzz_kind(EXTRACT_FORM, clean);
        fuzz_kind(EXTRACT_FILL, clean);
        fuzz_flatten(clean);
    }
    free(clean);
    free(reply);
    return 0;
}
