/*
 * test_base.c - the base modules: buf, jsonx, cfg (against the shipped
 * sample packaging/docusnap.ini) and the wire error table.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <ini.h>
#include <json-c/json.h>

#include "buf.h"
#include "cfg.h"
#include "errcode.h"
#include "jsonx.h"
#include "testutil.h"

#define DEEP_NEST  100000
#define ENV_KEY    "DOCUSNAP_LLM_API_KEY"

static char  tdir[64];

/* --- fixture ---------------------------------------------------------- */

static void
setup(void)
{
    snprintf(tdir, sizeof(tdir), "/tmp/ds-test-base-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tdir));
}

static void
teardown(void)
{
    DIR            *d;
    struct dirent  *e;

    d = opendir(tdir);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
    rmdir(tdir);
}

/* Write text to a file of the temp dir; its path into out. */
static void
write_ini(const char *text, char *out, size_t outlen)
{
    FILE  *f;
    int    n;

    n = snprintf(out, outlen, "%s/t.ini", tdir);
    ck_assert(n > 0 && (size_t) n < outlen);
    f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(text, f), 0);
    ck_assert_int_eq(fclose(f), 0);
}

static void
sample_path(char *out, size_t outlen)
{
    int  n;

    n = snprintf(out, outlen, "%s/packaging/docusnap.ini", test_srcdir());
    ck_assert(n > 0 && (size_t) n < outlen);
}

/* --- buf ---------------------------------------------------------------- */

START_TEST(test_buf_append_growth)
{
    struct buf  b;
    size_t      i;
    char        c;

    buf_init(&b, BUF_UNLIMITED);
    ck_assert_ptr_null(b.data);
    for (i = 0; i < 10000; i++) {
        c = (char) ('a' + i % 26);
        ck_assert_int_eq(buf_append(&b, &c, 1), RC_OK);
        ck_assert_uint_ge(b.cap, b.len + 1);
    }
    ck_assert_uint_eq(b.len, 10000);
    ck_assert_uint_eq(strlen(buf_cstr(&b)), 10000);
    for (i = 0; i < 10000; i++) {
        ck_assert_int_eq(b.data[i], 'a' + (int) (i % 26));
    }

    /* Binary bytes count in len; the NUL after them does not. */
    buf_reset(&b);
    ck_assert_int_eq(buf_append(&b, "a\0b", 3), RC_OK);
    ck_assert_uint_eq(b.len, 3);
    ck_assert(memcmp(b.data, "a\0b\0", 4) == 0);
    ck_assert_int_eq(buf_append(&b, NULL, 0), RC_OK);
    ck_assert_uint_eq(b.len, 3);
    buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

START_TEST(test_buf_printf)
{
    struct buf  b;
    char        big[1000];

    buf_init(&b, BUF_UNLIMITED);
    ck_assert_int_eq(buf_printf(&b, "%d-%s", 42, "x"), RC_OK);
    ck_assert_int_eq(buf_append_str(&b, "|"), RC_OK);
    ck_assert_int_eq(buf_printf(&b, "%05.1f", 2.25), RC_OK);
    ck_assert_str_eq(buf_cstr(&b), "42-x|002.2");
    ck_assert_uint_eq(b.len, strlen("42-x|002.2"));

    /* Past the first allocation, inside one call. */
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(buf_printf(&b, "<%s>", big), RC_OK);
    ck_assert_uint_eq(b.len, 10 + 2 + 999);
    ck_assert_int_eq(b.data[10], '<');
    ck_assert_int_eq(b.data[b.len - 1], '>');
    ck_assert_int_eq(b.data[b.len], '\0');
    ck_assert_int_eq(buf_printf(&b, "%s", ""), RC_OK);
    ck_assert_uint_eq(b.len, 1011);
    buf_free(&b);
}
END_TEST

START_TEST(test_buf_cap)
{
    struct buf  b;

    buf_init(&b, 10);
    ck_assert_int_eq(buf_append_str(&b, "hello"), RC_OK);
    ck_assert_int_eq(buf_append_str(&b, "world!"), RC_NOMEM);
    ck_assert_str_eq(buf_cstr(&b), "hello");
    ck_assert_uint_eq(b.len, 5);
    ck_assert_int_eq(buf_printf(&b, "%s", "123456"), RC_NOMEM);
    ck_assert_str_eq(buf_cstr(&b), "hello");
    ck_assert_uint_eq(b.len, 5);
    ck_assert_int_eq(buf_append(&b, "x", BUF_UNLIMITED), RC_NOMEM);
    ck_assert_str_eq(buf_cstr(&b), "hello");

    /* Exactly max bytes fit; one more does not. */
    ck_assert_int_eq(buf_append_str(&b, "world"), RC_OK);
    ck_assert_str_eq(buf_cstr(&b), "helloworld");
    ck_assert_int_eq(buf_append(&b, "", 0), RC_OK);
    ck_assert_int_eq(buf_append_str(&b, "x"), RC_NOMEM);
    ck_assert_int_eq(buf_printf(&b, "%c", 'x'), RC_NOMEM);
    ck_assert_str_eq(buf_cstr(&b), "helloworld");
    ck_assert_uint_eq(b.len, 10);
    buf_free(&b);

    /* A cap of zero takes nothing but the empty string. */
    buf_init(&b, 0);
    ck_assert_int_eq(buf_append_str(&b, "a"), RC_NOMEM);
    ck_assert_int_eq(buf_append_str(&b, ""), RC_OK);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_free(&b);
}
END_TEST

START_TEST(test_buf_steal_reset)
{
    struct buf   b;
    char        *p;
    size_t       len;

    /* Empty, never written: "" (malloc'd), not NULL. */
    buf_init(&b, BUF_UNLIMITED);
    ck_assert_str_eq(buf_cstr(&b), "");
    len = 99;
    p = buf_steal(&b, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(p, "");
    free(p);
    ck_assert_ptr_null(b.data);

    /* Non-empty: the bytes, terminated; b is empty and usable. */
    ck_assert_int_eq(buf_append_str(&b, "abc"), RC_OK);
    p = buf_steal(&b, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_str_eq(p, "abc");
    free(p);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    ck_assert_str_eq(buf_cstr(&b), "");

    /* Reset keeps the memory, drops the contents. */
    ck_assert_int_eq(buf_append_str(&b, "abc"), RC_OK);
    buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_str_eq(buf_cstr(&b), "");
    ck_assert_int_eq(buf_append_str(&b, "de"), RC_OK);
    ck_assert_str_eq(buf_cstr(&b), "de");
    buf_reset(&b);
    p = buf_steal(&b, NULL);
    ck_assert_str_eq(p, "");
    free(p);

    /* Reset of a buffer never written is harmless. */
    buf_reset(&b);
    ck_assert_str_eq(buf_cstr(&b), "");
    buf_free(&b);
}
END_TEST

/* --- jsonx -------------------------------------------------------------- */

static json_object *
parse(const char *s, int depth)
{
    return jsonx_parse(s, strlen(s), depth);
}

START_TEST(test_jsonx_accepts)
{
    static const char *const ok[] = {
        "{}", "[]", "{\"a\":1,\"b\":[true,null,\"x\"]}", "[1,2.5,-3e2]",
        " \t\r\n{\"a\":{}} \n\t\r", "\"s\"", "true", "false", "null", "123",
        "-0.5",
    };
    json_object  *o;
    size_t        i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        /* json-c gives JSON null as NULL: no telling it from a failure */
        o = parse(ok[i], 16);
        ck_assert_msg(o != NULL || strcmp(ok[i], "null") == 0,
                      "rejected %s", ok[i]);
        json_object_put(o);
    }
    o = parse("{\"a\":[1,2]}", 16);
    ck_assert(json_object_is_type(o, json_type_object));
    json_object_put(o);
    o = parse("[1,2]", 16);
    ck_assert(json_object_is_type(o, json_type_array));
    ck_assert_uint_eq(json_object_array_length(o), 2);
    json_object_put(o);
    /* A scalar at the end of the input, with nothing after it. */
    o = parse("123", 16);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(json_object_get_int(o), 123);
    json_object_put(o);
    o = parse("true", 16);
    ck_assert_ptr_nonnull(o);
    ck_assert(json_object_get_boolean(o));
    json_object_put(o);
}
END_TEST

START_TEST(test_jsonx_rejects)
{
    static const char *const bad[] = {
        "", " ", "{} x", "{}{}", "[1] ]", "{\"a\":", "[1,2", "{\"a\"",
        "[\"abc", "[1,]", "['a']", "{\"a\":1,}", "tru", "12 34", "1 x",
        "[1] // c", "{} \v", "nul", "[01]", "[0x1]", "-", "[1e]",
    };
    size_t  i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse(bad[i], 16) == NULL, "accepted \"%s\"", bad[i]);
    }
    /* Embedded NUL, inside a string and after the value. */
    ck_assert_ptr_null(jsonx_parse("{\"a\":\"b\0c\"}", 11, 16));
    ck_assert_ptr_null(jsonx_parse("{}\0", 3, 16));
    /* Truncation of a valid text at every length. */
    for (i = 0; i < strlen("{\"a\":[1,2]}"); i++) {
        ck_assert_ptr_null(jsonx_parse("{\"a\":[1,2]}", i, 16));
    }
}
END_TEST

START_TEST(test_jsonx_depth)
{
    json_object  *o;
    char         *s;
    size_t        i;

    /* json-c counts the innermost scalar as a level too. */
    o = parse("[[[]]]", 3);
    ck_assert_ptr_nonnull(o);
    json_object_put(o);
    ck_assert_ptr_null(parse("[[[[]]]]", 3));
    ck_assert_ptr_null(parse("{\"a\":{\"b\":{\"c\":{}}}}", 3));

    /* Far too deep: refused at the limit, not by the stack. */
    s = malloc(2 * DEEP_NEST + 1);
    ck_assert_ptr_nonnull(s);
    for (i = 0; i < DEEP_NEST; i++) {
        s[i] = '[';
        s[DEEP_NEST + i] = ']';
    }
    s[2 * DEEP_NEST] = '\0';
    ck_assert_ptr_null(jsonx_parse(s, 2 * DEEP_NEST, 64));
    ck_assert_ptr_null(jsonx_parse(s, DEEP_NEST, 64));
    for (i = 0; i < DEEP_NEST; i++) {
        s[i] = i % 2 == 0 ? '[' : '{';
    }
    ck_assert_ptr_null(jsonx_parse(s, DEEP_NEST, 64));
    free(s);
}
END_TEST

START_TEST(test_jsonx_huge_numbers)
{
    static const char *const nums[] = {
        "[1e999999]", "[-1e999999]", "[1e-999999]",
        "[123456789012345678901234567890]",
        "[-123456789012345678901234567890]",
        "{\"n\":18446744073709551616}",
    };
    json_object  *o, *v;
    char         *s;
    size_t        i;

    for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        o = parse(nums[i], 16);
        if (o != NULL) {
            v = json_object_is_type(o, json_type_array)
                ? json_object_array_get_idx(o, 0) : NULL;
            (void) json_object_get_double(v);
            (void) json_object_get_int64(v);
            json_object_put(o);
        }
    }

    /* A number of 100000 digits. */
    s = malloc(100003);
    ck_assert_ptr_nonnull(s);
    s[0] = '[';
    memset(s + 1, '9', 100000);
    s[100001] = ']';
    s[100002] = '\0';
    o = jsonx_parse(s, 100002, 16);
    json_object_put(o);
    free(s);
}
END_TEST

START_TEST(test_jsonx_getters)
{
    static const char  *text = "{\"s\":\"x\",\"t\":true,\"f\":false,"
                               "\"a\":[1],\"o\":{\"k\":1},\"n\":null,"
                               "\"i\":1}";
    json_object        *o, *arr, *v;
    const char         *s;
    int                 b;

    o = parse(text, 16);
    ck_assert_ptr_nonnull(o);

    ck_assert_int_eq(jsonx_string(o, "s", &s), JSONX_OK);
    ck_assert_str_eq(s, "x");
    ck_assert_int_eq(jsonx_string(o, "i", &s), JSONX_TYPE);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(jsonx_string(o, "a", &s), JSONX_TYPE);
    ck_assert_int_eq(jsonx_string(o, "n", &s), JSONX_MISSING);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(jsonx_string(o, "absent", &s), JSONX_MISSING);

    ck_assert_int_eq(jsonx_bool(o, "t", &b), JSONX_OK);
    ck_assert_int_eq(b, 1);
    ck_assert_int_eq(jsonx_bool(o, "f", &b), JSONX_OK);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(jsonx_bool(o, "i", &b), JSONX_TYPE);
    ck_assert_int_eq(jsonx_bool(o, "s", &b), JSONX_TYPE);
    ck_assert_int_eq(jsonx_bool(o, "n", &b), JSONX_MISSING);

    ck_assert_int_eq(jsonx_array(o, "a", &v), JSONX_OK);
    ck_assert_uint_eq(json_object_array_length(v), 1);
    ck_assert_int_eq(jsonx_array(o, "o", &v), JSONX_TYPE);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(jsonx_array(o, "n", &v), JSONX_MISSING);

    ck_assert_int_eq(jsonx_object(o, "o", &v), JSONX_OK);
    ck_assert_int_eq(jsonx_object(o, "a", &v), JSONX_TYPE);
    ck_assert_int_eq(jsonx_object(o, "n", &v), JSONX_MISSING);
    ck_assert_int_eq(jsonx_object(o, "absent", &v), JSONX_MISSING);

    /* Not an object at all: nothing is in it. */
    ck_assert_int_eq(jsonx_array(o, "a", &arr), JSONX_OK);
    ck_assert_int_eq(jsonx_string(arr, "s", &s), JSONX_MISSING);
    ck_assert_int_eq(jsonx_string(NULL, "s", &s), JSONX_MISSING);
    json_object_put(o);
}
END_TEST

START_TEST(test_jsonx_dump)
{
    json_object  *o;
    char         *s;

    o = parse(" { \"a\" : [ 1 , \"x/y\" ] } ", 16);
    ck_assert_ptr_nonnull(o);
    s = jsonx_dump(o);
    ck_assert_str_eq(s, "{\"a\":[1,\"x/y\"]}");
    free(s);
    json_object_put(o);
}
END_TEST

/* --- cfg ---------------------------------------------------------------- */

/* The numeric fields, one row each, for comparing whole configs. */
#define CFG_INT(f)   { #f, offsetof(struct cfg, f), 0 }
#define CFG_LONG(f)  { #f, offsetof(struct cfg, f), 1 }
#define CFG_STRF(f)  { #f, offsetof(struct cfg, f), 2 }

static const struct {
    const char  *name;
    size_t       off;
    int          kind;      /* 0 int, 1 long, 2 string (not a path) */
} cfg_fields[] = {
    CFG_INT(request_threads), CFG_INT(job_threads),
    CFG_LONG(max_body_bytes), CFG_LONG(max_image_bytes),
    CFG_LONG(max_pixels), CFG_INT(max_pages), CFG_INT(max_file_lib_entries),
    CFG_INT(lease_seconds), CFG_INT(max_attempts),
    CFG_INT(processing_timeout), CFG_INT(expiry_seconds),
    CFG_INT(touch_interval), CFG_INT(sweep_interval_ms),
    CFG_INT(busy_timeout_ms), CFG_INT(ocr_slots), CFG_INT(min_text_height),
    CFG_INT(osd), CFG_INT(deskew), CFG_INT(llm_timeout_ms),
    CFG_INT(llm_retries), CFG_INT(llm_backoff_ms),
    CFG_STRF(prefix), CFG_STRF(languages), CFG_STRF(tessdata_dir),
    CFG_STRF(extractor), CFG_STRF(llm_base_url), CFG_STRF(llm_model),
    CFG_STRF(llm_api_key), CFG_STRF(llm_api_key_env), CFG_STRF(log_file),
    CFG_STRF(log_level),
};

/* Every non-path field of a equals that of b. */
static void
cfg_assert_same(const struct cfg *a, const struct cfg *b)
{
    const char  *pa, *pb;
    size_t       i;

    for (i = 0; i < sizeof(cfg_fields) / sizeof(cfg_fields[0]); i++) {
        pa = (const char *) a + cfg_fields[i].off;
        pb = (const char *) b + cfg_fields[i].off;
        if (cfg_fields[i].kind == 0) {
            ck_assert_msg(*(const int *) (const void *) pa
                          == *(const int *) (const void *) pb,
                          "%s: %d in the sample, %d by default",
                          cfg_fields[i].name, *(const int *) (const void *) pa,
                          *(const int *) (const void *) pb);
        } else if (cfg_fields[i].kind == 1) {
            ck_assert_msg(*(const long *) (const void *) pa
                          == *(const long *) (const void *) pb,
                          "%s differs from the default", cfg_fields[i].name);
        } else {
            ck_assert_msg(strncmp(pa, pb, CFG_STR) == 0,
                          "%s differs from the default", cfg_fields[i].name);
        }
    }
}

START_TEST(test_cfg_defaults)
{
    struct cfg  c;
    char        err[256];

    cfg_defaults(&c);
    ck_assert_str_eq(c.prefix, "/api/v1");
    ck_assert_int_eq(c.request_threads, 4);
    ck_assert_int_eq(c.job_threads, 2);
    ck_assert_int_eq(c.max_body_bytes, 64L << 20);
    ck_assert_int_eq(c.max_image_bytes, 20L << 20);
    ck_assert_int_eq(c.max_pixels, 50000000);
    ck_assert_int_eq(c.max_pages, 20);
    ck_assert_int_eq(c.lease_seconds, 60);
    ck_assert_int_eq(c.max_attempts, 3);
    ck_assert_int_eq(c.processing_timeout, 600);
    ck_assert_int_eq(c.expiry_seconds, 86400);
    ck_assert_int_eq(c.osd, 1);
    ck_assert_int_eq(c.deskew, 1);
    ck_assert_str_eq(c.languages, "eng");
    ck_assert_str_eq(c.extractor, "builtin");
    ck_assert_str_eq(c.llm_api_key, "");
    ck_assert_str_eq(c.llm_api_key_env, ENV_KEY);
    ck_assert_str_eq(c.log_level, "info");
    ck_assert(c.state_dir[0] == '/' && c.sql_dir[0] == '/');

    /* No file: the defaults. */
    ck_assert_int_eq(unsetenv(ENV_KEY), 0);
    memset(&c, 0x5a, sizeof(c));
    ck_assert_int_eq(cfg_load(NULL, &c, err, sizeof(err)), RC_OK);
    ck_assert_int_eq(c.max_pages, 20);
}
END_TEST

/* The shipped sample loads and says what the table says. */
START_TEST(test_cfg_sample_matches_defaults)
{
    struct cfg  c, d;
    char        path[1024], err[256];

    ck_assert_int_eq(unsetenv(ENV_KEY), 0);
    sample_path(path, sizeof(path));
    err[0] = '\0';
    ck_assert_msg(cfg_load(path, &c, err, sizeof(err)) == RC_OK, "%s", err);
    cfg_defaults(&d);
    cfg_assert_same(&c, &d);
}
END_TEST

static int
sample_set(void *user, const char *section, const char *name,
    const char *value)
{
    char  err[256];

    return cfg_set(user, section, name, value, err, sizeof(err)) == RC_OK;
}

/*
 * ... and lists every key: a key left out of the sample keeps the junk
 * it started with (0x5a5a5a5a = 1515870810) and differs from the table.
 */
START_TEST(test_cfg_sample_lists_all)
{
    struct cfg  c, d;
    char        path[1024];

    sample_path(path, sizeof(path));
    memset(&c, 0x5a, sizeof(c));
    ck_assert_int_eq(ini_parse(path, sample_set, &c), 0);
    cfg_defaults(&d);
    cfg_assert_same(&c, &d);
    ck_assert(memchr(c.state_dir, '\0', CFG_STR) != NULL);
    ck_assert(memchr(c.database, '\0', CFG_STR) != NULL);
    ck_assert(memchr(c.private_key, '\0', CFG_STR) != NULL);
    ck_assert(memchr(c.public_key, '\0', CFG_STR) != NULL);
    ck_assert(memchr(c.sql_dir, '\0', CFG_STR) != NULL);
    ck_assert(memchr(c.prompts_dir, '\0', CFG_STR) != NULL);
}
END_TEST

/* Load text; expect RC_BADINPUT and err starting with "file:line:". */
static void
cfg_expect_error(const char *text, int line, const char *why)
{
    struct cfg  c;
    char        path[1024], err[512], want[1100];

    write_ini(text, path, sizeof(path));
    err[0] = '\0';
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_BADINPUT);
    snprintf(want, sizeof(want), "%s:%d:", path, line);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
                  "err \"%s\" does not start with \"%s\"", err, want);
    ck_assert_msg(strstr(err, why) != NULL, "err \"%s\" lacks \"%s\"", err,
                  why);
}

START_TEST(test_cfg_unknown_key)
{
    cfg_expect_error("[server]\nprefix = /x\n\n[jobs]\nlease_secs = 5\n",
                     5, "lease_secs");
    cfg_expect_error("[nosuch]\nprefix = /x\n", 2, "nosuch.prefix");
    cfg_expect_error("prefix = /x\n", 1, "prefix");
    /* The first error is the one reported. */
    cfg_expect_error("[jobs]\n; c\nmax_attempts = 0\nbogus = 1\n", 3,
                     "max_attempts");
}
END_TEST

START_TEST(test_cfg_numbers)
{
    struct cfg  c;
    char        path[1024], err[256];

    cfg_expect_error("[jobs]\nmax_attempts = 101\n", 2, "max_attempts");
    cfg_expect_error("[jobs]\nmax_attempts = 0\n", 2, "1..100");
    cfg_expect_error("[server]\nrequest_threads = -1\n", 2,
                     "request_threads");
    cfg_expect_error("[limits]\nmax_pixels = 99999999999999999999\n", 2,
                     "max_pixels");
    cfg_expect_error("[jobs]\nlease_seconds = ten\n", 2, "lease_seconds");
    cfg_expect_error("[jobs]\nlease_seconds = 10s\n", 2, "lease_seconds");
    cfg_expect_error("[jobs]\nlease_seconds = 0x10\n", 2, "lease_seconds");
    cfg_expect_error("[jobs]\nlease_seconds = 1.5\n", 2, "lease_seconds");
    cfg_expect_error("[jobs]\nlease_seconds =\n", 2, "lease_seconds");

    /* In range, at both bounds, with an inline comment. */
    write_ini("[jobs]\nmax_attempts = 100 ; most\nlease_seconds = 1\n"
              "[limits]\nmax_pixels = 4294967296\n", path, sizeof(path));
    ck_assert_int_eq(unsetenv(ENV_KEY), 0);
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_OK);
    ck_assert_int_eq(c.max_attempts, 100);
    ck_assert_int_eq(c.lease_seconds, 1);
    ck_assert_int_eq(c.max_pixels, 4294967296L);
    ck_assert_int_eq(c.max_pages, 20);
}
END_TEST

START_TEST(test_cfg_booleans)
{
    static const struct { const char *text; int value; } t[] = {
        { "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
        { "1", 1 }, { "0", 0 }, { "YES", 1 }, { "False", 0 },
    };
    static const char *const bad[] = { "2", "y", "", "nope", "-1" };
    struct cfg  c;
    char        err[256];
    size_t      i;

    cfg_defaults(&c);
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        c.osd = -1;
        ck_assert_int_eq(cfg_set(&c, "ocr", "osd", t[i].text, err,
                                 sizeof(err)), RC_OK);
        ck_assert_int_eq(c.osd, t[i].value);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(cfg_set(&c, "ocr", "deskew", bad[i], err,
                                 sizeof(err)), RC_BADINPUT);
        ck_assert_ptr_nonnull(strstr(err, "ocr.deskew"));
    }
    cfg_expect_error("[ocr]\nosd = yes\ndeskew = maybe\n", 3, "deskew");
}
END_TEST

START_TEST(test_cfg_strings)
{
    struct cfg  c;
    char        v[CFG_STR + 1], err[256];

    cfg_defaults(&c);
    memset(v, 'a', CFG_STR - 1);
    v[CFG_STR - 1] = '\0';
    ck_assert_int_eq(cfg_set(&c, "server", "prefix", v, err, sizeof(err)),
                     RC_OK);
    ck_assert_str_eq(c.prefix, v);
    v[CFG_STR - 1] = 'a';
    v[CFG_STR] = '\0';
    ck_assert_int_eq(cfg_set(&c, "server", "prefix", v, err, sizeof(err)),
                     RC_BADINPUT);
    ck_assert_ptr_nonnull(strstr(err, "too long"));
    ck_assert_uint_eq(strlen(c.prefix), CFG_STR - 1);

    /* The 16-byte log.level: 15 fit, 16 do not. */
    ck_assert_int_eq(cfg_set(&c, "log", "level", "debugdebugdebug", err,
                             sizeof(err)), RC_OK);
    ck_assert_int_eq(cfg_set(&c, "log", "level", "debugdebugdebugd", err,
                             sizeof(err)), RC_BADINPUT);
    ck_assert_str_eq(c.log_level, "debugdebugdebug");
    ck_assert_int_eq(cfg_set(&c, "nosuch", "level", "x", err, sizeof(err)),
                     RC_BADINPUT);
}
END_TEST

/*
 * A line longer than libinih's 200-byte buffer: read whole, or refused
 * at its own line; never cut short in silence. The ';' lands where the
 * buffer would split the line, so the rest would pass for a comment.
 */
START_TEST(test_cfg_long_lines)
{
    struct cfg  c;
    char        path[1024], err[512], key[301], text[1200];
    size_t      i;
    rc_t        rc;

    for (i = 0; i < 300; i++) {
        key[i] = (char) ('a' + i % 26);
    }
    key[300] = '\0';
    key[189] = ';';
    snprintf(text, sizeof(text), "[extractor]\napi_key = %s\nmodel = m\n",
             key);
    write_ini(text, path, sizeof(path));
    ck_assert_int_eq(unsetenv(ENV_KEY), 0);
    err[0] = '\0';
    rc = cfg_load(path, &c, err, sizeof(err));
    if (rc == RC_OK) {
        ck_assert_str_eq(c.llm_api_key, key);
        ck_assert_str_eq(c.llm_model, "m");
    } else {
        ck_assert_msg(strstr(err, ":2:") != NULL, "err \"%s\"", err);
    }

    /* Over the field's size: refused, at its line. */
    memset(key, 'b', 300);
    snprintf(text, sizeof(text), "[server]\nprefix = /%s%s\n", key, key);
    cfg_expect_error(text, 2, "long");
}
END_TEST

START_TEST(test_cfg_missing_file)
{
    struct cfg  c;
    char        path[1024], err[512];

    snprintf(path, sizeof(path), "%s/no-such.ini", tdir);
    err[0] = '\0';
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_BADINPUT);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
}
END_TEST

START_TEST(test_cfg_env_api_key)
{
    struct cfg  c;
    char        path[1024], err[256];

    write_ini("[extractor]\nname = openai\napi_key = from-file\n", path,
              sizeof(path));
    ck_assert_int_eq(unsetenv(ENV_KEY), 0);
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_OK);
    ck_assert_str_eq(c.llm_api_key, "from-file");

    ck_assert_int_eq(setenv(ENV_KEY, "from-env", 1), 0);
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_OK);
    ck_assert_str_eq(c.llm_api_key, "from-env");
    ck_assert_str_eq(c.extractor, "openai");
    ck_assert_int_eq(cfg_load(NULL, &c, err, sizeof(err)), RC_OK);
    ck_assert_str_eq(c.llm_api_key, "from-env");

    /* An empty variable does not wipe the file's key. */
    ck_assert_int_eq(setenv(ENV_KEY, "", 1), 0);
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_OK);
    ck_assert_str_eq(c.llm_api_key, "from-file");

    /* api_key_env names another variable. */
    write_ini("[extractor]\napi_key_env = DS_TEST_OTHER_KEY\n", path,
              sizeof(path));
    ck_assert_int_eq(setenv(ENV_KEY, "from-env", 1), 0);
    ck_assert_int_eq(setenv("DS_TEST_OTHER_KEY", "other", 1), 0);
    ck_assert_int_eq(cfg_load(path, &c, err, sizeof(err)), RC_OK);
    ck_assert_str_eq(c.llm_api_key, "other");
}
END_TEST

/* --- errcode ------------------------------------------------------------ */

START_TEST(test_errcode_table)
{
    const char  *n, *m;
    int          i, j, st;

    for (i = 0; i < DS_ERR_COUNT; i++) {
        n = ds_err_name((enum ds_err) i);
        ck_assert_ptr_nonnull(n);
        ck_assert_msg(n[0] != '\0', "code %d has no name", i);
        for (m = n; *m != '\0'; m++) {
            ck_assert_msg(isupper((unsigned char) *m) || *m == '_'
                          || isdigit((unsigned char) *m),
                          "name \"%s\" is not upper-case", n);
        }
        st = ds_err_http_status((enum ds_err) i);
        ck_assert_msg(st >= 200 && st <= 599, "%s: status %d", n, st);
        for (j = 0; j < i; j++) {
            ck_assert_str_ne(n, ds_err_name((enum ds_err) j));
        }
        ck_assert_int_eq(ds_err_from_name(n), i);
    }
    ck_assert_int_eq(ds_err_http_status(DS_OK), 200);
    ck_assert_int_ge(ds_err_http_status(DS_SHA256_MISMATCH), 400);
}
END_TEST

START_TEST(test_errcode_unknown)
{
    ck_assert_int_eq(ds_err_from_name("NO_SUCH_CODE"), DS_PROCESSING_ERROR);
    ck_assert_int_eq(ds_err_from_name(""), DS_PROCESSING_ERROR);
    ck_assert_int_eq(ds_err_from_name("sha256_mismatch"),
                     DS_PROCESSING_ERROR);
    ck_assert_int_eq(ds_err_from_name(NULL), DS_PROCESSING_ERROR);
    ck_assert_str_eq(ds_err_name(DS_ERR_COUNT), "INTERNAL_ERROR");
    ck_assert_int_eq(ds_err_http_status(DS_ERR_COUNT), 500);
}
END_TEST

/* --- runner ------------------------------------------------------------- */

static TCase *
tcase(Suite *s, const char *name)
{
    TCase  *tc;

    tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *
base_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("base");
    tc = tcase(s, "buf");
    tcase_add_test(tc, test_buf_append_growth);
    tcase_add_test(tc, test_buf_printf);
    tcase_add_test(tc, test_buf_cap);
    tcase_add_test(tc, test_buf_steal_reset);

    tc = tcase(s, "jsonx");
    tcase_add_test(tc, test_jsonx_accepts);
    tcase_add_test(tc, test_jsonx_rejects);
    tcase_add_test(tc, test_jsonx_depth);
    tcase_add_test(tc, test_jsonx_huge_numbers);
    tcase_add_test(tc, test_jsonx_getters);
    tcase_add_test(tc, test_jsonx_dump);

    tc = tcase(s, "cfg");
    tcase_add_test(tc, test_cfg_defaults);
    tcase_add_test(tc, test_cfg_sample_matches_defaults);
    tcase_add_test(tc, test_cfg_sample_lists_all);
    tcase_add_test(tc, test_cfg_unknown_key);
    tcase_add_test(tc, test_cfg_numbers);
    tcase_add_test(tc, test_cfg_booleans);
    tcase_add_test(tc, test_cfg_strings);
    tcase_add_test(tc, test_cfg_long_lines);
    tcase_add_test(tc, test_cfg_missing_file);
    tcase_add_test(tc, test_cfg_env_api_key);

    tc = tcase(s, "errcode");
    tcase_add_test(tc, test_errcode_table);
    tcase_add_test(tc, test_errcode_unknown);
    return s;
}

int
main(void)
{
    SRunner  *sr;
    int       failed;

    sr = srunner_create(base_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
