/*
 * extract_receipt.c - the parts of shop documents (receipts, invoices,
 * letters with a letterhead): who issued it, their address and the
 * total to pay.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"

#define EX_ADDR_LINES   5

/* --- company and address ---------------------------------------------- */

static const char  ex_company_marks[] =
    "sdn|bhd|berhad|ltd|limited|llc|inc|corp|corporation|co|gmbh|plc|llp|"
    "pte|pty|enterprise|enterprises|trading|company|holdings|sarl|srl|sb|"
    "store|stores|mart|supermarket|restaurant|cafe|bakery|pharmacy|"
    "hardware|bank|hotel|hospital|clinic|airlines|airways";

static const char  ex_addr_marks[] =
    "jalan|jln|lorong|lrg|taman|tmn|lot|street|st|road|rd|avenue|ave|"
    "boulevard|blvd|lane|drive|highway|hwy|floor|flr|suite|unit|block|"
    "blk|building|bldg|plaza|square|kampung|persiaran|lebuh|lebuhraya|"
    "bandar|seksyen|strasse|rue|po box|crescent|terrace";

/* "(123456-X)" or a trailing registration number: cut the name there. */
static void
ex_company_clean(char *s)
{
    static const char *const  cuts[] = { " FKA ", " AKA ", " T/A ", " DBA " };
    char                     *p;
    size_t                    i, n;

    for (p = strchr(s, '('); p != NULL; p = strchr(p + 1, '(')) {
        if (strcspn(p, "0123456789") < strcspn(p, ")")) {
            *p = '\0';                 /* a digit before the ')' */
            break;
        }
    }
    for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        p = strcasestr(s, cuts[i]);
        if (p != NULL) {
            *p = '\0';
        }
    }
    n = strlen(s);
    while (n > 0) {
        p = memrchr(s, ' ', n);
        if (p == NULL || strpbrk(p, "0123456789") == NULL) {
            break;
        }
        n = (size_t) (p - s);
        s[n] = '\0';
    }
    ex_copy_trim(s, strlen(s), " ,.-:;", s, strlen(s) + 1);
}

/*
 * The last two words of a line from ex_line_norm, with the spaces
 * around them: where legal forms sit (" sdn bhd ").
 */
static const char *
ex_last_words(const char *norm)
{
    size_t  n;
    int     k;

    n = strlen(norm);
    while (n > 0 && norm[n - 1] == ' ') {
        n--;
    }
    for (k = 0; n > 0; n--) {
        if (norm[n - 1] == ' ') {
            k++;
            if (k == 2) {
                break;
            }
        }
    }
    return norm + (n > 0 ? n - 1 : 0);
}

/*
 * A line near the top that names a company: one of the last two words
 * (after the registration number is cut) is a legal form or a kind of
 * business ("... SDN BHD", "... TRADING", "... Ltd"). Lines with an
 * amount or starting with a date are items, not names.
 */
static int
ex_company_line(const char *line)
{
    struct ex_amount  a;
    struct ex_date    d;
    char              name[EX_LINE_MAX + 1], n[EX_LINE_MAX + 3];
    size_t            b;

    if (strchr(line, ':') != NULL || ex_count_letters(line, NULL, NULL) < 3
        || ex_amount_find(line, 0, &a)
        || (ex_date_find(line, 0, &d, &b, NULL) && b == 0))
    {
        return 0;
    }
    ex_line_norm(line, n, sizeof(n));
    if (ex_phrases(n, "company no|co no|reg no|registration|gst|tel") > 0) {
        return 0;
    }
    snprintf(name, sizeof(name), "%s", line);
    ex_company_clean(name);
    ex_line_norm(name, n, sizeof(n));
    return ex_phrases(ex_last_words(n), ex_company_marks) > 0;
}

static int ex_addr_line(const char *line);

/* Without a suffix: the first line of capitals that is not a label. */
static int
ex_name_line(const char *line)
{
    char  n[EX_LINE_MAX + 3];
    int   up, lo, letters;

    letters = ex_count_letters(line, &up, &lo);
    if (strchr(line, ':') != NULL || letters < 4 || up < 3 * lo
        || strspn(line, "0123456789") > 0)
    {
        return 0;
    }
    ex_line_norm(line, n, sizeof(n));
    return ex_phrases(n, "receipt|invoice|tax invoice|cash bill|welcome|"
                         "thank you|tel|phone|bill|copy|original") == 0
           && !ex_addr_line(line);
}

#define EX_NONE ((size_t) -1)

/* The first unused line of lines[b..e) (backwards when b > e) that ok. */
static size_t
ex_doc_find(const struct ex_doc *doc, size_t b, size_t e,
    int (*ok)(const char *line))
{
    size_t  i;

    for (i = b; i != e; i = b < e ? i + 1 : i - 1) {
        if (doc->used[b < e ? i : i - 1] == 0
            && ok(doc->lines.v[b < e ? i : i - 1]))
        {
            return b < e ? i : i - 1;
        }
    }
    return EX_NONE;
}

void
ex_doc_company(struct ex_doc *doc)
{
    size_t  top, bottom, pick;

    top = doc->lines.n < EX_TOP_LINES ? doc->lines.n : EX_TOP_LINES;
    bottom = doc->lines.n > top + 5 ? doc->lines.n - 5 : top;
    pick = ex_doc_find(doc, 0, top, ex_company_line);
    if (pick == EX_NONE) {
        pick = ex_doc_find(doc, doc->lines.n, bottom, ex_company_line);
    }
    if (pick == EX_NONE) {
        pick = ex_doc_find(doc, 0, top < 4 ? top : 4, ex_name_line);
    }
    if (pick == EX_NONE) {
        return;
    }
    snprintf(doc->company, sizeof(doc->company), "%s", doc->lines.v[pick]);
    ex_company_clean(doc->company);
    doc->used[pick] |= EX_USED_COMPANY;
}

/* A standalone number of 5 or 6 digits: a postcode. */
static int
ex_has_postcode(const char *s)
{
    size_t  i, n;

    for (i = 0; s[i] != '\0'; i += n > 0 ? n : 1) {
        n = strspn(s + i, "0123456789");
        if ((n == 5 || n == 6) && (i == 0 || strchr(" ,", s[i - 1]) != NULL)
            && (s[i + n] == '\0' || strchr(" ,.", s[i + n]) != NULL))
        {
            return 1;
        }
    }
    return 0;
}

/* A street word, "NO 12" first, or a postcode next to a place name. */
static int
ex_addr_line(const char *line)
{
    char         n[EX_LINE_MAX + 3];
    const char  *p;

    ex_line_norm(line, n, sizeof(n));
    if (ex_prose(line)
        || ex_phrases(n, "tel|phone|fax|gst|email|www|reg|invoice|receipt")
           > 0)
    {
        return 0;
    }
    if (ex_phrases(n, ex_addr_marks) > 0) {
        return 1;
    }
    p = n + 1;
    if (strncmp(p, "no ", 3) == 0 && p[3] >= '0' && p[3] <= '9') {
        return 1;                       /* "NO 12, JALAN ...", "No. 5" */
    }
    return ex_has_postcode(line) && ex_count_letters(line, NULL, NULL) >= 3;
}

rc_t
ex_doc_address(struct ex_doc *doc)
{
    char    addr[EX_VALUE_MAX + 1];
    size_t  i, top, len, taken;

    top = doc->lines.n < EX_TOP_LINES ? doc->lines.n : EX_TOP_LINES;
    addr[0] = '\0';
    taken = 0;
    for (i = 0; i < top && taken < EX_ADDR_LINES; i++) {
        if (doc->used[i] != 0 || strchr(doc->lines.v[i], ':') != NULL) {
            if (taken > 0) {
                break;
            }
            continue;
        }
        len = strlen(addr);
        if (!ex_addr_line(doc->lines.v[i])
            && !(taken > 0 && len > 0 && addr[len - 1] == ','))
        {
            if (taken > 0) {
                break;
            }
            continue;
        }
        snprintf(addr + len, sizeof(addr) - len, "%s%s",
                 taken == 0 ? "" : addr[len - 1] == ',' ? " " : ", ",
                 doc->lines.v[i]);
        doc->used[i] |= EX_USED_ADDR;
        taken++;
    }
    return taken > 0 ? ex_doc_kv_add(doc, "Address", addr) : RC_OK;
}

/* --- total ------------------------------------------------------------ */

struct ex_total {
    int         prio;           /* 0: none */
    long long   cents;
    size_t      line;
    size_t      beg;
    size_t      end;
};

/*
 * How much a line looks like the total: 3 for grand/net/rounded/incl
 * totals and amounts due, 2 for a plain total, 0 for subtotals, tax
 * totals, quantities, rounding, discounts and payment lines.
 */
static int
ex_total_prio(const char *line)
{
    char  n[EX_LINE_MAX + 3];

    ex_line_norm(line, n, sizeof(n));
    if (ex_phrases(n, "amount due|balance due|amount payable|total due|"
                      "grand total|grandtotal|nett total|net total|"
                      "\xe5\x90\x88\xe8\xae\xa1|\xe6\x80\xbb\xe8\xae\xa1|"
                      "\xe4\xbb\xb7\xe7\xa8\x8e\xe5\x90\x88\xe8\xae\xa1")
        > 0)
    {
        return 3;                       /* heji, zongji, jiashui heji */
    }
    if (ex_phrases(n, "total") == 0
        || ex_phrases(n, "subtotal|sub total|qty|quantity|items|item|"
                         "rounding|adj|adjustment|discount|savings|saved|"
                         "points|weight|excl|excluding|exclusive|before|"
                         "tendered|cash|change|total gst|total tax|"
                         "total vat|total sst") > 0)
    {
        return 0;
    }
    if (ex_phrases(n, "incl|including|inclusive|rounded|round|payable|"
                      "due|nett") > 0)
    {
        return 3;
    }
    return 2;
}

/* The last non-zero amount of s (else the last one); 0 when none. */
static int
ex_last_amount(const char *s, struct ex_amount *out)
{
    struct ex_amount  a;
    size_t            from;
    int               found;

    found = 0;
    for (from = 0; ex_amount_find(s, from, &a); from = a.end) {
        if (!found || a.cents != 0 || out->cents == 0) {
            *out = a;
        }
        found = 1;
    }
    return found;
}

/* The line is one amount and nothing else. */
static int
ex_amount_only(const char *s, struct ex_amount *a)
{
    return ex_amount_find(s, 0, a) && a->beg == 0 && s[a->end] == '\0';
}

static int
ex_total_better(const struct ex_total *a, const struct ex_total *b)
{
    if (a->prio != b->prio) {
        return a->prio > b->prio;
    }
    if ((a->cents != 0) != (b->cents != 0)) {
        return a->cents != 0;
    }
    return a->cents > b->cents;
}

rc_t
ex_doc_total(struct ex_doc *doc)
{
    struct ex_total   best, t;
    struct ex_amount  a;
    char              v[64];
    size_t            i;

    memset(&best, 0, sizeof(best));
    for (i = 0; i < doc->lines.n; i++) {
        t.prio = doc->used[i] != 0 ? 0 : ex_total_prio(doc->lines.v[i]);
        if (t.prio == 0) {
            continue;
        }
        t.line = i;
        if (!ex_last_amount(doc->lines.v[i], &a)) {
            if (i + 1 >= doc->lines.n
                || !ex_amount_only(doc->lines.v[i + 1], &a))
            {
                continue;
            }
            t.line = i + 1;             /* "TOTAL" then the amount below */
        }
        t.cents = a.cents;
        t.beg = a.beg;
        t.end = a.end;
        if (best.prio == 0 || ex_total_better(&t, &best)) {
            best = t;
        }
    }
    if (best.prio == 0) {
        return RC_OK;
    }
    doc->used[best.line] |= EX_USED_TOTAL;
    ex_copy_trim(doc->lines.v[best.line] + best.beg, best.end - best.beg,
                 NULL, v, sizeof(v));
    return ex_doc_kv_add(doc, "Total", v);
}
