/*
 * extract_reply.c - what is done to a model's reply: the JSON object is
 * cut out of it, then checked and repaired into a result of its kind.
 *
 * Repairs extract_validate makes (beyond what extract.h lists):
 *   - title missing or not a scalar: the first tag capitalised, else
 *     "Document" ("Form" for forms); description missing: "".
 *   - tags: strings only, trimmed, ASCII-lowercased, deduplicated.
 *   - kv: a list of {"key"|"label"|"name": k, "value": v} becomes an
 *     object; nested values are flattened with 1-based array indexes
 *     ("items.1" is the first element, as the old service did); numbers
 *     keep their JSON text, booleans become "true"/"false", null is
 *     dropped; empty strings stay (a form's blank fields).
 *   - related: entries may be objects (resource_id or id, type) or bare
 *     ids; only ids of the library are kept, typed by where they are.
 *   - form "fields": strings, or objects named by name/label/field/key.
 *   - fill: a bare scalar becomes {"value": s} without "source"; a
 *     "source" not in the library is dropped; entries without a scalar
 *     "value" are dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "extract.h"
#include "extract_int.h"
#include "jsonx.h"

#define EX_KEY_MAX      256     /* bytes of a flattened kv key */
#define EX_FLAT_DEPTH   16      /* deeper values are kept as JSON text */
#define EX_TAG_MAX      40      /* bytes of one tag */
#define EX_REPLY_MISSES 8       /* unmatched '{' skipped in a reply */

/* --- scalars ---------------------------------------------------------- */

/*
 * The text of a scalar: strings as they are, numbers as their JSON
 * text, booleans "true"/"false". NULL for null, objects and arrays.
 * Borrowed from v.
 */
static const char *
ex_scalar(json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_string:
        return json_object_get_string(v);
    case json_type_int:
    case json_type_double:
    case json_type_boolean:
        return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    default:
        return NULL;
    }
}

/* A trimmed copy of a scalar as a new string object, or NULL. */
static json_object *
ex_scalar_new(json_object *v)
{
    const char  *s;
    size_t       n;

    s = ex_scalar(v);
    if (s == NULL) {
        return NULL;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    n = strlen(s);
    while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL) {
        n--;
    }
    return json_object_new_string_len(s, (int) n);
}

/* --- flattening ------------------------------------------------------- */

static rc_t ex_flatten_into(json_object *out, const char *key,
    json_object *v, int depth);

/* key + "." + sub into buf; 0 when it does not fit. */
static int
ex_key_join(char *buf, size_t len, const char *key, const char *sub)
{
    int  n;

    n = key[0] == '\0' ? snprintf(buf, len, "%s", sub)
                       : snprintf(buf, len, "%s.%s", key, sub);
    return n > 0 && (size_t) n < len;
}

static rc_t
ex_flatten_leaf(json_object *out, const char *key, json_object *v,
    int depth)
{
    json_object  *s;
    char         *text;

    if (key[0] == '\0' || json_object_object_get_ex(out, key, NULL)) {
        return RC_OK;                   /* first wins */
    }
    if (depth <= EX_FLAT_DEPTH) {
        s = ex_scalar_new(v);
        return s != NULL ? ex_obj_set(out, key, s) : RC_OK;
    }
    text = jsonx_dump(v);
    if (text == NULL) {
        return RC_NOMEM;
    }
    s = json_object_new_string(text);
    free(text);
    return ex_obj_set(out, key, s);
}

static rc_t
ex_flatten_into(json_object *out, const char *key, json_object *v,
    int depth)
{
    char    sub[EX_KEY_MAX], idx[24];
    size_t  i, n;
    rc_t    rc;

    if (v == NULL) {
        return RC_OK;                   /* null values are dropped */
    }
    if (depth > EX_FLAT_DEPTH
        || (!json_object_is_type(v, json_type_object)
            && !json_object_is_type(v, json_type_array)))
    {
        return ex_flatten_leaf(out, key, v, depth);
    }
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, k, child) {
            if (!ex_key_join(sub, sizeof(sub), key, k)) {
                continue;
            }
            rc = ex_flatten_into(out, sub, child, depth + 1);
            if (rc != RC_OK) {
                return rc;
            }
        }
        return RC_OK;
    }
    n = json_object_array_length(v);
    for (i = 0; i < n; i++) {
        snprintf(idx, sizeof(idx), "%zu", i + 1);
        if (!ex_key_join(sub, sizeof(sub), key, idx)) {
            continue;
        }
        rc = ex_flatten_into(out, sub, json_object_array_get_idx(v, i),
                             depth + 1);
        if (rc != RC_OK) {
            return rc;
        }
    }
    return RC_OK;
}

/*
 * Values become strings as in the file comment; kv that is not an
 * object gives {}. The caller owns the result; NULL when out of memory.
 * Thread-safe.
 */
json_object *
extract_flatten_kv(json_object *kv)
{
    json_object  *out;

    out = json_object_new_object();
    if (out == NULL) {
        return NULL;
    }
    if (json_object_is_type(kv, json_type_object)
        && ex_flatten_into(out, "", kv, 0) != RC_OK)
    {
        json_object_put(out);
        return NULL;
    }
    return out;
}

/* --- validating a doc or form result ---------------------------------- */

/* res[key] as a trimmed string; dflt when missing or not a scalar. */
static rc_t
ex_fix_string(json_object *res, const char *key, const char *dflt)
{
    json_object  *v, *s;

    s = NULL;
    if (json_object_object_get_ex(res, key, &v) && v != NULL) {
        s = ex_scalar_new(v);
    }
    if (s == NULL || (dflt[0] != '\0'
                      && json_object_get_string_len(s) == 0))
    {
        json_object_put(s);
        s = json_object_new_string(dflt);
    }
    return ex_obj_set(res, key, s);
}

/* Trim, lowercase (ASCII) and cap a tag into out; 0 when empty. */
static int
ex_tag_clean(const char *s, char *out, size_t outlen)
{
    size_t  i;

    ex_copy_trim(s, strlen(s), NULL, out, outlen);
    for (i = 0; out[i] != '\0'; i++) {
        if (out[i] >= 'A' && out[i] <= 'Z') {
            out[i] = (char) (out[i] - 'A' + 'a');
        }
    }
    return out[0] != '\0';
}

/* 1 when arr holds a string equal to s. */
static int
ex_arr_has(json_object *arr, const char *s)
{
    size_t  i, n;

    n = json_object_array_length(arr);
    for (i = 0; i < n; i++) {
        if (strcmp(json_object_get_string(json_object_array_get_idx(arr, i)),
                   s) == 0)
        {
            return 1;
        }
    }
    return 0;
}

static rc_t
ex_fix_tags(json_object *res)
{
    char          tag[EX_TAG_MAX];
    json_object  *v, *tags, *t;
    size_t        i, n;
    rc_t          rc;

    tags = json_object_new_array();
    if (tags == NULL) {
        return RC_NOMEM;
    }
    if (!json_object_object_get_ex(res, "tags", &v)
        || !json_object_is_type(v, json_type_array))
    {
        return ex_obj_set(res, "tags", tags);
    }
    n = json_object_array_length(v);
    for (i = 0; i < n && json_object_array_length(tags) < EX_TAGS_MAX; i++) {
        t = json_object_array_get_idx(v, i);
        if (!json_object_is_type(t, json_type_string)
            || !ex_tag_clean(json_object_get_string(t), tag, sizeof(tag))
            || ex_arr_has(tags, tag))
        {
            continue;
        }
        rc = ex_arr_add_str(tags, tag);
        if (rc != RC_OK) {
            json_object_put(tags);
            return rc;
        }
    }
    return ex_obj_set(res, "tags", tags);
}

/* The title derived from the tags when the result has none. */
static rc_t
ex_fix_title(json_object *res, enum extract_kind kind)
{
    char          dflt[EX_TAG_MAX];
    json_object  *tags;

    snprintf(dflt, sizeof(dflt), "%s",
             kind == EXTRACT_FORM ? "Form" : "Document");
    if (json_object_object_get_ex(res, "tags", &tags)
        && json_object_array_length(tags) > 0)
    {
        snprintf(dflt, sizeof(dflt), "%s", json_object_get_string(
                     json_object_array_get_idx(tags, 0)));
        if (dflt[0] >= 'a' && dflt[0] <= 'z') {
            dflt[0] = (char) (dflt[0] - 'a' + 'A');
        }
    }
    return ex_fix_string(res, "title", dflt);
}

/* [{"key": k, "value": v}, ...] as {k: v}; other items are skipped. */
static rc_t
ex_kv_from_pairs(json_object *arr, json_object **out)
{
    static const char *const  names[] = { "key", "label", "name" };
    json_object              *obj, *e, *val;
    const char               *k;
    size_t                    i, j, n;
    rc_t                      rc;

    obj = json_object_new_object();
    if (obj == NULL) {
        return RC_NOMEM;
    }
    n = json_object_array_length(arr);
    for (i = 0; i < n; i++) {
        e = json_object_array_get_idx(arr, i);
        k = NULL;
        for (j = 0; j < 3 && k == NULL; j++) {
            if (jsonx_string(e, names[j], &k) != JSONX_OK) {
                k = NULL;
            }
        }
        if (k == NULL || !json_object_object_get_ex(e, "value", &val)) {
            continue;
        }
        rc = ex_obj_set(obj, k, json_object_get(val));
        if (rc != RC_OK) {
            json_object_put(obj);
            return rc;
        }
    }
    *out = obj;
    return RC_OK;
}

static rc_t
ex_fix_kv(json_object *res)
{
    json_object  *v, *pairs, *flat;
    rc_t          rc;

    pairs = NULL;
    if (!json_object_object_get_ex(res, "kv", &v)) {
        v = NULL;
    }
    if (json_object_is_type(v, json_type_array)) {
        rc = ex_kv_from_pairs(v, &pairs);
        if (rc != RC_OK) {
            return rc;
        }
        v = pairs;
    }
    flat = extract_flatten_kv(v);
    json_object_put(pairs);
    if (flat == NULL) {
        return RC_NOMEM;
    }
    return ex_obj_set(res, "kv", flat);
}

/* {"type": t, "resource_id": id}; for related and fill sources. */
static json_object *
ex_ref_new(const char *type, const char *id)
{
    json_object  *ref;

    ref = json_object_new_object();
    if (ref == NULL) {
        return NULL;
    }
    if (ex_obj_set_str(ref, "type", type) != RC_OK
        || ex_obj_set_str(ref, "resource_id", id) != RC_OK)
    {
        json_object_put(ref);
        return NULL;
    }
    return ref;
}

/* A reference (object or bare id) resolved against the library. */
static json_object *
ex_ref_resolve(json_object *item, json_object *lib)
{
    char         id[EX_ID_MAX];
    const char  *want, *type;

    want = NULL;
    if (json_object_is_type(item, json_type_object)) {
        if (!ex_entry_id(item, id, sizeof(id))) {
            return NULL;
        }
        if (jsonx_string(item, "type", &want) != JSONX_OK) {
            want = NULL;
        }
    } else if (!ex_id_text(item, id, sizeof(id))) {
        return NULL;
    }
    type = ex_lib_find(lib, id, want);
    return type != NULL ? ex_ref_new(type, id) : NULL;
}

/* 1 when arr already holds a reference with the same type and id. */
static int
ex_ref_seen(json_object *arr, json_object *ref)
{
    size_t  i, n;

    n = json_object_array_length(arr);
    for (i = 0; i < n; i++) {
        if (json_object_equal(json_object_array_get_idx(arr, i), ref)) {
            return 1;
        }
    }
    return 0;
}

static rc_t
ex_fix_related(json_object *res, json_object *lib)
{
    json_object  *v, *out, *ref;
    size_t        i, n;
    rc_t          rc;

    out = json_object_new_array();
    if (out == NULL) {
        return RC_NOMEM;
    }
    if (!json_object_object_get_ex(res, "related", &v)
        || !json_object_is_type(v, json_type_array))
    {
        return ex_obj_set(res, "related", out);
    }
    n = json_object_array_length(v);
    for (i = 0; i < n && json_object_array_length(out) < EX_RELATED_MAX;
         i++)
    {
        ref = ex_ref_resolve(json_object_array_get_idx(v, i), lib);
        if (ref == NULL || ex_ref_seen(out, ref)) {
            json_object_put(ref);
            continue;
        }
        rc = ex_arr_add(out, ref);
        if (rc != RC_OK) {
            json_object_put(out);
            return rc;
        }
    }
    return ex_obj_set(res, "related", out);
}

/* The name of a field: a string, or an object's name/label/field/key. */
static json_object *
ex_field_name(json_object *f)
{
    static const char *const  keys[] = { "name", "label", "field", "key" };
    json_object              *v;
    size_t                    i;

    if (!json_object_is_type(f, json_type_object)) {
        return ex_scalar_new(f);
    }
    for (i = 0; i < 4; i++) {
        if (json_object_object_get_ex(f, keys[i], &v)
            && json_object_is_type(v, json_type_string))
        {
            return ex_scalar_new(v);
        }
    }
    return NULL;
}

static rc_t
ex_fix_fields(json_object *res)
{
    char          name[EX_LINE_MAX];
    json_object  *v, *out, *s;
    size_t        i, n;
    rc_t          rc;

    out = json_object_new_array();
    if (out == NULL) {
        return RC_NOMEM;
    }
    n = json_object_object_get_ex(res, "fields", &v)
        && json_object_is_type(v, json_type_array)
        ? json_object_array_length(v) : 0;
    for (i = 0; i < n && json_object_array_length(out) < EX_FIELDS_MAX;
         i++)
    {
        s = ex_field_name(json_object_array_get_idx(v, i));
        if (s == NULL) {
            continue;
        }
        ex_copy_trim(json_object_get_string(s),
                     (size_t) json_object_get_string_len(s), ":", name,
                     sizeof(name));
        json_object_put(s);
        if (name[0] == '\0' || ex_arr_has(out, name)) {
            continue;
        }
        rc = ex_arr_add_str(out, name);
        if (rc != RC_OK) {
            json_object_put(out);
            return rc;
        }
    }
    return ex_obj_set(res, "fields", out);
}

/* --- validating a fill result ----------------------------------------- */

/* One fill entry repaired into a new object; NULL to drop it. */
static json_object *
ex_fill_entry(json_object *v, json_object *lib)
{
    json_object  *out, *val, *raw, *src, *ref;

    src = NULL;
    if (!json_object_is_type(v, json_type_object)) {
        val = ex_scalar_new(v);
    } else if (json_object_object_get_ex(v, "value", &raw)) {
        val = ex_scalar_new(raw);
        if (!json_object_object_get_ex(v, "source", &src)) {
            src = NULL;
        }
    } else {
        val = NULL;
    }
    if (val == NULL) {
        return NULL;
    }
    out = json_object_new_object();
    if (out == NULL || ex_obj_set(out, "value", val) != RC_OK) {
        json_object_put(out);
        json_object_put(val);
        return NULL;
    }
    ref = src != NULL && json_object_is_type(src, json_type_object)
          ? ex_ref_resolve(src, lib) : NULL;
    if (ref != NULL && ex_obj_set(out, "source", ref) != RC_OK) {
        json_object_put(out);
        return NULL;
    }
    return out;
}

static rc_t
ex_validate_fill(json_object *res, json_object *lib)
{
    json_object  *fixed, *names, *e;
    size_t        i, n;
    rc_t          rc;

    fixed = json_object_new_object();
    names = json_object_new_array();
    rc = fixed != NULL && names != NULL ? RC_OK : RC_NOMEM;
    json_object_object_foreach(res, key, val) {
        if (rc != RC_OK) {
            break;
        }
        rc = ex_arr_add_str(names, key);
        e = rc == RC_OK ? ex_fill_entry(val, lib) : NULL;
        if (e != NULL) {
            rc = ex_obj_set(fixed, key, e);
        }
    }
    if (rc != RC_OK) {
        goto out;
    }

    /* Replace the contents in place: the caller holds res. */
    n = json_object_array_length(names);
    for (i = 0; i < n; i++) {
        json_object_object_del(res, json_object_get_string(
                                   json_object_array_get_idx(names, i)));
    }
    json_object_object_foreach(fixed, k, v) {
        rc = ex_obj_set(res, k, json_object_get(v));
        if (rc != RC_OK) {
            break;
        }
    }

out:
    json_object_put(names);
    json_object_put(fixed);
    return rc;
}

/*
 * Repairs result in place (the caller keeps owning it) against the
 * normalised file_lib (NULL: related and sources are all dropped).
 * Thread-safe for distinct results.
 */
rc_t
extract_validate(enum extract_kind kind, json_object *result,
    json_object *file_lib)
{
    rc_t  rc;

    if (!json_object_is_type(result, json_type_object)) {
        return RC_BADINPUT;
    }
    if (kind == EXTRACT_FILL) {
        return ex_validate_fill(result, file_lib);
    }
    rc = ex_fix_tags(result);
    if (rc == RC_OK) {
        rc = ex_fix_title(result, kind);
    }
    if (rc == RC_OK) {
        rc = ex_fix_string(result, "description", "");
    }
    if (rc == RC_OK) {
        rc = ex_fix_kv(result);
    }
    if (rc == RC_OK) {
        rc = ex_fix_related(result, file_lib);
    }
    if (rc == RC_OK && kind == EXTRACT_FORM) {
        rc = ex_fix_fields(result);
    }
    return rc;
}

/* --- cleaning a reply ------------------------------------------------- */

/* 1 when s[0..n) is only white space. */
static int
ex_blank(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strchr(" \t\r\n", s[i]) == NULL) {
            return 0;
        }
    }
    return 1;
}

/*
 * A copy of s without <think>...</think> blocks. A "</think>" with no
 * opening tag drops what comes before it (templates that open the
 * block themselves); an unclosed "<think>" at the start drops only the
 * tag and sets *last: the answer is then the last object, after the
 * reasoning. An unclosed one later drops the rest.
 */
static char *
ex_strip_think(const char *s, int *last)
{
    struct buf   b;
    const char  *o, *c;

    buf_init(&b, BUF_UNLIMITED);
    *last = 0;
    c = strcasestr(s, "</think>");
    o = strcasestr(s, "<think>");
    if (c != NULL && (o == NULL || c < o)) {
        s = c + 8;
        o = strcasestr(s, "<think>");
    }
    while (o != NULL) {
        if (buf_append(&b, s, (size_t) (o - s)) != RC_OK) {
            goto fail;
        }
        c = strcasestr(o + 7, "</think>");
        if (c == NULL) {
            *last = ex_blank(buf_cstr(&b), b.len);
            s = *last ? o + 7 : o + strlen(o);
            break;
        }
        s = c + 8;
        o = strcasestr(s, "<think>");
    }
    if (buf_append_str(&b, s) != RC_OK) {
        goto fail;
    }
    return buf_steal(&b, NULL);

fail:
    buf_free(&b);
    return NULL;
}

/*
 * The part of s to search: the inside of the first ``` fenced block
 * that holds a '{' (after its language word), else all of s.
 */
static void
ex_fence_region(const char *s, const char **beg, const char **end)
{
    const char  *f, *in, *close;

    *beg = s;
    *end = s + strlen(s);
    for (f = strstr(s, "```"); f != NULL; f = strstr(close + 3, "```")) {
        in = f + 3;
        while (*in != '\0' && *in != '\n' && *in != '{') {
            in++;                       /* the language word */
        }
        close = strstr(in, "```");
        if (close == NULL) {
            close = in + strlen(in);
        }
        if (memchr(in, '{', (size_t) (close - in)) != NULL) {
            *beg = in;
            *end = close;
            return;
        }
        if (*close == '\0') {
            return;
        }
    }
}

/* The '}' matching the '{' at p (JSON strings skipped), or NULL. */
static const char *
ex_brace_match(const char *p, const char *end)
{
    int  depth, str, esc;

    depth = 0;
    str = 0;
    esc = 0;
    for (; p < end; p++) {
        if (str) {
            if (esc) {
                esc = 0;
            } else if (*p == '\\') {
                esc = 1;
            } else if (*p == '"') {
                str = 0;
            }
            continue;
        }
        if (*p == '"') {
            str = 1;
        } else if (*p == '{') {
            depth++;
        } else if (*p == '}') {
            depth--;
            if (depth == 0) {
                return p;
            }
        }
    }
    return NULL;
}

/* An object worth returning: "{}" or one with a key (a quote). */
static int
ex_object_plausible(const char *b, const char *e)
{
    return memchr(b, '"', (size_t) (e - b)) != NULL
           || ex_blank(b + 1, (size_t) (e - b) - 1);
}

/* The caller frees the result. Thread-safe. */
char *
extract_clean_reply(const char *reply)
{
    const char  *rb, *re, *p, *m, *best, *best_end;
    char        *work, *out;
    int          last, misses;

    if (reply == NULL) {
        return NULL;
    }
    work = ex_strip_think(reply, &last);
    if (work == NULL) {
        return NULL;
    }
    ex_fence_region(work, &rb, &re);

    /* Each '{' in turn; a few unmatched ones (prose) are skipped. */
    best = NULL;
    best_end = NULL;
    misses = 0;
    for (p = memchr(rb, '{', (size_t) (re - rb)); p != NULL && p + 1 < re;
         p = memchr(p + 1, '{', (size_t) (re - p - 1)))
    {
        m = ex_brace_match(p, re);
        if (m == NULL) {
            misses++;
            if (misses > EX_REPLY_MISSES) {
                break;
            }
            continue;
        }
        if (!ex_object_plausible(p, m)) {
            continue;
        }
        best = p;
        best_end = m;
        if (!last) {
            break;
        }
        p = m;
    }
    out = best != NULL ? strndup(best, (size_t) (best_end - best) + 1)
                       : NULL;
    free(work);
    return out;
}
