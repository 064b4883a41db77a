/*
 * extract_kv.c - labelled pairs and blank fields from OCR lines, for
 * the builtin extractor.
 *
 * A line is read by the first rule that applies:
 *   - tick boxes: "[ ] Married", "☐ SIGNAGE ☑ MUSIC" (empty ones are
 *     blank fields, ticked ones "Option": "Yes", or "Group": "Option");
 *   - underscores: "Name: ______ Date ____" (blank fields);
 *   - colons: "Label: value", several per line ("TRANS: 1 STAFF: 2");
 *     an empty value is a blank field, unless the label is alone on
 *     its line and the next line reads as its value;
 *   - dot leaders: "Label ...... value";
 *   - typed labels without a colon at the start of a line, taken only
 *     when the value has their type: "TEL 07-123 4567", "DOC NO
 *     CS0001 DATE 25/12/2018" (two pairs).
 * Known labels get one human-readable key ("Invoice No", "Phone") and
 * their values are normalised by type (dates "Mon DD, YYYY"); other
 * labels are kept as printed. Totals are left to the total step.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "extract.h"
#include "extract_int.h"

#define EX_COLONS_MAX   8       /* pairs read from one line */
#define EX_LABEL_MAX    48      /* bytes of a label */
#define EX_LABEL_WORDS  6
#define EX_BOXES_MAX    16      /* tick boxes read from one line */

struct ex_span {
    size_t  b;
    size_t  e;
};

/* --- spans and labels ------------------------------------------------- */

/* Trim s[sp.b..sp.e) of white space and of chars in junk at both ends. */
static struct ex_span
ex_span_trim(const char *s, struct ex_span sp, const char *junk)
{
    while (sp.b < sp.e && (s[sp.b] == ' ' || strchr(junk, s[sp.b]) != NULL))
    {
        sp.b++;
    }
    while (sp.e > sp.b && (s[sp.e - 1] == ' '
                           || strchr(junk, s[sp.e - 1]) != NULL))
    {
        sp.e--;
    }
    return sp;
}

/* Copy a span into out (NUL-terminated, cut to fit). */
static void
ex_span_copy(const char *s, struct ex_span sp, char *out, size_t outlen)
{
    ex_copy_trim(s + sp.b, sp.e - sp.b, NULL, out, outlen);
}

/*
 * A label: 1-6 words, 48 bytes, 2 letters, not starting with a small
 * letter nor with a stray symbol.
 */
static int
ex_label_ok(const char *s, struct ex_span sp)
{
    char    lab[EX_LABEL_MAX + 1];
    size_t  i, words;

    sp = ex_span_trim(s, sp, "\"'*-");
    if (sp.e <= sp.b || sp.e - sp.b > EX_LABEL_MAX) {
        return 0;
    }
    ex_span_copy(s, sp, lab, sizeof(lab));
    words = 1;
    for (i = 0; lab[i] != '\0'; i++) {
        words += lab[i] == ' ';
    }
    i = strcspn(lab, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789");
    if (i > 0 && !(lab[0] == '#' || lab[0] == '(')
        && ex_count_letters(lab, NULL, NULL) == ex_count_letters(lab + i,
                                                                 NULL, NULL))
    {
        return 0;               /* "¢ USER", "| Total": OCR noise first */
    }
    return words <= EX_LABEL_WORDS && ex_count_letters(lab, NULL, NULL) >= 2
           && !(lab[i] >= 'a' && lab[i] <= 'z');
}

/* The first word of s[b..e) normalised is a label head. */
static int
ex_label_head(const char *s, size_t b, size_t e)
{
    char    w[32], nw[32];
    size_t  n;

    n = strcspn(s + b, " ");
    if (n > e - b) {
        n = e - b;
    }
    if (n >= sizeof(w)) {
        return 0;
    }
    memcpy(w, s + b, n);
    w[n] = '\0';
    ex_norm(w, nw, sizeof(nw), NULL);
    n = strcspn(nw, " ");
    return n > 0 && ex_label_is_head(nw, n);
}

/*
 * Where the label ends a segment "value words LABEL WORDS": the longest
 * tail of up to 4 words that starts with a label head, else the last
 * word when it reads as a label. (size_t) -1 when none.
 */
static size_t
ex_label_split(const char *s, size_t b, size_t e)
{
    struct ex_span  sp;
    size_t          ws[5], nw, k;

    sp = ex_span_trim(s, (struct ex_span) { b, e }, "");
    nw = 0;
    for (k = sp.e; k > sp.b && nw < 4; k--) {
        if (s[k - 1] == ' ') {
            continue;
        }
        if (k - 1 == sp.b || s[k - 2] == ' ') {
            ws[nw++] = k - 1;
        }
    }
    for (k = nw; k > 0; k--) {
        if (ex_label_head(s, ws[k - 1], sp.e)
            && ex_label_ok(s, (struct ex_span) { ws[k - 1], sp.e }))
        {
            return ws[k - 1];
        }
    }
    if (nw > 0 && !ex_has_digit(s, ws[0], sp.e)
        && ex_label_ok(s, (struct ex_span) { ws[0], sp.e }))
    {
        return ws[0];
    }
    return (size_t) -1;
}

/* Skip the separators between a label and its value (not a sign). */
static size_t
ex_skip_sep(const char *s)
{
    size_t  n;

    n = strspn(s, " :#.-=");
    while (n > 0 && s[n - 1] == '-' && s[n] >= '0' && s[n] <= '9') {
        n--;
    }
    return n;
}

/* --- pairs ------------------------------------------------------------ */

/* The label has the word "total": the total step decides. */
static int
ex_is_total(const char *norm)
{
    return ex_list_count(norm, "total|grandtotal") > 0;
}

/* The key and the normalised value of label: value; 0 to skip it. */
static int
ex_pair_make(const struct ex_doc *doc, const char *label,
    const char *value, char *key, size_t keylen, char *out, size_t outlen)
{
    const struct ex_label  *l;
    struct ex_date          d;
    char                    norm[EX_LABEL_MAX * 2];
    size_t                  b, e;

    ex_norm(label, norm, sizeof(norm), NULL);
    l = ex_label_find(norm);
    if ((l != NULL && l->type == EX_VT_TOTAL)
        || (l == NULL && ex_is_total(norm)))
    {
        return 0;
    }
    snprintf(key, keylen, "%s", l != NULL ? l->key : label);
    if (l != NULL && l->type != EX_VT_TEXT
        && ex_value_typed(l->type, value, 1, doc->mdy, out, outlen) > 0)
    {
        return 1;
    }
    if (ex_date_find(value, doc->mdy, &d, &b, &e) && b == 0
        && value[e] == '\0')
    {
        ex_date_format(&d, out, outlen);        /* a bare date */
        return 1;
    }
    snprintf(out, outlen, "%s", value);
    return 1;
}

/* One label: value, both trimmed; an empty value is a blank field. */
static rc_t
ex_pair_text(struct ex_doc *doc, const char *label, const char *value)
{
    char            key[EX_LABEL_MAX + 1], out[EX_LINE_MAX + 1];
    char            tm[32];
    struct ex_date  d;
    size_t          e;
    rc_t            rc;

    if (strpbrk(value, "0123456789") == NULL
        && ex_count_letters(value, NULL, NULL) == 0)
    {
        return ex_doc_field_add(doc, label);
    }
    if (!ex_pair_make(doc, label, value, key, sizeof(key), out,
                      sizeof(out)))
    {
        return RC_OK;
    }
    rc = ex_doc_kv_add(doc, key, out);
    if (rc != RC_OK || strcmp(key, "Date") != 0
        || !ex_date_find(value, doc->mdy, &d, NULL, &e)
        || ex_time_at(value + e, tm, sizeof(tm)) == 0)
    {
        return rc;
    }
    return ex_doc_kv_add(doc, "Time", tm);
}

static rc_t
ex_pair_add(struct ex_doc *doc, const char *s, struct ex_span lab,
    struct ex_span val)
{
    char  label[EX_LABEL_MAX + 1], value[EX_LINE_MAX + 1];

    ex_span_copy(s, ex_span_trim(s, lab, ":\"*"), label, sizeof(label));
    ex_span_copy(s, ex_span_trim(s, val, ":-=._"), value, sizeof(value));
    return ex_pair_text(doc, label, value);
}

/* Colons of s that separate: not in "8:13", not in "http://". */
static size_t
ex_colons(const char *s, size_t b, size_t e, size_t *at, size_t max)
{
    size_t  i, n;

    n = 0;
    for (i = b; i < e && n < max; i++) {
        if (s[i] != ':' || (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'
                            && s[i + 1] >= '0' && s[i + 1] <= '9')
            || strncmp(s + i + 1, "//", 2) == 0)
        {
            continue;
        }
        at[n++] = i;
    }
    return n;
}

/*
 * The "label: value" pairs of s[b..e): the first label runs from b to
 * the first colon; each later colon takes its label from the end of
 * the text before it (ex_label_split), or stays in the value. 0 when
 * the text before the first colon is not a label.
 */
static size_t
ex_pairs(const char *s, size_t b, size_t e, struct ex_span *lab,
    struct ex_span *val, size_t max)
{
    size_t  at[EX_COLONS_MAX], nc, np, k, ls;

    nc = ex_colons(s, b, e, at, EX_COLONS_MAX);
    if (nc == 0 || !ex_label_ok(s, (struct ex_span) { b, at[0] })) {
        return 0;
    }
    np = 0;
    lab[0] = (struct ex_span) { b, at[0] };
    val[0].b = at[0] + 1;
    for (k = 1; k < nc && np + 1 < max; k++) {
        ls = ex_label_split(s, val[np].b, at[k]);
        if (ls == (size_t) -1) {
            continue;
        }
        val[np].e = ls;
        np++;
        lab[np] = (struct ex_span) { ls, at[k] };
        val[np].b = at[k] + 1;
    }
    val[np].e = e;
    return np + 1;
}

/* The next line reads as the value of a label alone on its line. */
static int
ex_value_like(const struct ex_doc *doc, size_t i)
{
    const char  *s;
    size_t       n, k;
    int          up, lo;

    if (i >= doc->lines.n || doc->used[i] != 0) {
        return 0;
    }
    s = doc->lines.v[i];
    if (strpbrk(s, ":[]") != NULL || strstr(s, "___") != NULL
        || strstr(s, "\xe2\x98") != NULL)
    {
        return 0;
    }
    ex_count_letters(s, &up, &lo);
    if (up == 0 && lo == 0) {
        return strpbrk(s, "0123456789") != NULL;   /* a number */
    }
    n = strcspn(s, " ");
    for (k = 0; k < n; k++) {
        if (s[k] >= 'a' && s[k] <= 'z') {
            return 1;           /* not a heading or a label in capitals */
        }
    }
    return 0;
}

/* The line holds "label: value" pairs. */
static int
ex_has_pairs(const char *s)
{
    struct ex_span  lab[EX_COLONS_MAX], val[EX_COLONS_MAX];

    return ex_pairs(s, 0, strlen(s), lab, val, EX_COLONS_MAX) > 0;
}

/*
 * A text value that runs on: the lines after line i that start with a
 * small letter and hold no pairs ("Comments: please call\nthe office")
 * are appended to it.
 */
static void
ex_value_more(struct ex_doc *doc, size_t i, char *value, size_t len)
{
    size_t       j, n;
    const char  *s;

    if (strchr(value, ' ') == NULL || !ex_has_letter(value, 0,
                                                     strlen(value)))
    {
        return;                         /* a number or a code ends here */
    }
    for (j = i + 1; j < doc->lines.n && doc->used[j] == 0; j++) {
        s = doc->lines.v[j];
        n = strlen(value);
        if (!(s[0] >= 'a' && s[0] <= 'z') || ex_has_pairs(s)
            || n + 2 + strlen(s) >= len || n >= EX_VALUE_MAX)
        {
            break;
        }
        snprintf(value + n, len - n, " %s", s);
        doc->used[j] |= EX_USED_VALUE;
    }
}

static rc_t
ex_line_colons(struct ex_doc *doc, size_t i, int *done)
{
    struct ex_span  lab[EX_COLONS_MAX], val[EX_COLONS_MAX];
    char            label[EX_LABEL_MAX + 1], value[EX_LINE_MAX + 1];
    const char     *s;
    size_t          k, np, len;
    rc_t            rc;

    s = doc->lines.v[i];
    len = strlen(s);
    np = ex_pairs(s, 0, len, lab, val, EX_COLONS_MAX);
    *done = np > 0;
    if (np == 1 && ex_span_trim(s, val[0], "").b == len
        && ex_value_like(doc, i + 1))
    {
        doc->used[i + 1] |= EX_USED_VALUE;  /* "Label:" over its value */
        ex_span_copy(s, ex_span_trim(s, lab[0], ":\"*"), label,
                     sizeof(label));
        return ex_pair_text(doc, label, doc->lines.v[i + 1]);
    }
    rc = RC_OK;
    for (k = 0; k + 1 < np && rc == RC_OK; k++) {
        rc = ex_pair_add(doc, s, lab[k], val[k]);
    }
    if (rc != RC_OK || np == 0) {
        return rc;
    }
    ex_span_copy(s, ex_span_trim(s, lab[np - 1], ":\"*"), label,
                 sizeof(label));
    ex_span_copy(s, ex_span_trim(s, val[np - 1], ":-=._"), value,
                 sizeof(value));
    if (value[0] != '\0') {
        ex_value_more(doc, i, value, sizeof(value));
    }
    return ex_pair_text(doc, label, value);
}

/* --- the other rules -------------------------------------------------- */

/* "Label ....... value" (dots or an ellipsis between). */
static rc_t
ex_line_leader(struct ex_doc *doc, size_t i, int *done)
{
    const char  *s, *p;
    size_t       b, e;

    s = doc->lines.v[i];
    p = strstr(s, "...");
    if (p == NULL) {
        p = strstr(s, "\xe2\x80\xa6");
    }
    *done = 0;
    if (p == NULL) {
        return RC_OK;
    }
    b = (size_t) (p - s);
    e = b;
    while (s[e] == '.' || s[e] == ' '
           || strncmp(s + e, "\xe2\x80\xa6", 3) == 0)
    {
        e += s[e] == '.' || s[e] == ' ' ? 1 : 3;
    }
    if (!ex_label_ok(s, (struct ex_span) { 0, b })) {
        return RC_OK;
    }
    *done = 1;
    return ex_pair_add(doc, s, (struct ex_span) { 0, b },
                       (struct ex_span) { e, strlen(s) });
}

/* Typed labels at the start of the line, then after each value. */
static rc_t
ex_line_typed(struct ex_doc *doc, size_t i, int *done)
{
    const struct ex_label  *l;
    char                    norm[EX_LINE_MAX + 1], out[EX_LINE_MAX + 1];
    char                    tm[32];
    size_t                  map[EX_LINE_MAX + 1];
    const char             *s;
    size_t                  k, n, p, used;
    rc_t                    rc;

    s = doc->lines.v[i];
    *done = 0;
    for (k = 0, p = 0; k < 4; k++, p += used) {
        ex_norm(s + p, norm, sizeof(norm), map);
        l = ex_label_prefix(norm, &n);
        if (l == NULL || l->type == EX_VT_TOTAL) {
            return RC_OK;
        }
        p += map[n - 1] + 1;
        p += ex_skip_sep(s + p);
        used = ex_value_typed(l->type, s + p, 0, doc->mdy, out,
                              sizeof(out));
        if (used == 0) {
            return RC_OK;
        }
        *done = 1;
        rc = ex_doc_kv_add(doc, l->key, out);
        if (rc == RC_OK && l->type == EX_VT_DATE
            && ex_time_at(s + p + used, tm, sizeof(tm)) > 0)
        {
            rc = ex_doc_kv_add(doc, "Time", tm);
        }
        if (rc != RC_OK) {
            return rc;
        }
    }
    return RC_OK;
}

/* A tick box at s: 1 empty, 2 ticked, 0 none (*len then unset). */
static int
ex_box_at(const char *s, size_t *len)
{
    static const char *const  empty = "\xe2\x98\x90" "\xe2\x96\xa1"
                                      "\xe2\x9d\x91" "\xe2\x9d\x8f";
    static const char *const  ticked = "\xe2\x98\x91" "\xe2\x98\x92"
                                       "\xe2\x96\xa0" "\xe2\x9c\x93"
                                       "\xe2\x9c\x94" "\xe2\x9c\x97";
    size_t                    k, n;

    for (k = 0; s[0] == '\xe2' && k < strlen(ticked); k += 3) {
        if (k < strlen(empty) && strncmp(s, empty + k, 3) == 0) {
            *len = 3;
            return 1;
        }
        if (strncmp(s, ticked + k, 3) == 0) {
            *len = 3;
            return 2;
        }
    }
    if (s[0] != '[' && !(s[0] == '(' && s[1] == ' ')) {
        return 0;
    }
    n = 1 + strspn(s + 1, " _");
    if (s[n] == (s[0] == '[' ? ']' : ')')) {
        *len = n + 1;
        return 1;
    }
    if (s[0] == '[' && s[n] != '\0' && strchr("xXvV", s[n]) != NULL) {
        n += 1 + strspn(s + n + 1, " ");
        if (s[n] == ']') {
            *len = n + 1;
            return 2;
        }
    }
    return 0;
}

/* The option text of box k: after it up to the next box, else before. */
static struct ex_span
ex_box_option(const char *s, const struct ex_span *box, size_t nb,
    size_t k)
{
    struct ex_span  sp;

    sp.b = box[k].e;
    sp.e = k + 1 < nb ? box[k + 1].b : strlen(s);
    sp = ex_span_trim(s, sp, ":,;");
    if (sp.e > sp.b) {
        return sp;
    }
    sp.b = k > 0 ? box[k - 1].e : 0;
    sp.e = box[k].b;
    return ex_span_trim(s, sp, ":,;");
}

/*
 * A line with tick boxes. "Sex: [ ] M [ ] F" is one blank field "Sex"
 * (or "Sex": "M" when one is ticked); otherwise each empty box is a
 * blank field named by its option and each ticked one "Option": "Yes".
 */
static rc_t
ex_line_boxes(struct ex_doc *doc, size_t i, int *done)
{
    struct ex_span  box[EX_BOXES_MAX], grp, opt;
    int             state[EX_BOXES_MAX], ticked;
    char            a[EX_LINE_MAX + 1], b[EX_LABEL_MAX + 1];
    const char     *s;
    size_t          p, n, nb, k;
    rc_t            rc;

    s = doc->lines.v[i];
    nb = 0;
    ticked = -1;
    for (p = 0; s[p] != '\0' && nb < EX_BOXES_MAX; p += n) {
        n = 1;
        state[nb] = ex_box_at(s + p, &n);
        if (state[nb] != 0) {
            box[nb] = (struct ex_span) { p, p + n };
            ticked = ticked < 0 && state[nb] == 2 ? (int) nb : ticked;
            nb++;
        }
    }
    *done = nb > 0;
    grp = ex_span_trim(s, (struct ex_span) { 0, nb > 0 ? box[0].b : 0 },
                       "");
    if (nb > 0 && grp.e > grp.b && strchr(":?", s[grp.e - 1]) != NULL
        && ex_label_ok(s, grp))
    {
        ex_span_copy(s, ex_span_trim(s, grp, ":"), b, sizeof(b));
        if (ticked < 0) {
            return ex_doc_field_add(doc, b);
        }
        opt = ex_box_option(s, box, nb, (size_t) ticked);
        ex_span_copy(s, opt, a, sizeof(a));
        return ex_doc_kv_add(doc, b, a);
    }
    rc = RC_OK;
    for (k = 0; k < nb && rc == RC_OK; k++) {
        ex_span_copy(s, ex_box_option(s, box, nb, k), a, sizeof(a));
        rc = state[k] == 1 ? ex_doc_field_add(doc, a)
                           : ex_doc_kv_add(doc, a, "Yes");
    }
    return rc;
}

/* "Name: ______ Date of birth: ______": a blank field per run. */
static rc_t
ex_line_blanks(struct ex_doc *doc, size_t i, int *done)
{
    struct ex_span  lab[EX_COLONS_MAX], val[EX_COLONS_MAX], chunk;
    char            label[EX_LABEL_MAX + 1];
    const char     *s, *p;
    size_t          prev, run, ls, np, k;
    rc_t            rc;

    s = doc->lines.v[i];
    *done = strstr(s, "___") != NULL;
    rc = RC_OK;
    for (prev = 0, p = strstr(s, "___"); p != NULL && rc == RC_OK;
         p = strstr(s + prev, "___"))
    {
        run = (size_t) (p - s);
        chunk = ex_span_trim(s, (struct ex_span) { prev, run }, ":");
        prev = run + strspn(p, "_");
        if (chunk.e <= chunk.b) {
            continue;
        }
        ls = ex_label_split(s, chunk.b, chunk.e);
        if (ls == (size_t) -1) {
            ls = ex_label_ok(s, chunk) ? chunk.b : chunk.e;
        }
        np = ls > chunk.b ? ex_pairs(s, chunk.b, ls, lab, val,
                                     EX_COLONS_MAX) : 0;
        for (k = 0; k < np && rc == RC_OK; k++) {
            rc = ex_pair_add(doc, s, lab[k], val[k]);
        }
        if (rc == RC_OK && ls < chunk.e) {
            ex_span_copy(s, (struct ex_span) { ls, chunk.e }, label,
                         sizeof(label));
            rc = ex_doc_field_add(doc, label);
        }
    }
    return rc;
}

/* A line that is only a phone number: "(415) 555-0199", "+60 3-1234". */
static rc_t
ex_line_phone(struct ex_doc *doc, size_t i, int *done)
{
    struct ex_date   d;
    char             out[64];
    const char      *s;
    size_t           n;

    s = doc->lines.v[i];
    *done = 0;
    if (s[0] != '+' && s[0] != '(' && strchr(s, '-') == NULL) {
        return RC_OK;
    }
    n = ex_value_phone(s, out, sizeof(out));
    if (n == 0 || s[n] != '\0' || strspn(s, "0123456789") == n
        || ex_date_find(s, doc->mdy, &d, NULL, NULL))
    {
        return RC_OK;
    }
    *done = 1;
    return ex_doc_kv_add(doc, "Phone", out);
}

typedef rc_t (*ex_line_rule)(struct ex_doc *doc, size_t i, int *done);

rc_t
ex_kv_lines(struct ex_doc *doc)
{
    static const ex_line_rule  rules[] = {
        ex_line_boxes, ex_line_blanks, ex_line_colons, ex_line_leader,
        ex_line_typed, ex_line_phone
    };
    size_t                     i, r;
    int                        done;
    rc_t                       rc;

    for (i = 0; i < doc->lines.n; i++) {
        done = 0;
        for (r = 0; r < sizeof(rules) / sizeof(rules[0]) && !done; r++) {
            if (doc->used[i] != 0) {
                break;
            }
            rc = rules[r](doc, i, &done);
            if (rc != RC_OK) {
                return rc;
            }
        }
    }
    return RC_OK;
}
