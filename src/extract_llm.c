/*
 * extract_llm.c - the LLM extractor.
 *
 * The prompts are templates read once from the prompts directory. A
 * template names its inputs as {{OCR_TEXT}}, {{FILE_LIB}} and {{FORM}};
 * each is put in as data between "<<<BEGIN NAME>>>" and "<<<END NAME>>>"
 * lines, and the data itself is kept from ever containing "<<<" or ">>>",
 * so text on a photo cannot close its frame and pose as instructions.
 *
 * Every input is bounded before it reaches the model: the OCR text, the
 * library summary (type, resource_id, title, tags, kv of each entry) and
 * the form. The reply goes through extract_clean_reply, jsonx_parse and
 * extract_validate; one that fails there is asked for once more.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "cfg.h"
#include "extract.h"
#include "extract_llm.h"
#include "jsonx.h"
#include "llm.h"

#define LOG_MODULE "extract_llm"
#include "log.h"

#define XL_TPL_MAX      (64 * 1024)     /* one template file */
#define XL_OCR_MAX      (60 * 1024)     /* OCR text given to the model */
#define XL_LIB_MAX      (24 * 1024)     /* the library summary */
#define XL_FORM_MAX     (48 * 1024)     /* the form summary */
#define XL_USER_MAX     (256 * 1024)    /* a whole user prompt */
#define XL_REPLY_MAX    (1024 * 1024)   /* the assistant's text */
#define XL_REPLY_DEPTH  32
#define XL_STR_MAX      200             /* a title, tag, field or value */
#define XL_KEY_MAX      64              /* a kv label */
#define XL_KV_MAX       24              /* kv pairs per entry */
#define XL_TAGS_MAX     4
#define XL_FIELDS_MAX   100
#define XL_ASKS         2               /* an unusable reply: ask again */

#define XL_REASK "\n\nReply with exactly one JSON object as described " \
                 "above and nothing else."

/* The inputs a template may name, in the order of xl_vals. */
enum { XL_P_OCR, XL_P_LIB, XL_P_FORM, XL_NPLACES };

static const char *const xl_places[XL_NPLACES] = {
    "OCR_TEXT", "FILE_LIB", "FORM"
};

enum { XL_SYSTEM, XL_DOC, XL_FORM, XL_FILL, XL_NTPL };

#define XL_BIT(p)   (1u << (p))

static const struct {
    const char  *file;
    unsigned     allowed;       /* XL_BITs of the inputs it may name */
    unsigned     required;      /* and of those it must name */
} xl_tpls[XL_NTPL] = {
    [XL_SYSTEM] = { "system.txt", 0, 0 },
    [XL_DOC]    = { "doc.txt", XL_BIT(XL_P_OCR) | XL_BIT(XL_P_LIB),
                    XL_BIT(XL_P_OCR) },
    [XL_FORM]   = { "form.txt", XL_BIT(XL_P_OCR) | XL_BIT(XL_P_LIB),
                    XL_BIT(XL_P_OCR) },
    [XL_FILL]   = { "fill.txt", XL_BIT(XL_P_FORM) | XL_BIT(XL_P_LIB),
                    XL_BIT(XL_P_FORM) | XL_BIT(XL_P_LIB) },
};

static const char *const xl_kind_names[] = { "doc", "form", "fill" };

struct extract_llm {
    struct llm  *llm;
    char        *tpl[XL_NTPL];
};

/* One input to a template: text and the most bytes of it to use. */
struct xl_val {
    const char  *text;
    size_t       max;
};

/* --- templates ----------------------------------------------------------- */

/*
 * The next "{{NAME}}" in s, or NULL. *place gets its index in xl_places
 * (-1 when unknown) and *len its length. Other "{{" are plain text.
 */
static const char *
xl_place_find(const char *s, int *place, size_t *len)
{
    const char  *p, *name;
    size_t       n;
    int          i;

    for (p = strstr(s, "{{"); p != NULL; p = strstr(p + 1, "{{")) {
        name = p + 2;
        n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_");
        if (n == 0 || strncmp(name + n, "}}", 2) != 0) {
            continue;
        }
        *len = n + 4;
        *place = -1;
        for (i = 0; i < XL_NPLACES; i++) {
            if (strlen(xl_places[i]) == n
                && strncmp(xl_places[i], name, n) == 0)
            {
                *place = i;
            }
        }
        return p;
    }
    return NULL;
}

/* A template names only the inputs it may and all it must. */
static rc_t
xl_tpl_check(int t, const char *text, char *err, size_t errlen)
{
    const char  *p;
    size_t       len;
    unsigned     seen;
    int          place, i;

    seen = 0;
    for (p = xl_place_find(text, &place, &len); p != NULL;
         p = xl_place_find(p + len, &place, &len))
    {
        if (place < 0 || (xl_tpls[t].allowed & XL_BIT(place)) == 0) {
            snprintf(err, errlen, "prompt %s: unknown placeholder %.*s",
                     xl_tpls[t].file, (int) len, p);
            return RC_BADINPUT;
        }
        seen |= XL_BIT(place);
    }

    for (i = 0; i < XL_NPLACES; i++) {
        if ((xl_tpls[t].required & XL_BIT(i)) != 0
            && (seen & XL_BIT(i)) == 0)
        {
            snprintf(err, errlen, "prompt %s: {{%s}} is missing",
                     xl_tpls[t].file, xl_places[i]);
            return RC_BADINPUT;
        }
    }
    return RC_OK;
}

/* Read dir/file, at most XL_TPL_MAX bytes of text, into *out. */
static rc_t
xl_tpl_read(const char *dir, const char *file, char **out, char *err,
    size_t errlen)
{
    char         path[CFG_STR + 64], chunk[4096];
    FILE        *f;
    struct buf   b;
    size_t       n;
    rc_t         rc;
    int          w;

    buf_init(&b, XL_TPL_MAX);
    w = snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (w < 0 || (size_t) w >= sizeof(path)) {
        snprintf(err, errlen, "prompts_dir is too long");
        return RC_BADINPUT;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errlen, "cannot open prompt \"%s\": %s", path,
                 strerror(errno));
        return RC_BADINPUT;
    }

    rc = RC_OK;
    do {
        n = fread(chunk, 1, sizeof(chunk), f);
        rc = buf_append(&b, chunk, n);
    } while (rc == RC_OK && n == sizeof(chunk));

    if (rc != RC_OK || ferror(f) || b.len == 0
        || memchr(buf_cstr(&b), '\0', b.len) != NULL)
    {
        snprintf(err, errlen, "prompt \"%s\" is unreadable, empty, binary "
                 "or over %d bytes", path, XL_TPL_MAX);
        rc = RC_BADINPUT;
    }
    if (fclose(f) != 0 && rc == RC_OK) {
        snprintf(err, errlen, "cannot read prompt \"%s\"", path);
        rc = RC_BADINPUT;
    }
    if (rc == RC_OK) {
        *out = buf_steal(&b, NULL);
        rc = *out != NULL ? RC_OK : RC_NOMEM;
    }
    buf_free(&b);
    return rc;
}

/* --- bounded text -------------------------------------------------------- */

/* The length of s cut to at most max bytes on a UTF-8 boundary. */
static size_t
xl_cut(const char *s, size_t max)
{
    size_t  n;

    n = strlen(s);
    if (n <= max) {
        return n;
    }
    n = max;
    while (n > 0 && ((unsigned char) s[n] & 0xC0) == 0x80) {
        n--;
    }
    return n;
}

/*
 * Append n bytes of data with every run of '<' or '>' cut to two, so it
 * can never hold a frame's "<<<" or ">>>".
 */
static rc_t
xl_append_data(struct buf *out, const char *s, size_t n)
{
    size_t  i, from;
    rc_t    rc;

    from = 0;
    for (i = 2; i < n; i++) {
        if ((s[i] == '<' || s[i] == '>') && s[i - 1] == s[i]
            && s[i - 2] == s[i])
        {
            rc = buf_append(out, s + from, i - from);
            if (rc != RC_OK) {
                return rc;
            }
            from = i + 1;
        }
    }
    return buf_append(out, s + from, n - from);
}

/* One input in its frame; text over v->max is cut and says so. */
static rc_t
xl_append_frame(struct buf *out, const char *name, const struct xl_val *v)
{
    size_t  n, all;
    rc_t    rc;

    all = strlen(v->text);
    n = xl_cut(v->text, v->max);
    if (n < all) {
        log_warn("%s of %zu bytes cut to %zu", name, all, n);
    }

    rc = buf_printf(out, "<<<BEGIN %s>>>\n", name);
    if (rc != RC_OK) {
        return rc;
    }
    rc = xl_append_data(out, v->text, n);
    if (rc == RC_OK && n < all) {
        rc = buf_append_str(out, "\n[... the rest was cut ...]");
    }
    if (rc != RC_OK) {
        return rc;
    }
    return buf_printf(out, "\n<<<END %s>>>", name);
}

/* The template with each {{NAME}} replaced by its framed input. */
static rc_t
xl_render(const char *tpl, const struct xl_val vals[XL_NPLACES],
    struct buf *out)
{
    const char  *p, *q;
    size_t       len;
    int          place;
    rc_t         rc;

    for (p = tpl; ; p = q + len) {
        q = xl_place_find(p, &place, &len);
        if (q == NULL) {
            return buf_append_str(out, p);
        }
        rc = buf_append(out, p, (size_t) (q - p));
        if (rc != RC_OK) {
            return rc;
        }
        /* xl_tpl_check let through only the inputs this kind has. */
        if (place < 0 || vals[place].text == NULL) {
            return RC_INTERNAL;
        }
        rc = xl_append_frame(out, xl_places[place], &vals[place]);
        if (rc != RC_OK) {
            return rc;
        }
    }
}

/* --- the library and form summaries -------------------------------------- */

/* Add val to obj under key; val is consumed either way. */
static rc_t
xl_add(json_object *obj, const char *key, json_object *val)
{
    if (val == NULL) {
        return RC_NOMEM;
    }
    if (json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return RC_NOMEM;
    }
    return RC_OK;
}

static json_object *
xl_new_str(const char *s, size_t max)
{
    return json_object_new_string_len(s, (int) xl_cut(s, max));
}

/* src[key], a string, copied to dst cut to XL_STR_MAX; absent is fine. */
static rc_t
xl_copy_str(json_object *dst, json_object *src, const char *key)
{
    const char  *s;

    if (jsonx_string(src, key, &s) != JSONX_OK) {
        return RC_OK;
    }
    return xl_add(dst, key, xl_new_str(s, XL_STR_MAX));
}

/* src[key], an array, copied to dst: its first count strings, cut. */
static rc_t
xl_copy_strs(json_object *dst, json_object *src, const char *key,
    size_t count)
{
    json_object  *arr, *to, *s;
    size_t        i;

    if (jsonx_array(src, key, &arr) != JSONX_OK) {
        return RC_OK;
    }
    to = json_object_new_array();
    if (to == NULL) {
        return RC_NOMEM;
    }
    for (i = 0; i < json_object_array_length(arr)
         && json_object_array_length(to) < count; i++)
    {
        s = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(s, json_type_string)) {
            continue;
        }
        if (json_object_array_add(to, xl_new_str(json_object_get_string(s),
                                                 XL_STR_MAX)) != 0)
        {
            json_object_put(to);
            return RC_NOMEM;
        }
    }
    return xl_add(dst, key, to);
}

/* src["kv"] copied to dst: its first XL_KV_MAX non-null pairs, cut. */
static rc_t
xl_copy_kv(json_object *dst, json_object *src)
{
    json_object  *kv, *to;
    const char   *text;
    char          label[XL_KEY_MAX + 1];
    size_t        n;
    rc_t          rc;

    if (jsonx_object(src, "kv", &kv) != JSONX_OK) {
        return RC_OK;
    }
    to = json_object_new_object();
    if (to == NULL) {
        return RC_NOMEM;
    }
    json_object_object_foreach(kv, key, val) {
        if (val == NULL || json_object_object_length(to) >= XL_KV_MAX) {
            continue;
        }
        n = xl_cut(key, XL_KEY_MAX);
        memcpy(label, key, n);
        label[n] = '\0';
        text = json_object_is_type(val, json_type_string)
               ? json_object_get_string(val)
               : json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN);
        rc = xl_add(to, label, xl_new_str(text, XL_STR_MAX));
        if (rc != RC_OK) {
            json_object_put(to);
            return rc;
        }
    }
    return xl_add(dst, "kv", to);
}

/* The summary of one library entry; *out NULL when it has no id. */
static rc_t
xl_lib_entry(json_object *e, const char *type, json_object **out)
{
    json_object  *o;
    const char   *id;
    rc_t          rc;

    *out = NULL;
    if (jsonx_string(e, "resource_id", &id) != JSONX_OK) {
        return RC_OK;
    }
    o = json_object_new_object();
    if (o == NULL) {
        return RC_NOMEM;
    }

    rc = xl_add(o, "type", json_object_new_string(type));
    if (rc == RC_OK) {
        rc = xl_add(o, "resource_id", xl_new_str(id, XL_STR_MAX));
    }
    if (rc == RC_OK) {
        rc = xl_copy_str(o, e, "title");
    }
    if (rc == RC_OK) {
        rc = xl_copy_strs(o, e, "tags", XL_TAGS_MAX);
    }
    if (rc == RC_OK) {
        rc = xl_copy_kv(o, e);
    }

    if (rc != RC_OK) {
        json_object_put(o);
        return rc;
    }
    *out = o;
    return RC_OK;
}

/* Append the entries of lib[list] to arr while *size stays in bounds. */
static rc_t
xl_lib_list(json_object *arr, json_object *lib, const char *list,
    const char *type, size_t *size)
{
    json_object  *entries, *o;
    size_t        i, n;
    rc_t          rc;

    if (jsonx_array(lib, list, &entries) != JSONX_OK) {
        return RC_OK;
    }
    for (i = 0; i < json_object_array_length(entries); i++) {
        rc = xl_lib_entry(json_object_array_get_idx(entries, i), type, &o);
        if (rc != RC_OK) {
            return rc;
        }
        if (o == NULL) {
            continue;
        }
        n = strlen(json_object_to_json_string_ext(o,
                                                  JSON_C_TO_STRING_PLAIN));
        if (*size + n + 1 > XL_LIB_MAX) {
            /* XXX: drops the last entries, not the least relevant. */
            json_object_put(o);
            log_warn("library summary full after %zu entries",
                     json_object_array_length(arr));
            *size = XL_LIB_MAX;
            return RC_OK;
        }
        if (json_object_array_add(arr, o) != 0) {
            json_object_put(o);
            return RC_NOMEM;
        }
        *size += n + 1;
    }
    return RC_OK;
}

/* The library as the model sees it: a JSON array, malloc'd in *out. */
static rc_t
xl_lib_summary(json_object *lib, char **out)
{
    json_object  *arr;
    size_t        size;
    rc_t          rc;

    *out = NULL;
    arr = json_object_new_array();
    if (arr == NULL) {
        return RC_NOMEM;
    }
    size = 2;

    rc = xl_lib_list(arr, lib, "docs", "doc", &size);
    if (rc == RC_OK) {
        rc = xl_lib_list(arr, lib, "forms", "form", &size);
    }
    if (rc == RC_OK) {
        *out = jsonx_dump(arr);
        rc = *out != NULL ? RC_OK : RC_NOMEM;
    }
    json_object_put(arr);
    return rc;
}

/* The form to fill: its title, fields and kv. RC_BADINPUT without fields. */
static rc_t
xl_form_summary(json_object *form, char **out)
{
    json_object  *o, *fields;
    rc_t          rc;

    *out = NULL;
    if (jsonx_array(form, "fields", &fields) != JSONX_OK) {
        log_warn("the form to fill has no fields array");
        return RC_BADINPUT;
    }
    o = json_object_new_object();
    if (o == NULL) {
        return RC_NOMEM;
    }

    rc = xl_copy_str(o, form, "title");
    if (rc == RC_OK) {
        rc = xl_copy_strs(o, form, "fields", XL_FIELDS_MAX);
    }
    if (rc == RC_OK) {
        rc = xl_copy_kv(o, form);
    }
    if (rc == RC_OK) {
        *out = jsonx_dump(o);
        rc = *out != NULL ? RC_OK : RC_NOMEM;
    }
    json_object_put(o);
    return rc;
}

/* --- one extraction ------------------------------------------------------ */

/* The user prompt of in->kind. RC_BADINPUT: the input does not fit. */
static rc_t
xl_prompt(const struct extract_llm *x, const struct extract_input *in,
    struct buf *user)
{
    struct xl_val  vals[XL_NPLACES];
    char          *lib, *form;
    int            t;
    rc_t           rc;

    lib = NULL;
    form = NULL;
    memset(vals, 0, sizeof(vals));

    rc = xl_lib_summary(in->file_lib, &lib);
    if (rc != RC_OK) {
        goto out;
    }
    vals[XL_P_LIB].text = lib;
    vals[XL_P_LIB].max = XL_LIB_MAX;

    if (in->kind == EXTRACT_FILL) {
        t = XL_FILL;
        rc = xl_form_summary(in->form, &form);
        vals[XL_P_FORM].text = form;
        vals[XL_P_FORM].max = XL_FORM_MAX;
    } else {
        t = in->kind == EXTRACT_FORM ? XL_FORM : XL_DOC;
        rc = in->ocr_text != NULL ? RC_OK : RC_BADINPUT;
        vals[XL_P_OCR].text = in->ocr_text;
        vals[XL_P_OCR].max = XL_OCR_MAX;
    }
    if (rc != RC_OK) {
        goto out;
    }

    rc = xl_render(x->tpl[t], vals, user);
    log_info("%s prompt: %zu bytes, library %zu bytes, %s",
             xl_kind_names[in->kind], user->len, strlen(lib), rc_str(rc));

out:
    free(form);
    free(lib);
    return rc;
}

/* A reply made into a valid result of the kind, or RC_LLM. */
static rc_t
xl_reply(const struct extract_input *in, const char *reply,
    json_object **out)
{
    char         *clean;
    json_object  *obj;
    rc_t          rc;

    *out = NULL;
    clean = extract_clean_reply(reply);
    if (clean == NULL) {
        log_warn("reply of %zu bytes holds no JSON object", strlen(reply));
        return RC_LLM;
    }
    obj = jsonx_parse(clean, strlen(clean), XL_REPLY_DEPTH);
    free(clean);
    if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
        log_warn("reply of %zu bytes is not a JSON object", strlen(reply));
        json_object_put(obj);
        return RC_LLM;
    }

    rc = extract_validate(in->kind, obj, in->file_lib);
    if (rc != RC_OK) {
        log_warn("reply is not a valid %s result: %s",
                 xl_kind_names[in->kind], rc_str(rc));
        json_object_put(obj);
        return RC_LLM;
    }
    *out = obj;
    return RC_OK;
}

/* Ask until a usable reply, at most XL_ASKS times. */
static rc_t
xl_ask(const struct extract_llm *x, const struct extract_input *in,
    struct buf *user, json_object **out)
{
    struct buf  reply;
    int         ask;
    rc_t        rc;

    buf_init(&reply, XL_REPLY_MAX);
    rc = RC_LLM;
    for (ask = 1; ask <= XL_ASKS; ask++) {
        if (ask > 1) {
            rc = buf_append_str(user, XL_REASK);
            if (rc != RC_OK) {
                break;
            }
        }
        buf_reset(&reply);
        rc = llm_chat(x->llm, x->tpl[XL_SYSTEM], buf_cstr(user), &reply);
        if (rc != RC_OK) {
            break;                      /* llm_chat has retried already */
        }
        rc = xl_reply(in, buf_cstr(&reply), out);
        if (rc == RC_OK) {
            break;
        }
    }
    buf_free(&reply);
    return rc;
}

rc_t
extract_llm_run(struct extract_llm *x, const struct extract_input *in,
    json_object **out, enum ds_err *code)
{
    struct buf  user;
    rc_t        rc;

    *out = NULL;
    *code = DS_OK;
    buf_init(&user, XL_USER_MAX);
    if ((unsigned) in->kind > EXTRACT_FILL) {
        *code = DS_PROCESSING_ERROR;
        return RC_INTERNAL;
    }

    rc = xl_prompt(x, in, &user);
    if (rc != RC_OK) {
        *code = extract_prompt_err(in->kind);
        goto out;
    }

    rc = xl_ask(x, in, &user, out);
    if (rc != RC_OK) {
        *code = DS_LLM_FAILURE;
        goto out;
    }

out:
    buf_free(&user);
    return rc;
}

/* --- setup --------------------------------------------------------------- */

rc_t
extract_llm_new(const struct cfg *cfg, struct extract_llm **out, char *err,
    size_t errlen)
{
    struct extract_llm  *x;
    int                  t;
    rc_t                 rc;

    *out = NULL;
    x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return RC_NOMEM;
    }

    for (t = 0; t < XL_NTPL; t++) {
        rc = xl_tpl_read(cfg->prompts_dir, xl_tpls[t].file, &x->tpl[t],
                         err, errlen);
        if (rc != RC_OK) {
            goto out;
        }
        rc = xl_tpl_check(t, x->tpl[t], err, errlen);
        if (rc != RC_OK) {
            goto out;
        }
    }

    rc = llm_new(cfg, &x->llm, err, errlen);
    if (rc != RC_OK) {
        goto out;
    }
    *out = x;
    x = NULL;

out:
    extract_llm_free(x);
    return rc;
}

void
extract_llm_free(struct extract_llm *x)
{
    int  t;

    if (x == NULL) {
        return;
    }
    llm_free(x->llm);
    for (t = XL_NTPL - 1; t >= 0; t--) {
        free(x->tpl[t]);
    }
    free(x);
}
