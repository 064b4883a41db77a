/*
 * extract.h - from OCR text (and the client's library) to the result
 * JSON the clients read.
 *
 * Result schemas (json-c objects, caller owns the reference):
 *   doc   {"title": str, "tags": [str 1..4], "description": str,
 *          "kv": {str: str}, "related": [{"type": "doc"|"form",
 *          "resource_id": str}] (at most 5)}
 *   form  as doc, plus "fields": [str] (the blank fields to fill)
 *   fill  {field: {"value": str, "source": {"type": "doc"|"form",
 *          "resource_id": str}}} with only the fields matched
 *
 * file_lib as clients send it: {"docs": [...], "forms": [...]}, also
 * "doc"/"form" as keys, and "id" where "resource_id" is missing. Each
 * entry is an earlier result object (title, tags, description, kv, ...).
 */
#ifndef DS_EXTRACT_H
#define DS_EXTRACT_H

#include <json-c/json.h>

#include "errcode.h"
#include "rc.h"

struct cfg;

enum extract_kind {
    EXTRACT_DOC = 0,
    EXTRACT_FORM,
    EXTRACT_FILL
};

/* "doc" | "form" | "fill" -> kind; -1 when none. */
int extract_kind_parse(const char *s, enum extract_kind *out);

/* The prompt-construction error code of a kind. */
enum ds_err extract_prompt_err(enum extract_kind kind);

struct extract_input {
    enum extract_kind   kind;
    const char         *ocr_text;   /* doc/form: pages with markers */
    json_object        *form;       /* fill: the form object */
    json_object        *file_lib;   /* normalised (extract_lib_normalise) */
};

/*
 * Normalise a client's file_lib (may be NULL: an empty library) into a
 * new object {"docs": [...], "forms": [...]} whose entries are objects
 * with a string "resource_id" (entries without any id are dropped).
 * RC_BADINPUT when it is not an object or docs/forms are not arrays.
 */
rc_t extract_lib_normalise(json_object *file_lib, int max_entries,
    json_object **out);

/*
 * Check and repair a result of the given kind in place (missing arrays
 * become empty, non-string scalars become strings, nested kv objects
 * and arrays are flattened to dotted keys "a.b", "items.1", tags capped
 * at 4, related at 5 and only to entries of the library). RC_BADINPUT
 * when it cannot be made valid.
 */
rc_t extract_validate(enum extract_kind kind, json_object *result,
    json_object *file_lib);

/* Flatten nested objects/arrays in kv to dotted keys; new object. */
json_object *extract_flatten_kv(json_object *kv);

/*
 * Clean an LLM reply: drop <think>...</think> blocks and code fences,
 * keep the outermost JSON object. Returns a new malloc'd string or NULL.
 */
char *extract_clean_reply(const char *reply);

/* The builtin extractor: offline and deterministic. */
rc_t extract_builtin(const struct extract_input *in, json_object **out);

/* An extractor as the config names it. */
struct extractor;
rc_t extractor_new(const struct cfg *cfg, struct extractor **out,
    char *err, size_t errlen);
void extractor_free(struct extractor *ex);
const char *extractor_name(const struct extractor *ex);

/*
 * Run it. On failure *code is the wire error: LLM_FAILURE, one of the
 * *_PROMPT_CONSTRUCTION_FAILED codes, or PROCESSING_ERROR. Thread-safe.
 */
rc_t extractor_run(struct extractor *ex, const struct extract_input *in,
    json_object **out, enum ds_err *code);

#endif
