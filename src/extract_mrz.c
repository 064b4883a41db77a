/*
 * extract_mrz.c - machine readable zones (ICAO 9303) of passports, ID
 * cards and visas: the lines found in OCR text, their check digits
 * verified and their fields parsed into the result.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "extract_int.h"

/* --- lines and check digits ------------------------------------------ */

static int
ex_mrz_digit(int c)
{
    return c >= '0' && c <= '9';
}

size_t
ex_mrz_line(const char *s, char *out, size_t outlen)
{
    static const size_t  lens[3] = { 30, 36, 44 };
    size_t               n, i, k;
    int                  fill;

    n = 0;
    fill = 0;
    for (; *s != '\0'; s++) {
        if (*s == ' ') {
            continue;
        }
        if (!((*s >= 'A' && *s <= 'Z') || ex_mrz_digit(*s) || *s == '<')
            || n + 1 >= outlen || n >= EX_MRZ_MAX + 2)
        {
            return 0;
        }
        fill += *s == '<';
        out[n++] = *s;
    }
    for (k = 0; k < 3 && fill > 0; k++) {
        if (n + 2 < lens[k] || n > lens[k] + 2 || lens[k] + 1 > outlen) {
            continue;
        }
        for (i = n; i < lens[k]; i++) {
            out[i] = '<';
        }
        for (i = lens[k]; i < n; i++) {
            if (out[i] != '<') {
                return 0;       /* only fill characters may go */
            }
        }
        out[lens[k]] = '\0';
        return lens[k];
    }
    return 0;
}

static int
ex_mrz_value(int c)
{
    if (ex_mrz_digit(c)) {
        return c - '0';
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 0;                   /* '<' */
}

/* The 7-3-1 check of the fields (pointer, length) pairs against cd. */
static int
ex_mrz_check(const char *p1, size_t n1, const char *p2, size_t n2,
    const char *p3, size_t n3, const char *p4, size_t n4, int cd)
{
    static const int   w[3] = { 7, 3, 1 };
    const char        *p[4] = { p1, p2, p3, p4 };
    size_t             n[4] = { n1, n2, n3, n4 };
    size_t             i, k, pos;
    int                sum;

    if (!ex_mrz_digit(cd) && cd != '<') {
        return 0;
    }
    sum = 0;
    pos = 0;
    for (k = 0; k < 4; k++) {
        for (i = 0; i < n[k]; i++, pos++) {
            sum += ex_mrz_value(p[k][i]) * w[pos % 3];
        }
    }
    return sum % 10 == (cd == '<' ? 0 : cd - '0');
}

#define EX_MRZ_CD(p, n) ex_mrz_check((p), (n), "", 0, "", 0, "", 0, (p)[n])

/* Copy an MRZ field, '<' to spaces, trimmed and collapsed. */
static void
ex_mrz_copy(const char *p, size_t n, char *out, size_t outlen)
{
    size_t  i, j;
    int     sp;

    j = 0;
    sp = 0;
    for (i = 0; i < n && j + 1 < outlen; i++) {
        if (p[i] == '<') {
            sp = j > 0;
            continue;
        }
        if (sp && j + 2 >= outlen) {
            break;
        }
        if (sp) {
            out[j++] = ' ';
            sp = 0;
        }
        out[j++] = p[i];
    }
    out[j] = '\0';
}

/*
 * YYMMDD. Birth years after this year are last century; expiry years
 * are always 20xx (no document of interest expired before 2000).
 */
static int
ex_mrz_date(const char *p, int birth, struct ex_date *d)
{
    struct tm  tm;
    time_t     now;
    size_t     n;
    int        v;

    v = 0;
    for (n = 0; n < 6; n++) {
        if (!ex_mrz_digit(p[n])) {
            return 0;
        }
        v = v * 10 + (p[n] - '0');
    }
    d->y = 2000 + v / 10000;
    d->m = v / 100 % 100;
    d->d = v % 100;
    now = time(NULL);
    if (birth && gmtime_r(&now, &tm) != NULL && d->y > tm.tm_year + 1900) {
        d->y -= 100;
    }
    return ex_date_valid(d);
}

/* Surname << given names, from the name field of p[0..n). */
static void
ex_mrz_names(const char *p, size_t n, struct ex_mrz *m)
{
    const char  *sep;
    size_t       k;

    sep = NULL;
    for (k = 0; k + 1 < n; k++) {
        if (p[k] == '<' && p[k + 1] == '<') {
            sep = p + k;
            break;
        }
    }
    if (sep == NULL) {
        ex_mrz_copy(p, n, m->surname, sizeof(m->surname));
        m->given[0] = '\0';
        return;
    }
    ex_mrz_copy(p, (size_t) (sep - p), m->surname, sizeof(m->surname));
    ex_mrz_copy(sep + 2, n - (size_t) (sep - p) - 2, m->given,
                sizeof(m->given));
}

/* The fields TD2 and TD3 share: line 2 up to the expiry check digit. */
static int
ex_mrz_td23(const char *l1, const char *l2, size_t len, struct ex_mrz *m)
{
    if (!EX_MRZ_CD(l2, 9) || !EX_MRZ_CD(l2 + 13, 6)
        || !EX_MRZ_CD(l2 + 21, 6))
    {
        return 0;
    }
    if (l2[len - 1] != '<'
        && !ex_mrz_check(l2, 10, l2 + 13, 7, l2 + 21, len - 22, "", 0,
                         l2[len - 1]))
    {
        return 0;           /* a visa (MRV) prints no composite digit */
    }
    ex_mrz_copy(l1, 2, m->type, sizeof(m->type));
    ex_mrz_copy(l1 + 2, 3, m->issuer, sizeof(m->issuer));
    ex_mrz_names(l1 + 5, len - 5, m);
    ex_mrz_copy(l2, 9, m->number, sizeof(m->number));
    ex_mrz_copy(l2 + 10, 3, m->nationality, sizeof(m->nationality));
    ex_mrz_copy(l2 + 20, 1, m->sex, sizeof(m->sex));
    return ex_mrz_date(l2 + 13, 1, &m->birth)
           && ex_mrz_date(l2 + 21, 0, &m->expiry);
}

static int
ex_mrz_td1(const char *l1, const char *l2, const char *l3,
    struct ex_mrz *m)
{
    if (!EX_MRZ_CD(l1 + 5, 9) || !EX_MRZ_CD(l2, 6) || !EX_MRZ_CD(l2 + 8, 6))
    {
        return 0;
    }
    if (!ex_mrz_check(l1 + 5, 25, l2, 7, l2 + 8, 7, l2 + 18, 11, l2[29])) {
        return 0;
    }
    ex_mrz_copy(l1, 2, m->type, sizeof(m->type));
    ex_mrz_copy(l1 + 2, 3, m->issuer, sizeof(m->issuer));
    ex_mrz_copy(l1 + 5, 9, m->number, sizeof(m->number));
    ex_mrz_copy(l2 + 15, 3, m->nationality, sizeof(m->nationality));
    ex_mrz_copy(l2 + 7, 1, m->sex, sizeof(m->sex));
    ex_mrz_names(l3, 30, m);
    return ex_mrz_date(l2, 1, &m->birth) && ex_mrz_date(l2 + 8, 0, &m->expiry);
}

int
ex_mrz_parse(const char *const *lines, size_t n, struct ex_mrz *m)
{
    size_t  len;
    size_t  i;

    memset(m, 0, sizeof(*m));
    if (n < 2 || n > 3) {
        return 0;
    }
    len = strlen(lines[0]);
    for (i = 1; i < n; i++) {
        if (strlen(lines[i]) != len) {
            return 0;
        }
    }
    if (n == 3 && len == 30) {
        return ex_mrz_td1(lines[0], lines[1], lines[2], m);
    }
    if (n == 2 && (len == 36 || len == 44)) {
        return ex_mrz_td23(lines[0], lines[1], len, m);
    }
    return 0;
}

/* --- the zone of a document ------------------------------------------ */

static rc_t
ex_doc_mrz_kv(struct ex_doc *doc)
{
    const struct ex_mrz  *m;
    char                  name[100], date[32];
    rc_t                  rc;

    m = &doc->mrz;
    snprintf(name, sizeof(name), "%s%s%s", m->given,
             m->given[0] != '\0' ? " " : "", m->surname);
    rc = ex_doc_kv_add(doc, "Name", name);
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Document No", m->number);
    }
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Surname", m->surname);
    }
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Given Names", m->given);
    }
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Nationality", m->nationality);
    }
    ex_date_format(&m->birth, date, sizeof(date));
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Date of Birth", date);
    }
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Sex", m->sex);
    }
    ex_date_format(&m->expiry, date, sizeof(date));
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Date of Expiry", date);
    }
    if (rc == RC_OK) {
        rc = ex_doc_kv_add(doc, "Issuing Country", m->issuer);
    }
    return rc;
}

/* Lines at..at+n are a zone: parse it, keep the raw lines in "MRZ". */
static rc_t
ex_doc_mrz_take(struct ex_doc *doc, size_t at, char ml[][EX_MRZ_MAX + 4],
    size_t n)
{
    char         raw[3 * (EX_MRZ_MAX + 1)];
    const char  *lp[3];
    size_t       k, len;
    rc_t         rc;

    len = 0;
    for (k = 0; k < n; k++) {
        lp[k] = ml[k];
        doc->used[at + k] |= EX_USED_MRZ;
        len += (size_t) snprintf(raw + len, sizeof(raw) - len, "%s%s",
                                 k > 0 ? "\n" : "", ml[k]);
    }
    doc->mrz_ok = ex_mrz_parse(lp, n, &doc->mrz);
    rc = doc->mrz_ok ? ex_doc_mrz_kv(doc) : RC_OK;
    if (rc != RC_OK) {
        return rc;
    }
    return ex_doc_kv_add(doc, "MRZ", raw);
}

rc_t
ex_doc_mrz(struct ex_doc *doc)
{
    char    ml[3][EX_MRZ_MAX + 4];
    size_t  i, k, len, need;

    for (i = 0; i + 1 < doc->lines.n; i++) {
        len = ex_mrz_line(doc->lines.v[i], ml[0], sizeof(ml[0]));
        need = len == 30 ? 3 : 2;
        if (len == 0 || i + need > doc->lines.n) {
            continue;
        }
        for (k = 1; k < need; k++) {
            if (ex_mrz_line(doc->lines.v[i + k], ml[k], sizeof(ml[k]))
                != len)
            {
                break;
            }
        }
        if (k == need) {
            return ex_doc_mrz_take(doc, i, ml, need);
        }
    }
    return RC_OK;
}
