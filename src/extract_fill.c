/*
 * extract_fill.c - the builtin's matching against the client's library:
 * filling a form's blank fields from earlier results, and finding the
 * entries related to a new result.
 *
 * Fill: a field matches a kv key of a library entry by its normalised
 * label (lowercase, punctuation to spaces, "number"/"num"/"nr" to
 * "no", a plural "s" dropped), then by a synonym table, then by token
 * similarity (Jaccard >= 0.5, small words left out). Exact beats
 * synonym beats similar; on a tie the entry earlier in the library
 * wins (docs before forms). Unmatched fields are left out.
 *
 * Related: entries sharing numbers of 4+ digits (3 points each, years
 * left out), name words of the name/company values (2 each), tags and
 * title words (1 each); 3 points make an entry related.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"
#include "extract_int.h"
#include "jsonx.h"

#define EX_CANON_MAX    96      /* bytes of a canonical label */
#define EX_TOK_MAX      16      /* tokens of a label or feature list */
#define EX_TOK_LEN      32
#define EX_SIMILAR      0.5     /* Jaccard needed for a similar label */
#define EX_FEAT_MAX     64      /* features of one kind per entry */
#define EX_RELATED_MIN  3       /* points that make an entry related */

enum {
    EX_MATCH_NONE = 0,
    EX_MATCH_SIMILAR,
    EX_MATCH_SYNONYM,
    EX_MATCH_EXACT
};

/* Each line: labels meaning the same thing, written canonical. */
static const char *const ex_synonyms[] = {
    "given name|first name|forename|christian name",
    "surname|last name|family name",
    "name|full name|name in full|complete name",
    "date of birth|dob|d o b|birth date|birthdate|born on",
    "place of birth|birth place|birthplace",
    "phone|telephone|mobile|tel|phone no|telephone no|mobile no|tel no|"
    "contact no|cell|cell phone|mobile phone|hp",
    "email|e mail|email address|e mail address",
    "address|street address|residence|home address|residential address|"
    "mailing address|postal address",
    "post code|postcode|zip|zip code|postal code",
    "passport no|document no|passport",
    "nationality|citizenship",
    "sex|gender",
    "date of expiry|expiry date|expiration date|expiry|valid until|"
    "expire",
    "date of issue|issue date|issued on|date issued",
    "city|town",
    "country|country of residence",
    "company|employer|organisation|organization|company name|"
    "business name|merchant",
    "occupation|profession|job title|job",
    "id no|identity no|national id|nric|ic no|identity card no",
    "marital status|civil status",
    "total|total amount|amount due|grand total",
};

#define EX_NSYN (sizeof(ex_synonyms) / sizeof(ex_synonyms[0]))

/* Tokens left out of similarity and of title words. */
static const char  ex_small_words[] =
    "of|the|your|my|a|an|s|in|on|for|and|or|to|please|enter|with|from|"
    "by|at|if|any";

/* --- labels ----------------------------------------------------------- */

/*
 * One token canonicalised onto out: number/num/nr -> no, a plural "s"
 * dropped (not after s, u or i: address, status, basis stay).
 */
static size_t
ex_canon_token(const char *t, size_t n, char *out, size_t room)
{
    if ((n == 6 && memcmp(t, "number", 6) == 0)
        || (n == 3 && memcmp(t, "num", 3) == 0)
        || (n == 2 && memcmp(t, "nr", 2) == 0))
    {
        t = "no";
        n = 2;
    } else if (n > 3 && t[n - 1] == 's' && strchr("sui", t[n - 2]) == NULL)
    {
        n--;
    }
    if (n + 1 >= room) {
        return 0;
    }
    memcpy(out, t, n);
    return n;
}

/* s without its parenthesised hints: "Date of birth (DD/MM/YYYY)". */
static void
ex_strip_hints(const char *s, char *out, size_t outlen)
{
    size_t  j;
    int     depth;

    depth = 0;
    for (j = 0; *s != '\0' && j + 1 < outlen; s++) {
        depth += *s == '(' || *s == '[';
        if (depth == 0) {
            out[j++] = *s;
        }
        depth -= depth > 0 && (*s == ')' || *s == ']');
    }
    out[j] = '\0';
}

/*
 * A label in canonical form: hints in brackets dropped (unless that
 * leaves nothing), ex_norm, then each token canonicalised.
 */
static void
ex_canon(const char *s, char *out, size_t outlen)
{
    char    bare[EX_CANON_MAX * 2], norm[EX_CANON_MAX * 2];
    char   *p;
    size_t  n, j;

    ex_strip_hints(s, bare, sizeof(bare));
    ex_norm(bare, norm, sizeof(norm), NULL);
    if (norm[0] == '\0') {
        ex_norm(s, norm, sizeof(norm), NULL);
    }
    j = 0;
    for (p = norm; *p != '\0'; p += n + (p[n] == ' ')) {
        n = strcspn(p, " ");
        if (j > 0 && j + 2 < outlen) {
            out[j++] = ' ';
        }
        j += ex_canon_token(p, n, out + j, outlen - j);
    }
    out[j] = '\0';
}

/* The synonym group of a canonical label, or -1. */
static int
ex_synonym_group(const char *canon)
{
    size_t  g;

    for (g = 0; g < EX_NSYN; g++) {
        if (ex_list_has(ex_synonyms[g], canon, strlen(canon))) {
            return (int) g;
        }
    }
    return -1;
}

struct ex_toks {
    size_t  n;
    char    t[EX_TOK_MAX][EX_TOK_LEN];
};

/* The distinct tokens of a canonical label, small words left out. */
static void
ex_toks(const char *canon, struct ex_toks *tk)
{
    const char  *p;
    size_t       n, k;

    tk->n = 0;
    for (p = canon; *p != '\0' && tk->n < EX_TOK_MAX; p += n + (p[n] == ' '))
    {
        n = strcspn(p, " ");
        if (n == 0 || n >= EX_TOK_LEN || ex_list_has(ex_small_words, p, n)) {
            continue;
        }
        memcpy(tk->t[tk->n], p, n);
        tk->t[tk->n][n] = '\0';
        for (k = 0; k < tk->n && strcmp(tk->t[k], tk->t[tk->n]) != 0; k++) {
        }
        tk->n += k == tk->n;
    }
}

/* Does b hold every token of a? */
static int
ex_toks_within(const struct ex_toks *a, const struct ex_toks *b)
{
    size_t  i, j;

    for (i = 0; i < a->n; i++) {
        for (j = 0; j < b->n && strcmp(a->t[i], b->t[j]) != 0; j++) {
        }
        if (j == b->n) {
            return 0;
        }
    }
    return a->n > 0;
}

static double
ex_jaccard(const struct ex_toks *a, const struct ex_toks *b)
{
    size_t  i, j, common;

    common = 0;
    for (i = 0; i < a->n; i++) {
        for (j = 0; j < b->n; j++) {
            common += strcmp(a->t[i], b->t[j]) == 0;
        }
    }
    if (a->n + b->n - common == 0) {
        return 0.0;
    }
    return (double) common / (double) (a->n + b->n - common);
}

/* --- fill --------------------------------------------------------------- */

/* A value of the library that a field may take. */
struct ex_cand {
    char         canon[EX_CANON_MAX];
    int          group;
    const char  *value;         /* borrowed from the library */
    const char  *type;          /* "doc" | "form" */
    const char  *id;            /* borrowed */
    size_t       entry;         /* which library entry, in order */
};

struct ex_cands {
    struct ex_cand  *v;
    size_t           n;
    size_t           cap;
    size_t           entries;   /* library entries seen */
    int             *cover;     /* per entry: form fields it can fill */
};

static rc_t
ex_cand_push(struct ex_cands *c, const char *key, const char *value,
    const char *type, const char *id)
{
    struct ex_cand  *v;
    size_t           cap;

    if (c->n == c->cap) {
        cap = c->cap == 0 ? 64 : c->cap * 2;
        v = realloc(c->v, cap * sizeof(*v));
        if (v == NULL) {
            return RC_NOMEM;
        }
        c->v = v;
        c->cap = cap;
    }
    ex_canon(key, c->v[c->n].canon, sizeof(c->v[c->n].canon));
    c->v[c->n].group = ex_synonym_group(c->v[c->n].canon);
    c->v[c->n].value = value;
    c->v[c->n].type = type;
    c->v[c->n].id = id;
    c->v[c->n].entry = c->entries;
    c->n += c->v[c->n].canon[0] != '\0';
    return RC_OK;
}

/* A usable value: a non-empty string or a number. Borrowed. */
static const char *
ex_kv_value(json_object *v)
{
    const char  *s;

    if (json_object_is_type(v, json_type_int)
        || json_object_is_type(v, json_type_double))
    {
        return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
    }
    if (!json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    s = json_object_get_string(v);
    return s[strspn(s, " \t\r\n")] != '\0' ? s : NULL;
}

/* The kv values of every library entry but the form's own. */
static rc_t
ex_cands_load(json_object *lib, const char *self, struct ex_cands *c)
{
    static const char *const  lists[2] = { "docs", "forms" };
    static const char *const  types[2] = { "doc", "form" };
    json_object              *arr, *e, *kv;
    const char               *id, *v;
    size_t                    k, i, n;
    rc_t                      rc;

    for (k = 0; k < 2; k++) {
        n = jsonx_array(lib, lists[k], &arr) == JSONX_OK
            ? json_object_array_length(arr) : 0;
        for (i = 0; i < n; i++) {
            e = json_object_array_get_idx(arr, i);
            if (jsonx_string(e, "resource_id", &id) != JSONX_OK
                || (self != NULL && strcmp(id, self) == 0)
                || jsonx_object(e, "kv", &kv) != JSONX_OK)
            {
                continue;
            }
            json_object_object_foreach(kv, key, val) {
                v = ex_kv_value(val);
                rc = v != NULL ? ex_cand_push(c, key, v, types[k], id)
                               : RC_OK;
                if (rc != RC_OK) {
                    return rc;
                }
            }
            c->entries++;
        }
    }
    return RC_OK;
}

/* A field's label, canonical, with its synonym group and tokens. */
struct ex_field {
    char           canon[EX_CANON_MAX];
    int            group;
    struct ex_toks toks;
};

static void
ex_field_init(struct ex_field *f, const char *label)
{
    ex_canon(label, f->canon, sizeof(f->canon));
    f->group = ex_synonym_group(f->canon);
    ex_toks(f->canon, &f->toks);
}

/* How well a library key matches a field; *j gets the similarity. */
static int
ex_match_level(const struct ex_field *f, const struct ex_cand *cand,
    double *j)
{
    struct ex_toks  ct;

    *j = 0.0;
    if (strcmp(cand->canon, f->canon) == 0) {
        return EX_MATCH_EXACT;
    }
    if (f->group >= 0 && cand->group == f->group) {
        return EX_MATCH_SYNONYM;
    }
    /* a known label means only what its group says: "Date" is not
     * "Date of birth", though half their words agree */
    if (cand->group >= 0) {
        return EX_MATCH_NONE;
    }
    ex_toks(cand->canon, &ct);
    /* nor is a known field filled from a vaguer key: "Date of birth"
     * not from "Date", while "Employer" may take "Employer name" */
    if (f->group >= 0 && !ex_toks_within(&f->toks, &ct)) {
        return EX_MATCH_NONE;
    }
    *j = ex_jaccard(&f->toks, &ct);
    return *j >= EX_SIMILAR ? EX_MATCH_SIMILAR : EX_MATCH_NONE;
}

/*
 * Count one form field for every entry that fills it by label or
 * synonym. An entry that fills more of the form wins ties below: the
 * person's ID card, not the shop's receipt, gives "Telephone".
 */
static void
ex_fill_cover(struct ex_cands *c, const char *label)
{
    struct ex_field  f;
    size_t           i, last = (size_t) -1;
    double           j;

    ex_field_init(&f, label);
    for (i = 0; i < c->n; i++) {
        if (c->v[i].entry != last
            && ex_match_level(&f, &c->v[i], &j) >= EX_MATCH_SYNONYM)
        {
            c->cover[c->v[i].entry]++;
            last = c->v[i].entry;
        }
    }
}

/* Is a (level, j) match better than the best so far? */
static int
ex_fill_better(const struct ex_cands *c, const struct ex_cand *cand,
    int level, double j, const struct ex_cand *best, int bestl, double bestj)
{
    if (level != bestl) {
        return level > bestl;
    }
    if (level == EX_MATCH_SIMILAR && j != bestj) {
        return j > bestj;
    }
    return c->cover[cand->entry] > c->cover[best->entry];
}

/* The best candidate for a field; NULL when none matches. */
static const struct ex_cand *
ex_fill_best(const struct ex_cands *c, const char *label)
{
    const struct ex_cand  *best = NULL;
    struct ex_field        f;
    size_t                 i;
    double                 j, bestj = 0.0;
    int                    level, bestl = EX_MATCH_NONE;

    ex_field_init(&f, label);
    for (i = 0; i < c->n; i++) {
        level = ex_match_level(&f, &c->v[i], &j);
        if (level == EX_MATCH_NONE) {
            continue;
        }
        if (best == NULL
            || ex_fill_better(c, &c->v[i], level, j, best, bestl, bestj))
        {
            best = &c->v[i];
            bestl = level;
            bestj = j;
        }
    }
    return best;
}

static rc_t
ex_fill_one(json_object *out, const struct ex_cands *c, const char *field)
{
    const struct ex_cand  *m;
    json_object           *e, *src;
    rc_t                   rc;

    if (field[0] == '\0' || json_object_object_get_ex(out, field, NULL)) {
        return RC_OK;
    }
    m = ex_fill_best(c, field);
    if (m == NULL) {
        return RC_OK;
    }
    e = json_object_new_object();
    if (e == NULL) {
        return RC_NOMEM;
    }
    rc = ex_obj_set_str(e, "value", m->value);
    if (rc == RC_OK) {
        src = json_object_new_object();
        rc = ex_obj_set(e, "source", src);
    }
    if (rc == RC_OK) {
        rc = ex_obj_set_str(src, "type", m->type);
    }
    if (rc == RC_OK) {
        rc = ex_obj_set_str(src, "resource_id", m->id);
    }
    if (rc != RC_OK) {
        json_object_put(e);
        return rc;
    }
    return ex_obj_set(out, field, e);
}

/* A field of the form's list: a string or a named object. */
static const char *
ex_form_field(json_object *f)
{
    static const char *const  keys[] = { "name", "label", "field", "key" };
    const char               *s;
    size_t                    i;

    if (json_object_is_type(f, json_type_string)) {
        return json_object_get_string(f);
    }
    for (i = 0; i < 4; i++) {
        if (jsonx_string(f, keys[i], &s) == JSONX_OK) {
            return s;
        }
    }
    return NULL;
}

/* The form's "fields", then its kv keys whose values are empty: each
 * label once, to visit (cover counting, then filling). */
static rc_t
ex_fill_fields(json_object *form, json_object *out, struct ex_cands *c,
    int counting)
{
    json_object  *fields, *kv;
    const char   *f;
    size_t        i, n;
    rc_t          rc = RC_OK;

    n = jsonx_array(form, "fields", &fields) == JSONX_OK
        ? json_object_array_length(fields) : 0;
    for (i = 0; i < n && rc == RC_OK; i++) {
        f = ex_form_field(json_object_array_get_idx(fields, i));
        if (f != NULL && counting) {
            ex_fill_cover(c, f);
        } else if (f != NULL) {
            rc = ex_fill_one(out, c, f);
        }
    }
    if (rc != RC_OK || jsonx_object(form, "kv", &kv) != JSONX_OK) {
        return rc;
    }
    json_object_object_foreach(kv, key, val) {
        if (val != NULL && (!json_object_is_type(val, json_type_string)
                            || ex_kv_value(val) != NULL))
        {
            continue;                   /* filled already */
        }
        if (counting) {
            ex_fill_cover(c, key);
            continue;
        }
        rc = ex_fill_one(out, c, key);
        if (rc != RC_OK) {
            return rc;
        }
    }
    return RC_OK;
}

rc_t
ex_fill_run(json_object *form, json_object *file_lib, json_object **out)
{
    struct ex_cands   c;
    json_object      *res, *fields;
    const char       *self;
    rc_t              rc;

    *out = NULL;
    if (!json_object_is_type(form, json_type_object)
        || jsonx_array(form, "fields", &fields) == JSONX_TYPE)
    {
        return RC_BADINPUT;
    }
    if (jsonx_string(form, "resource_id", &self) != JSONX_OK
        && jsonx_string(form, "id", &self) != JSONX_OK)
    {
        self = NULL;
    }
    memset(&c, 0, sizeof(c));
    res = json_object_new_object();
    rc = res != NULL ? ex_cands_load(file_lib, self, &c) : RC_NOMEM;
    if (rc == RC_OK) {
        c.cover = calloc(c.entries + 1, sizeof(*c.cover));
        rc = c.cover != NULL ? RC_OK : RC_NOMEM;
    }
    if (rc == RC_OK) {
        rc = ex_fill_fields(form, res, &c, 1);
    }
    if (rc == RC_OK) {
        rc = ex_fill_fields(form, res, &c, 0);
    }
    free(c.cover);
    free(c.v);
    if (rc != RC_OK) {
        json_object_put(res);
        return rc;
    }
    *out = res;
    return RC_OK;
}

/* --- related ---------------------------------------------------------- */

enum {
    EX_F_NUM = 0,               /* numbers of 4+ digits */
    EX_F_NAME,                  /* words of names and companies */
    EX_F_TAG,
    EX_F_WORD,                  /* title words */
    EX_F_KINDS
};

static const int  ex_feat_points[EX_F_KINDS] = { 3, 2, 1, 1 };

/* Words too common to relate two documents. */
static const char  ex_generic_words[] =
    "receipt|invoice|form|document|passport|letter|statement|certificate|"
    "page|sheet|copy|tax|total|sdn|bhd|berhad|ltd|limited|llc|inc|corp|"
    "company|enterprise|enterprises|trading|store|stores|gmbh|plc|pte|"
    "pty|holdings|group|the|and|mr|mrs|ms|dr|card|id|licence|contract|"
    "ticket|payslip|prescription|bank|tax form";

/* kv keys whose values name someone. */
static const char  ex_name_keys[] =
    "name|surname|given names|company|customer|from|to|merchant|holder|"
    "employer|patient|applicant";

struct ex_feats {
    size_t  n[EX_F_KINDS];
    char    t[EX_F_KINDS][EX_FEAT_MAX][EX_TOK_LEN];
};

static void
ex_feat_add(struct ex_feats *f, int kind, const char *s, size_t n)
{
    size_t  i;

    if (n == 0 || n >= EX_TOK_LEN || f->n[kind] >= EX_FEAT_MAX) {
        return;
    }
    for (i = 0; i < f->n[kind]; i++) {
        if (strlen(f->t[kind][i]) == n && memcmp(f->t[kind][i], s, n) == 0) {
            return;
        }
    }
    memcpy(f->t[kind][f->n[kind]], s, n);
    f->t[kind][f->n[kind]++][n] = '\0';
}

/* Runs of 4+ digits that are not years (19xx, 20xx). */
static void
ex_feat_numbers(struct ex_feats *f, const char *s)
{
    size_t  i, n;

    for (i = 0; s[i] != '\0'; i += n > 0 ? n : 1) {
        n = strspn(s + i, "0123456789");
        if (n < 4 || (n == 4 && (strncmp(s + i, "19", 2) == 0
                                 || strncmp(s + i, "20", 2) == 0)))
        {
            continue;
        }
        ex_feat_add(f, EX_F_NUM, s + i, n);
    }
}

/* Words of 3+ bytes with a letter, common ones left out. */
static void
ex_feat_words(struct ex_feats *f, int kind, const char *s)
{
    char         norm[EX_LINE_MAX];
    const char  *p;
    size_t       n;

    ex_norm(s, norm, sizeof(norm), NULL);
    for (p = norm; *p != '\0'; p += n + (p[n] == ' ')) {
        n = strcspn(p, " ");
        if (n >= 3 && strspn(p, "0123456789") < n
            && !ex_list_has(ex_small_words, p, n)
            && !ex_list_has(ex_generic_words, p, n))
        {
            ex_feat_add(f, kind, p, n);
        }
    }
}

static void
ex_feats_of(json_object *o, struct ex_feats *f)
{
    char          key[64];
    json_object  *tags, *kv;
    const char   *s;
    size_t        i, n;

    memset(f->n, 0, sizeof(f->n));
    if (jsonx_string(o, "title", &s) == JSONX_OK) {
        ex_feat_words(f, EX_F_WORD, s);
        ex_feat_numbers(f, s);
    }
    n = jsonx_array(o, "tags", &tags) == JSONX_OK
        ? json_object_array_length(tags) : 0;
    for (i = 0; i < n; i++) {
        s = json_object_get_string(json_object_array_get_idx(tags, i));
        if (s != NULL && strcmp(s, "document") != 0) {
            ex_feat_add(f, EX_F_TAG, s, strlen(s));
        }
    }
    if (jsonx_object(o, "kv", &kv) != JSONX_OK) {
        return;
    }
    json_object_object_foreach(kv, k, v) {
        s = ex_kv_value(v);
        if (s == NULL) {
            continue;
        }
        ex_feat_numbers(f, s);
        ex_norm(k, key, sizeof(key), NULL);
        if (ex_list_has(ex_name_keys, key, strlen(key))) {
            ex_feat_words(f, EX_F_NAME, s);
        }
    }
}

static int
ex_feats_score(const struct ex_feats *a, const struct ex_feats *b)
{
    size_t  k, i, j;
    int     score;

    score = 0;
    for (k = 0; k < EX_F_KINDS; k++) {
        for (i = 0; i < a->n[k]; i++) {
            for (j = 0; j < b->n[k]; j++) {
                if (strcmp(a->t[k][i], b->t[k][j]) == 0) {
                    score += ex_feat_points[k];
                    break;
                }
            }
        }
    }
    return score;
}

struct ex_rel {
    int          score;
    const char  *type;
    const char  *id;            /* borrowed from the library */
};

/* Keep the best EX_RELATED_MAX, higher score first, earlier on ties. */
static void
ex_rel_insert(struct ex_rel *top, size_t *n, struct ex_rel r)
{
    size_t  at, k;

    for (at = 0; at < *n && top[at].score >= r.score; at++) {
    }
    if (at >= EX_RELATED_MAX) {
        return;
    }
    k = *n < EX_RELATED_MAX ? (*n)++ : EX_RELATED_MAX - 1;
    for (; k > at; k--) {
        top[k] = top[k - 1];
    }
    top[at] = r;
}

/* Score every entry of the library against me; keep the best. */
static void
ex_related_rank(const struct ex_feats *me, struct ex_feats *it,
    json_object *lib, struct ex_rel *top, size_t *ntop)
{
    static const char *const  lists[2] = { "docs", "forms" };
    static const char *const  types[2] = { "doc", "form" };
    struct ex_rel             r;
    json_object              *arr, *e;
    size_t                    k, i, n;

    *ntop = 0;
    for (k = 0; k < 2; k++) {
        n = jsonx_array(lib, lists[k], &arr) == JSONX_OK
            ? json_object_array_length(arr) : 0;
        for (i = 0; i < n; i++) {
            e = json_object_array_get_idx(arr, i);
            if (jsonx_string(e, "resource_id", &r.id) != JSONX_OK) {
                continue;
            }
            ex_feats_of(e, it);
            r.score = ex_feats_score(me, it);
            r.type = types[k];
            if (r.score >= EX_RELATED_MIN) {
                ex_rel_insert(top, ntop, r);
            }
        }
    }
}

rc_t
ex_related(json_object *result, json_object *file_lib, json_object **out)
{
    struct ex_feats  *me, *it;
    struct ex_rel     top[EX_RELATED_MAX];
    json_object      *res, *e;
    size_t            i, ntop;
    rc_t              rc;

    *out = NULL;
    res = json_object_new_array();
    me = malloc(sizeof(*me));
    it = malloc(sizeof(*it));
    rc = res != NULL && me != NULL && it != NULL ? RC_OK : RC_NOMEM;
    if (rc != RC_OK) {
        goto out;
    }
    ex_feats_of(result, me);
    ex_related_rank(me, it, file_lib, top, &ntop);
    for (i = 0; i < ntop && rc == RC_OK; i++) {
        e = json_object_new_object();
        rc = ex_arr_add(res, e);
        if (rc == RC_OK) {
            rc = ex_obj_set_str(e, "type", top[i].type);
        }
        if (rc == RC_OK) {
            rc = ex_obj_set_str(e, "resource_id", top[i].id);
        }
    }
    if (rc == RC_OK) {
        *out = res;
        res = NULL;
    }

out:
    free(it);
    free(me);
    json_object_put(res);
    return rc;
}
