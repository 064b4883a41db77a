/*
 * test_api.c - the API end to end: requests through the real nginx (TLS)
 * to the real FastCGI pool, Tesseract and SQLite, started by tests/run
 * with tests/stack. Three stacks:
 *   MAIN  builtin extractor, short lease, small limits
 *   LLM   openai extractor against tests/fakellm (the LLM stand-in)
 *   SLOW  openai extractor, lease 2 s, one attempt, 6 s timeout
 * A stack missing from the environment skips its tests (exit 77 when
 * none is there).
 */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "buf.h"
#include "client.h"
#include "clock.h"
#include "crypto.h"
#include "jsonx.h"
#include "store.h"
#include "../unit/testutil.h"

static struct itc  main_stack, llm_stack, slow_stack;
static int         have_main, have_llm, have_slow;
static char        corpus[1024];
static char        fakellm_url[256];
static unsigned    seq;

/* A client id no other test uses. */
static const char *
new_client(char *out, size_t len)
{
    snprintf(out, len, "itest-%d-%u-%ld", (int) getpid(), ++seq,
             (long) time(NULL));
    return out;
}

static const char *
corpus_file(const char *name)
{
    static char  path[4][1200];
    static int   k;

    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/%s", corpus, name);
    return path[k];
}

/* POST a raw body to /process; the reply's error detail. */
static void
post_raw(struct itc *c, const char *ctype, const char *body,
    struct itc_reply *r)
{
    ck_assert_int_eq(itc_request(c, "POST", "/process", ctype, body,
                                 strlen(body), r), 0);
}

static void
assert_error(struct itc_reply *r, long status, const char *code)
{
    ck_assert_msg(r->status == status, "status %ld, want %ld (%s)",
                  r->status, status, r->body ? r->body : "");
    ck_assert_str_eq(itc_detail(r), code);
}

/* Submit inner and expect an immediate error. */
static void
submit_expect(struct itc *c, const char *type, const char *inner,
    long status, const char *code)
{
    struct envelope   env;
    struct itc_reply  r;
    char              id[64];

    memset(&env, 0, sizeof(env));
    ck_assert_int_eq(itc_submit(c, new_client(id, sizeof(id)), type, inner,
                                NULL, &env, &r), 0);
    assert_error(&r, status, code);
    itc_reply_free(&r);
    envelope_free(&env);
}

/* Submit inner, wait for the job, expect it to fail with code. */
static void
job_expect_error(struct itc *c, const char *type, const char *inner,
    const char *code, int timeout_s)
{
    struct envelope   env;
    struct itc_reply  r, last;
    json_object      *res = NULL;
    char              id[64];

    memset(&env, 0, sizeof(env));
    new_client(id, sizeof(id));
    ck_assert_int_eq(itc_submit(c, id, type, inner, NULL, &env, &r), 0);
    ck_assert_msg(r.status == 202, "submit: %ld %s", r.status, r.body);
    itc_reply_free(&r);
    ck_assert_int_eq(itc_wait(c, id, type, &env, timeout_s, &last, &res), 0);
    assert_error(&last, 400, code);
    itc_reply_free(&last);
    envelope_free(&env);
}

/* Submit, wait, return the decrypted result (caller puts it). */
static json_object *
job_result(struct itc *c, const char *type, const char *inner,
    const struct envelope_opts *opts, int timeout_s)
{
    struct envelope   env;
    struct itc_reply  r, last;
    json_object      *res = NULL;
    char              id[64];

    memset(&env, 0, sizeof(env));
    new_client(id, sizeof(id));
    ck_assert_int_eq(itc_submit(c, id, type, inner, opts, &env, &r), 0);
    ck_assert_msg(r.status == 202, "submit: %ld %s", r.status, r.body);
    itc_reply_free(&r);
    ck_assert_int_eq(itc_wait(c, id, type, &env, timeout_s, &last, &res), 0);
    ck_assert_msg(last.status == 200, "poll: %ld %s", last.status,
                  last.body);
    ck_assert_ptr_nonnull(res);
    itc_reply_free(&last);
    envelope_free(&env);
    return res;
}

static void
assert_doc_schema(json_object *res, int form)
{
    json_object  *v;
    const char   *s;
    size_t        n;

    ck_assert_int_eq(jsonx_string(res, "title", &s), JSONX_OK);
    ck_assert_msg(s[0] != '\0', "empty title");
    ck_assert_int_eq(jsonx_string(res, "description", &s), JSONX_OK);
    ck_assert_int_eq(jsonx_array(res, "tags", &v), JSONX_OK);
    n = json_object_array_length(v);
    ck_assert_msg(n >= 1 && n <= 4, "%zu tags", n);
    ck_assert_int_eq(jsonx_object(res, "kv", &v), JSONX_OK);
    ck_assert_int_eq(jsonx_array(res, "related", &v), JSONX_OK);
    if (form) {
        ck_assert_int_eq(jsonx_array(res, "fields", &v), JSONX_OK);
    }
}

/* Is needle (case-folded, spaces dropped) in any kv value? */
static int
kv_has_value(json_object *res, const char *needle)
{
    json_object  *kv;
    char          a[512], b[512];
    size_t        i, j;

    if (jsonx_object(res, "kv", &kv) != JSONX_OK) {
        return 0;
    }
    for (i = j = 0; needle[i] && j < sizeof(b) - 1; i++) {
        if (needle[i] != ' ') {
            b[j++] = (char) tolower((unsigned char) needle[i]);
        }
    }
    b[j] = '\0';
    json_object_object_foreach(kv, key, val) {
        const char *s = json_object_get_string(val);
        (void) key;
        for (i = j = 0; s && s[i] && j < sizeof(a) - 1; i++) {
            if (s[i] != ' ') {
                a[j++] = (char) tolower((unsigned char) s[i]);
            }
        }
        a[j] = '\0';
        if (strstr(a, b) != NULL) {
            return 1;
        }
    }
    return 0;
}

#define NEED(flag) do { if (!(flag)) return; } while (0)

/* ---- transport and outer request errors ------------------------------ */

START_TEST(test_check_status)
{
    struct itc_reply  r;
    const char       *s;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/check_status", NULL,
                                 NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(jsonx_string(r.json, "server_status", &s), JSONX_OK);
    ck_assert_str_eq(s, "ok");
    itc_reply_free(&r);
}
END_TEST

START_TEST(test_public_key)
{
    struct itc_reply       r;
    struct crypto_pubkey  *pub = NULL;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/public_key", NULL,
                                 NULL, 0, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "BEGIN PUBLIC KEY"));
    ck_assert_int_eq(crypto_pubkey_from_pem(r.body, r.len, &pub), RC_OK);
    crypto_pubkey_free(pub);
    itc_reply_free(&r);
}
END_TEST

START_TEST(test_routes)
{
    struct itc_reply  r;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/process", NULL, NULL,
                                 0, &r), 0);
    assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    itc_reply_free(&r);
    ck_assert_int_eq(itc_request(&main_stack, "POST", "/check_status",
                                 "application/json", "{}", 2, &r), 0);
    assert_error(&r, 405, "METHOD_NOT_ALLOWED");
    itc_reply_free(&r);
    ck_assert_int_eq(itc_request(&main_stack, "GET", "/nope", NULL, NULL, 0,
                                 &r), 0);
    assert_error(&r, 404, "NOT_FOUND");
    itc_reply_free(&r);
}
END_TEST

START_TEST(test_bad_outer_requests)
{
    static const struct {
        const char  *ctype;
        const char  *body;
        long         status;
        const char  *code;
    } cases[] = {
        { "text/plain", "{}", 415, "UNSUPPORTED_MEDIA_TYPE" },
        { NULL, "{}", 415, "UNSUPPORTED_MEDIA_TYPE" },
        { "application/json", "", 400, "INVALID_JSON" },
        { "application/json", "{\"client_id\":", 400, "INVALID_JSON" },
        { "application/json", "[1,2]", 400, "INVALID_JSON" },
        { "application/json", "{\"type\":\"doc\",\"SHA256\":\"ab\","
          "\"has_content\":false}", 400, "MISSING_REQUIRED_FIELD" },
        { "application/json", "{\"client_id\":\"c\",\"SHA256\":\"ab\","
          "\"has_content\":false}", 400, "MISSING_REQUIRED_FIELD" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"doc\","
          "\"has_content\":false}", 400, "MISSING_REQUIRED_FIELD" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"doc\","
          "\"SHA256\":\"ab\"}", 400, "MISSING_REQUIRED_FIELD" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"pdf\","
          "\"SHA256\":\"ab\",\"has_content\":false}", 400, "INVALID_TYPE" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"doc\","
          "\"SHA256\":\"ab\",\"has_content\":\"yes\"}", 400,
          "INVALID_FIELD" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"doc\","
          "\"SHA256\":\"ab\",\"has_content\":false}", 400,
          "TASK_NOT_FOUND" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"doc\","
          "\"SHA256\":\"ab\",\"has_content\":true}", 400,
          "MISSING_CONTENT" },
        { "application/json", "{\"client_id\":\"c\",\"type\":\"doc\","
          "\"SHA256\":\"ab\",\"has_content\":true,\"content\":\"QUJD\","
          "\"aes_key\":\"QUJD\"}", 400, "SHA256_VERIFICATION_FAILED" },
    };
    struct itc_reply  r;
    size_t            i;

    NEED(have_main);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        post_raw(&main_stack, cases[i].ctype, cases[i].body, &r);
        ck_assert_msg(r.status == cases[i].status
                      && strcmp(itc_detail(&r), cases[i].code) == 0,
                      "case %zu: %ld %s, want %ld %s", i, r.status,
                      r.body ? r.body : "", cases[i].status, cases[i].code);
        itc_reply_free(&r);
    }
}
END_TEST

START_TEST(test_clear_requires_client)
{
    struct itc_reply  r;

    NEED(have_main);
    ck_assert_int_eq(itc_request(&main_stack, "POST", "/clear",
                                 "application/json", "{}", 2, &r), 0);
    assert_error(&r, 400, "MISSING_REQUIRED_FIELD");
    itc_reply_free(&r);
}
END_TEST

/* ---- envelope errors ------------------------------------------------- */

/* Send env with one part changed. */
static void
send_tampered(struct envelope *env, const char *sha, const char *content,
    const char *key, const char *code)
{
    json_object      *o = json_object_new_object();
    struct itc_reply  r;
    char              id[64];
    char             *body;

    json_object_object_add(o, "client_id",
                           json_object_new_string(new_client(id, sizeof(id))));
    json_object_object_add(o, "type", json_object_new_string("doc"));
    json_object_object_add(o, "SHA256", json_object_new_string(sha));
    json_object_object_add(o, "has_content", json_object_new_boolean(1));
    json_object_object_add(o, "content", json_object_new_string(content));
    json_object_object_add(o, "aes_key", json_object_new_string(key));
    body = jsonx_dump(o);
    json_object_put(o);
    post_raw(&main_stack, "application/json", body, &r);
    free(body);
    assert_error(&r, 400, code);
    itc_reply_free(&r);
    (void) env;
}

START_TEST(test_envelope_errors)
{
    struct envelope  env;
    char             sha[65], *inner, *cut;
    size_t           n;

    NEED(have_main);
    memset(&env, 0, sizeof(env));
    inner = itc_inner_files((const char *[]) {
        corpus_file("page_phototest.tif") }, 1, NULL);
    ck_assert_ptr_nonnull(inner);
    ck_assert_int_eq(envelope_seal(main_stack.pub, inner, strlen(inner),
                                   NULL, &env), RC_OK);
    free(inner);

    /* a well-formed hash of something else */
    ck_assert_int_eq(crypto_sha256_hex("x", 1, sha), RC_OK);
    send_tampered(&env, sha, env.content_b64, env.aes_key_b64,
                  "SHA256_MISMATCH");

    /* garbage where the wrapped key goes */
    send_tampered(&env, env.sha256, env.content_b64,
                  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                  "RSA_DECRYPTION_FAILED");
    send_tampered(&env, env.sha256, env.content_b64, "not base64!",
                  "RSA_DECRYPTION_FAILED");

    /* ciphertext cut to a length that is not a block multiple */
    n = strlen(env.content_b64);
    cut = strdup(env.content_b64);
    cut[n - 8] = '\0';
    ck_assert_int_eq(crypto_sha256_hex(cut, strlen(cut), sha), RC_OK);
    send_tampered(&env, sha, cut, env.aes_key_b64, "AES_DECRYPTION_FAILED");
    free(cut);
    envelope_free(&env);

    /* decrypts, but is not JSON */
    submit_expect(&main_stack, "doc", "this is not json", 400,
                  "INVALID_JSON");
}
END_TEST

/* ---- payload errors -------------------------------------------------- */

/* A real PNG whose IHDR (with a right CRC) claims w x h pixels. */
static unsigned char *
png_bomb(size_t *len, unsigned w, unsigned h)
{
    unsigned char  *p;

    p = test_read_file(corpus_file("funsd_82254765.png"), len);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(memcmp(p + 12, "IHDR", 4), 0);
    itc_put_be32(p + 16, w);
    itc_put_be32(p + 20, h);
    itc_put_be32(p + 29, itc_crc32(p + 12, 17));
    return p;
}

START_TEST(test_payload_errors)
{
    unsigned char  *bomb, *big;
    size_t          n, i;
    char           *inner;
    const char     *pages[21];

    NEED(have_main);
    submit_expect(&main_stack, "doc", "{\"file_lib\":{}}", 400,
                  "MISSING_CONTENT");
    submit_expect(&main_stack, "doc", "{\"to_process\":[]}", 400,
                  "MISSING_CONTENT");
    submit_expect(&main_stack, "doc", "{\"to_process\":42}", 400,
                  "INVALID_PAYLOAD");
    submit_expect(&main_stack, "doc", "{\"to_process\":[\"@@@\"]}", 400,
                  "INVALID_PAYLOAD");
    submit_expect(&main_stack, "fill", "{\"to_process\":[1]}", 400,
                  "INVALID_PAYLOAD");

    /* bytes that are no image */
    inner = itc_inner_bytes((const unsigned char *) "hello, world", 12, NULL);
    submit_expect(&main_stack, "doc", inner, 415, "UNSUPPORTED_IMAGE");
    free(inner);

    /* a header claiming 60000 x 60000 pixels */
    bomb = png_bomb(&n, 60000, 60000);
    inner = itc_inner_bytes(bomb, n, NULL);
    submit_expect(&main_stack, "doc", inner, 413, "IMAGE_TOO_LARGE");
    free(inner);

    /* more bytes than max_image_bytes (2 MiB in the test config) */
    big = calloc(1, 3 * 1024 * 1024);
    memcpy(big, bomb, n);
    free(bomb);
    inner = itc_inner_bytes(big, 3 * 1024 * 1024, NULL);
    free(big);
    submit_expect(&main_stack, "doc", inner, 413, "IMAGE_TOO_LARGE");
    free(inner);

    /* one page over max_pages (20) */
    for (i = 0; i < 21; i++) {
        pages[i] = corpus_file("page_phototest.tif");
    }
    inner = itc_inner_files(pages, 21, NULL);
    submit_expect(&main_stack, "doc", inner, 413, "TOO_MANY_PAGES");
    free(inner);
}
END_TEST

START_TEST(test_body_too_large)
{
    struct itc_reply  r;
    size_t            n = 9 * 1024 * 1024;
    char             *body;

    NEED(have_main);
    body = malloc(n + 1);
    memset(body, ' ', n);
    body[0] = '{';
    body[n - 1] = '}';
    body[n] = '\0';
    post_raw(&main_stack, "application/json", body, &r);
    free(body);
    assert_error(&r, 413, "REQUEST_TOO_LARGE");
    itc_reply_free(&r);
}
END_TEST

START_TEST(test_job_errors)
{
    unsigned char  *png;
    size_t          n;
    char           *inner;

    NEED(have_main);
    /* a header that reads, data that does not */
    png = test_read_file(corpus_file("funsd_82254765.png"), &n);
    ck_assert_ptr_nonnull(png);
    inner = itc_inner_bytes(png, 3000, NULL);
    free(png);
    job_expect_error(&main_stack, "doc", inner, "OCR_FAILURE", 60);
    free(inner);

    /* a library the extractor cannot read */
    inner = itc_inner_files((const char *[]) {
        corpus_file("page_phototest.tif") }, 1, "not a library");
    job_expect_error(&main_stack, "doc", inner,
                     "DOC_PROMPT_CONSTRUCTION_FAILED", 60);
    job_expect_error(&main_stack, "form", inner,
                     "FORM_PROMPT_CONSTRUCTION_FAILED", 60);
    free(inner);
    job_expect_error(&main_stack, "fill",
                     "{\"to_process\":{\"fields\":7},\"file_lib\":{}}",
                     "FILL_PROMPT_CONSTRUCTION_FAILED", 60);
}
END_TEST

START_TEST(test_database_busy)
{
    char       path[1200], *inner;
    sqlite3   *db = NULL;

    NEED(have_main);
    snprintf(path, sizeof(path), "%s/state/docusnap.db", main_stack.dir);
    ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
                     SQLITE_OK);
    inner = itc_inner_files((const char *[]) {
        corpus_file("page_phototest.tif") }, 1, NULL);
    submit_expect(&main_stack, "doc", inner, 503, "DATABASE_ERROR");
    ck_assert_int_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    /* and normal service once the lock is gone */
    json_object_put(job_result(&main_stack, "doc", inner, NULL, 90));
    free(inner);
}
END_TEST

/* ---- documents ------------------------------------------------------- */

START_TEST(test_receipt_doc)
{
    json_object  *res;
    char         *inner;

    NEED(have_main);
    inner = itc_inner_files((const char *[]) {
        corpus_file("sroie_000.jpg") }, 1, NULL);
    res = job_result(&main_stack, "doc", inner, NULL, 90);
    free(inner);
    assert_doc_schema(res, 0);
    /* the scan's own date; its total is read as the rounded total,
     * which OCR gets wrong on this scan (accuracy is measured in bench/) */
    ck_assert_msg(kv_has_value(res, "Dec 25, 2018"), "date not in kv: %s",
                  json_object_to_json_string(res));
    ck_assert_msg(kv_has_value(res, "TAMAN DAYA"), "company not in kv: %s",
                  json_object_to_json_string(res));
    json_object_put(res);
}
END_TEST

START_TEST(test_form)
{
    json_object  *res, *fields;
    char         *inner;

    NEED(have_main);
    inner = itc_inner_files((const char *[]) {
        corpus_file("funsd_0000971160.png") }, 1, NULL);
    res = job_result(&main_stack, "form", inner, NULL, 90);
    free(inner);
    assert_doc_schema(res, 1);
    ck_assert_int_eq(jsonx_array(res, "fields", &fields), JSONX_OK);
    json_object_put(res);
}
END_TEST

START_TEST(test_two_pages_android_client)
{
    struct envelope_opts  opts = { 16, 1, 1 };  /* AES-128, SHA-1, wrap */
    json_object          *res;
    char                 *inner;

    NEED(have_main);
    inner = itc_inner_files((const char *[]) {
        corpus_file("page_phototest.tif"), corpus_file("sroie_003.jpg") },
        2, NULL);
    res = job_result(&main_stack, "doc", inner, &opts, 120);
    free(inner);
    assert_doc_schema(res, 0);
    json_object_put(res);
}
END_TEST

START_TEST(test_fill)
{
    static const char  inner[] =
        "{\"to_process\":{\"title\":\"Application\",\"fields\":"
        "[\"Given name\",\"Date of birth\",\"Favourite colour\"]},"
        "\"file_lib\":{\"doc\":[{\"id\":\"p1\",\"title\":\"Passport\","
        "\"kv\":{\"First name\":\"Anna\",\"DOB\":\"Aug 12, 1974\"}}],"
        "\"forms\":[]}}";
    json_object  *res, *f, *src;
    const char   *s;

    NEED(have_main);
    res = job_result(&main_stack, "fill", inner, NULL, 60);
    ck_assert_int_eq(jsonx_object(res, "Given name", &f), JSONX_OK);
    ck_assert_int_eq(jsonx_string(f, "value", &s), JSONX_OK);
    ck_assert_str_eq(s, "Anna");
    ck_assert_int_eq(jsonx_object(f, "source", &src), JSONX_OK);
    ck_assert_int_eq(jsonx_string(src, "resource_id", &s), JSONX_OK);
    ck_assert_str_eq(s, "p1");
    ck_assert_int_eq(jsonx_string(src, "type", &s), JSONX_OK);
    ck_assert_str_eq(s, "doc");
    ck_assert_int_eq(jsonx_object(res, "Date of birth", &f), JSONX_OK);
    ck_assert_int_eq(jsonx_object(res, "Favourite colour", &f),
                     JSONX_MISSING);
    json_object_put(res);
}
END_TEST

START_TEST(test_replay_and_clear)
{
    struct envelope   env;
    struct itc_reply  r, last;
    json_object      *res = NULL;
    char              id[64], *inner, *body;

    NEED(have_main);
    memset(&env, 0, sizeof(env));
    new_client(id, sizeof(id));
    inner = itc_inner_files((const char *[]) {
        corpus_file("page_phototest.tif") }, 1, NULL);
    ck_assert_int_eq(itc_submit(&main_stack, id, "doc", inner, NULL, &env,
                                &r), 0);
    free(inner);
    ck_assert_int_eq(r.status, 202);
    itc_reply_free(&r);

    /* the same body again is answered from the entry, not queued twice */
    body = itc_body(id, "doc", &env, 1);
    post_raw(&main_stack, "application/json", body, &r);
    ck_assert_msg(r.status == 202 || r.status == 200, "replay %ld", r.status);
    itc_reply_free(&r);
    ck_assert_int_eq(itc_wait(&main_stack, id, "doc", &env, 60, &last, &res),
                     0);
    ck_assert_int_eq(last.status, 200);
    itc_reply_free(&last);
    json_object_put(res);

    /* another client cannot see it */
    free(body);
    body = itc_body("someone-else", "doc", &env, 0);
    post_raw(&main_stack, "application/json", body, &r);
    assert_error(&r, 400, "TASK_NOT_FOUND");
    itc_reply_free(&r);
    free(body);

    /* clear it, then it is gone */
    body = malloc(256);
    snprintf(body, 256, "{\"client_id\":\"%s\",\"SHA256\":\"%s\","
             "\"type\":\"doc\"}", id, env.sha256);
    ck_assert_int_eq(itc_request(&main_stack, "POST", "/clear",
                                 "application/json", body, strlen(body),
                                 &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(itc_detail(&r), "ok");
    itc_reply_free(&r);
    free(body);
    body = itc_body(id, "doc", &env, 0);
    post_raw(&main_stack, "application/json", body, &r);
    assert_error(&r, 400, "TASK_NOT_FOUND");
    itc_reply_free(&r);
    free(body);
    envelope_free(&env);
}
END_TEST

START_TEST(test_http_redirects)
{
    const char  *http = getenv("MAIN_HTTP");
    CURL        *h;
    long         code = 0;
    char         url[512], *loc = NULL;

    NEED(have_main && http != NULL);
    snprintf(url, sizeof(url), "%s/api/v1/check_status", http);
    h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
    ck_assert_int_eq(code, 301);
    ck_assert_ptr_nonnull(loc);
    ck_assert_int_eq(strncmp(loc, "https://", 8), 0);
    curl_easy_cleanup(h);
}
END_TEST

/* ---- durability ------------------------------------------------------ */

/* The entry's state, read from the database as a second process would. */
static int
entry_state(struct itc *c, const char *id, const char *type,
    const char *sha)
{
    struct store        *st = NULL;
    struct store_entry   e;
    char                 path[1200];
    int                  state = -1;

    snprintf(path, sizeof(path), "%s/state/docusnap.db", c->dir);
    memset(&e, 0, sizeof(e));
    if (store_open(path, 5000, &st) == RC_OK
        && store_lookup(st, id, sha, type, clock_now_ms(), 1L << 40, &e)
           == RC_OK)
    {
        state = (int) e.state;
    }
    store_entry_free(&e);
    store_close(st);
    return state;
}

/* SIGKILL every docusnap-fcgi of a stack, the children of its
 * multiwatch (run/pool.pid); multiwatch starts new ones. */
static void
kill_pool_workers(struct itc *c)
{
    ck_assert_int_eq(itc_sh("pkill -KILL -P \"$(cat '%s/run/pool.pid')\"",
                            c->dir), 0);
}

START_TEST(test_worker_killed_mid_job)
{
    struct envelope   env;
    struct itc_reply  r, last;
    json_object      *res = NULL;
    char              id[64], *inner;
    int               i, state = -1;

    NEED(have_main);
    memset(&env, 0, sizeof(env));
    new_client(id, sizeof(id));
    inner = itc_inner_files((const char *[]) {
        corpus_file("page_unlv_8071_093_3B.tif") }, 1, NULL);
    ck_assert_int_eq(itc_submit(&main_stack, id, "doc", inner, NULL, &env,
                                &r), 0);
    free(inner);
    ck_assert_int_eq(r.status, 202);
    itc_reply_free(&r);

    for (i = 0; i < 400 && state != STORE_RUNNING; i++) {
        usleep(10000);
        state = entry_state(&main_stack, id, "doc", env.sha256);
    }
    ck_assert_msg(state == STORE_RUNNING, "job never ran (state %d)", state);
    kill_pool_workers(&main_stack);

    ck_assert_int_eq(itc_wait(&main_stack, id, "doc", &env, 120, &last,
                              &res), 0);
    ck_assert_msg(last.status == 200, "after kill: %ld %s", last.status,
                  last.body);
    assert_doc_schema(res, 0);
    json_object_put(res);
    itc_reply_free(&last);
    envelope_free(&env);
}
END_TEST

START_TEST(test_stack_restart_keeps_jobs)
{
    struct envelope   env[3];
    struct itc_reply  r, last;
    json_object      *res;
    const char       *files[3] = { "sroie_019.jpg", "funsd_92586242.png",
                                   "page_unlv_8071_093_3B.tif" };
    char              id[64], *inner, cmd[2048], line[400];
    FILE             *p;
    int               i;

    NEED(have_main);
    new_client(id, sizeof(id));
    for (i = 0; i < 3; i++) {
        memset(&env[i], 0, sizeof(env[i]));
        inner = itc_inner_files((const char *[]) { corpus_file(files[i]) },
                                1, NULL);
        ck_assert_int_eq(itc_submit(&main_stack, id, "doc", inner, NULL,
                                    &env[i], &r), 0);
        free(inner);
        ck_assert_int_eq(r.status, 202);
        itc_reply_free(&r);
    }

    /* the whole stack down and up again, on new ports */
    snprintf(cmd, sizeof(cmd), "%s/tests/stack down %s && %s/tests/stack up "
             "%s --procs 2", getenv("DS_SRCDIR"), main_stack.dir,
             getenv("DS_SRCDIR"), main_stack.dir);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    while (fgets(line, sizeof(line), p) != NULL) {
        if (strncmp(line, "url=", 4) == 0) {
            line[strcspn(line, "\n")] = '\0';
            snprintf(main_stack.url, sizeof(main_stack.url), "%s", line + 4);
        }
    }
    ck_assert_int_eq(pclose(p), 0);

    for (i = 0; i < 3; i++) {
        res = NULL;
        ck_assert_int_eq(itc_wait(&main_stack, id, "doc", &env[i], 180,
                                  &last, &res), 0);
        ck_assert_msg(last.status == 200, "job %d: %ld %s", i, last.status,
                      last.body);
        json_object_put(res);
        itc_reply_free(&last);
        envelope_free(&env[i]);
    }
}
END_TEST

/* ---- the openai extractor against the stand-in ----------------------- */

static size_t
discard(char *p, size_t size, size_t n, void *user)
{
    (void) p;
    (void) user;
    return size * n;
}

/* Script the stand-in's next replies. */
static void
llm_script(const char *steps)
{
    CURL               *h;
    struct curl_slist  *hd = NULL;
    char                url[512];
    long                code = 0;

    snprintf(url, sizeof(url), "%s/_script", fakellm_url);
    h = curl_easy_init();
    hd = curl_slist_append(hd, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, steps);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    ck_assert_int_eq(code, 200);
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
}

static char *
llm_inner(void)
{
    return itc_inner_files((const char *[]) {
        corpus_file("page_phototest.tif") }, 1, NULL);
}

#define LLM_DOC "{\\\"title\\\":\\\"Scripted\\\",\\\"tags\\\":[\\\"t\\\"]," \
    "\\\"description\\\":\\\"d\\\",\\\"kv\\\":{\\\"a\\\":{\\\"b\\\":1}}," \
    "\\\"related\\\":[]}"

START_TEST(test_llm_fenced_and_think)
{
    json_object  *res, *kv;
    const char   *s;
    char         *inner;

    NEED(have_llm);
    inner = llm_inner();
    llm_script("[{\"status\":200,\"content\":\"```json\\n" LLM_DOC
               "\\n```\"}]");
    res = job_result(&llm_stack, "doc", inner, NULL, 60);
    ck_assert_int_eq(jsonx_string(res, "title", &s), JSONX_OK);
    ck_assert_str_eq(s, "Scripted");
    ck_assert_int_eq(jsonx_object(res, "kv", &kv), JSONX_OK);
    ck_assert_int_eq(jsonx_string(kv, "a.b", &s), JSONX_OK);
    ck_assert_str_eq(s, "1");
    json_object_put(res);

    llm_script("[{\"status\":200,\"content\":\"<think>the user wants "
               "{json}</think>" LLM_DOC "\"}]");
    res = job_result(&llm_stack, "form", inner, NULL, 60);
    assert_doc_schema(res, 1);
    json_object_put(res);
    free(inner);
}
END_TEST

START_TEST(test_llm_429_then_ok)
{
    json_object  *res;
    char         *inner;

    NEED(have_llm);
    inner = llm_inner();
    llm_script("[{\"status\":429,\"content\":\"slow down\"},"
               "{\"status\":200,\"content\":\"" LLM_DOC "\"}]");
    res = job_result(&llm_stack, "doc", inner, NULL, 60);
    assert_doc_schema(res, 0);
    json_object_put(res);
    free(inner);
}
END_TEST

START_TEST(test_llm_failures)
{
    char  *inner;

    NEED(have_llm);
    inner = llm_inner();
    llm_script("[{\"status\":200,\"content\":\"I cannot help with that\"},"
               "{\"status\":200,\"content\":\"still no json\"}]");
    job_expect_error(&llm_stack, "doc", inner, "LLM_FAILURE", 60);
    llm_script("[{\"status\":500},{\"status\":500},{\"status\":500}]");
    job_expect_error(&llm_stack, "doc", inner, "LLM_FAILURE", 60);
    /* slower than the 1.5 s timeout, every try */
    llm_script("[{\"status\":200,\"delay_ms\":3000},"
               "{\"status\":200,\"delay_ms\":3000},"
               "{\"status\":200,\"delay_ms\":3000}]");
    job_expect_error(&llm_stack, "doc", inner, "LLM_FAILURE", 60);
    free(inner);
}
END_TEST

/* ---- timeouts and lost workers (SLOW stack) -------------------------- */

START_TEST(test_processing_timeout)
{
    char  *inner;

    NEED(have_slow);
    inner = llm_inner();
    llm_script("[{\"status\":200,\"delay_ms\":12000}]");
    job_expect_error(&slow_stack, "doc", inner, "PROCESSING_TIMEOUT", 60);
    free(inner);
}
END_TEST

START_TEST(test_processing_error_after_attempts)
{
    struct envelope   env;
    struct itc_reply  r, last;
    json_object      *res = NULL;
    char              id[64], *inner;
    int               i, state = -1;

    NEED(have_slow);
    memset(&env, 0, sizeof(env));
    inner = llm_inner();
    llm_script("[{\"status\":200,\"delay_ms\":12000}]");
    new_client(id, sizeof(id));
    ck_assert_int_eq(itc_submit(&slow_stack, id, "doc", inner, NULL, &env,
                                &r), 0);
    free(inner);
    ck_assert_int_eq(r.status, 202);
    itc_reply_free(&r);
    for (i = 0; i < 500 && state != STORE_RUNNING; i++) {
        usleep(10000);
        state = entry_state(&slow_stack, id, "doc", env.sha256);
    }
    ck_assert_int_eq(state, STORE_RUNNING);
    /* the only attempt dies with its process */
    kill_pool_workers(&slow_stack);
    ck_assert_int_eq(itc_wait(&slow_stack, id, "doc", &env, 60, &last, &res),
                     0);
    assert_error(&last, 400, "PROCESSING_ERROR");
    itc_reply_free(&last);
    envelope_free(&env);
}
END_TEST

/* ---- startup ------------------------------------------------------- */

/* Start docusnap-fcgi on a key with mode m; its exit status, stderr in
 * err. */
static int
start_with_key_mode(const char *dir, int mode, char *err, size_t errlen)
{
    char   cmd[4096];
    FILE  *f;
    size_t n;
    int    st;

    snprintf(cmd, sizeof(cmd), "%s/keys.ini", dir);
    f = fopen(cmd, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[paths]\nprivate_key = %s/key.pem\npublic_key = %s/pub.pem\n"
            "database = %s/db\nsql_dir = %s/sql\n[log]\nfile =\n", dir, dir,
            dir, getenv("DS_SRCDIR"));
    fclose(f);
    ck_assert_int_eq(itc_sh("cp '%s/keys/private_key.pem' '%s/key.pem' && "
                            "cp '%s/keys/public_key.pem' '%s/pub.pem' && "
                            "chmod %o '%s/key.pem'", main_stack.dir, dir,
                            main_stack.dir, dir, (unsigned) mode, dir), 0);
    snprintf(cmd, sizeof(cmd), "timeout 10 '%s/fcgi/docusnap-fcgi' -c "
             "'%s/keys.ini' </dev/null 2>'%s/err' >/dev/null",
             getenv("DS_BUILDDIR"), dir, dir);
    st = itc_sh("%s", cmd);
    snprintf(cmd, sizeof(cmd), "%s/err", dir);
    f = fopen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(err, 1, errlen - 1, f);
    err[n] = '\0';
    fclose(f);
    return st;
}

START_TEST(test_refuses_readable_private_key)
{
    char  dir[] = "/tmp/docusnap-keytest.XXXXXX", err[4096];

    NEED(have_main && getenv("DS_BUILDDIR") != NULL);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(start_with_key_mode(dir, 0644, err, sizeof(err)), 1);
    ck_assert_msg(strstr(err, "private key") != NULL, "stderr: %s", err);
    ck_assert_int_eq(start_with_key_mode(dir, 0640, err, sizeof(err)), 1);
    itc_sh("rm -rf '%s'", dir);
}
END_TEST

static Suite *
api_suite(void)
{
    Suite  *s = suite_create("api");
    TCase  *tc;

    tc = tcase_create("requests");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_check_status);
    tcase_add_test(tc, test_public_key);
    tcase_add_test(tc, test_routes);
    tcase_add_test(tc, test_bad_outer_requests);
    tcase_add_test(tc, test_clear_requires_client);
    tcase_add_test(tc, test_envelope_errors);
    tcase_add_test(tc, test_payload_errors);
    tcase_add_test(tc, test_body_too_large);
    tcase_add_test(tc, test_http_redirects);
    tcase_add_test(tc, test_refuses_readable_private_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("jobs");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_receipt_doc);
    tcase_add_test(tc, test_form);
    tcase_add_test(tc, test_two_pages_android_client);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_replay_and_clear);
    tcase_add_test(tc, test_job_errors);
    tcase_add_test(tc, test_database_busy);
    suite_add_tcase(s, tc);

    tc = tcase_create("llm");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_llm_fenced_and_think);
    tcase_add_test(tc, test_llm_429_then_ok);
    tcase_add_test(tc, test_llm_failures);
    tcase_add_test(tc, test_processing_timeout);
    tcase_add_test(tc, test_processing_error_after_attempts);
    suite_add_tcase(s, tc);

    tc = tcase_create("durability");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_worker_killed_mid_job);
    tcase_add_test(tc, test_stack_restart_keeps_jobs);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner     *sr;
    const char  *c, *f;
    int          failed;

    c = getenv("DS_CORPUS");
    snprintf(corpus, sizeof(corpus), "%s", c ? c : "../shared/corpus");
    f = getenv("FAKELLM_URL");
    snprintf(fakellm_url, sizeof(fakellm_url), "%s", f ? f : "");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    have_main = itc_open(&main_stack, "MAIN") == 0;
    have_llm = itc_open(&llm_stack, "LLM") == 0 && f != NULL;
    have_slow = itc_open(&slow_stack, "SLOW") == 0 && f != NULL;
    if (!have_main && !have_llm && !have_slow) {
        fprintf(stderr, "no stack in the environment: skipped\n");
        return 77;
    }
    sr = srunner_create(api_suite());
    /* one process: the tests share the stacks and run in order */
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    itc_close(&main_stack);
    itc_close(&llm_stack);
    itc_close(&slow_stack);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
