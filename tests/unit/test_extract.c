/*
 * test_extract.c - the extract module without a model: the text rules
 * (dates, amounts, MRZ), the builtin extractor on synthetic documents
 * and on the corpus ground truth, fill and related against a library,
 * the library's shapes, and the repairs made to model replies.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <json-c/json.h>

#include "extract.h"
#include "extract_int.h"
#include "jsonx.h"
#include "testutil.h"

/* --- helpers ---------------------------------------------------------- */

static json_object *
parse(const char *s)
{
    json_object  *o;

    o = jsonx_parse(s, strlen(s), 32);
    ck_assert_msg(o != NULL, "bad test JSON: %s", s);
    return o;
}

static json_object *
lib_of(const char *s)
{
    json_object  *raw, *lib;

    raw = s != NULL ? parse(s) : NULL;
    ck_assert_int_eq(extract_lib_normalise(raw, 100, &lib), RC_OK);
    json_object_put(raw);
    return lib;
}

static json_object *
run_text(enum extract_kind kind, const char *text, json_object *lib)
{
    struct extract_input   in;
    json_object           *out, *empty;

    empty = lib == NULL ? lib_of(NULL) : NULL;
    memset(&in, 0, sizeof(in));
    in.kind = kind;
    in.ocr_text = text;
    in.file_lib = lib != NULL ? lib : empty;
    out = NULL;
    ck_assert_int_eq(extract_builtin(&in, &out), RC_OK);
    ck_assert_ptr_nonnull(out);
    json_object_put(empty);
    return out;
}

static const char *
str_at(json_object *o, const char *key)
{
    const char  *s;

    return jsonx_string(o, key, &s) == JSONX_OK ? s : NULL;
}

/* kv[key] of a result, or NULL. */
static const char *
kv_get(json_object *res, const char *key)
{
    json_object  *kv;

    ck_assert_int_eq(jsonx_object(res, "kv", &kv), JSONX_OK);
    return str_at(kv, key);
}

static void
ck_kv(json_object *res, const char *key, const char *want)
{
    const char  *got;

    got = kv_get(res, key);
    ck_assert_msg(got != NULL && strcmp(got, want) == 0,
                  "kv \"%s\": got \"%s\", want \"%s\"", key,
                  got != NULL ? got : "(none)", want);
}

static size_t
arr_len(json_object *o, const char *key)
{
    json_object  *a;

    ck_assert_int_eq(jsonx_array(o, key, &a), JSONX_OK);
    return json_object_array_length(a);
}

static const char *
arr_str(json_object *o, const char *key, size_t i)
{
    json_object  *a;

    ck_assert_int_eq(jsonx_array(o, key, &a), JSONX_OK);
    ck_assert_uint_lt(i, json_object_array_length(a));
    return json_object_get_string(json_object_array_get_idx(a, i));
}

/* A corpus file, or NULL: the corpus tests then count as skipped. */
static char *
corpus_text(const char *name, const char *ext)
{
    char    path[2048];
    size_t  len;
    int     n;

    n = snprintf(path, sizeof(path), "%s/%s.%s", test_corpus(), name, ext);
    if (n < 0 || (size_t) n >= sizeof(path)) {
        return NULL;
    }
    return (char *) test_read_file(path, &len);
}

/* The corpus is there (else the run ends with 77 when all else passed). */
static int
corpus_present(void)
{
    char  *p;

    p = corpus_text("sroie_000", "txt");
    free(p);
    return p != NULL;
}

/* Digits and the decimal point only: "RM 5.00" -> "5.00". */
static void
amount_key(const char *s, char *out, size_t outlen)
{
    size_t  j;

    for (j = 0; *s != '\0' && j + 1 < outlen; s++) {
        if ((*s >= '0' && *s <= '9') || *s == '.') {
            out[j++] = *s;
        }
    }
    out[j] = '\0';
}

static int
same_date(const char *a, const char *b)
{
    struct ex_date  da, db;

    return a != NULL && b != NULL && ex_date_find(a, 0, &da, NULL, NULL)
           && ex_date_find(b, 0, &db, NULL, NULL) && da.y == db.y
           && da.m == db.m && da.d == db.d;
}

/* The same words once punctuation and case are gone. */
static int
same_words(const char *a, const char *b)
{
    char  na[512], nb[512];

    if (a == NULL || b == NULL) {
        return 0;
    }
    ex_norm(a, na, sizeof(na), NULL);
    ex_norm(b, nb, sizeof(nb), NULL);
    return strcmp(na, nb) == 0;
}

/* --- dates ------------------------------------------------------------ */

static const struct {
    const char  *in;
    const char  *want;          /* NULL: no date */
} date_cases[] = {
    { "18-11-2018", "Nov 18, 2018" },
    { "18/11/18", "Nov 18, 2018" },
    { "2018-11-18", "Nov 18, 2018" },
    { "18 Nov 2018", "Nov 18, 2018" },
    { "Nov 18 2018", "Nov 18, 2018" },
    { "November 18, 2018", "Nov 18, 2018" },
    { "18.11.2018", "Nov 18, 2018" },
    { "18-NOV-18", "Nov 18, 2018" },
    { "18th November 2018", "Nov 18, 2018" },
    { "Sept. 3rd, 2019", "Sep 03, 2019" },
    { "2018/11/18", "Nov 18, 2018" },
    { "05/04/2019", "Apr 05, 2019" },           /* day first */
    { "11/18/2018", "Nov 18, 2018" },           /* only US order fits */
    { "June 4, 1995", "Jun 04, 1995" },
    { "9/ 3/ 92", "Mar 09, 1992" },
    { "1/1/69", "Jan 01, 1969" },
    { "1/1/68", "Jan 01, 2068" },
    { "DATE: 25/12/2018 8:13:39 PM", "Dec 25, 2018" },
    { "29/02/2020", "Feb 29, 2020" },
    { "29/02/2019", NULL },
    { "31/04/2018", NULL },
    { "13/13/2018", NULL },
    { "TEL 07-3523888", NULL },
    { "BILL 4449 - 517 - 12949 - 2906180053", NULL },
    { "12:30", NULL },
    { "TOTAL 80.91", NULL },
    { "1.2.3.4", NULL },
    { "May 2018", NULL },
};

START_TEST(test_dates)
{
    struct ex_date  d;
    char            out[32];
    int             found;

    found = ex_date_find(date_cases[_i].in, 0, &d, NULL, NULL);
    if (date_cases[_i].want == NULL) {
        ck_assert_msg(!found, "\"%s\" is not a date", date_cases[_i].in);
        return;
    }
    ck_assert_msg(found, "no date in \"%s\"", date_cases[_i].in);
    ex_date_format(&d, out, sizeof(out));
    ck_assert_str_eq(out, date_cases[_i].want);
}
END_TEST

START_TEST(test_date_span)
{
    struct ex_date  d;
    size_t          b, e;

    ck_assert(ex_date_find("DOC NO CS0031 DATE 25/12/2018 X", 0, &d, &b,
                           &e));
    ck_assert_uint_eq(b, 19);
    ck_assert_uint_eq(e, 29);
}
END_TEST

/* --- amounts ---------------------------------------------------------- */

static const struct {
    const char  *in;
    const char  *printed;       /* NULL: none */
    long long    cents;
    int          currency;
} amount_cases[] = {
    { "TOTAL RM 86.00", "RM 86.00", 8600, 1 },
    { "TOTAL: 9.00", "9.00", 900, 0 },
    { "1,234.56", "1,234.56", 123456, 0 },
    { "1.234,56", "1.234,56", 123456, 0 },
    { "ROUNDING -0.01", "-0.01", -1, 0 },
    { "PAID RM5", "RM5", 500, 1 },
    { "Summe 12,50 EUR", "12,50 EUR", 1250, 1 },
    { "CASH 8.00 MYR 8.00", "8.00", 800, 0 },
    { "AMOUNT DUE $ 12.34", "$ 12.34", 1234, 1 },
    { "GST 6.00%", NULL, 0, 0 },
    { "1 PC * 9.000", NULL, 0, 0 },
    { "NO 122.124 JALAN", NULL, 0, 0 },
    { "QTY 3", NULL, 0, 0 },
    { "INV12.50", NULL, 0, 0 },
};

START_TEST(test_amounts)
{
    struct ex_amount  a;
    char              printed[64];
    int               found;

    found = ex_amount_find(amount_cases[_i].in, 0, &a);
    if (amount_cases[_i].printed == NULL) {
        ck_assert_msg(!found, "\"%s\" has no amount", amount_cases[_i].in);
        return;
    }
    ck_assert_msg(found, "no amount in \"%s\"", amount_cases[_i].in);
    snprintf(printed, sizeof(printed), "%.*s", (int) (a.end - a.beg),
             amount_cases[_i].in + a.beg);
    ck_assert_str_eq(printed, amount_cases[_i].printed);
    ck_assert_int_eq(a.cents, amount_cases[_i].cents);
    ck_assert_int_eq(a.currency, amount_cases[_i].currency);
}
END_TEST

/* --- receipts --------------------------------------------------------- */

/* Made up for the tests, in the shape of a Malaysian till receipt. */
static const char receipt_my[] =
    "KEDAI RUNCIT MAJU JAYA SDN BHD\n"
    "(123456-A)\n"
    "NO 12, JALAN BUNGA RAYA 3,\n"
    "TAMAN SRI MUDA,\n"
    "40400 SHAH ALAM, SELANGOR\n"
    "TEL: 03-5512 3456\n"
    "GST REG NO: 001234567890\n"
    "TAX INVOICE\n"
    "INVOICE NO: INV-000321\n"
    "DATE: 03/04/2019 14:22\n"
    "CASHIER: AMIRAH\n"
    "ITEM QTY PRICE AMOUNT\n"
    "MILO 1KG 1 17.90 17.90 SR\n"
    "ROTI GARDENIA 2 3.20 6.40 SR\n"
    "SUBTOTAL 24.30\n"
    "GST 6% 1.46\n"
    "ROUNDING ADJ -0.01\n"
    "TOTAL (INCL GST) RM 25.75\n"
    "CASH RM 30.00\n"
    "CHANGE RM 4.25\n"
    "TOTAL QTY 3\n"
    "THANK YOU, PLEASE COME AGAIN\n";

START_TEST(test_receipt_fields)
{
    json_object  *res;

    res = run_text(EXTRACT_DOC, receipt_my, NULL);
    ck_kv(res, "Company", "KEDAI RUNCIT MAJU JAYA SDN BHD");
    ck_kv(res, "Address", "NO 12, JALAN BUNGA RAYA 3, TAMAN SRI MUDA, "
          "40400 SHAH ALAM, SELANGOR");
    ck_kv(res, "Date", "Apr 03, 2019");
    ck_kv(res, "Time", "14:22");
    ck_kv(res, "Total", "RM 25.75");
    ck_kv(res, "Subtotal", "24.30");
    ck_kv(res, "Tax", "1.46");
    ck_kv(res, "Rounding", "-0.01");
    ck_kv(res, "Cash", "RM 30.00");
    ck_kv(res, "Change", "RM 4.25");
    ck_kv(res, "Phone", "03-5512 3456");
    ck_kv(res, "Tax ID", "001234567890");
    ck_kv(res, "Invoice No", "INV-000321");
    ck_kv(res, "Cashier", "AMIRAH");
    ck_assert_str_eq(str_at(res, "title"),
                     "Receipt - KEDAI RUNCIT MAJU JAYA SDN BHD");
    ck_assert_str_eq(arr_str(res, "tags", 0), "receipt");
    ck_assert_ptr_nonnull(strstr(str_at(res, "description"),
                                 "dated Apr 03, 2019, total RM 25.75"));
    ck_assert_uint_eq(arr_len(res, "related"), 0);
    json_object_put(res);
}
END_TEST

/* Chinese labels with full-width colons (made up, as a shop's slip). */
START_TEST(test_receipt_chinese)
{
    json_object  *res;

    res = run_text(EXTRACT_DOC,
                   "\xe6\x9f\x90\xe6\x9f\x90\xe8\xb6\x85\xe5\xb8\x82\n"
                   "\xe6\x94\xb6\xe6\x8d\xae\n"
                   "\xe6\x97\xa5\xe6\x9c\x9f\xef\xbc\x9a" "2018-11-18 10:05\n"
                   "\xe7\x94\xb5\xe8\xaf\x9d\xef\xbc\x9a" "021-12345678\n"
                   "\xe5\x90\x88\xe8\xae\xa1\xef\xbc\x9a\xc2\xa5" "25.00\n"
                   "\xe7\x8e\xb0\xe9\x87\x91" " 30.00\n", NULL);
    ck_kv(res, "Date", "Nov 18, 2018");
    ck_kv(res, "Time", "10:05");
    ck_kv(res, "Phone", "021-12345678");
    ck_kv(res, "Total", "\xc2\xa5" "25.00");
    ck_assert_str_eq(arr_str(res, "tags", 0), "receipt");
    json_object_put(res);
}
END_TEST

/* A company in mixed case, named by its legal form; a US date. */
START_TEST(test_invoice_company)
{
    json_object  *res;

    res = run_text(EXTRACT_DOC, "Northwind Traders Ltd\n"
                   "12 Harbour Road, Bristol BS1 5TY\nINVOICE\n"
                   "Invoice Number: NW-0415\nBill To:\nContoso Pharmacy\n"
                   "Subtotal 45.00\nTotal Due 54.00\n", NULL);
    ck_kv(res, "Company", "Northwind Traders Ltd");
    ck_kv(res, "Address", "12 Harbour Road, Bristol BS1 5TY");
    ck_kv(res, "Customer", "Contoso Pharmacy");
    ck_kv(res, "Total", "54.00");
    ck_assert_str_eq(str_at(res, "title"), "Invoice - Northwind Traders Ltd");
    json_object_put(res);

    res = run_text(EXTRACT_DOC, "CORNER STORE #12\n1200 MARKET ST\n"
                   "SAN FRANCISCO, CA 94102\n03/07/2021 10:42 AM\n"
                   "TOTAL 14.64\n", NULL);
    ck_kv(res, "Company", "CORNER STORE");
    ck_kv(res, "Date", "Mar 07, 2021");         /* American: month first */
    ck_kv(res, "Time", "10:42 AM");
    json_object_put(res);
}
END_TEST

/* Which total wins: grand total over subtotal, quantity and rounding. */
static const struct {
    const char  *text;
    const char  *total;
} total_cases[] = {
    { "SHOP A\nSUB TOTAL 10.00\nDISCOUNT 1.00\nGRAND TOTAL 9.00\n"
      "TOTAL QTY 4\nCASH 20.00\nCHANGE 11.00\n", "9.00" },
    { "SHOP B\nTOTAL SALES (EXCLUDING GST) : 50.00\nTOTAL GST : 3.00\n"
      "ROUNDING ADJUSTMENT: -0.02\nTOTAL SALES (INCLUSIVE OF GST) : 52.98\n"
      "GST SUMMARY AMT TAX\nTOTAL : 50.00 3.00\n", "52.98" },
    { "SHOP C\nTOTAL\n$15.40\nVISA $15.40\n", "$15.40" },
    { "Invoice 77\nSubtotal 100.00\nVAT 20% 20.00\nAmount due EUR 120.00\n",
      "EUR 120.00" },
    { "SHOP D\nTOTAL ITEMS 2\nTOTAL 0.00\nNETT TOTAL 7.50\n", "7.50" },
};

START_TEST(test_receipt_totals)
{
    json_object  *res;

    res = run_text(EXTRACT_DOC, total_cases[_i].text, NULL);
    ck_kv(res, "Total", total_cases[_i].total);
    json_object_put(res);
}
END_TEST

/* The corpus receipts' ground truth text against their key fields. */
START_TEST(test_corpus_receipts)
{
    static const char *const  names[] = {
        "sroie_000", "sroie_003", "sroie_019", "sroie_217", "sroie_589"
    };
    char                      want[64], got[64];
    json_object              *truth, *fields, *res;
    const char               *date;
    char                     *text, *meta;
    size_t                    i;
    int                       totals, dates, firms, addrs;

    totals = 0;
    dates = 0;
    firms = 0;
    addrs = 0;
    for (i = 0; i < 5; i++) {
        text = corpus_text(names[i], "txt");
        meta = corpus_text(names[i], "json");
        ck_assert_msg(text != NULL && meta != NULL, "corpus file %s",
                      names[i]);
        truth = parse(meta);
        ck_assert_int_eq(jsonx_object(truth, "fields", &fields), JSONX_OK);
        res = run_text(EXTRACT_DOC, text, NULL);

        amount_key(str_at(fields, "total"), want, sizeof(want));
        amount_key(kv_get(res, "Total") != NULL ? kv_get(res, "Total") : "",
                   got, sizeof(got));
        totals += strcmp(want, got) == 0;
        date = kv_get(res, "Date");
        dates += same_date(str_at(fields, "date"), date);
        firms += same_words(str_at(fields, "company"),
                            kv_get(res, "Company"));
        addrs += same_words(str_at(fields, "address"),
                            kv_get(res, "Address"));

        json_object_put(res);
        json_object_put(truth);
        free(meta);
        free(text);
    }
    printf("corpus receipts: total %d/5, date %d/5 (company %d/5, "
           "address %d/5, informational)\n", totals, dates, firms, addrs);
    ck_assert_int_ge(totals, 4);
    ck_assert_int_ge(dates, 4);
}
END_TEST

/* --- forms ------------------------------------------------------------ */

static const char form_blank[] =
    "APPLICATION FOR MEMBERSHIP\n"
    "Please complete in block capitals.\n"
    "Name: ______________________\n"
    "Date of birth: ____________   Phone ________\n"
    "Address ............................\n"
    "[ ] Married   [ ] Single\n"
    "Sex: [ ] M [ ] F\n"
    "[x] I agree to the rules\n"
    "Club: Riverside Rowing\n"
    "Name: ______\n"
    "Signature:\n";

START_TEST(test_form_fields)
{
    static const char *const  want[] = {
        "Name", "Date of birth", "Phone", "Address", "Married", "Single",
        "Sex", "Signature"
    };
    json_object              *res;
    size_t                    i;

    res = run_text(EXTRACT_FORM, form_blank, NULL);
    ck_assert_uint_eq(arr_len(res, "fields"), 8);
    for (i = 0; i < 8; i++) {
        ck_assert_str_eq(arr_str(res, "fields", i), want[i]);
    }
    ck_kv(res, "Club", "Riverside Rowing");
    ck_kv(res, "I agree to the rules", "Yes");
    ck_assert_str_eq(str_at(res, "title"), "APPLICATION FOR MEMBERSHIP");
    ck_assert_str_eq(arr_str(res, "tags", 0), "form");
    ck_assert_ptr_nonnull(strstr(str_at(res, "description"),
                                 "8 blank fields to fill: Name, "
                                 "Date of birth, Phone and 5 more"));
    json_object_put(res);

    /* A doc has no "fields" */
    res = run_text(EXTRACT_DOC, form_blank, NULL);
    ck_assert(!json_object_object_get_ex(res, "fields", NULL));
    json_object_put(res);
}
END_TEST

/* A label alone on its line takes the next line when it reads as one. */
START_TEST(test_form_next_line)
{
    json_object  *res;

    res = run_text(EXTRACT_FORM, "ORDER SHEET\nCUSTOMER NAME:\nJane Doe\n"
                   "QUANTITY:\n240\nDELIVERY:\nREMARKS:\n", NULL);
    ck_kv(res, "Name", "Jane Doe");         /* a known label's key */
    ck_kv(res, "QUANTITY", "240");
    ck_assert_uint_eq(arr_len(res, "fields"), 2);
    ck_assert_str_eq(arr_str(res, "fields", 0), "DELIVERY");
    ck_assert_str_eq(arr_str(res, "fields", 1), "REMARKS");
    json_object_put(res);
}
END_TEST

/* Blank text of a field: box glyphs and ':' away, normalised. */
static void
field_key(const char *s, char *out, size_t outlen)
{
    char    tmp[512];
    size_t  j;

    for (j = 0; *s != '\0' && j + 1 < sizeof(tmp); s++) {
        if ((unsigned char) *s == 0xe2 && s[1] != '\0' && s[2] != '\0') {
            s += 2;                     /* a box glyph */
            continue;
        }
        tmp[j++] = *s;
    }
    tmp[j] = '\0';
    ex_norm(tmp, out, outlen, NULL);
}

/* Any field of ours equal to want, or containing it / contained in it. */
static int
has_field(json_object *res, const char *want)
{
    char    a[512], b[512];
    size_t  i, n;

    field_key(want, a, sizeof(a));
    if (strlen(a) < 2) {
        return -1;                      /* ":" and the like: not scored */
    }
    n = arr_len(res, "fields");
    for (i = 0; i < n; i++) {
        field_key(arr_str(res, "fields", i), b, sizeof(b));
        if (strcmp(a, b) == 0 || (strlen(b) >= 3 && strstr(a, b) != NULL)
            || strstr(b, a) != NULL)
        {
            return 1;
        }
    }
    return 0;
}

static int
has_pair(json_object *res, const char *q, const char *ans)
{
    char          a[512], b[512], k[512], v[512];
    json_object  *kv;

    field_key(q, a, sizeof(a));
    field_key(ans, b, sizeof(b));
    ck_assert_int_eq(jsonx_object(res, "kv", &kv), JSONX_OK);
    json_object_object_foreach(kv, key, val) {
        field_key(key, k, sizeof(k));
        field_key(json_object_get_string(val), v, sizeof(v));
        if (strcmp(k, a) == 0 && (strcmp(v, b) == 0
                                  || same_date(ans,
                                               json_object_get_string(val))))
        {
            return 1;
        }
    }
    return 0;
}

/* FUNSD ground truth: recall of blank fields and of question/answers. */
START_TEST(test_corpus_forms)
{
    static const char *const  names[] = {
        "funsd_0000971160", "funsd_0060024314", "funsd_00920294",
        "funsd_82254765", "funsd_92586242"
    };
    json_object              *truth, *fields, *arr, *res, *p;
    char                     *text, *meta;
    size_t                    i, k, n;
    int                       bl_n, bl_hit, qa_n, qa_hit, r;

    bl_n = bl_hit = qa_n = qa_hit = 0;
    for (i = 0; i < 5; i++) {
        text = corpus_text(names[i], "txt");
        meta = corpus_text(names[i], "json");
        ck_assert_msg(text != NULL && meta != NULL, "corpus file %s",
                      names[i]);
        truth = parse(meta);
        ck_assert_int_eq(jsonx_object(truth, "fields", &fields), JSONX_OK);
        res = run_text(EXTRACT_FORM, text, NULL);
        ck_assert_str_ne(str_at(res, "title"), "");

        n = jsonx_array(fields, "blank_fields", &arr) == JSONX_OK
            ? json_object_array_length(arr) : 0;
        for (k = 0; k < n; k++) {
            r = has_field(res, json_object_get_string(
                              json_object_array_get_idx(arr, k)));
            bl_n += r >= 0;
            bl_hit += r > 0;
        }
        n = jsonx_array(fields, "qa_pairs", &arr) == JSONX_OK
            ? json_object_array_length(arr) : 0;
        for (k = 0; k < n; k++) {
            p = json_object_array_get_idx(arr, k);
            qa_n++;
            qa_hit += has_pair(res, str_at(p, "question"),
                               str_at(p, "answer"));
        }
        json_object_put(res);
        json_object_put(truth);
        free(meta);
        free(text);
    }
    printf("corpus forms: blank fields %d/%d, qa pairs %d/%d\n", bl_hit,
           bl_n, qa_hit, qa_n);
    ck_assert_int_ge(qa_hit * 3, qa_n);         /* a third at least */
    ck_assert_int_ge(bl_hit * 10, bl_n);
}
END_TEST

/* --- MRZ -------------------------------------------------------------- */

/* ICAO 9303 specimens (part 4, TD3; part 5, TD1). */
static const char  mrz_td3_1[] = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<";
static const char  mrz_td3_2[] = "L898902C36UTO7408122F1204159ZE184226B<<<<<10";

START_TEST(test_mrz_td3)
{
    char            l1[64], l2[64];
    const char     *lines[2] = { l1, l2 };
    struct ex_mrz   m;

    ck_assert_uint_eq(ex_mrz_line(mrz_td3_1, l1, sizeof(l1)), 44);
    ck_assert_uint_eq(ex_mrz_line(mrz_td3_2, l2, sizeof(l2)), 44);
    ck_assert(ex_mrz_parse(lines, 2, &m));
    ck_assert_str_eq(m.type, "P");
    ck_assert_str_eq(m.issuer, "UTO");
    ck_assert_str_eq(m.number, "L898902C3");
    ck_assert_str_eq(m.nationality, "UTO");
    ck_assert_str_eq(m.surname, "ERIKSSON");
    ck_assert_str_eq(m.given, "ANNA MARIA");
    ck_assert_str_eq(m.sex, "F");
    ck_assert_int_eq(m.birth.y, 1974);
    ck_assert_int_eq(m.birth.m, 8);
    ck_assert_int_eq(m.birth.d, 12);
    ck_assert_int_eq(m.expiry.y, 2012);
    ck_assert_int_eq(m.expiry.m, 4);
    ck_assert_int_eq(m.expiry.d, 15);

    /* OCR spaces and a short fill are tolerated */
    ck_assert_uint_eq(ex_mrz_line("P<UTO ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<",
                                  l1, sizeof(l1)), 44);
    ck_assert_str_eq(l1, mrz_td3_1);
    ck_assert_uint_eq(ex_mrz_line("TOTAL 80.90", l1, sizeof(l1)), 0);
    ck_assert_uint_eq(ex_mrz_line("P<UTO<<", l1, sizeof(l1)), 0);
}
END_TEST

/* One digit flipped in each checked field: never valid. */
START_TEST(test_mrz_bad_digit)
{
    static const int  at[] = { 0, 13, 18, 21, 26, 30, 43 };
    char              l1[64], l2[64];
    const char       *lines[2] = { l1, l2 };
    struct ex_mrz     m;

    snprintf(l1, sizeof(l1), "%s", mrz_td3_1);
    snprintf(l2, sizeof(l2), "%s", mrz_td3_2);
    l2[at[_i]] = l2[at[_i]] == '1' ? '2' : '1';
    if (at[_i] == 0) {
        l2[0] = 'M';
    }
    ck_assert(!ex_mrz_parse(lines, 2, &m));
}
END_TEST

START_TEST(test_mrz_td1)
{
    const char     *lines[3] = {
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
    };
    struct ex_mrz   m;

    ck_assert(ex_mrz_parse(lines, 3, &m));
    ck_assert_str_eq(m.number, "D23145890");
    ck_assert_str_eq(m.surname, "ERIKSSON");
    ck_assert_str_eq(m.given, "ANNA MARIA");
    ck_assert_int_eq(m.birth.y, 1974);
    ck_assert(!ex_mrz_parse(lines, 2, &m));
}
END_TEST

START_TEST(test_passport_doc)
{
    char          text[512], bad[128];
    json_object  *res;

    snprintf(text, sizeof(text), "PASSPORT\nUTOPIA\nSurname: ERIKSSON\n"
             "Given names: ANNA MARIA\n%s\n%s\n", mrz_td3_1, mrz_td3_2);
    res = run_text(EXTRACT_DOC, text, NULL);
    ck_kv(res, "Document No", "L898902C3");
    ck_kv(res, "Name", "ANNA MARIA ERIKSSON");
    ck_kv(res, "Surname", "ERIKSSON");
    ck_kv(res, "Given Names", "ANNA MARIA");
    ck_kv(res, "Nationality", "UTO");
    ck_kv(res, "Sex", "F");
    ck_kv(res, "Date of Birth", "Aug 12, 1974");
    ck_kv(res, "Date of Expiry", "Apr 15, 2012");
    snprintf(bad, sizeof(bad), "%s\n%s", mrz_td3_1, mrz_td3_2);
    ck_kv(res, "MRZ", bad);
    ck_assert_str_eq(str_at(res, "title"), "Passport - ANNA MARIA ERIKSSON");
    ck_assert_str_eq(arr_str(res, "tags", 0), "passport");
    json_object_put(res);

    /* birth date changed: the zone is kept, its fields are not trusted */
    snprintf(bad, sizeof(bad), "%s", mrz_td3_2);
    bad[15] = '9';
    snprintf(text, sizeof(text), "PASSPORT\n%s\n%s\n", mrz_td3_1, bad);
    res = run_text(EXTRACT_DOC, text, NULL);
    ck_assert_ptr_nonnull(kv_get(res, "MRZ"));
    ck_assert_ptr_null(kv_get(res, "Document No"));
    ck_assert_ptr_null(kv_get(res, "Date of Birth"));
    json_object_put(res);
}
END_TEST

/* --- related ---------------------------------------------------------- */

static const char related_lib[] =
    "{\"docs\": ["
    " {\"id\": \"r1\", \"title\": \"Receipt - YONGFATT ENTERPRISE\","
    "  \"tags\": [\"receipt\"], \"kv\": {\"Company\": \"YONGFATT ENTERPRISE\","
    "  \"Invoice No\": \"60000053668\"}},"
    " {\"id\": \"p1\", \"title\": \"Passport - ANNA MARIA ERIKSSON\","
    "  \"tags\": [\"passport\"], \"kv\": {\"Name\": \"ANNA MARIA ERIKSSON\"}},"
    " {\"id\": \"r2\", \"title\": \"Receipt - OTHER SHOP\","
    "  \"tags\": [\"receipt\"], \"kv\": {\"Company\": \"OTHER SHOP\"}}],"
    " \"forms\": ["
    " {\"id\": \"f1\", \"title\": \"Warranty claim\", \"tags\": [\"form\"],"
    "  \"kv\": {\"Invoice No\": \"60000053668\", \"Shop\": \"x\"}}]}";

START_TEST(test_related)
{
    json_object  *lib, *res, *rel, *e;

    lib = lib_of(related_lib);
    res = run_text(EXTRACT_DOC, "YONGFATT ENTERPRISE\nRECEIPT\n"
                   "INVOICE NO: 60000053668\nDATE: 02/01/2019\n"
                   "TOTAL 12.00\nCASH 20.00\nCHANGE 8.00\n", lib);
    ck_assert_int_eq(jsonx_array(res, "related", &rel), JSONX_OK);
    ck_assert_uint_eq(json_object_array_length(rel), 2);
    e = json_object_array_get_idx(rel, 0);
    ck_assert_str_eq(str_at(e, "type"), "doc");
    ck_assert_str_eq(str_at(e, "resource_id"), "r1");
    e = json_object_array_get_idx(rel, 1);
    ck_assert_str_eq(str_at(e, "type"), "form");
    ck_assert_str_eq(str_at(e, "resource_id"), "f1");
    json_object_put(res);
    json_object_put(lib);
}
END_TEST

/* Seven equal matches: five kept, in library order. */
START_TEST(test_related_cap)
{
    json_object  *lib, *res, *rel;
    char          s[1024];
    size_t        i, n;

    n = (size_t) snprintf(s, sizeof(s), "{\"docs\": [");
    for (i = 0; i < 7; i++) {
        n += (size_t) snprintf(s + n, sizeof(s) - n,
                               "%s{\"id\": %zu, \"kv\": "
                               "{\"Ref\": \"A-99812\"}}",
                               i > 0 ? "," : "", i);
    }
    snprintf(s + n, sizeof(s) - n, "]}");
    lib = lib_of(s);
    res = run_text(EXTRACT_DOC, "NOTICE\nREF NO: A-99812\n", lib);
    ck_assert_int_eq(jsonx_array(res, "related", &rel), JSONX_OK);
    ck_assert_uint_eq(json_object_array_length(rel), 5);
    for (i = 0; i < 5; i++) {
        snprintf(s, sizeof(s), "%zu", i);
        ck_assert_str_eq(str_at(json_object_array_get_idx(rel, i),
                                "resource_id"), s);
    }
    json_object_put(res);
    json_object_put(lib);
}
END_TEST

/* --- fill ------------------------------------------------------------- */

static const char fill_lib[] =
    "{\"docs\": ["
    " {\"resource_id\": \"pp\", \"kv\": {\"Surname\": \"ERIKSSON\","
    "  \"Given Names\": \"ANNA MARIA\", \"Date of Birth\": \"Aug 12, 1974\","
    "  \"Document No\": \"L898902C3\", \"Nationality\": \"UTO\"}},"
    " {\"resource_id\": \"bill\", \"kv\": {\"Telephone\": \"+46 8 123 456\","
    "  \"Home Address\": \"Storgatan 1, Stockholm\","
    "  \"Applicant passport number\": \"X1\"}},"
    " {\"resource_id\": \"visa\", \"kv\": {\"Passport Number\": \"X2\","
    "  \"Surname\": \"OTHER\"}}],"
    " \"forms\": ["
    " {\"resource_id\": \"old\", \"kv\": {\"E-mail\": \"anna@example.org\","
    "  \"Employer Name\": \"Acme AB\"}},"
    " {\"resource_id\": \"self\", \"kv\": {\"Favourite colour\": \"red\"}}]}";

static void
ck_fill(json_object *res, const char *field, const char *value,
    const char *type, const char *id)
{
    json_object  *e, *src;

    ck_assert_msg(jsonx_object(res, field, &e) == JSONX_OK,
                  "field \"%s\" not filled", field);
    ck_assert_str_eq(str_at(e, "value"), value);
    ck_assert_int_eq(jsonx_object(e, "source", &src), JSONX_OK);
    ck_assert_str_eq(str_at(src, "type"), type);
    ck_assert_str_eq(str_at(src, "resource_id"), id);
}

START_TEST(test_fill)
{
    struct extract_input   in;
    json_object           *lib, *form, *res;

    lib = lib_of(fill_lib);
    form = parse("{\"resource_id\": \"self\", \"fields\": [\"First name\","
                 " \"Last Name\", \"DOB\", \"Passport number\","
                 " \"Phone\", \"Address\", \"e-mail address\","
                 " \"Employer\", \"Favourite colour\","
                 " {\"label\": \"Nationality\"}, 7, {\"x\": 1}],"
                 " \"kv\": {\"Citizenship\": \"\", \"Signed\": \"yes\"}}");
    memset(&in, 0, sizeof(in));
    in.kind = EXTRACT_FILL;
    in.form = form;
    in.file_lib = lib;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);

    ck_fill(res, "First name", "ANNA MARIA", "doc", "pp");     /* synonym */
    ck_fill(res, "Last Name", "ERIKSSON", "doc", "pp");        /* earlier */
    ck_fill(res, "DOB", "Aug 12, 1974", "doc", "pp");
    ck_fill(res, "Passport number", "X2", "doc", "visa");      /* exact */
    ck_fill(res, "Phone", "+46 8 123 456", "doc", "bill");
    ck_fill(res, "Address", "Storgatan 1, Stockholm", "doc", "bill");
    ck_fill(res, "e-mail address", "anna@example.org", "form", "old");
    ck_fill(res, "Employer", "Acme AB", "form", "old");        /* similar */
    ck_fill(res, "Nationality", "UTO", "doc", "pp");
    ck_fill(res, "Citizenship", "UTO", "doc", "pp");
    ck_assert(!json_object_object_get_ex(res, "Favourite colour", NULL));
    ck_assert(!json_object_object_get_ex(res, "Signed", NULL));
    ck_assert_int_eq(json_object_object_length(res), 10);
    json_object_put(res);
    json_object_put(form);
    json_object_put(lib);
}
END_TEST

/*
 * Regression (demo): a shop receipt listed before the person's ID card
 * gave the form the shop's phone and address. Among equal label
 * matches, the entry that fills more of the form wins.
 */
START_TEST(test_fill_prefers_covering_entry)
{
    struct extract_input   in;
    json_object           *lib, *form, *res;

    lib = lib_of("{\"docs\": ["
        " {\"resource_id\": \"receipt\", \"kv\": {\"Phone\": \"0161 1\","
        "  \"Address\": \"1 Shop St\", \"Date\": \"Mar 14, 2025\"}},"
        " {\"resource_id\": \"id\", \"kv\": {\"First name\": \"Jo\","
        "  \"Surname\": \"Ellery\", \"Phone\": \"0161 2\","
        "  \"Address\": \"4 Mill Lane\"}}]}");
    form = parse("{\"fields\": [\"First name\", \"Surname\","
                 " \"Telephone\", \"Address\", \"Date\"]}");
    memset(&in, 0, sizeof(in));
    in.kind = EXTRACT_FILL;
    in.form = form;
    in.file_lib = lib;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);
    ck_fill(res, "Telephone", "0161 2", "doc", "id");
    ck_fill(res, "Address", "4 Mill Lane", "doc", "id");
    ck_fill(res, "Date", "Mar 14, 2025", "doc", "receipt");  /* only one */
    json_object_put(res);

    /* without the receipt, "Date" is not filled with a date of birth */
    json_object_put(lib);
    lib = lib_of("{\"docs\": [{\"resource_id\": \"id\", \"kv\": {"
        "\"Date of Birth\": \"Sep 07, 1991\"}}]}");
    in.file_lib = lib;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);
    ck_assert(!json_object_object_get_ex(res, "Date", NULL));
    json_object_put(res);
    json_object_put(form);

    /* nor "Date of birth" with a receipt's date */
    json_object_put(lib);
    lib = lib_of("{\"docs\": [{\"resource_id\": \"r\", \"kv\": {"
        "\"Date\": \"Mar 14, 2025\"}}]}");
    form = parse("{\"fields\": [\"Date of birth\"]}");
    in.form = form;
    in.file_lib = lib;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);
    ck_assert(!json_object_object_get_ex(res, "Date of birth", NULL));
    json_object_put(res);
    json_object_put(form);
    json_object_put(lib);
}
END_TEST

/* A form read by the builtin, filled from a passport it read too. */
START_TEST(test_fill_roundtrip)
{
    struct extract_input   in;
    json_object           *pp, *lib, *form, *res, *docs;
    char                   text[512];

    snprintf(text, sizeof(text), "PASSPORT\n%s\n%s\n", mrz_td3_1,
             mrz_td3_2);
    pp = run_text(EXTRACT_DOC, text, NULL);
    ck_assert_int_eq(ex_obj_set_str(pp, "id", "p-1"), RC_OK);
    lib = json_object_new_object();
    docs = json_object_new_array();
    ck_assert_int_eq(ex_arr_add(docs, pp), RC_OK);
    ck_assert_int_eq(ex_obj_set(lib, "docs", docs), RC_OK);
    ck_assert_int_eq(extract_lib_normalise(lib, 10, &in.file_lib), RC_OK);

    form = run_text(EXTRACT_FORM, "VISA APPLICATION FORM\n"
                    "Surname: __________\nGiven names: __________\n"
                    "Date of birth (DD/MM/YYYY): ___/___/____\n"
                    "Passport number: __________\nSex: [ ] M [ ] F\n"
                    "Place of birth: __________\n", NULL);
    ck_assert_uint_eq(arr_len(form, "fields"), 6);
    in.kind = EXTRACT_FILL;
    in.form = form;
    in.ocr_text = NULL;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);
    ck_fill(res, "Surname", "ERIKSSON", "doc", "p-1");
    ck_fill(res, "Given names", "ANNA MARIA", "doc", "p-1");
    ck_fill(res, "Date of birth (DD/MM/YYYY)", "Aug 12, 1974", "doc", "p-1");
    ck_fill(res, "Passport number", "L898902C3", "doc", "p-1");
    ck_fill(res, "Sex", "F", "doc", "p-1");
    ck_assert(!json_object_object_get_ex(res, "Place of birth", NULL));
    json_object_put(res);
    json_object_put(form);
    json_object_put(in.file_lib);
    json_object_put(lib);
}
END_TEST

START_TEST(test_fill_shapes)
{
    struct extract_input   in;
    json_object           *lib, *form, *res;

    lib = lib_of(fill_lib);
    memset(&in, 0, sizeof(in));
    in.kind = EXTRACT_FILL;
    in.file_lib = lib;

    /* no fields: an empty result, not an error */
    form = parse("{\"title\": \"x\"}");
    in.form = form;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);
    ck_assert_int_eq(json_object_object_length(res), 0);
    json_object_put(res);
    json_object_put(form);

    /* an empty library fills nothing */
    form = parse("{\"fields\": [\"Surname\"]}");
    in.form = form;
    in.file_lib = NULL;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_OK);
    ck_assert_int_eq(json_object_object_length(res), 0);
    json_object_put(res);
    json_object_put(form);
    in.file_lib = lib;

    /* shapes the caller reports as FILL_PROMPT_CONSTRUCTION_FAILED */
    form = parse("{\"fields\": \"Surname\"}");
    in.form = form;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_BADINPUT);
    ck_assert_ptr_null(res);
    json_object_put(form);
    form = parse("[\"Surname\"]");
    in.form = form;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_BADINPUT);
    json_object_put(form);
    in.form = NULL;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_BADINPUT);
    json_object_put(lib);
}
END_TEST

/* --- the library ------------------------------------------------------ */

START_TEST(test_lib_normalise)
{
    json_object  *raw, *lib, *docs, *forms;

    ck_assert_int_eq(extract_lib_normalise(NULL, 10, &lib), RC_OK);
    ck_assert_uint_eq(arr_len(lib, "docs"), 0);
    ck_assert_uint_eq(arr_len(lib, "forms"), 0);
    json_object_put(lib);

    raw = parse("{\"doc\": [{\"id\": 5, \"title\": \"a\"},"
                " {\"resource_id\": \"r\", \"id\": \"ignored\"},"
                " {\"title\": \"no id\"}, \"str\", {\"id\": \"\"},"
                " {\"resource_id\": 7}],"
                " \"form\": [{\"id\": \"f1\"}], \"other\": 1}");
    ck_assert_int_eq(extract_lib_normalise(raw, 100, &lib), RC_OK);
    ck_assert_int_eq(jsonx_array(lib, "docs", &docs), JSONX_OK);
    ck_assert_int_eq(jsonx_array(lib, "forms", &forms), JSONX_OK);
    ck_assert_uint_eq(json_object_array_length(docs), 3);
    ck_assert_str_eq(str_at(json_object_array_get_idx(docs, 0),
                            "resource_id"), "5");
    ck_assert_str_eq(str_at(json_object_array_get_idx(docs, 0), "title"),
                     "a");
    ck_assert_str_eq(str_at(json_object_array_get_idx(docs, 1),
                            "resource_id"), "r");
    ck_assert_str_eq(str_at(json_object_array_get_idx(docs, 2),
                            "resource_id"), "7");
    ck_assert_uint_eq(json_object_array_length(forms), 1);
    ck_assert_str_eq(str_at(json_object_array_get_idx(forms, 0),
                            "resource_id"), "f1");
    ck_assert(!json_object_object_get_ex(lib, "other", NULL));
    /* the client's objects are left as they were */
    ck_assert_ptr_null(str_at(json_object_array_get_idx(
        json_object_object_get(raw, "doc"), 0), "resource_id"));
    json_object_put(lib);

    /* the cap counts docs first, then forms */
    ck_assert_int_eq(extract_lib_normalise(raw, 2, &lib), RC_OK);
    ck_assert_uint_eq(arr_len(lib, "docs"), 2);
    ck_assert_uint_eq(arr_len(lib, "forms"), 0);
    json_object_put(lib);
    json_object_put(raw);
}
END_TEST

static const char *const bad_libs[] = {
    "[]", "\"x\"", "5", "{\"docs\": {}}", "{\"forms\": \"x\"}",
    "{\"doc\": 1}", "{\"docs\": [], \"form\": {\"id\": 1}}"
};

START_TEST(test_lib_bad)
{
    json_object  *raw, *lib;

    raw = parse(bad_libs[_i]);
    lib = NULL;
    ck_assert_int_eq(extract_lib_normalise(raw, 10, &lib), RC_BADINPUT);
    ck_assert_ptr_null(lib);
    json_object_put(raw);
}
END_TEST

/* --- model replies ---------------------------------------------------- */

START_TEST(test_flatten)
{
    json_object  *kv, *flat;

    kv = parse("{\"a\": {\"b\": \"x\", \"c\": {\"d\": 1}},"
               " \"items\": [\"p\", \"q\", {\"n\": \"r\"}],"
               " \"n\": 5, \"f\": 1.50, \"t\": true, \"z\": null,"
               " \"e\": [], \"s\": \" pad \"}");
    flat = extract_flatten_kv(kv);
    ck_assert_str_eq(str_at(flat, "a.b"), "x");
    ck_assert_str_eq(str_at(flat, "a.c.d"), "1");
    ck_assert_str_eq(str_at(flat, "items.1"), "p");
    ck_assert_str_eq(str_at(flat, "items.2"), "q");
    ck_assert_str_eq(str_at(flat, "items.3.n"), "r");
    ck_assert_str_eq(str_at(flat, "n"), "5");
    ck_assert_str_eq(str_at(flat, "f"), "1.50");
    ck_assert_str_eq(str_at(flat, "t"), "true");
    ck_assert_str_eq(str_at(flat, "s"), "pad");
    ck_assert(!json_object_object_get_ex(flat, "z", NULL));
    ck_assert_int_eq(json_object_object_length(flat), 9);
    json_object_put(flat);
    json_object_put(kv);

    flat = extract_flatten_kv(NULL);
    ck_assert_int_eq(json_object_object_length(flat), 0);
    json_object_put(flat);
}
END_TEST

static const struct {
    const char  *reply;
    const char  *want;          /* NULL: nothing usable */
} clean_cases[] = {
    { "{\"a\":1}", "{\"a\":1}" },
    { "```json\n{\"a\": 1}\n```", "{\"a\": 1}" },
    { "```\n{\"a\": 1}\n```\nDone.", "{\"a\": 1}" },
    { "Here it is:\n```json\n{\"t\": \"x\"}\n```", "{\"t\": \"x\"}" },
    { "<think>maybe {\"a\": 0}?</think>\n{\"title\": \"x\"}",
      "{\"title\": \"x\"}" },
    { "<THINK>a</THINK><think>b {}</think> {\"k\": {\"n\": []}} tail",
      "{\"k\": {\"n\": []}}" },
    { "<think>no end yet {\"draft\": 1} so the answer: {\"title\": \"y\"}",
      "{\"title\": \"y\"}" },
    { "reasoning {\"a\": 2} </think> {\"b\": 3}", "{\"b\": 3}" },
    { "Sure! {\"t\": \"a } b { c\"} trailing", "{\"t\": \"a } b { c\"}" },
    { "{\"t\": \"say \\\"}\\\" ok\", \"u\": 1}",
      "{\"t\": \"say \\\"}\\\" ok\", \"u\": 1}" },
    { "Use {curly} braces: {\"a\": 1}", "{\"a\": 1}" },
    { "{ }", "{ }" },
    { "no json here", NULL },
    { "{\"a\": 1", NULL },
    { "<think>{\"a\": 1}</think>", NULL },
    { "", NULL },
};

START_TEST(test_clean_reply)
{
    char  *got;

    got = extract_clean_reply(clean_cases[_i].reply);
    if (clean_cases[_i].want == NULL) {
        ck_assert_msg(got == NULL, "case %d: got \"%s\"", _i, got);
        return;
    }
    ck_assert_msg(got != NULL, "case %d: nothing", _i);
    ck_assert_str_eq(got, clean_cases[_i].want);
    free(got);
}
END_TEST

static const char validate_lib[] =
    "{\"docs\": [{\"resource_id\": \"d1\"}, {\"id\": 5}],"
    " \"forms\": [{\"resource_id\": \"f1\"}]}";

START_TEST(test_validate_doc)
{
    json_object  *lib, *res, *rel;

    lib = lib_of(validate_lib);
    res = parse("{\"title\": 5, \"tags\": \"x\", \"kv\": {\"a\": {\"b\": 1},"
                " \"c\": [true, null], \"d\": \"\"},"
                " \"related\": [{\"resource_id\": \"d1\", \"type\": \"form\"},"
                " {\"resource_id\": \"zz\"}, \"f1\", {\"id\": 5},"
                " {\"resource_id\": \"d1\"}, 7, null]}");
    ck_assert_int_eq(extract_validate(EXTRACT_DOC, res, lib), RC_OK);
    ck_assert_str_eq(str_at(res, "title"), "5");
    ck_assert_str_eq(str_at(res, "description"), "");
    ck_assert_uint_eq(arr_len(res, "tags"), 0);
    ck_kv(res, "a.b", "1");
    ck_kv(res, "c.1", "true");
    ck_kv(res, "d", "");
    ck_assert_ptr_null(kv_get(res, "c.2"));
    ck_assert_int_eq(jsonx_array(res, "related", &rel), JSONX_OK);
    ck_assert_uint_eq(json_object_array_length(rel), 3);
    ck_assert_str_eq(str_at(json_object_array_get_idx(rel, 0), "type"),
                     "doc");
    ck_assert_str_eq(str_at(json_object_array_get_idx(rel, 0),
                            "resource_id"), "d1");
    ck_assert_str_eq(str_at(json_object_array_get_idx(rel, 1), "type"),
                     "form");
    ck_assert_str_eq(str_at(json_object_array_get_idx(rel, 2),
                            "resource_id"), "5");
    json_object_put(res);

    /* tags trimmed, lowercased, deduplicated, capped; title from them */
    res = parse("{\"tags\": [\" Receipt\", 3, \"receipt\", \"Food\", \"\","
                " \"a\", \"b\", \"c\"], \"description\": \"d\","
                " \"kv\": [{\"key\": \"Total\", \"value\": 5},"
                " {\"label\": \"Date\", \"value\": \"x\"}, [1]]}");
    ck_assert_int_eq(extract_validate(EXTRACT_DOC, res, NULL), RC_OK);
    ck_assert_uint_eq(arr_len(res, "tags"), 4);
    ck_assert_str_eq(arr_str(res, "tags", 0), "receipt");
    ck_assert_str_eq(arr_str(res, "tags", 1), "food");
    ck_assert_str_eq(str_at(res, "title"), "Receipt");
    ck_kv(res, "Total", "5");
    ck_kv(res, "Date", "x");
    ck_assert_uint_eq(arr_len(res, "related"), 0);
    json_object_put(res);
    json_object_put(lib);
}
END_TEST

START_TEST(test_validate_form)
{
    json_object  *res;

    res = parse("{\"title\": \"T\", \"fields\": [\" Name: \","
                " {\"label\": \"DOB\"}, 3, null, \"Name\", {\"x\": 1}, \"\"]}");
    ck_assert_int_eq(extract_validate(EXTRACT_FORM, res, NULL), RC_OK);
    ck_assert_uint_eq(arr_len(res, "fields"), 3);
    ck_assert_str_eq(arr_str(res, "fields", 0), "Name");
    ck_assert_str_eq(arr_str(res, "fields", 1), "DOB");
    ck_assert_str_eq(arr_str(res, "fields", 2), "3");
    json_object_put(res);

    res = parse("{\"fields\": {\"a\": 1}}");
    ck_assert_int_eq(extract_validate(EXTRACT_FORM, res, NULL), RC_OK);
    ck_assert_uint_eq(arr_len(res, "fields"), 0);
    ck_assert_str_eq(str_at(res, "title"), "Form");
    json_object_put(res);
}
END_TEST

START_TEST(test_validate_fill)
{
    json_object  *lib, *res, *e, *src;

    lib = lib_of(validate_lib);
    res = parse("{\"Name\": \"Anna\","
                " \"DOB\": {\"value\": \"1974\", \"source\":"
                "  {\"type\": \"doc\", \"resource_id\": \"d1\"}, \"x\": 1},"
                " \"X\": {\"value\": \"v\","
                "  \"source\": {\"resource_id\": \"no\"}},"
                " \"F\": {\"value\": 2.5,"
                "  \"source\": {\"resource_id\": \"f1\"}},"
                " \"Y\": null, \"Z\": {\"source\": {}}, \"N\": 5, \"A\": [1]}");
    ck_assert_int_eq(extract_validate(EXTRACT_FILL, res, lib), RC_OK);
    ck_assert_int_eq(json_object_object_length(res), 5);
    ck_assert_int_eq(jsonx_object(res, "Name", &e), JSONX_OK);
    ck_assert_str_eq(str_at(e, "value"), "Anna");
    ck_assert(!json_object_object_get_ex(e, "source", NULL));
    ck_assert_int_eq(jsonx_object(res, "DOB", &e), JSONX_OK);
    ck_assert_int_eq(jsonx_object(e, "source", &src), JSONX_OK);
    ck_assert_str_eq(str_at(src, "resource_id"), "d1");
    ck_assert(!json_object_object_get_ex(e, "x", NULL));
    ck_assert_int_eq(jsonx_object(res, "X", &e), JSONX_OK);
    ck_assert(!json_object_object_get_ex(e, "source", NULL));
    ck_assert_int_eq(jsonx_object(res, "F", &e), JSONX_OK);
    ck_assert_str_eq(str_at(e, "value"), "2.5");
    ck_assert_int_eq(jsonx_object(e, "source", &src), JSONX_OK);
    ck_assert_str_eq(str_at(src, "type"), "form");
    ck_assert_int_eq(jsonx_object(res, "N", &e), JSONX_OK);
    ck_assert_str_eq(str_at(e, "value"), "5");
    json_object_put(res);
    json_object_put(lib);
}
END_TEST

START_TEST(test_validate_reject)
{
    json_object  *o;

    ck_assert_int_eq(extract_validate(EXTRACT_DOC, NULL, NULL), RC_BADINPUT);
    o = parse("[{\"title\": \"x\"}]");
    ck_assert_int_eq(extract_validate(EXTRACT_DOC, o, NULL), RC_BADINPUT);
    ck_assert_int_eq(extract_validate(EXTRACT_FILL, o, NULL), RC_BADINPUT);
    json_object_put(o);
    o = parse("\"title\"");
    ck_assert_int_eq(extract_validate(EXTRACT_FORM, o, NULL), RC_BADINPUT);
    json_object_put(o);
}
END_TEST

/* --- kinds and odd input ---------------------------------------------- */

START_TEST(test_kinds)
{
    enum extract_kind  k;

    ck_assert_int_eq(extract_kind_parse("doc", &k), 0);
    ck_assert_int_eq(k, EXTRACT_DOC);
    ck_assert_int_eq(extract_kind_parse("form", &k), 0);
    ck_assert_int_eq(k, EXTRACT_FORM);
    ck_assert_int_eq(extract_kind_parse("fill", &k), 0);
    ck_assert_int_eq(k, EXTRACT_FILL);
    ck_assert_int_eq(extract_kind_parse("Doc", &k), -1);
    ck_assert_int_eq(extract_kind_parse("", &k), -1);
    ck_assert_int_eq(extract_kind_parse(NULL, &k), -1);
    ck_assert_int_eq(extract_prompt_err(EXTRACT_DOC),
                     DS_DOC_PROMPT_CONSTRUCTION_FAILED);
    ck_assert_int_eq(extract_prompt_err(EXTRACT_FORM),
                     DS_FORM_PROMPT_CONSTRUCTION_FAILED);
    ck_assert_int_eq(extract_prompt_err(EXTRACT_FILL),
                     DS_FILL_PROMPT_CONSTRUCTION_FAILED);
}
END_TEST

/* Page markers count pages and never show up in the result. */
START_TEST(test_pages)
{
    json_object  *res;
    char         *dump;

    res = run_text(EXTRACT_DOC, "----page 1----\nINVOICE\nACME LTD\n"
                   "Invoice No: 4471\n----page 2----\nBill To: J. Smith\n"
                   "Due Date: 2019-01-31\nAmount Due: $120.00\n", NULL);
    ck_assert_str_eq(str_at(res, "title"), "Invoice - ACME LTD");
    ck_assert_str_eq(arr_str(res, "tags", 0), "invoice");
    ck_kv(res, "Total", "$120.00");
    ck_kv(res, "Invoice No", "4471");
    ck_kv(res, "Due Date", "Jan 31, 2019");
    ck_kv(res, "Customer", "J. Smith");
    ck_assert_ptr_nonnull(strstr(str_at(res, "description"), "2 pages"));
    dump = jsonx_dump(res);
    ck_assert_ptr_null(strstr(dump, "page 1"));
    ck_assert_ptr_null(strstr(dump, "----"));
    free(dump);
    json_object_put(res);
}
END_TEST

/* Odd text, and a box cut short at the end of a line (found fuzzing). */
START_TEST(test_odd_text)
{
    static const char *const  texts[] = {
        "", "\n\n  \n", "----page 1----\n----page 2----\n", ":::::",
        "[ ]", "____", "Total:", "DATE", "I accept [x", "[ x",
        "P<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
    };
    struct extract_input      in;
    json_object              *res;
    char                     *big;
    size_t                    i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        res = run_text(i % 2 ? EXTRACT_FORM : EXTRACT_DOC, texts[i], NULL);
        ck_assert_str_ne(str_at(res, "title"), "");
        ck_assert_uint_ge(arr_len(res, "tags"), 1);
        json_object_put(res);
    }

    /* one long line of labels: bounded, still a result */
    big = malloc(200001);
    ck_assert_ptr_nonnull(big);
    for (i = 0; i < 200000; i++) {
        big[i] = "Name: x "[i % 8];
    }
    big[200000] = '\0';
    res = run_text(EXTRACT_FORM, big, NULL);
    ck_assert_uint_le(json_object_object_length(
                          json_object_object_get(res, "kv")), EX_KV_MAX);
    json_object_put(res);
    free(big);

    memset(&in, 0, sizeof(in));
    in.kind = EXTRACT_DOC;
    ck_assert_int_eq(extract_builtin(&in, &res), RC_BADINPUT);
    ck_assert_int_eq(extract_builtin(NULL, &res), RC_BADINPUT);
}
END_TEST

/*
 * Regression (fuzz_builtin): a first line of 0x9f bytes (UTF-8
 * continuation bytes, no lead) longer than a title made the company
 * and the title ""; the cut on a character boundary backed off to
 * nothing. Text that is not UTF-8 is now cut at the byte limit.
 */
START_TEST(test_not_utf8_cut)
{
    char          text[256], s[128];
    json_object  *res;
    size_t        i;

    memset(text, 0x9f, 100);
    snprintf(text + 100, sizeof(text) - 100,
             "APPL 12.50\nA LIBRARY CARD\nEmployer .... Acme AB\n");
    res = run_text(EXTRACT_DOC, text, NULL);
    ck_assert_str_ne(str_at(res, "title"), "");
    json_object_put(res);

    memset(s, 0x9f, 100);
    s[100] = '\0';
    ex_cut_words(s, 60);
    ck_assert_uint_eq(strlen(s), 60);

    /* valid UTF-8 is still cut on a character: "a" then 40 x e-acute */
    s[0] = 'a';
    for (i = 0; i < 40; i++) {
        s[1 + 2 * i] = (char) 0xc3;
        s[2 + 2 * i] = (char) 0xa9;
    }
    s[81] = '\0';
    ex_cut_words(s, 60);
    ck_assert_uint_eq(strlen(s), 59);
}
END_TEST

/*
 * Regression (fuzz_builtin): a first line of commas and dashes longer
 * than a title ("-,,,,...,E,,ECr") was cut on its punctuation down to
 * a title "".
 */
START_TEST(test_title_punctuation)
{
    char          text[128];
    json_object  *res;

    memset(text, ',', 100);
    text[0] = '-';
    text[39] = '-';
    snprintf(text + 100, sizeof(text) - 100, "E,,ECr\n");
    res = run_text(EXTRACT_DOC, text, NULL);
    ck_assert_str_eq(str_at(res, "title"), "Document");
    json_object_put(res);
    res = run_text(EXTRACT_FORM, text, NULL);
    ck_assert_str_ne(str_at(res, "title"), "");
    json_object_put(res);
}
END_TEST

/*
 * Regression (fuzz_builtin): a form's blank field longer than a field
 * name was cut after a space and kept it ("... PPLICATION "), which
 * extract_validate then trimmed: the cut is trimmed again.
 */
START_TEST(test_copy_trim_cut)
{
    char  out[8];

    ex_copy_trim("  abc def  ", 11, NULL, out, 5);
    ck_assert_str_eq(out, "abc");
    ex_copy_trim("ab:: cd", 7, ":", out, 6);
    ck_assert_str_eq(out, "ab");
    ex_copy_trim(" abcdefghij", 11, NULL, out, sizeof(out));
    ck_assert_str_eq(out, "abcdefg");
    ex_copy_trim("   ", 3, NULL, out, sizeof(out));
    ck_assert_str_eq(out, "");
}
END_TEST

/* Same input, same bytes out. */
START_TEST(test_deterministic)
{
    json_object  *a, *b;
    char         *da, *db;

    a = run_text(EXTRACT_FORM, form_blank, NULL);
    b = run_text(EXTRACT_FORM, form_blank, NULL);
    da = jsonx_dump(a);
    db = jsonx_dump(b);
    ck_assert_str_eq(da, db);
    free(db);
    free(da);
    json_object_put(b);
    json_object_put(a);
}
END_TEST

/* --- the suite -------------------------------------------------------- */

#define NCASES(a) ((int) (sizeof(a) / sizeof((a)[0])))

static Suite *
extract_suite(int corpus)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("extract");

    tc = tcase_create("rules");
    tcase_add_loop_test(tc, test_dates, 0, NCASES(date_cases));
    tcase_add_test(tc, test_date_span);
    tcase_add_loop_test(tc, test_amounts, 0, NCASES(amount_cases));
    tcase_add_test(tc, test_mrz_td3);
    tcase_add_loop_test(tc, test_mrz_bad_digit, 0, 7);
    tcase_add_test(tc, test_mrz_td1);
    suite_add_tcase(s, tc);

    tc = tcase_create("builtin");
    tcase_add_test(tc, test_receipt_fields);
    tcase_add_loop_test(tc, test_receipt_totals, 0, NCASES(total_cases));
    tcase_add_test(tc, test_receipt_chinese);
    tcase_add_test(tc, test_invoice_company);
    tcase_add_test(tc, test_form_fields);
    tcase_add_test(tc, test_form_next_line);
    tcase_add_test(tc, test_passport_doc);
    tcase_add_test(tc, test_pages);
    tcase_add_test(tc, test_odd_text);
    tcase_add_test(tc, test_not_utf8_cut);
    tcase_add_test(tc, test_copy_trim_cut);
    tcase_add_test(tc, test_title_punctuation);
    tcase_add_test(tc, test_deterministic);
    suite_add_tcase(s, tc);

    if (corpus) {
        tc = tcase_create("corpus");
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_corpus_receipts);
        tcase_add_test(tc, test_corpus_forms);
        suite_add_tcase(s, tc);
    }

    tc = tcase_create("library");
    tcase_add_test(tc, test_related);
    tcase_add_test(tc, test_related_cap);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_fill_prefers_covering_entry);
    tcase_add_test(tc, test_fill_roundtrip);
    tcase_add_test(tc, test_fill_shapes);
    tcase_add_test(tc, test_lib_normalise);
    tcase_add_loop_test(tc, test_lib_bad, 0, NCASES(bad_libs));
    suite_add_tcase(s, tc);

    tc = tcase_create("replies");
    tcase_add_test(tc, test_flatten);
    tcase_add_loop_test(tc, test_clean_reply, 0, NCASES(clean_cases));
    tcase_add_test(tc, test_validate_doc);
    tcase_add_test(tc, test_validate_form);
    tcase_add_test(tc, test_validate_fill);
    tcase_add_test(tc, test_validate_reject);
    tcase_add_test(tc, test_kinds);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner  *sr;
    int       failed, corpus;

    corpus = corpus_present();
    if (!corpus) {
        fprintf(stderr, "no corpus at %s: corpus tests skipped\n",
                test_corpus());
    }
    sr = srunner_create(extract_suite(corpus));
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (failed != 0) {
        return EXIT_FAILURE;
    }
    return corpus ? EXIT_SUCCESS : 77;
}
