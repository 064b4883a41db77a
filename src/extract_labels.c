/*
 * extract_labels.c - the labels the builtin extractor knows: their
 * human-readable keys, their aliases, and the shape of their values
 * (dates, amounts, phone numbers, ids, e-mail addresses).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "extract_int.h"

#define EX_ID_LEN_MAX   40      /* bytes of an id value */

/*
 * Aliases are normalised (ex_norm) and '|' separated; a few Chinese ones
 * are written as UTF-8 escapes (riqi date, shijian time, heji/zongji
 * total, dianhua/shouji phone, dizhi address, xingming name, fapiao
 * haoma invoice number).
 */
static const struct ex_label ex_labels[] = {
    { "Date", EX_VT_DATE,
      "date|dated|invoice date|receipt date|bill date|transaction date|"
      "txn date|trans date|date issued|issue date|date of issue|tarikh|"
      "\xe6\x97\xa5\xe6\x9c\x9f" },                      /* riqi */
    { "Time", EX_VT_TEXT,
      "time|txn time|trans time|\xe6\x97\xb6\xe9\x97\xb4" },
    { "Due Date", EX_VT_DATE, "due date|payment due|due" },
    { "Date of Birth", EX_VT_DATE,
      "date of birth|dob|d o b|birth date|birthdate|born" },
    { "Date of Expiry", EX_VT_DATE,
      "date of expiry|expiry date|expiry|expires|expiration date|"
      "valid until|exp date" },
    { "Total", EX_VT_TOTAL,
      "total|grand total|total amount|amount due|total due|total payable|"
      "amount payable|nett total|net total|balance due|total rm|"
      "\xe5\x90\x88\xe8\xae\xa1|\xe6\x80\xbb\xe8\xae\xa1" },
    { "Subtotal", EX_VT_AMOUNT,
      "subtotal|sub total|total excl gst|total sales excluding gst|"
      "total excluding gst|total before tax|amt excl gst|amount excl gst" },
    { "Tax", EX_VT_AMOUNT,
      "tax|gst|vat|sst|sales tax|total gst|total tax|total vat|"
      "service tax|tax amount|gst amount|vat amount" },
    { "Service Charge", EX_VT_AMOUNT, "service charge|svc charge" },
    { "Rounding", EX_VT_AMOUNT,
      "rounding|rounding adj|rounding adjustment|round adj" },
    { "Discount", EX_VT_AMOUNT, "discount|disc|total discount" },
    { "Cash", EX_VT_AMOUNT, "cash|cash tendered|tendered|amount paid|paid" },
    { "Change", EX_VT_AMOUNT, "change|change due" },
    { "Opening Balance", EX_VT_AMOUNT,
      "opening balance|balance brought forward|previous balance" },
    { "Closing Balance", EX_VT_AMOUNT,
      "closing balance|ending balance|balance carried forward|new balance" },
    { "Invoice No", EX_VT_ID,
      "invoice no|invoice number|invoice|inv no|invoice ref|bill no|"
      "tax invoice no|\xe5\x8f\x91\xe7\xa5\xa8\xe5\x8f\xb7\xe7\xa0\x81" },
    { "Receipt No", EX_VT_ID,
      "receipt no|receipt number|receipt|rcpt no|receipt ref" },
    { "Document No", EX_VT_ID, "document no|document number|doc no" },
    { "Transaction No", EX_VT_ID,
      "trans|trans no|transaction|transaction no|transaction id|txn|"
      "txn no|txn id" },
    { "Order No", EX_VT_ID,
      "order no|order number|order id|po no|po number|purchase order" },
    { "Reference", EX_VT_ID,
      "ref|ref no|reference|reference no|reference number|your ref|our ref" },
    { "Account No", EX_VT_ID,
      "account no|account number|acct no|a c no|account" },
    { "Member No", EX_VT_ID, "member no|member id|membership no|card no" },
    { "Tax ID", EX_VT_ID,
      "gst id|gst no|gst reg no|gst registration no|tax reg id|tax id|"
      "vat no|vat reg no|vat id|tin|abn|sst no|sst id" },
    { "Company No", EX_VT_ID,
      "company no|co no|co reg no|reg no|registration no|roc|roc no|"
      "company reg no|business reg no" },
    { "Passport No", EX_VT_ID, "passport no|passport number|passport" },
    { "ID No", EX_VT_ID,
      "id no|id number|identity no|identity card no|ic no|nric|nric no|"
      "national id|personal no" },
    { "Phone", EX_VT_PHONE,
      "phone|tel|telephone|tel no|phone no|phone number|telephone no|"
      "telephone number|mobile|mobile no|hp|contact no|contact number|cell|"
      "\xe7\x94\xb5\xe8\xaf\x9d|\xe6\x89\x8b\xe6\x9c\xba" },
    { "Fax", EX_VT_PHONE, "fax|fax no|fax number" },
    { "Email", EX_VT_EMAIL, "email|e mail|email address|e mail address" },
    { "Website", EX_VT_TEXT, "website|web|url" },
    { "Name", EX_VT_TEXT,
      "name|full name|customer name|patient name|applicant name|"
      "employee name|\xe5\xa7\x93\xe5\x90\x8d" },
    { "Surname", EX_VT_TEXT, "surname|last name|family name" },
    { "Given Names", EX_VT_TEXT,
      "given names|given name|first name|first names|forename|forenames" },
    { "Nationality", EX_VT_TEXT, "nationality|citizenship" },
    { "Sex", EX_VT_TEXT, "sex|gender" },
    { "Place of Birth", EX_VT_TEXT, "place of birth|birth place" },
    { "Address", EX_VT_TEXT,
      "address|addr|street address|residential address|billing address|"
      "home address|\xe5\x9c\xb0\xe5\x9d\x80" },
    { "Customer", EX_VT_TEXT, "customer|bill to|sold to|client" },
    { "Cashier", EX_VT_TEXT, "cashier|served by|operator" },
};

#define EX_NLABELS (sizeof(ex_labels) / sizeof(ex_labels[0]))

/* Words that start a label: where one label ends and the next begins. */
static const char  ex_label_heads[] =
    "date|time|tel|telephone|phone|fax|email|mobile|name|invoice|receipt|"
    "ref|reference|order|account|total|subtotal|tax|gst|vat|due|amount|"
    "cash|change|nric|ic|id|passport|nationality|sex|gender|address|"
    "postcode|zip|city|state|country|signature|dob|birth|place|"
    "occupation|doc|document|bill|member|cashier|table|qty|page";

int
ex_label_is_head(const char *w, size_t n)
{
    return ex_list_has(ex_label_heads, w, n);
}

const struct ex_label *
ex_label_find(const char *norm)
{
    size_t  i;

    for (i = 0; i < EX_NLABELS; i++) {
        if (ex_list_has(ex_labels[i].aliases, norm, strlen(norm))) {
            return &ex_labels[i];
        }
    }
    return NULL;
}

const struct ex_label *
ex_label_prefix(const char *norm, size_t *n)
{
    const struct ex_label  *best;
    const char             *p, *bar;
    size_t                  i, len;

    best = NULL;
    *n = 0;
    for (i = 0; i < EX_NLABELS; i++) {
        if (ex_labels[i].type == EX_VT_TEXT) {
            continue;
        }
        for (p = ex_labels[i].aliases; *p != '\0';
             p = *bar == '|' ? bar + 1 : bar)
        {
            bar = strchr(p, '|');
            if (bar == NULL) {
                bar = p + strlen(p);
            }
            len = (size_t) (bar - p);
            if (len > *n && strncmp(norm, p, len) == 0
                && (norm[len] == ' ' || norm[len] == '\0'))
            {
                best = &ex_labels[i];
                *n = len;
            }
        }
    }
    return best;
}

/* --- values ----------------------------------------------------------- */

size_t
ex_time_at(const char *s, char *out, size_t outlen)
{
    size_t  i, n;

    i = strspn(s, " ,");
    n = strspn(s + i, "0123456789");
    if (n < 1 || n > 2 || s[i + n] != ':') {
        return 0;
    }
    n += 1 + strspn(s + i + n + 1, "0123456789:");
    if (s[i + n] == ' ' && (s[i + n + 1] == 'A' || s[i + n + 1] == 'P'
                            || s[i + n + 1] == 'a' || s[i + n + 1] == 'p')
        && (s[i + n + 2] == 'M' || s[i + n + 2] == 'm'))
    {
        n += 3;
    }
    ex_copy_trim(s + i, n, NULL, out, outlen);
    return i + n;
}

static size_t
ex_value_date(const char *s, int anywhere, int mdy, char *out,
    size_t outlen)
{
    struct ex_date  d;
    size_t          b, e;

    if (!ex_date_find(s, mdy, &d, &b, &e) || (!anywhere && b > 0)) {
        return 0;
    }
    ex_date_format(&d, out, outlen);
    return e;
}

static size_t
ex_value_amount(const char *s, int anywhere, char *out, size_t outlen)
{
    struct ex_amount  a, last;
    size_t            from;
    int               found;

    memset(&last, 0, sizeof(last));
    found = 0;
    for (from = 0; ex_amount_find(s, from, &a); from = a.end) {
        if (!found && !anywhere && ex_has_letter(s, 0, a.beg)) {
            return 0;           /* "GST 6% 1.46" yes, "QTY 2 X 1.50" no */
        }
        if (!found || a.cents != 0 || last.cents == 0) {
            last = a;
        }
        found = 1;
        if (!anywhere) {
            break;
        }
    }
    if (!found) {
        return 0;
    }
    ex_copy_trim(s + last.beg, last.end - last.beg, NULL, out, outlen);
    return last.end;
}

size_t
ex_value_phone(const char *s, char *out, size_t outlen)
{
    size_t  i, j, digits;

    if (strchr("+(0123456789", s[0]) == NULL || s[0] == '\0') {
        return 0;
    }
    digits = 0;
    j = 0;
    for (i = 0; s[i] != '\0' && strchr("0123456789 +-()./", s[i]) != NULL
         && digits < 16; i++)
    {
        digits += s[i] >= '0' && s[i] <= '9';
        if (s[i] == ' ' && ((j > 0 && out[j - 1] == '-') || s[i + 1] == '-'))
        {
            continue;
        }
        if (j + 1 < outlen) {
            out[j++] = s[i];
        }
    }
    while (j > 0 && strchr(" -./(", out[j - 1]) != NULL) {
        j--;
        i--;
    }
    out[j] = '\0';
    return digits >= 6 && digits <= 15 ? i : 0;
}

/*
 * A token with a digit (after a short prefix of capitals: "CBP 0001"),
 * and the all-digit groups after it ("0010 9010 5344").
 */
static size_t
ex_value_id(const char *s, char *out, size_t outlen)
{
    size_t  n, end, g;

    n = strcspn(s, " ");
    if (n > 0 && n <= 4 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == n
        && s[n] == ' ')
    {
        n += 1 + strcspn(s + n + 1, " ");
    }
    if (!ex_has_digit(s, 0, n) || n > EX_ID_LEN_MAX) {
        return 0;
    }
    end = n;
    while (s[end] == ' ') {
        g = strspn(s + end + 1, "0123456789");
        if (g == 0 || (s[end + 1 + g] != ' ' && s[end + 1 + g] != '\0')
            || end + 1 + g > EX_ID_LEN_MAX)
        {
            break;
        }
        end += 1 + g;
    }
    while (end > 0 && strchr(".,;)", s[end - 1]) != NULL) {
        end--;
    }
    ex_copy_trim(s, end, NULL, out, outlen);
    return end;
}

static size_t
ex_value_email(const char *s, char *out, size_t outlen)
{
    const char  *at;
    size_t       b, e;

    at = strchr(s, '@');
    if (at == NULL) {
        return 0;
    }
    b = (size_t) (at - s);
    while (b > 0 && strchr(" ,;<(", s[b - 1]) == NULL) {
        b--;
    }
    e = (size_t) (at - s) + strcspn(at, " ,;>)");
    if (memchr(at, '.', e - (size_t) (at - s)) == NULL
        || b == (size_t) (at - s))
    {
        return 0;
    }
    ex_copy_trim(s + b, e - b, ".", out, outlen);
    return e;
}

size_t
ex_value_typed(enum ex_vt type, const char *s, int anywhere, int mdy,
    char *out, size_t outlen)
{
    switch (type) {
    case EX_VT_DATE:
        return ex_value_date(s, anywhere, mdy, out, outlen);
    case EX_VT_AMOUNT:
        return ex_value_amount(s, anywhere, out, outlen);
    case EX_VT_PHONE:
        return ex_value_phone(s, out, outlen);
    case EX_VT_ID:
        return ex_value_id(s, out, outlen);
    case EX_VT_EMAIL:
        return ex_value_email(s, out, outlen);
    default:
        return 0;
    }
}
