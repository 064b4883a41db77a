/*
 * extract.c - what every extractor shares: the kinds, the shape of the
 * client's library, and small json-c helpers for the extract module.
 * Replies of a model are cleaned and repaired in extract_reply.c.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"
#include "extract_int.h"
#include "jsonx.h"

/* --- json-c helpers --------------------------------------------------- */

rc_t
ex_obj_set(json_object *o, const char *key, json_object *v)
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

rc_t
ex_obj_set_str(json_object *o, const char *key, const char *s)
{
    return ex_obj_set(o, key, json_object_new_string(s));
}

rc_t
ex_arr_add(json_object *a, json_object *v)
{
    if (v == NULL) {
        return RC_NOMEM;
    }
    if (json_object_array_add(a, v) != 0) {
        json_object_put(v);
        return RC_NOMEM;
    }
    return RC_OK;
}

rc_t
ex_arr_add_str(json_object *a, const char *s)
{
    return ex_arr_add(a, json_object_new_string(s));
}

/* --- kinds ------------------------------------------------------------ */

/* Exact, lowercase names only. Thread-safe. */
int
extract_kind_parse(const char *s, enum extract_kind *out)
{
    static const char *const  names[] = { "doc", "form", "fill" };
    size_t                    i;

    for (i = 0; s != NULL && i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum extract_kind) i;
            return 0;
        }
    }
    return -1;
}

/* Thread-safe. */
enum ds_err
extract_prompt_err(enum extract_kind kind)
{
    switch (kind) {
    case EXTRACT_DOC:
        return DS_DOC_PROMPT_CONSTRUCTION_FAILED;
    case EXTRACT_FORM:
        return DS_FORM_PROMPT_CONSTRUCTION_FAILED;
    case EXTRACT_FILL:
        return DS_FILL_PROMPT_CONSTRUCTION_FAILED;
    }
    return DS_PROCESSING_ERROR;
}

/* --- the library ------------------------------------------------------ */

int
ex_id_text(json_object *v, char *out, size_t outlen)
{
    const char  *s;
    int          n;

    if (json_object_is_type(v, json_type_int)) {
        n = snprintf(out, outlen, "%lld",
                     (long long) json_object_get_int64(v));
        return n > 0 && (size_t) n < outlen;
    }
    if (!json_object_is_type(v, json_type_string)) {
        return 0;
    }
    s = json_object_get_string(v);
    if (s[0] == '\0' || strlen(s) >= outlen) {
        return 0;
    }
    memcpy(out, s, strlen(s) + 1);
    return 1;
}

int
ex_entry_id(json_object *e, char *out, size_t outlen)
{
    json_object  *v;

    if (json_object_object_get_ex(e, "resource_id", &v)
        && ex_id_text(v, out, outlen))
    {
        return 1;
    }
    return json_object_object_get_ex(e, "id", &v)
           && ex_id_text(v, out, outlen);
}

/*
 * A copy of entry e with a string "resource_id"; *out NULL to skip it.
 * The copy holds references to e's values: nothing changes them.
 */
static rc_t
ex_lib_entry(json_object *e, json_object **out)
{
    char          id[EX_ID_MAX];
    json_object  *copy;
    rc_t          rc;

    *out = NULL;
    if (!json_object_is_type(e, json_type_object)
        || !ex_entry_id(e, id, sizeof(id)))
    {
        return RC_OK;
    }
    copy = json_object_new_object();
    if (copy == NULL) {
        return RC_NOMEM;
    }
    json_object_object_foreach(e, key, val) {
        if (strcmp(key, "resource_id") == 0) {
            continue;
        }
        rc = ex_obj_set(copy, key, json_object_get(val));
        if (rc != RC_OK) {
            goto out;
        }
    }
    rc = ex_obj_set_str(copy, "resource_id", id);
    if (rc != RC_OK) {
        goto out;
    }
    *out = copy;
    copy = NULL;

out:
    json_object_put(copy);
    return rc;
}

/* Append the usable entries of src[key] to dst while *left > 0. */
static rc_t
ex_lib_take(json_object *src, const char *key, json_object *dst,
    int *left)
{
    json_object  *arr, *copy;
    size_t        i, n;
    rc_t          rc;

    switch (jsonx_array(src, key, &arr)) {
    case JSONX_MISSING:
        return RC_OK;
    case JSONX_TYPE:
        return RC_BADINPUT;
    case JSONX_OK:
        break;
    }
    n = json_object_array_length(arr);
    for (i = 0; i < n && *left > 0; i++) {
        rc = ex_lib_entry(json_object_array_get_idx(arr, i), &copy);
        if (rc != RC_OK) {
            return rc;
        }
        if (copy == NULL) {
            continue;
        }
        rc = ex_arr_add(dst, copy);
        if (rc != RC_OK) {
            return rc;
        }
        (*left)--;
    }
    return RC_OK;
}

/* Shapes are checked before anything is copied, so caps cannot hide. */
static rc_t
ex_lib_check(json_object *lib)
{
    static const char *const  keys[] = { "docs", "doc", "forms", "form" };
    json_object              *arr;
    size_t                    i;

    if (lib != NULL && !json_object_is_type(lib, json_type_object)) {
        return RC_BADINPUT;
    }
    for (i = 0; lib != NULL && i < 4; i++) {
        if (jsonx_array(lib, keys[i], &arr) == JSONX_TYPE) {
            return RC_BADINPUT;
        }
    }
    return RC_OK;
}

/*
 * The caller owns *out (json_object_put). Docs are taken before forms
 * until max_entries are in (a negative max_entries: no cap); file_lib
 * is not changed. Thread-safe for distinct or read-only file_lib.
 */
rc_t
extract_lib_normalise(json_object *file_lib, int max_entries,
    json_object **out)
{
    json_object  *lib, *docs, *forms;
    int           left;
    rc_t          rc;

    *out = NULL;
    rc = ex_lib_check(file_lib);
    if (rc != RC_OK) {
        return rc;
    }
    lib = json_object_new_object();
    if (lib == NULL) {
        return RC_NOMEM;
    }
    docs = json_object_new_array();
    rc = ex_obj_set(lib, "docs", docs);
    if (rc != RC_OK) {
        goto out;
    }
    forms = json_object_new_array();
    rc = ex_obj_set(lib, "forms", forms);
    if (rc != RC_OK) {
        goto out;
    }

    left = max_entries < 0 ? INT_MAX : max_entries;
    rc = ex_lib_take(file_lib, "docs", docs, &left);
    if (rc == RC_OK) {
        rc = ex_lib_take(file_lib, "doc", docs, &left);
    }
    if (rc == RC_OK) {
        rc = ex_lib_take(file_lib, "forms", forms, &left);
    }
    if (rc == RC_OK) {
        rc = ex_lib_take(file_lib, "form", forms, &left);
    }
    if (rc != RC_OK) {
        goto out;
    }
    *out = lib;
    lib = NULL;

out:
    json_object_put(lib);
    return rc;
}

const char *
ex_lib_find(json_object *lib, const char *id, const char *want)
{
    static const char *const  lists[2] = { "docs", "forms" };
    static const char *const  types[2] = { "doc", "form" };
    char                      eid[EX_ID_MAX];
    json_object              *arr;
    size_t                    k, i, n;
    int                       first;

    first = want != NULL && strcmp(want, "form") == 0;
    for (k = 0; k < 2; k++) {
        if (jsonx_array(lib, lists[(first + k) % 2], &arr) != JSONX_OK) {
            continue;
        }
        n = json_object_array_length(arr);
        for (i = 0; i < n; i++) {
            if (ex_entry_id(json_object_array_get_idx(arr, i), eid,
                            sizeof(eid))
                && strcmp(eid, id) == 0)
            {
                return types[(first + k) % 2];
            }
        }
    }
    return NULL;
}
