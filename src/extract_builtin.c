/*
 * extract_builtin.c - the builtin extractor: offline, deterministic
 * rules from OCR text to a doc or form result (a fill goes to
 * extract_fill.c).
 *
 * The steps, one function each and in this order, each free to use up
 * lines: lines (extract_rules.c), machine readable zone
 * (extract_mrz.c), the kind of document, company, address and total
 * (extract_receipt.c), labelled pairs and blank fields (extract_kv.c),
 * a date when no label gave one. Title, tags and description are then
 * made from what was found, and related entries looked up.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "extract.h"
#include "extract_int.h"

#define LOG_MODULE "extract"
#include "log.h"

#define EX_NORM_MAX     (64 * 1024)     /* text looked at for the kind */

/* --- document kinds --------------------------------------------------- */

/* Whom a kind of document is titled after. */
enum ex_by {
    EX_BY_EITHER = 0,           /* the company, else the heading */
    EX_BY_COMPANY,              /* the company only (a till's top lines */
                                /* are no heading: "QTY PRICE DISC") */
    EX_BY_HEADER,               /* the heading */
    EX_BY_PERSON                /* the holder (MRZ or "Name") */
};

/*
 * Phrases are normalised (ex_norm) and '|' separated; each distinct
 * strong phrase found scores 3, each weak one 1. A kind is recognised
 * with a strong phrase and 4 points, or 5 weak points.
 */
struct ex_kinddef {
    const char  *word;          /* for titles */
    const char  *tag;
    enum ex_by   by;
    const char  *strong;
    const char  *weak;
};

static const struct ex_kinddef ex_kinds[] = {
    { "Receipt", "receipt", EX_BY_COMPANY,
      "receipt|cash bill|official receipt|cashier|change due|tendered|"
      "\xe6\x94\xb6\xe6\x8d\xae|"                  /* shouju */
      "\xe5\xb0\x8f\xe7\xa5\xa8",                  /* xiaopiao */
      "cash|change|rounding|thank you|come again|qty|total|subtotal|"
      "sub total|gst|sst|visa|mastercard|item|items|member|points|"
      "\xe5\x90\x88\xe8\xae\xa1|\xe7\x8e\xb0\xe9\x87\x91|"
      "\xe6\x89\xbe\xe9\x9b\xb6" },     /* heji, xianjin, zhaoling */
    { "Invoice", "invoice", EX_BY_COMPANY,
      "invoice|bill to|invoice no|invoice number|invoice date|"
      "payment terms|due date|\xe5\x8f\x91\xe7\xa5\xa8",      /* fapiao */
      "amount due|balance due|ship to|sold to|purchase order|remit|"
      "terms|bank transfer|iban|quantity|unit price" },
    { "Passport", "passport", EX_BY_PERSON,
      "passport|passeport|pasaporte",
      "nationality|date of birth|place of birth|date of expiry|surname|"
      "given names" },
    { "ID card", "identity", EX_BY_PERSON,
      "identity card|id card|national identity|identity document|"
      "carte d identite|personalausweis|mykad",
      "date of birth|nationality|sex|date of expiry" },
    { "Driving licence", "licence", EX_BY_PERSON,
      "driving licence|driver license|driver s license|driving license|"
      "drivers license",
      "date of birth|expiry|class|restrictions" },
    { "Tax form", "tax", EX_BY_HEADER,
      "tax return|income tax|form w 2|wage and tax statement|form 1040|"
      "form 1099|tax year|taxable income|irs|hmrc|p60|self assessment",
      "tax|withholding|deductions|employer|ssn|social security" },
    { "Bank statement", "statement", EX_BY_EITHER,
      "bank statement|account statement|statement of account|"
      "opening balance|closing balance|statement period",
      "balance|deposit|withdrawal|account no|account number|iban|bank|"
      "transaction|credit|debit" },
    { "Payslip", "payslip", EX_BY_EITHER,
      "payslip|pay slip|salary slip|pay stub|earnings statement|net pay|"
      "gross pay",
      "salary|employee|deductions|earnings|allowance|pay period" },
    { "Letter", "letter", EX_BY_EITHER,
      "dear|yours sincerely|yours faithfully|sincerely|kind regards|"
      "best regards|to whom it may concern",
      "regards|enclosed|letter|thank you for" },
    { "Certificate", "certificate", EX_BY_HEADER,
      "certificate|hereby certify|certify that|certified",
      "awarded|completion|issued" },
    { "Contract", "contract", EX_BY_HEADER,
      "agreement|contract|hereinafter|in witness whereof",
      "party|parties|terms and conditions|signed|witness|clause" },
    { "Ticket", "ticket", EX_BY_EITHER,
      "boarding pass|e ticket|ticket no|ticket number|flight no",
      "flight|gate|seat|departure|arrival|passenger|boarding" },
    { "Prescription", "medical", EX_BY_EITHER,
      "prescription|dispense",
      "patient|dosage|tablet|tablets|mg|pharmacy|doctor" },
    { "Form", "form", EX_BY_HEADER,
      "application form|registration form|request form|please complete|"
      "office use only|for official use|please print|"
      "signature of applicant",
      "form|application|applicant|signature|sheet|date of birth|tick|"
      "check one|circle one" },
};

#define EX_NKINDS (sizeof(ex_kinds) / sizeof(ex_kinds[0]))

/* Topic tags: two distinct phrases make a topic. */
static const struct {
    const char  *tag;
    const char  *phrases;
} ex_topics[] = {
    { "tax", "tax return|income tax|tax year|taxable income|irs|hmrc|"
             "withholding|tax form|tax relief|tax deductible" },
    { "medical", "patient|diagnosis|prescription|hospital|clinic|medical|"
                 "physician|pharmacy|medicine|dosage|health" },
    { "bank", "bank|account no|account number|iban|swift|statement|"
              "deposit|withdrawal|atm|overdraft|loan" },
    { "insurance", "insurance|policy no|policy number|premium|insured|"
                   "claim|coverage" },
    { "travel", "flight|boarding|airline|hotel|airport|reservation|"
                "booking|passport" },
    { "utility", "electricity|kwh|water bill|utility|meter reading|"
                 "gas bill|broadband" },
    { "fuel", "petrol|diesel|fuel|litre|liter|gallon|pump|ron 95|ron 97" },
    { "food", "restaurant|cafe|coffee|food|meal|drink|beverage|bakery|"
              "dine in|take away|takeaway" },
    { "employment", "employee|employer|salary|payroll|wages|employment" },
    { "education", "school|university|student|course|tuition|"
                   "transcript|college" },
    { "legal", "court|agreement|contract|legal|lawyer|attorney|"
               "affidavit" },
};

#define EX_NTOPICS (sizeof(ex_topics) / sizeof(ex_topics[0]))

/* --- the text ------------------------------------------------------- */

/* The text (MRZ lines left out) normalised, with a space at each end. */
static rc_t
ex_doc_norm(struct ex_doc *doc)
{
    struct buf  b;
    size_t      i, n;
    rc_t        rc;

    buf_init(&b, EX_NORM_MAX);
    rc = RC_OK;
    for (i = 0; i < doc->lines.n && rc == RC_OK; i++) {
        if (!(doc->used[i] & EX_USED_MRZ)) {
            rc = buf_printf(&b, " %s", doc->lines.v[i]);
        }
    }
    if (rc == RC_NOMEM && b.len > 0) {
        rc = RC_OK;                     /* the first 64 KiB will do */
    }
    doc->norm = rc == RC_OK ? malloc(b.len + 3) : NULL;
    if (doc->norm == NULL) {
        buf_free(&b);
        return RC_NOMEM;
    }
    doc->norm[0] = ' ';
    ex_norm(buf_cstr(&b), doc->norm + 1, b.len + 1, NULL);
    n = strlen(doc->norm);
    doc->norm[n] = ' ';
    doc->norm[n + 1] = '\0';
    buf_free(&b);
    return RC_OK;
}

static const struct ex_kinddef *
ex_kind_by_tag(const char *tag)
{
    size_t  i;

    for (i = 0; i < EX_NKINDS; i++) {
        if (strcmp(ex_kinds[i].tag, tag) == 0) {
            return &ex_kinds[i];
        }
    }
    return NULL;
}

/*
 * An American document: a state code and a ZIP code ("CA 94102") or US
 * dollars. Its numeric dates are then read month first.
 */
static int
ex_doc_us(const struct ex_doc *doc)
{
    static const char  states[] =
        "al|ak|az|ar|ca|co|ct|de|fl|ga|hi|id|il|in|ia|ks|ky|la|me|md|ma|mi|"
        "mn|ms|mo|mt|ne|nv|nh|nj|nm|ny|nc|nd|oh|ok|or|pa|ri|sc|sd|tn|tx|ut|"
        "vt|va|wa|wv|wi|wy|dc";
    const char        *p;

    if (ex_phrases(doc->norm, "usd") > 0) {
        return 1;
    }
    for (p = strchr(doc->norm, ' '); p != NULL; p = strchr(p + 1, ' ')) {
        if (p[1] != '\0' && p[2] != '\0' && p[3] == ' '
            && strspn(p + 4, "0123456789") == 5
            && (p[9] == ' ' || p[9] == '\0')
            && ex_list_has(states, p + 1, 2))
        {
            return 1;
        }
    }
    return 0;
}

static void
ex_doc_kind(struct ex_doc *doc)
{
    size_t  i;
    int     strong, weak, score, best;

    doc->dk = NULL;
    best = 0;
    for (i = 0; i < EX_NKINDS; i++) {
        strong = ex_phrases(doc->norm, ex_kinds[i].strong);
        weak = ex_phrases(doc->norm, ex_kinds[i].weak);
        score = 3 * strong + weak;
        if (((strong > 0 && score >= 4) || weak >= 5) && score > best) {
            best = score;
            doc->dk = &ex_kinds[i];
        }
    }
    if (doc->mrz_ok) {
        doc->dk = ex_kind_by_tag(doc->mrz.type[0] == 'P' ? "passport"
                                                          : "identity");
    }
}

/* --- kv and fields ---------------------------------------------------- */

/* A value worth keeping: it has a letter or a digit. */
static int
ex_has_text(const char *s)
{
    return ex_count_letters(s, NULL, NULL) > 0
           || strpbrk(s, "0123456789") != NULL;
}

rc_t
ex_doc_kv_add(struct ex_doc *doc, const char *key, const char *value)
{
    char  k[96], v[EX_LINE_MAX + 1];

    ex_copy_trim(key, strlen(key), ": ", k, sizeof(k));
    ex_copy_trim(value, strlen(value), NULL, v, sizeof(v));
    ex_cut_words(v, EX_VALUE_MAX);
    if (!ex_has_text(k) || !ex_has_text(v)
        || json_object_object_length(doc->kv) >= EX_KV_MAX
        || json_object_object_get_ex(doc->kv, k, NULL))
    {
        return RC_OK;
    }
    return ex_obj_set_str(doc->kv, k, v);
}

rc_t
ex_doc_field_add(struct ex_doc *doc, const char *label)
{
    char    f[96], a[96], b[96];
    size_t  i, n;

    if (doc->fields == NULL) {
        return RC_OK;
    }
    ex_copy_trim(label, strlen(label), ": ", f, sizeof(f));
    n = json_object_array_length(doc->fields);
    if (ex_count_letters(f, NULL, NULL) == 0 || n >= EX_FIELDS_MAX) {
        return RC_OK;
    }
    ex_norm(f, a, sizeof(a), NULL);
    for (i = 0; i < n; i++) {
        ex_norm(json_object_get_string(json_object_array_get_idx(
                    doc->fields, i)), b, sizeof(b), NULL);
        if (strcmp(a, b) == 0) {
            return RC_OK;
        }
    }
    return ex_arr_add_str(doc->fields, f);
}

/* --- date when no label gave one -------------------------------------- */

/* The first date of the text, and the time printed after it. */
static rc_t
ex_doc_date(struct ex_doc *doc)
{
    struct ex_date  d;
    char            v[32], tm[32];
    size_t          i, e;
    rc_t            rc;

    if (json_object_object_get_ex(doc->kv, "Date", NULL)) {
        return RC_OK;
    }
    for (i = 0; i < doc->lines.n; i++) {
        if ((doc->used[i] & EX_USED_MRZ)
            || !ex_date_find(doc->lines.v[i], doc->mdy, &d, NULL, &e))
        {
            continue;
        }
        ex_date_format(&d, v, sizeof(v));
        rc = ex_doc_kv_add(doc, "Date", v);
        if (rc == RC_OK && ex_time_at(doc->lines.v[i] + e, tm, sizeof(tm))) {
            rc = ex_doc_kv_add(doc, "Time", tm);
        }
        return rc;
    }
    return RC_OK;
}

/* --- header, title, tags, description --------------------------------- */

static const char  ex_title_words[] =
    "form|sheet|application|request|report|statement|certificate|"
    "invoice|receipt|agreement|contract|questionnaire|survey|declaration|"
    "registration|notice|letter|memo|memorandum|summary|schedule|order|"
    "plan|policy|passport|licence|license";

/*
 * A line that can be a heading: short, mostly letters, no label (with
 * a colon or typed: "TAX REG ID 0007"), no amount or date.
 */
static int
ex_header_ok(const char *line)
{
    struct ex_amount  a;
    struct ex_date    d;
    char              n[EX_LINE_MAX + 1];
    const char       *p;
    size_t            len, words, k;
    int               letters;

    len = strlen(line);
    letters = ex_count_letters(line, NULL, NULL);
    words = 1;
    for (p = strchr(line, ' '); p != NULL; p = strchr(p + 1, ' ')) {
        words++;
    }
    if (len > 80 || words > 10 || letters < 4 || strchr(line, ':') != NULL
        || (size_t) letters * 2 < len - (words - 1) || ex_prose(line))
    {
        return 0;
    }
    ex_norm(line, n, sizeof(n), NULL);
    return ex_label_prefix(n, &k) == NULL && !ex_amount_find(line, 0, &a)
           && !ex_date_find(line, 0, &d, NULL, NULL);
}

static int
ex_all_caps(const char *line)
{
    int  up, lo;

    ex_count_letters(line, &up, &lo);
    return lo == 0 && up > 0;
}

/* OCR crumbs at the ends of a heading: "| PLAN )" -> "PLAN". */
static void
ex_header_trim(char *h)
{
    size_t  n;

    n = strlen(h);
    while (n > 0 && (strchr(" |_~-*.,;:!", h[n - 1]) != NULL
                     || ((h[n - 1] == ')' || h[n - 1] == ']')
                         && strpbrk(h, "([") == NULL)))
    {
        n--;
    }
    h[n] = '\0';
    n = strspn(h, " |_~-*.,;:!)]");
    memmove(h, h + n, strlen(h + n) + 1);
}

/*
 * The heading: among the first lines, the first that holds a title
 * word (FORM, SHEET, INVOICE...), else the first heading-like line;
 * a line of capitals right above one of capitals is joined to it.
 */
static void
ex_doc_header(struct ex_doc *doc)
{
    char    n[EX_LINE_MAX + 3];
    size_t  i, top, pick, first;

    top = doc->lines.n < EX_TOP_LINES ? doc->lines.n : EX_TOP_LINES;
    pick = top;
    first = top;
    for (i = 0; i < top && pick == top; i++) {
        if ((doc->used[i] & (EX_USED_MRZ | EX_USED_ADDR))
            || !ex_header_ok(doc->lines.v[i]))
        {
            continue;
        }
        first = first == top ? i : first;
        ex_line_norm(doc->lines.v[i], n, sizeof(n));
        if (i < 8 && ex_phrases(n, ex_title_words) > 0) {
            pick = i;
        }
    }
    pick = pick == top ? first : pick;
    if (pick == top) {
        return;
    }
    doc->header[0] = '\0';
    if (pick > 0 && doc->used[pick - 1] == 0
        && ex_header_ok(doc->lines.v[pick - 1])
        && ex_all_caps(doc->lines.v[pick - 1])
        && ex_all_caps(doc->lines.v[pick])
        && strlen(doc->lines.v[pick - 1]) + strlen(doc->lines.v[pick])
           < EX_TITLE_MAX)
    {
        snprintf(doc->header, sizeof(doc->header), "%s ",
                 doc->lines.v[pick - 1]);
    }
    snprintf(doc->header + strlen(doc->header),
             sizeof(doc->header) - strlen(doc->header), "%s",
             doc->lines.v[pick]);
    ex_header_trim(doc->header);
}

/* The kv value of key, or "". */
static const char *
ex_doc_kv(const struct ex_doc *doc, const char *key)
{
    json_object  *v;

    if (!json_object_object_get_ex(doc->kv, key, &v)) {
        return "";
    }
    return json_object_get_string(v);
}

/* The word that says what it is: "Receipt", "Form", "Document"... */
static const char *
ex_doc_word(const struct ex_doc *doc)
{
    if (doc->kind == EXTRACT_FORM) {
        return doc->dk != NULL && strcmp(doc->dk->tag, "tax") == 0
               ? doc->dk->word : "Form";
    }
    return doc->dk != NULL ? doc->dk->word : NULL;
}

/* Who or what it is about: a person, a company or the heading. */
static const char *
ex_doc_name(const struct ex_doc *doc)
{
    enum ex_by  by;

    by = doc->dk != NULL ? doc->dk->by : EX_BY_EITHER;
    if (doc->kind == EXTRACT_FORM) {
        return doc->header;
    }
    if (by == EX_BY_PERSON && ex_doc_kv(doc, "Name")[0] != '\0') {
        return ex_doc_kv(doc, "Name");
    }
    if ((by == EX_BY_EITHER || by == EX_BY_COMPANY)
        && doc->company[0] != '\0')
    {
        return doc->company;
    }
    return by == EX_BY_COMPANY ? "" : doc->header;
}

static rc_t
ex_doc_title(const struct ex_doc *doc, json_object *res)
{
    char         title[EX_TITLE_MAX * 3];
    char         n[EX_LINE_MAX + 3];
    const char  *word, *name;

    word = ex_doc_word(doc);
    name = ex_doc_name(doc);
    ex_line_norm(name, n, sizeof(n));
    if (name[0] != '\0' && word != NULL && strcasestr(name, word) == NULL
        && !(doc->kind == EXTRACT_FORM && ex_phrases(n, ex_title_words)))
    {
        snprintf(title, sizeof(title), "%s - %s", word, name);
    } else {
        snprintf(title, sizeof(title), "%s",
                 name[0] != '\0' ? name : word != NULL ? word : "Document");
    }
    ex_cut_words(title, EX_TITLE_MAX);
    if (title[0] == '\0') {
        /* a name of punctuation is cut to nothing (found fuzzing) */
        snprintf(title, sizeof(title), "%s",
                 word != NULL ? word : "Document");
    }
    return ex_obj_set_str(res, "title", title);
}

/* Add tag to tags unless it is there or tags are full. */
static rc_t
ex_tag_add(json_object *tags, const char *tag)
{
    size_t  i, n;

    n = json_object_array_length(tags);
    for (i = 0; i < n; i++) {
        if (strcmp(json_object_get_string(json_object_array_get_idx(tags, i)),
                   tag) == 0)
        {
            return RC_OK;
        }
    }
    return n < EX_TAGS_MAX ? ex_arr_add_str(tags, tag) : RC_OK;
}

/* The kind's tag, then topics by how many of their phrases are there. */
static rc_t
ex_doc_tags(const struct ex_doc *doc, json_object *tags)
{
    int     hits[EX_NTOPICS];
    size_t  i, best;
    rc_t    rc;

    rc = doc->kind == EXTRACT_FORM ? ex_tag_add(tags, "form") : RC_OK;
    if (rc == RC_OK && doc->dk != NULL) {
        rc = ex_tag_add(tags, doc->dk->tag);
    }
    for (i = 0; i < EX_NTOPICS; i++) {
        hits[i] = ex_phrases(doc->norm, ex_topics[i].phrases);
    }
    while (rc == RC_OK) {
        best = EX_NTOPICS;
        for (i = 0; i < EX_NTOPICS; i++) {
            if (hits[i] >= 2 && (best == EX_NTOPICS || hits[i] > hits[best]))
            {
                best = i;               /* most hits, first on a tie */
            }
        }
        if (best == EX_NTOPICS) {
            break;
        }
        rc = ex_tag_add(tags, ex_topics[best].tag);
        hits[best] = 0;
    }
    if (rc == RC_OK && json_object_array_length(tags) == 0) {
        rc = ex_tag_add(tags, "document");
    }
    return rc;
}

/* ": Name, Date of birth and 3 more" for the first blank fields. */
static rc_t
ex_describe_fields(const struct ex_doc *doc, struct buf *b)
{
    size_t  i, n, show;
    rc_t    rc;

    n = json_object_array_length(doc->fields);
    if (n == 0) {
        return buf_append_str(b, ", no blank fields found");
    }
    show = n < 3 ? n : 3;
    rc = buf_printf(b, ", %zu blank field%s to fill: ", n, n == 1 ? "" : "s");
    for (i = 0; i < show && rc == RC_OK; i++) {
        rc = buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ",
                        json_object_get_string(json_object_array_get_idx(
                            doc->fields, i)));
    }
    if (rc == RC_OK && n > show) {
        rc = buf_printf(b, " and %zu more", n - show);
    }
    return rc;
}

/* ", nationality UTO, expires Apr 15, 2012" for identity papers. */
static rc_t
ex_describe_person(const struct ex_doc *doc, struct buf *b)
{
    const char  *nat, *exp;
    rc_t         rc;

    nat = ex_doc_kv(doc, "Nationality");
    exp = ex_doc_kv(doc, "Date of Expiry");
    rc = nat[0] != '\0' ? buf_printf(b, ", nationality %s", nat) : RC_OK;
    if (rc == RC_OK && exp[0] != '\0') {
        rc = buf_printf(b, ", expires %s", exp);
    }
    return rc;
}

/* Nothing better to say: how the text starts. */
static rc_t
ex_describe_start(const struct ex_doc *doc, struct buf *b)
{
    char  start[EX_TITLE_MAX + 1];

    if (doc->lines.n == 0) {
        return buf_append_str(b, " with no readable text");
    }
    snprintf(start, sizeof(start), "%s", doc->lines.v[0]);
    ex_cut_words(start, 48);
    return buf_printf(b, " starting \"%s%s\"", start,
                      strlen(start) < strlen(doc->lines.v[0]) ? "..." : "");
}

/* ". 2 pages, 9 details found." */
static rc_t
ex_describe_size(const struct ex_doc *doc, struct buf *b)
{
    size_t  nkv;
    int     np;

    nkv = (size_t) json_object_object_length(doc->kv);
    np = doc->lines.pages;
    if (np == 0) {
        return buf_append_str(b, ".");
    }
    if (nkv == 0) {
        return buf_printf(b, ". %d page%s, no details found.", np,
                          np == 1 ? "" : "s");
    }
    return buf_printf(b, ". %d page%s, %zu detail%s found.", np,
                      np == 1 ? "" : "s", nkv, nkv == 1 ? "" : "s");
}

/*
 * One sentence of what it is (kind, from whom, date, total or blank
 * fields), one of how big it is.
 */
static rc_t
ex_doc_describe(const struct ex_doc *doc, json_object *res)
{
    struct buf   b;
    const char  *word, *name, *date, *total;
    rc_t         rc;

    word = ex_doc_word(doc);
    name = ex_doc_name(doc);
    date = ex_doc_kv(doc, "Date");
    total = ex_doc_kv(doc, "Total");

    buf_init(&b, 1024);
    rc = buf_append_str(&b, word != NULL ? word : "Document");
    if (rc == RC_OK && name[0] != '\0') {
        rc = name == doc->header ? buf_printf(&b, " \"%s\"", name)
             : buf_printf(&b, " %s %s", name == doc->company ? "from" : "of",
                          name);
    }
    if (rc == RC_OK && doc->dk != NULL && doc->dk->by == EX_BY_PERSON) {
        rc = ex_describe_person(doc, &b);
    }
    if (rc == RC_OK && date[0] != '\0') {
        rc = buf_printf(&b, " dated %s", date);
    }
    if (rc == RC_OK && total[0] != '\0') {
        rc = buf_printf(&b, ", total %s", total);
    }
    if (rc == RC_OK && doc->fields != NULL) {
        rc = ex_describe_fields(doc, &b);
    }
    if (rc == RC_OK && name[0] == '\0' && date[0] == '\0') {
        rc = ex_describe_start(doc, &b);
    }
    if (rc == RC_OK) {
        rc = ex_describe_size(doc, &b);
    }
    if (rc == RC_OK) {
        rc = ex_obj_set_str(res, "description", buf_cstr(&b));
    }
    buf_free(&b);
    return rc;
}

/* kv with the main keys first, then the rest as found. */
static rc_t
ex_doc_kv_order(struct ex_doc *doc)
{
    static const char *const  first[] = {
        "Name", "Company", "Address", "Date", "Total"
    };
    json_object              *kv, *v;
    size_t                    i;
    rc_t                      rc;

    kv = json_object_new_object();
    if (kv == NULL) {
        return RC_NOMEM;
    }
    rc = RC_OK;
    for (i = 0; i < sizeof(first) / sizeof(first[0]) && rc == RC_OK; i++) {
        if (json_object_object_get_ex(doc->kv, first[i], &v)) {
            rc = ex_obj_set(kv, first[i], json_object_get(v));
        }
    }
    json_object_object_foreach(doc->kv, key, val) {
        if (rc == RC_OK && !json_object_object_get_ex(kv, key, NULL)) {
            rc = ex_obj_set(kv, key, json_object_get(val));
        }
    }
    if (rc != RC_OK) {
        json_object_put(kv);
        return rc;
    }
    json_object_put(doc->kv);
    doc->kv = kv;
    return RC_OK;
}

/* --- the result ------------------------------------------------------- */

static rc_t
ex_doc_result(struct ex_doc *doc, json_object *lib, json_object **out)
{
    json_object  *res, *tags, *related;
    rc_t          rc;

    res = json_object_new_object();
    if (res == NULL) {
        return RC_NOMEM;
    }
    rc = ex_doc_title(doc, res);
    if (rc == RC_OK) {
        tags = json_object_new_array();
        rc = ex_obj_set(res, "tags", tags);
    }
    if (rc == RC_OK) {
        rc = ex_doc_tags(doc, tags);
    }
    if (rc == RC_OK) {
        rc = ex_doc_describe(doc, res);
    }
    if (rc == RC_OK) {
        rc = ex_obj_set(res, "kv", json_object_get(doc->kv));
    }
    if (rc == RC_OK && doc->fields != NULL) {
        rc = ex_obj_set(res, "fields", json_object_get(doc->fields));
    }
    if (rc == RC_OK) {
        rc = ex_related(res, lib, &related);
    }
    if (rc == RC_OK) {
        rc = ex_obj_set(res, "related", related);
    }
    if (rc != RC_OK) {
        json_object_put(res);
        return rc;
    }
    *out = res;
    return RC_OK;
}

/* The steps that read the text, in order: each may use lines up. */
static rc_t
ex_doc_read(struct ex_doc *doc)
{
    int   named;
    rc_t  rc;

    rc = ex_doc_mrz(doc);
    if (rc == RC_OK) {
        rc = ex_doc_norm(doc);
    }
    if (rc != RC_OK) {
        return rc;
    }
    ex_doc_kind(doc);
    doc->mdy = ex_doc_us(doc);
    named = doc->dk != NULL && doc->dk->by == EX_BY_PERSON;
    if (doc->kind == EXTRACT_DOC && !named) {
        ex_doc_company(doc);
        rc = doc->company[0] != '\0'
             ? ex_doc_kv_add(doc, "Company", doc->company) : RC_OK;
        if (rc == RC_OK) {
            rc = ex_doc_address(doc);
        }
    }
    if (rc == RC_OK && !named) {
        rc = ex_doc_total(doc);
    }
    if (rc == RC_OK) {
        rc = ex_kv_lines(doc);
    }
    if (rc == RC_OK && doc->kind == EXTRACT_DOC && !named) {
        rc = ex_doc_date(doc);
    }
    if (rc == RC_OK) {
        ex_doc_header(doc);
        rc = ex_doc_kv_order(doc);
    }
    return rc;
}

static void
ex_doc_free(struct ex_doc *doc)
{
    json_object_put(doc->fields);
    json_object_put(doc->kv);
    free(doc->norm);
    free(doc->used);
    ex_lines_free(&doc->lines);
}

static rc_t
ex_doc_run(const struct extract_input *in, json_object **out)
{
    struct ex_doc  doc;
    rc_t           rc;

    memset(&doc, 0, sizeof(doc));
    doc.kind = in->kind;
    rc = ex_lines_split(in->ocr_text, &doc.lines);
    if (rc != RC_OK) {
        return rc;
    }
    doc.used = calloc(doc.lines.n + 1, 1);
    doc.kv = json_object_new_object();
    doc.fields = in->kind == EXTRACT_FORM ? json_object_new_array() : NULL;
    if (doc.used == NULL || doc.kv == NULL
        || (in->kind == EXTRACT_FORM && doc.fields == NULL))
    {
        rc = RC_NOMEM;
        goto out;
    }
    rc = ex_doc_read(&doc);
    if (rc != RC_OK) {
        goto out;
    }
    rc = ex_doc_result(&doc, in->file_lib, out);
    if (rc == RC_OK) {
        log_debug("builtin: %zu lines, %d pages, %d kv, %zu fields",
                  doc.lines.n, doc.lines.pages,
                  json_object_object_length(doc.kv),
                  doc.fields != NULL
                  ? json_object_array_length(doc.fields) : 0);
    }

out:
    ex_doc_free(&doc);
    return rc;
}

/*
 * The caller owns *out. RC_BADINPUT for a fill whose form has a bad
 * shape (or a doc/form without text). Thread-safe: no state is shared
 * and in is only read.
 */
rc_t
extract_builtin(const struct extract_input *in, json_object **out)
{
    if (out == NULL) {
        return RC_BADINPUT;
    }
    *out = NULL;
    if (in == NULL) {
        return RC_BADINPUT;
    }
    if (in->kind == EXTRACT_FILL) {
        return ex_fill_run(in->form, in->file_lib, out);
    }
    if (in->ocr_text == NULL
        || (in->kind != EXTRACT_DOC && in->kind != EXTRACT_FORM))
    {
        return RC_BADINPUT;
    }
    return ex_doc_run(in, out);
}
