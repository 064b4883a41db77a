/*
 * extract_int.h - private to the extract module and its unit test.
 *
 *   extract.c          kinds, the library's shape, json-c helpers
 *   extract_reply.c    a model's reply: cleaned, validated, repaired
 *   extract_builtin.c  the builtin extractor: steps, title, tags, text
 *   extract_rules.c    text helpers, OCR lines, dates, amounts
 *   extract_mrz.c      machine readable zones
 *   extract_receipt.c  company, address and total of shop documents
 *   extract_labels.c   the labels known and the shapes of their values
 *   extract_kv.c       labelled pairs and blank fields of lines
 *   extract_fill.c     the library: filling a form, related entries
 *
 * Functions here are pure and thread-safe; a struct ex_doc belongs to
 * one call. Values in these structs are document text: never log them.
 */
#ifndef DS_EXTRACT_INT_H
#define DS_EXTRACT_INT_H

#include <stddef.h>

#include <json-c/json.h>

#include "extract.h"
#include "rc.h"

#define EX_KV_MAX       40      /* kv entries the builtin returns */
#define EX_FIELDS_MAX   100     /* blank fields of a form */
#define EX_RELATED_MAX  5
#define EX_TAGS_MAX     4
#define EX_TITLE_MAX    60      /* bytes */
#define EX_VALUE_MAX    400     /* bytes of one kv value */
#define EX_LINE_MAX     512     /* bytes kept of one OCR line */
#define EX_LINES_MAX    5000    /* lines looked at */
#define EX_MRZ_MAX      44
#define EX_TOP_LINES    12      /* where company, address, heading are */

/* --- json-c and library helpers (extract.c) ------------------------- */

/* Set or add v; v is released when they fail (RC_NOMEM). */
rc_t ex_obj_set(json_object *o, const char *key, json_object *v);
rc_t ex_obj_set_str(json_object *o, const char *key, const char *s);
rc_t ex_arr_add(json_object *a, json_object *v);
rc_t ex_arr_add_str(json_object *a, const char *s);

#define EX_ID_MAX       256     /* bytes of a resource id */

/* An id as text: a non-empty string or an integer. 1 when usable. */
int ex_id_text(json_object *v, char *out, size_t outlen);

/* The id of a library entry or related item: resource_id, else id. */
int ex_entry_id(json_object *e, char *out, size_t outlen);

/*
 * Where id is in a normalised library: "doc" or "form", looking in the
 * list of want ("doc"/"form", may be NULL) first. NULL when not there.
 */
const char *ex_lib_find(json_object *lib, const char *id,
    const char *want);

/* --- text (extract_rules.c) ----------------------------------------- */

/*
 * OCR text as lines: white space trimmed and collapsed to one space,
 * empty lines and page markers ("----page N----") dropped, each line
 * cut to EX_LINE_MAX bytes on a character boundary. pages counts the
 * markers (1 when there are none but there is text).
 */
struct ex_lines {
    char    **v;
    size_t    n;
    int       pages;
};

rc_t ex_lines_split(const char *text, struct ex_lines *out);
void ex_lines_free(struct ex_lines *l);

/*
 * Normalise a label or phrase: ASCII letters lowercased, other ASCII
 * punctuation to a space, runs of spaces collapsed, ends trimmed;
 * bytes >= 0x80 (UTF-8) kept. When map is not NULL, map[j] is the
 * index in s of out[j]. Always NUL-terminates a non-empty out.
 */
void ex_norm(const char *s, char *out, size_t outlen, size_t *map);

/*
 * Copy s[0..n) trimmed of white space and of the trailing "sep" bytes
 * (sep may be NULL); out may be s.
 */
void ex_copy_trim(const char *s, size_t n, const char *sep, char *out,
    size_t outlen);

/* Cut s at or before max bytes on a word (else character) boundary. */
void ex_cut_words(char *s, size_t max);

/* 1 when the '|' separated list holds w (n bytes) as one item. */
int ex_list_has(const char *list, const char *w, size_t n);

/* How many words of the normalised text norm are in list. */
int ex_list_count(const char *norm, const char *list);

/*
 * Distinct phrases of the '|' separated list found in norm, text that
 * ex_norm made and that starts and ends with a space.
 */
int ex_phrases(const char *norm, const char *list);

/* A line normalised with a space at each end, for ex_phrases. */
void ex_line_norm(const char *line, char *out, size_t outlen);

/* Running text rather than a heading, a name or an address. */
int ex_prose(const char *line);

/* s[b..e) holds an ASCII digit / letter. */
int ex_has_digit(const char *s, size_t b, size_t e);
int ex_has_letter(const char *s, size_t b, size_t e);

/* Boolean helpers on one byte / one line. */
int ex_is_alnum(int c);
int ex_count_letters(const char *s, int *upper, int *lower);

/* --- dates ---------------------------------------------------------- */

struct ex_date {
    int  y, m, d;
};

/*
 * Find the first date in s. Numeric dates are day-first (18/11/18 is
 * 18 Nov) as in most of the world, unless only month-first is valid
 * (11/18/18) or mdy is set (an American document: 03/07/21 is Mar 7);
 * two-digit years 00-68 are 20xx and 69-99 are 19xx (as POSIX strptime
 * %y). *beg and *end (either may be NULL) get the span. 1 when found.
 */
int ex_date_find(const char *s, int mdy, struct ex_date *d, size_t *beg,
    size_t *end);

/* Two-digit years made four-digit (as above); 1 when the date exists. */
int ex_date_valid(struct ex_date *d);

/* "Mon DD, YYYY" (day zero-padded, as strftime "%b %d, %Y"). */
void ex_date_format(const struct ex_date *d, char *out, size_t outlen);

/* --- amounts -------------------------------------------------------- */

struct ex_amount {
    size_t      beg;        /* printed span, currency included */
    size_t      end;
    long long   cents;
    int         currency;   /* a currency mark was printed */
};

/*
 * The first amount in s at or after from: a number with two decimals
 * (1,234.56 or 1.234,56), optionally signed and with a currency code or
 * sign before or after it; a whole number counts only with a currency.
 * 1 when found.
 */
int ex_amount_find(const char *s, size_t from, struct ex_amount *a);

/* --- MRZ (ICAO 9303, extract_mrz.c) --------------------------------- */

struct ex_mrz {
    char            type[3];        /* "P", "I", "ID", "V", ... */
    char            issuer[4];
    char            number[10];
    char            nationality[4];
    char            sex[2];         /* "M", "F" or "" */
    char            surname[48];
    char            given[48];
    struct ex_date  birth;
    struct ex_date  expiry;
};

/*
 * An OCR line as an MRZ line: spaces dropped, only [A-Z0-9<], padded or
 * trimmed (of '<' only) to 30, 36 or 44. Returns that length or 0.
 */
size_t ex_mrz_line(const char *s, char *out, size_t outlen);

/*
 * Parse 3 lines of 30 (TD1) or 2 lines of 36 (TD2) or 44 (TD3). 1 when
 * the shape is right and the document number, birth and expiry check
 * digits (and the composite one when printed) pass; 0 otherwise.
 */
int ex_mrz_parse(const char *const *lines, size_t n, struct ex_mrz *m);

/* --- labels (extract_labels.c) ------------------------------------- */

enum ex_vt {
    EX_VT_TEXT = 0,
    EX_VT_DATE,
    EX_VT_AMOUNT,
    EX_VT_TOTAL,                /* left to the total step */
    EX_VT_PHONE,
    EX_VT_ID,
    EX_VT_EMAIL
};

struct ex_label {
    const char  *key;
    enum ex_vt   type;
    const char  *aliases;
};

/* The label with the alias norm (normalised), or NULL. */
const struct ex_label *ex_label_find(const char *norm);

/*
 * The typed label whose alias is the longest word-prefix of norm; its
 * length in *n. Text labels are left out: without a colon, "NAME OF
 * EVENT" is not a name.
 */
const struct ex_label *ex_label_prefix(const char *norm, size_t *n);

/* The normalised word w (n bytes) starts labels ("date", "tel"...). */
int ex_label_is_head(const char *w, size_t n);

/*
 * The value of a typed label at s, normalised into out. With anywhere,
 * a date or amount may come after other words (a colon said it is the
 * value); mdy as for ex_date_find. Bytes of s used, 0 when s holds no
 * value of that type.
 */
size_t ex_value_typed(enum ex_vt type, const char *s, int anywhere,
    int mdy, char *out, size_t outlen);

/* "8:13:39 PM", "11:06" (after spaces) at s: the time of day. */
size_t ex_time_at(const char *s, char *out, size_t outlen);

/* Digits, spaces and +-()./ with 6 to 15 digits; "- " squeezed. */
size_t ex_value_phone(const char *s, char *out, size_t outlen);

/* --- the document being read (the builtin's steps) ------------------ */

enum {
    EX_USED_MRZ = 1,            /* a machine readable zone line */
    EX_USED_ADDR = 2,           /* part of the address found */
    EX_USED_COMPANY = 4,        /* the company line */
    EX_USED_TOTAL = 8,          /* the line the total came from */
    EX_USED_VALUE = 16          /* the value of the label line above */
};

struct ex_kinddef;

struct ex_doc {
    enum extract_kind         kind;
    struct ex_lines           lines;
    unsigned char            *used;         /* EX_USED_* per line */
    char                     *norm;         /* " normalised text " */
    const struct ex_kinddef  *dk;           /* recognised kind or NULL */
    json_object              *kv;           /* key -> value, in order */
    json_object              *fields;       /* form: blank fields */
    struct ex_mrz             mrz;
    int                       mrz_ok;
    int                       mdy;          /* US dates: month first */
    char                      company[128];
    char                      header[128];
};

/*
 * Add key: value to doc->kv: both trimmed, the value cut to
 * EX_VALUE_MAX; skipped when the value is empty or only punctuation,
 * the key is there already (first wins) or kv holds EX_KV_MAX.
 */
rc_t ex_doc_kv_add(struct ex_doc *doc, const char *key, const char *value);

/* Add a blank field (forms only; trailing ':' dropped, deduplicated). */
rc_t ex_doc_field_add(struct ex_doc *doc, const char *label);

/* The first machine readable zone: "MRZ" and its fields when valid. */
rc_t ex_doc_mrz(struct ex_doc *doc);

/*
 * The company (doc->company, its line used) from a legal form or kind
 * of business in the top lines (or the last five), else the first line
 * of capitals (extract_receipt.c).
 */
void ex_doc_company(struct ex_doc *doc);

/* "Address": consecutive address lines near the top, joined. */
rc_t ex_doc_address(struct ex_doc *doc);

/* "Total": the most likely amount to pay. */
rc_t ex_doc_total(struct ex_doc *doc);

/*
 * The labelled pairs of the lines no earlier step used ("Label: value",
 * "Label ..... value", "LABEL value" for typed labels) and, for forms,
 * the blank fields (extract_kv.c).
 */
rc_t ex_kv_lines(struct ex_doc *doc);

/* --- the library (extract_fill.c) ----------------------------------- */

/* Fill a form from the library: RC_BADINPUT for a bad form shape. */
rc_t ex_fill_run(json_object *form, json_object *file_lib,
    json_object **out);

/* Up to EX_RELATED_MAX entries of the library related to a result. */
rc_t ex_related(json_object *result, json_object *file_lib,
    json_object **out);

#endif
