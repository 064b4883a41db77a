/*
 * extract_rules.c - the text rules of the builtin extractor: bytes and
 * words, phrase lists, OCR lines, dates and amounts.
 *
 * Pure functions over C strings; nothing is allocated but the lines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

/* --- small byte helpers ----------------------------------------------- */

int
ex_is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
           || (c >= 'A' && c <= 'Z') || (c & 0x80) != 0;
}

static int
ex_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
ex_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
           || c == '\v';
}

static int
ex_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/*
 * Length of s cut to at most max bytes without splitting a character.
 * A character has at most 3 continuation bytes: more in a row is not
 * UTF-8 and is cut at max (backing off over it could leave nothing; a
 * title of 0x9f bytes became "", found fuzzing).
 */
static size_t
ex_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t  cut;

    if (len <= max) {
        return len;
    }
    cut = max;
    while (cut > 0 && max - cut < 3
           && ((unsigned char) s[cut] & 0xc0) == 0x80)
    {
        cut--;
    }
    return ((unsigned char) s[cut] & 0xc0) == 0x80 ? max : cut;
}

int
ex_count_letters(const char *s, int *upper, int *lower)
{
    int  n, up, lo;

    n = 0;
    up = 0;
    lo = 0;
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            up++;
        } else if (*s >= 'a' && *s <= 'z') {
            lo++;
        } else if ((unsigned char) *s >= 0xc3
                   && (unsigned char) *s != 0xe2)
        {
            n++;                /* a lead byte; U+2000-2BFF are symbols */
        }
    }
    if (upper != NULL) {
        *upper = up;
    }
    if (lower != NULL) {
        *lower = lo;
    }
    return n + up + lo;
}

/* The end of s[b..e) without trailing white space and sep bytes. */
static size_t
ex_trim_end(const char *s, size_t b, size_t e, const char *sep)
{
    while (e > b && (ex_is_space(s[e - 1])
                     || (sep != NULL && strchr(sep, s[e - 1]) != NULL)))
    {
        e--;
    }
    return e;
}

void
ex_copy_trim(const char *s, size_t n, const char *sep, char *out,
    size_t outlen)
{
    size_t  b, e;

    b = 0;
    while (b < n && ex_is_space(s[b])) {
        b++;
    }
    e = ex_trim_end(s, b, n, sep);
    if (outlen == 0) {
        return;
    }
    /* trimmed again after the cut, which may end on a space */
    n = ex_utf8_cut(s + b, e - b, outlen - 1);
    n = ex_trim_end(s, b, b + n, sep) - b;
    memmove(out, s + b, n);             /* out may be s */
    out[n] = '\0';
}

void
ex_cut_words(char *s, size_t max)
{
    size_t  len, cut;

    len = strlen(s);
    if (len <= max) {
        return;
    }
    cut = max;
    while (cut > max / 2 && s[cut] != ' ') {
        cut--;
    }
    if (s[cut] != ' ') {
        cut = ex_utf8_cut(s, len, max);
    }
    while (cut > 0 && strchr(" ,;:-/(", s[cut - 1]) != NULL) {
        cut--;
    }
    s[cut] = '\0';
}

/* Bytes of a UTF-8 symbol at s (Latin-1 punctuation, U+2000-2BFF). */
static size_t
ex_symbol_len(const char *s)
{
    unsigned char  c;

    c = (unsigned char) s[0];
    if (c == 0xc2 && s[1] != '\0') {
        return 2;
    }
    if (c == 0xe2 && s[1] != '\0' && s[2] != '\0') {
        return 3;
    }
    return 0;
}

void
ex_norm(const char *s, char *out, size_t outlen, size_t *map)
{
    size_t  i, j, k;
    int     c, gap;

    j = 0;
    gap = 0;
    for (i = 0; s[i] != '\0' && j + 2 < outlen; i++) {
        c = (unsigned char) s[i];
        k = ex_symbol_len(s + i);
        if (k > 0 || !ex_is_alnum(c)) {
            gap = j > 0;
            i += k > 0 ? k - 1 : 0;
            continue;
        }
        if (gap) {
            if (map != NULL) {
                map[j] = i;
            }
            out[j++] = ' ';
            gap = 0;
        }
        if (map != NULL) {
            map[j] = i;
        }
        out[j++] = (char) ex_lower(c);
    }
    if (outlen > 0) {
        out[j] = '\0';
    }
}

int
ex_list_has(const char *list, const char *w, size_t n)
{
    const char  *p, *bar;

    for (p = list; *p != '\0'; p = *bar == '|' ? bar + 1 : bar) {
        bar = strchr(p, '|');
        if (bar == NULL) {
            bar = p + strlen(p);
        }
        if ((size_t) (bar - p) == n && memcmp(p, w, n) == 0) {
            return 1;
        }
    }
    return 0;
}

int
ex_list_count(const char *norm, const char *list)
{
    size_t  n;
    int     hits;

    hits = 0;
    for (; *norm != '\0'; norm += n + (norm[n] == ' ')) {
        norm += strspn(norm, " ");
        n = strcspn(norm, " ");
        hits += n > 0 && ex_list_has(list, norm, n);
    }
    return hits;
}

int
ex_has_digit(const char *s, size_t b, size_t e)
{
    for (; b < e; b++) {
        if (s[b] >= '0' && s[b] <= '9') {
            return 1;
        }
    }
    return 0;
}

int
ex_has_letter(const char *s, size_t b, size_t e)
{
    for (; b < e; b++) {
        if ((s[b] >= 'a' && s[b] <= 'z') || (s[b] >= 'A' && s[b] <= 'Z')) {
            return 1;
        }
    }
    return 0;
}

/* --- phrases ---------------------------------------------------------- */

int
ex_phrases(const char *norm, const char *list)
{
    char         pat[96];
    const char  *p, *bar;
    size_t       n;
    int          hits;

    hits = 0;
    for (p = list; *p != '\0'; p = *bar == '|' ? bar + 1 : bar) {
        bar = strchr(p, '|');
        if (bar == NULL) {
            bar = p + strlen(p);
        }
        n = (size_t) (bar - p);
        if (n + 3 > sizeof(pat)) {
            continue;
        }
        pat[0] = ' ';
        memcpy(pat + 1, p, n);
        pat[n + 1] = ' ';
        pat[n + 2] = '\0';
        hits += strstr(norm, pat) != NULL;
    }
    return hits;
}

void
ex_line_norm(const char *line, char *out, size_t outlen)
{
    size_t  n;

    out[0] = ' ';
    ex_norm(line, out + 1, outlen - 2, NULL);
    n = strlen(out);
    out[n] = ' ';
    out[n + 1] = '\0';
}

/* ASCII letters at the start of the word p[0..len). */
static size_t
ex_word_letters(const char *p, size_t len)
{
    size_t  n;

    for (n = 0; n < len && ((p[n] >= 'a' && p[n] <= 'z')
                            || (p[n] >= 'A' && p[n] <= 'Z')); n++)
    {
    }
    return n;
}

/*
 * Running text: it starts with a small letter, or it is not in title
 * case (a word of 4+ letters starts small) and has 2+ little words.
 */
int
ex_prose(const char *line)
{
    static const char  small[] =
        "the|of|and|to|a|an|is|are|was|were|in|it|on|for|with|that|this|"
        "he|she|her|his|they|we|you|i|be|as|at|by|or|if|see|not";
    char               n[EX_LINE_MAX + 3];
    const char        *p;
    size_t             len;
    int                title;

    p = line + strcspn(line, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    if (*p >= 'a' && *p <= 'z') {
        return 1;
    }
    title = 1;
    for (p = line; *p != '\0'; p += len + (p[len] == ' ')) {
        len = strcspn(p, " ");
        if (ex_word_letters(p, len) >= 4 && p[0] >= 'a' && p[0] <= 'z') {
            title = 0;
        }
    }
    ex_norm(line, n, sizeof(n), NULL);
    return !title && ex_list_count(n, small) >= 2;
}

/* --- lines ------------------------------------------------------------ */

/* "----page 3----", with any number of dashes (2+) and spaces. */
static int
ex_is_page_marker(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n && s[i] == '-'; i++) {
    }
    if (i < 2) {
        return 0;
    }
    while (i < n && s[i] == ' ') {
        i++;
    }
    if (n - i < 4 || strncasecmp(s + i, "page", 4) != 0) {
        return 0;
    }
    for (i += 4; i < n && (s[i] == ' ' || ex_is_digit(s[i])); i++) {
    }
    if (n - i < 2) {
        return 0;
    }
    for (; i < n && s[i] == '-'; i++) {
    }
    return i == n;
}

/*
 * One raw line into line (EX_LINE_MAX + 1): white space collapsed, the
 * full-width colon of Chinese text made ASCII.
 */
static size_t
ex_line_clean(const char *s, size_t n, char *line)
{
    size_t  i, j, k;
    int     sp;
    char    c;

    j = 0;
    sp = 0;
    for (i = 0; i < n && j < EX_LINE_MAX; i += k) {
        k = 1;
        c = s[i];
        if (n - i >= 3 && memcmp(s + i, "\xe3\x80\x80", 3) == 0) {
            k = 3;
            c = ' ';                    /* ideographic space */
        } else if (n - i >= 3 && memcmp(s + i, "\xef\xbc\x9a", 3) == 0) {
            k = 3;
            c = ':';                    /* full-width colon */
        }
        if (ex_is_space(c)) {
            sp = j > 0;
            continue;
        }
        if (sp && j + 1 < EX_LINE_MAX) {
            line[j++] = ' ';
        }
        sp = 0;
        line[j++] = c;
    }
    j = ex_utf8_cut(line, j, EX_LINE_MAX);
    while (j > 0 && line[j - 1] == ' ') {
        j--;
    }
    line[j] = '\0';
    return j;
}

static rc_t
ex_lines_push(struct ex_lines *l, const char *line, size_t len)
{
    char  **v;

    if ((l->n & 63) == 0) {
        v = realloc(l->v, (l->n + 64) * sizeof(*v));
        if (v == NULL) {
            return RC_NOMEM;
        }
        l->v = v;
    }
    l->v[l->n] = strndup(line, len);
    if (l->v[l->n] == NULL) {
        return RC_NOMEM;
    }
    l->n++;
    return RC_OK;
}

rc_t
ex_lines_split(const char *text, struct ex_lines *out)
{
    char         line[EX_LINE_MAX + 1];
    const char  *p, *nl;
    size_t       len;
    rc_t         rc;

    memset(out, 0, sizeof(*out));
    rc = RC_OK;
    for (p = text; *p != '\0' && out->n < EX_LINES_MAX; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl == NULL) {
            nl = p + strlen(p) - 1;
        }
        len = ex_line_clean(p, (size_t) (nl - p) + 1, line);
        if (len == 0) {
            continue;
        }
        if (ex_is_page_marker(line, len)) {
            out->pages++;
            continue;
        }
        rc = ex_lines_push(out, line, len);
        if (rc != RC_OK) {
            ex_lines_free(out);
            return rc;
        }
    }
    if (out->pages == 0 && out->n > 0) {
        out->pages = 1;
    }
    return RC_OK;
}

void
ex_lines_free(struct ex_lines *l)
{
    size_t  i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* --- dates ------------------------------------------------------------ */

static const char *const ex_month_abbr[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static const char *const ex_month_full[12] = {
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december"
};

/* Digits at s, at most max of them: their value, count in *n. */
static int
ex_digits(const char *s, size_t max, size_t *n)
{
    size_t  i;
    int     v;

    v = 0;
    for (i = 0; i < max && ex_is_digit(s[i]); i++) {
        v = v * 10 + (s[i] - '0');
    }
    *n = i;
    return v;
}

/* A month name or its abbreviation at s ("Nov", "Nov.", "Sept"). */
static int
ex_month_word(const char *s, size_t *len)
{
    size_t  n, full;
    int     m;

    for (n = 0; (s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z');
         n++)
    {
    }
    if (n < 3) {
        return 0;
    }
    for (m = 0; m < 12; m++) {
        full = strlen(ex_month_full[m]);
        if ((n == full || n == 3 || (m == 8 && n == 4))
            && n <= full && strncasecmp(s, ex_month_full[m], n) == 0)
        {
            *len = n + (s[n] == '.');
            return m + 1;
        }
    }
    return 0;
}

int
ex_date_valid(struct ex_date *d)
{
    static const int  mdays[12] = { 31, 29, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31 };
    int               leap;

    if (d->y < 100) {
        d->y += d->y <= 68 ? 2000 : 1900;
    }
    if (d->y < 1900 || d->y > 2100 || d->m < 1 || d->m > 12 || d->d < 1
        || d->d > mdays[d->m - 1])
    {
        return 0;
    }
    leap = (d->y % 4 == 0 && d->y % 100 != 0) || d->y % 400 == 0;
    return d->m != 2 || d->d <= 28 + leap;
}

/* The end of a date at e is clean: no digit or ".5"-like tail. */
static int
ex_date_tail_ok(const char *e)
{
    if (ex_is_digit(e[0])) {
        return 0;
    }
    return !(e[0] != '\0' && strchr("./-", e[0]) != NULL
             && ex_is_digit(e[1]));
}

/* A separator of a numeric date, then an optional space. */
static size_t
ex_date_sep(const char *s, char want)
{
    if (s[0] == '\0' || strchr("-/.", s[0]) == NULL
        || (want != '\0' && s[0] != want))
    {
        return 0;
    }
    return s[1] == ' ' ? 2 : 1;
}

/*
 * 2018-11-18, 18-11-2018, 18/11/18; 11/18/18 when only month-first
 * fits, or when mdy says the document is American.
 */
static size_t
ex_date_numeric(const char *s, int mdy, struct ex_date *d)
{
    size_t  n1, n2, n3, k1, k2;
    int     a, b, c;

    a = ex_digits(s, 4, &n1);
    if (n1 == 0 || n1 == 3) {
        return 0;
    }
    k1 = ex_date_sep(s + n1, '\0');
    if (k1 == 0) {
        return 0;
    }
    b = ex_digits(s + n1 + k1, 2, &n2);
    k2 = n2 > 0 ? ex_date_sep(s + n1 + k1 + n2, s[n1]) : 0;
    if (k2 == 0) {
        return 0;
    }
    c = ex_digits(s + n1 + k1 + n2 + k2, 4, &n3);
    if (n1 == 4 ? (n3 == 0 || n3 > 2) : (n3 != 2 && n3 != 4)) {
        return 0;
    }
    if (n1 == 4) {
        *d = (struct ex_date) { a, b, c };
    } else if ((a <= 12 && b > 12) || (mdy && a <= 12 && b <= 31)) {
        *d = (struct ex_date) { c, a, b };       /* month first */
    } else {
        *d = (struct ex_date) { c, b, a };       /* day first */
    }
    return n1 + k1 + n2 + k2 + n3;
}

/* Skip "st", "nd", "rd", "th" after a day number. */
static size_t
ex_ordinal(const char *s)
{
    static const char *const  sfx[] = { "st", "nd", "rd", "th" };
    size_t                    i;

    for (i = 0; i < 4; i++) {
        if (strncasecmp(s, sfx[i], 2) == 0 && !ex_is_alnum(s[2])) {
            return 2;
        }
    }
    return 0;
}

/* 18 Nov 2018, 18-NOV-18, 18th November, 2018. */
static size_t
ex_date_day_month(const char *s, struct ex_date *d)
{
    size_t  i, n, k;
    int     day, mon, year;

    day = ex_digits(s, 2, &n);
    if (n == 0) {
        return 0;
    }
    i = n + ex_ordinal(s + n);
    if (s[i] != ' ' && s[i] != '-' && s[i] != '.' && s[i] != '/') {
        return 0;
    }
    i++;
    mon = ex_month_word(s + i, &k);
    if (mon == 0) {
        return 0;
    }
    i += k;
    i += s[i] == ',';
    if (s[i] != ' ' && s[i] != '-' && s[i] != '.' && s[i] != '/') {
        return 0;
    }
    i++;
    year = ex_digits(s + i, 4, &n);
    if (n != 2 && n != 4) {
        return 0;
    }
    *d = (struct ex_date) { year, mon, day };
    return i + n;
}

/* Nov 18 2018, November 18, 2018, Nov. 18th, 2018, Nov-18-2018. */
static size_t
ex_date_month_day(const char *s, struct ex_date *d)
{
    size_t  i, n, k;
    int     day, mon, year;

    mon = ex_month_word(s, &k);
    if (mon == 0) {
        return 0;
    }
    i = k;
    if (s[i] != ' ' && s[i] != '-') {
        return 0;
    }
    i++;
    day = ex_digits(s + i, 2, &n);
    if (n == 0) {
        return 0;
    }
    i += n;
    i += ex_ordinal(s + i);
    i += s[i] == ',';
    if (s[i] != ' ' && s[i] != '-') {
        return 0;
    }
    i++;
    year = ex_digits(s + i, 4, &n);
    if (n != 4) {
        return 0;
    }
    *d = (struct ex_date) { year, mon, day };
    return i + n;
}

int
ex_date_find(const char *s, int mdy, struct ex_date *d, size_t *beg,
    size_t *end)
{
    size_t          i, n;
    struct ex_date  t;

    for (i = 0; s[i] != '\0'; i++) {
        if (i > 0 && ex_is_alnum(s[i - 1])) {
            continue;
        }
        n = ex_is_digit(s[i]) ? ex_date_numeric(s + i, mdy, &t) : 0;
        if (n == 0 && ex_is_digit(s[i])) {
            n = ex_date_day_month(s + i, &t);
        }
        if (n == 0 && !ex_is_digit(s[i])) {
            n = ex_date_month_day(s + i, &t);
        }
        if (n > 0 && ex_date_tail_ok(s + i + n) && ex_date_valid(&t)) {
            *d = t;
            if (beg != NULL) {
                *beg = i;
            }
            if (end != NULL) {
                *end = i + n;
            }
            return 1;
        }
    }
    return 0;
}

void
ex_date_format(const struct ex_date *d, char *out, size_t outlen)
{
    if (d->m < 1 || d->m > 12) {
        if (outlen > 0) {
            out[0] = '\0';
        }
        return;
    }
    snprintf(out, outlen, "%s %02d, %04d", ex_month_abbr[d->m - 1], d->d,
             d->y);
}

/* --- amounts ---------------------------------------------------------- */

/* Currency marks; codes need a word boundary, signs do not. */
static const char *const ex_currencies[] = {
    "US$", "S$", "HK$", "A$", "C$", "NZ$", "RM", "MYR", "USD", "EUR",
    "GBP", "SGD", "AUD", "CAD", "CHF", "JPY", "CNY", "RMB", "HKD", "INR",
    "IDR", "THB", "PHP", "NZD", "Rp", "Rs.", "Rs", "$", "\xe2\x82\xac",
    "\xc2\xa3", "\xc2\xa5", "\xe2\x82\xb9", "\xe2\x82\xb1", NULL
};

/* The length of a currency mark at s, or 0. */
static size_t
ex_currency_at(const char *s)
{
    size_t  i, n;

    for (i = 0; ex_currencies[i] != NULL; i++) {
        n = strlen(ex_currencies[i]);
        if (strncmp(s, ex_currencies[i], n) != 0) {
            continue;
        }
        if ((s[0] >= 'A' && s[0] <= 'Z') && ex_is_alnum(s[n])
            && !ex_is_digit(s[n]))
        {
            continue;           /* "RMB" is not "RM" + "B" */
        }
        return n;
    }
    return 0;
}

/*
 * A number with two decimals at s: 12.50, 1,234.56, 1.234,56, 1'234.50.
 * With whole != 0 a number without decimals is also taken. Its length,
 * cents in *cents; 0 when there is none.
 */
static size_t
ex_number_at(const char *s, int whole, long long *cents)
{
    size_t     i, grp;
    long long  v;
    int        ndig;

    v = 0;
    ndig = 0;
    grp = 0;
    for (i = 0; ex_is_digit(s[i]) && ndig < 15; i++, ndig++, grp++) {
        v = v * 10 + (s[i] - '0');
    }
    while (ndig > 0 && strchr(",.'", s[i]) != NULL && s[i] != '\0') {
        if (ex_is_digit(s[i + 1]) && ex_is_digit(s[i + 2])
            && !ex_is_digit(s[i + 3]) && s[i] != '\'')
        {
            v = v * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
            *cents = v;
            return i + 3;
        }
        if (!(ex_is_digit(s[i + 1]) && ex_is_digit(s[i + 2])
              && ex_is_digit(s[i + 3]) && grp <= 3))
        {
            break;
        }
        i++;
        for (grp = 0; ex_is_digit(s[i]) && ndig < 15; i++, ndig++, grp++) {
            v = v * 10 + (s[i] - '0');
        }
        if (grp != 3) {
            return 0;
        }
    }
    if (!whole || ndig == 0 || ex_is_digit(s[i])) {
        return 0;
    }
    *cents = v * 100;
    return i;
}

/* Try an amount starting exactly at s + i. */
static int
ex_amount_at(const char *s, size_t i, struct ex_amount *a)
{
    size_t     j, k, cur, n;
    int        neg;
    long long  cents;

    j = i;
    cur = ex_currency_at(s + j);
    j += cur;
    j += cur > 0 && s[j] == ' ';
    neg = s[j] == '-';
    j += neg;
    n = ex_number_at(s + j, cur > 0, &cents);
    if (n == 0) {
        return 0;
    }
    j += n;
    if (s[j] == '%' || ex_is_digit(s[j])) {
        return 0;
    }
    if (cur == 0) {
        /* "12,50 EUR", but not the "MYR" of "8.00 MYR 8.00" */
        k = j + (s[j] == ' ');
        n = ex_currency_at(s + k);
        if (n > 0 && !ex_is_alnum(s[k + n])
            && !ex_is_digit(s[k + n + (s[k + n] == ' ')]))
        {
            j = k + n;
            cur = n;
        }
    }
    a->beg = i;
    a->end = j;
    a->cents = neg ? -cents : cents;
    a->currency = cur > 0;
    return 1;
}

int
ex_amount_find(const char *s, size_t from, struct ex_amount *a)
{
    size_t  i, len;
    int     prev;

    len = strlen(s);
    for (i = from; i < len; i++) {
        prev = i > 0 ? (unsigned char) s[i - 1] : ' ';
        if (ex_is_alnum(prev)) {
            continue;           /* inside a word or a longer number */
        }
        if ((prev == '.' || prev == ',') && i > 1
            && ex_is_digit(s[i - 2]))
        {
            continue;
        }
        if (ex_amount_at(s, i, a)) {
            return 1;
        }
    }
    return 0;
}
