/*
 * test_proto.c - proto.c: the outer request checks in the order the
 * server applies them, the envelope opened against the shared vectors
 * and damaged copies of them, and the inner payload checks on real
 * images made in memory with leptonica.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <json-c/json.h>
#include <leptonica/allheaders.h>

#include "crypto.h"
#include "envelope.h"
#include "jsonx.h"
#include "log.h"
#include "proto.h"
#include "testutil.h"

#define SHA_LOWER \
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_UPPER \
    "0123456789ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef"
#define SHA_NOHEX \
    "0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef"

/* A valid POST /process body; tests change one field of it at a time. */
#define GOOD_BODY \
    "{\"client_id\":\"c1\",\"type\":\"doc\",\"SHA256\":\"" SHA_LOWER "\"," \
    "\"has_content\":true,\"content\":\"QUJD\",\"aes_key\":\"S0VZ\"}"

static json_object           *vec_root;     /* protocol_vectors.json */
static json_object           *vec_cases;    /* its "cases", borrowed */
static char                   tmpdir[64];
static struct crypto_key     *test_key;
static struct crypto_pubkey  *test_pub;

/* --- helpers ---------------------------------------------------------- */

static void
fixture_path(const char *name, char *out, size_t outlen)
{
    int  n;

    n = snprintf(out, outlen, "%s/tests/fixtures/%s", test_srcdir(), name);
    ck_assert(n > 0 && (size_t) n < outlen);
}

/* Copy src to dst with exactly mode. */
static void
copy_file(const char *src, const char *dst, mode_t mode)
{
    unsigned char  *p;
    size_t          len;
    int             fd;

    p = test_read_file(src, &len);
    ck_assert_msg(p != NULL, "cannot read %s", src);
    fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, p, len), (ssize_t) len);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    ck_assert_int_eq(close(fd), 0);
    free(p);
}

static void
setup(void)
{
    char  src[1024], dst[1024], err[256];

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ds-test-proto-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    fixture_path("test_private_key.pem", src, sizeof(src));
    snprintf(dst, sizeof(dst), "%s/server.pem", tmpdir);
    copy_file(src, dst, 0600);
    ck_assert_int_eq(crypto_key_load(dst, &test_key, err, sizeof(err)),
                     RC_OK);
    fixture_path("test_public_key.pem", src, sizeof(src));
    ck_assert_int_eq(crypto_pubkey_load(src, &test_pub), RC_OK);
}

static void
teardown(void)
{
    DIR            *d;
    struct dirent  *e;

    crypto_key_free(test_key);
    crypto_pubkey_free(test_pub);
    test_key = NULL;
    test_pub = NULL;
    d = opendir(tmpdir);
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlinkat(dirfd(d), e->d_name, 0);
        }
    }
    closedir(d);
    rmdir(tmpdir);
}

static const char *
vec_str(int i, const char *key)
{
    json_object  *c;
    const char   *s;

    c = json_object_array_get_idx(vec_cases, (size_t) i);
    ck_assert_msg(jsonx_string(c, key, &s) == JSONX_OK,
                  "case %d has no string \"%s\"", i, key);
    return s;
}

static enum ds_err
process(const char *body, struct proto_req *req)
{
    return proto_parse_process(body, strlen(body), req);
}

/* Parse body as POST /process, free it, return the code. */
static enum ds_err
process_code(const char *body)
{
    struct proto_req  req;
    enum ds_err       e;

    e = process(body, &req);
    proto_req_free(&req);
    return e;
}

static enum ds_err
parse_clear(const char *body, struct proto_req *req)
{
    return proto_parse_clear(body, strlen(body), req);
}

static enum ds_err
clear_code(const char *body)
{
    struct proto_req  req;
    enum ds_err       e;

    e = parse_clear(body, &req);
    proto_req_free(&req);
    return e;
}

/* GOOD_BODY with key set to the JSON text value, or removed if NULL. */
static enum ds_err
process_with(const char *key, const char *value)
{
    json_object  *o, *v;
    char         *body;
    enum ds_err   e;

    o = jsonx_parse(GOOD_BODY, strlen(GOOD_BODY), 8);
    ck_assert_ptr_nonnull(o);
    if (value == NULL) {
        json_object_object_del(o, key);
    } else {
        v = json_tokener_parse(value);
        ck_assert(v != NULL || strcmp(value, "null") == 0);
        ck_assert_int_eq(json_object_object_add(o, key, v), 0);
    }
    body = jsonx_dump(o);
    ck_assert_ptr_nonnull(body);
    e = process_code(body);
    free(body);
    json_object_put(o);
    return e;
}

/* A POST /process body carrying an envelope, sha256 as given. */
static char *
envelope_body(const char *content, const char *aes_key, const char *sha)
{
    json_object  *o;
    char         *body;

    o = json_object_new_object();
    ck_assert_ptr_nonnull(o);
    json_object_object_add(o, "client_id", json_object_new_string("c1"));
    json_object_object_add(o, "type", json_object_new_string("doc"));
    json_object_object_add(o, "SHA256", json_object_new_string(sha));
    json_object_object_add(o, "has_content", json_object_new_boolean(1));
    json_object_object_add(o, "content", json_object_new_string(content));
    json_object_object_add(o, "aes_key", json_object_new_string(aes_key));
    body = jsonx_dump(o);
    ck_assert_ptr_nonnull(body);
    json_object_put(o);
    return body;
}

/* Parse and decode a body that must get that far. */
static void
decode_ok(const char *body, struct proto_req *req, struct proto_sealed *s)
{
    ck_assert_int_eq(process(body, req), DS_OK);
    ck_assert_int_eq(proto_decode(req, s), DS_OK);
}

/* Seal inner with the test public key, parse, decode, open. */
static enum ds_err
seal_and_open(const char *inner, size_t len, json_object **out)
{
    struct envelope       env;
    struct proto_req      req;
    struct proto_sealed   sealed;
    struct proto_secret   secret;
    char                 *body;
    enum ds_err           e;

    ck_assert_int_eq(envelope_seal(test_pub, inner, len, NULL, &env), RC_OK);
    body = envelope_body(env.content_b64, env.aes_key_b64, env.sha256);
    decode_ok(body, &req, &sealed);
    e = proto_open(test_key, &sealed, &secret, out);
    ck_assert_uint_eq(secret.keylen, env.keylen);
    ck_assert(memcmp(secret.key, env.key, env.keylen) == 0);
    proto_sealed_free(&sealed);
    proto_req_free(&req);
    free(body);
    envelope_free(&env);
    return e;
}

/* --- POST /process: the outer request --------------------------------- */

START_TEST(test_process_good)
{
    struct proto_req  req;

    ck_assert_int_eq(process(GOOD_BODY, &req), DS_OK);
    ck_assert_str_eq(req.client_id, "c1");
    ck_assert_str_eq(req.type, "doc");
    ck_assert_int_eq(req.kind, EXTRACT_DOC);
    ck_assert_str_eq(req.sha256, SHA_LOWER);
    ck_assert_int_eq(req.sha256_ok, 1);
    ck_assert_int_eq(req.has_content, 1);
    ck_assert_str_eq(req.content, "QUJD");
    ck_assert_uint_eq(req.content_len, 4);
    ck_assert_str_eq(req.aes_key, "S0VZ");
    ck_assert_uint_eq(req.aes_key_len, 4);
    proto_req_free(&req);
    ck_assert_ptr_null(req.root);

    ck_assert_int_eq(process_with("type", "\"form\""), DS_OK);
    ck_assert_int_eq(process_with("type", "\"fill\""), DS_OK);
    /* Unknown extra fields are ignored. */
    ck_assert_int_eq(process_with("extra", "[1,{}]"), DS_OK);
}
END_TEST

START_TEST(test_process_invalid_json)
{
    static const char *const bad[] = {
        "", "not json", "[]", "[{\"client_id\":\"c1\"}]", "\"str\"", "123",
        "null", "true", "{\"client_id\":", GOOD_BODY " x", GOOD_BODY "}",
    };
    struct proto_req  req;
    size_t            i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(process_code(bad[i]) == DS_INVALID_JSON, "body %s",
                      bad[i]);
    }
    /* A NUL byte inside the body. */
    ck_assert_int_eq(proto_parse_process("{\"a\":1}\0", 8, &req),
                     DS_INVALID_JSON);
    proto_req_free(&req);
}
END_TEST

START_TEST(test_process_missing_field)
{
    static const char *const keys[] = {
        "client_id", "type", "SHA256", "has_content",
    };
    size_t  i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ck_assert_msg(process_with(keys[i], NULL)
                      == DS_MISSING_REQUIRED_FIELD, "without %s", keys[i]);
        /* JSON null is as good as absent. */
        ck_assert_msg(process_with(keys[i], "null")
                      == DS_MISSING_REQUIRED_FIELD, "%s null", keys[i]);
    }
    ck_assert_int_eq(process_code("{}"), DS_MISSING_REQUIRED_FIELD);
}
END_TEST

START_TEST(test_process_invalid_field)
{
    char  id[PROTO_MAX_CLIENT_ID + 4];

    ck_assert_int_eq(process_with("client_id", "1"), DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("client_id", "[\"c1\"]"), DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("client_id", "\"\""), DS_INVALID_FIELD);
    /* a NUL inside would cut the id short: another client's id */
    ck_assert_int_eq(process_with("client_id", "\"a\\u0000b\""),
                     DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("SHA256", "1"), DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("has_content", "\"true\""),
                     DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("has_content", "1"), DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("content", "5"), DS_INVALID_FIELD);
    ck_assert_int_eq(process_with("aes_key", "{}"), DS_INVALID_FIELD);

    /* client_id: 256 bytes are fine, 257 are not. */
    memset(id, 'x', sizeof(id));
    id[0] = '"';
    id[PROTO_MAX_CLIENT_ID + 1] = '"';
    id[PROTO_MAX_CLIENT_ID + 2] = '\0';
    ck_assert_int_eq(process_with("client_id", id), DS_OK);
    id[PROTO_MAX_CLIENT_ID + 1] = 'x';
    id[PROTO_MAX_CLIENT_ID + 2] = '"';
    id[PROTO_MAX_CLIENT_ID + 3] = '\0';
    ck_assert_int_eq(process_with("client_id", id), DS_INVALID_FIELD);
}
END_TEST

START_TEST(test_process_invalid_type)
{
    ck_assert_int_eq(process_with("type", "\"pdf\""), DS_INVALID_TYPE);
    ck_assert_int_eq(process_with("type", "\"\""), DS_INVALID_TYPE);
    ck_assert_int_eq(process_with("type", "\"DOC\""), DS_INVALID_TYPE);
    ck_assert_int_eq(process_with("type", "\"doc \""), DS_INVALID_TYPE);
    /* type is checked by value: a non-string is no known type either. */
    ck_assert_int_eq(process_with("type", "1"), DS_INVALID_TYPE);
}
END_TEST

/* Two faults at once: the earlier check in the server's order wins. */
START_TEST(test_process_order)
{
    /* JSON before anything. */
    ck_assert_int_eq(process_code("{\"type\":\"pdf\""), DS_INVALID_JSON);
    /* client_id before the other fields. */
    ck_assert_int_eq(process_code("{\"type\":\"pdf\"}"),
                     DS_MISSING_REQUIRED_FIELD);
    ck_assert_int_eq(process_code("{\"client_id\":7,\"type\":\"pdf\"}"),
                     DS_INVALID_FIELD);
    /* Missing fields before a bad type, a bad type before bad fields. */
    ck_assert_int_eq(process_code("{\"client_id\":\"c\",\"type\":\"pdf\","
                                  "\"SHA256\":\"x\"}"),
                     DS_MISSING_REQUIRED_FIELD);
    ck_assert_int_eq(process_code("{\"client_id\":\"c\",\"type\":\"pdf\","
                                  "\"SHA256\":1,\"has_content\":true}"),
                     DS_INVALID_TYPE);
    ck_assert_int_eq(process_code("{\"client_id\":\"c\",\"type\":\"doc\","
                                  "\"SHA256\":1,\"has_content\":true}"),
                     DS_INVALID_FIELD);
    /* A bad SHA256 is for proto_decode to report, after the content. */
    ck_assert_int_eq(process_code("{\"client_id\":\"c\",\"type\":\"doc\","
                                  "\"SHA256\":\"x\",\"has_content\":true}"),
                     DS_MISSING_CONTENT);
}
END_TEST

START_TEST(test_process_content)
{
    struct proto_req  req;

    /* has_content false: nothing else is needed. */
    ck_assert_int_eq(process("{\"client_id\":\"c\",\"type\":\"form\","
                             "\"SHA256\":\"" SHA_LOWER "\","
                             "\"has_content\":false}", &req), DS_OK);
    ck_assert_int_eq(req.has_content, 0);
    ck_assert_int_eq(req.kind, EXTRACT_FORM);
    ck_assert_ptr_null(req.content);
    proto_req_free(&req);

    ck_assert_int_eq(process_with("content", NULL), DS_MISSING_CONTENT);
    ck_assert_int_eq(process_with("aes_key", NULL), DS_MISSING_CONTENT);
    ck_assert_int_eq(process_with("content", "null"), DS_MISSING_CONTENT);
    ck_assert_int_eq(process_with("content", "\"\""), DS_MISSING_CONTENT);
    ck_assert_int_eq(process_with("aes_key", "\"\""), DS_MISSING_CONTENT);
}
END_TEST

START_TEST(test_process_sha256)
{
    struct proto_req  req;
    char              body[512];

    snprintf(body, sizeof(body), "{\"client_id\":\"c\",\"type\":\"doc\","
             "\"SHA256\":\"%s\",\"has_content\":false}", SHA_UPPER);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(req.sha256_ok, 1);
    ck_assert_str_eq(req.sha256, SHA_LOWER);
    proto_req_free(&req);

    ck_assert_int_eq(process_with("SHA256", "\"" SHA_NOHEX "\""), DS_OK);
    ck_assert_int_eq(process(GOOD_BODY, &req), DS_OK);
    proto_req_free(&req);

    /* Not 64 hex digits: parsed, but marked. */
    snprintf(body, sizeof(body), "{\"client_id\":\"c\",\"type\":\"doc\","
             "\"SHA256\":\"%s\",\"has_content\":false}", SHA_NOHEX);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(req.sha256_ok, 0);
    proto_req_free(&req);
    snprintf(body, sizeof(body), "{\"client_id\":\"c\",\"type\":\"doc\","
             "\"SHA256\":\"%.63s\",\"has_content\":false}", SHA_LOWER);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(req.sha256_ok, 0);
    proto_req_free(&req);
    snprintf(body, sizeof(body), "{\"client_id\":\"c\",\"type\":\"doc\","
             "\"SHA256\":\"%s0\",\"has_content\":false}", SHA_LOWER);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(req.sha256_ok, 0);
    proto_req_free(&req);
}
END_TEST

/* --- POST /clear ------------------------------------------------------- */

START_TEST(test_clear)
{
    struct proto_req  req;

    ck_assert_int_eq(parse_clear("{\"client_id\":\"c\"}", &req), DS_OK);
    ck_assert_str_eq(req.client_id, "c");
    ck_assert_ptr_null(req.type);
    ck_assert_int_eq(req.sha256_ok, 0);
    proto_req_free(&req);

    ck_assert_int_eq(parse_clear("{\"client_id\":\"c\",\"type\":\"fill\","
                                 "\"SHA256\":\"" SHA_UPPER "\"}", &req),
                     DS_OK);
    ck_assert_int_eq(req.kind, EXTRACT_FILL);
    ck_assert_int_eq(req.sha256_ok, 1);
    ck_assert_str_eq(req.sha256, SHA_LOWER);
    proto_req_free(&req);

    ck_assert_int_eq(clear_code("[]"), DS_INVALID_JSON);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\""), DS_INVALID_JSON);
    ck_assert_int_eq(clear_code("{}"), DS_MISSING_REQUIRED_FIELD);
    ck_assert_int_eq(clear_code("{\"type\":\"doc\"}"),
                     DS_MISSING_REQUIRED_FIELD);
    ck_assert_int_eq(clear_code("{\"client_id\":false}"), DS_INVALID_FIELD);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\",\"type\":\"x\"}"),
                     DS_INVALID_TYPE);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\",\"type\":2}"),
                     DS_INVALID_TYPE);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\",\"type\":null}"),
                     DS_OK);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\",\"SHA256\":3}"),
                     DS_INVALID_FIELD);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\",\"SHA256\":\""
                                SHA_NOHEX "\"}"),
                     DS_SHA256_VERIFICATION_FAILED);
    ck_assert_int_eq(clear_code("{\"client_id\":\"c\",\"SHA256\":\"\"}"),
                     DS_SHA256_VERIFICATION_FAILED);
}
END_TEST

/* --- proto_decode and proto_open -------------------------------------- */

START_TEST(test_vec_open)
{
    struct proto_req     req;
    struct proto_sealed  sealed;
    struct proto_secret  secret;
    json_object         *inner, *want;
    const char          *text;
    char                *body;

    body = envelope_body(vec_str(_i, "content"), vec_str(_i, "aes_key"),
                         vec_str(_i, "SHA256"));
    decode_ok(body, &req, &sealed);
    ck_assert_uint_gt(sealed.content_len, CRYPTO_IV_LEN);
    ck_assert_uint_eq(sealed.wrapped_len, 256);
    ck_assert_int_eq(proto_open(test_key, &sealed, &secret, &inner), DS_OK);
    ck_assert_uint_eq(secret.keylen * 2, strlen(vec_str(_i, "aes_key_hex")));

    text = vec_str(_i, "inner_json");
    want = jsonx_parse(text, strlen(text), 16);
    ck_assert_ptr_nonnull(want);
    ck_assert(json_object_equal(inner, want));
    json_object_put(want);
    json_object_put(inner);
    proto_sealed_free(&sealed);
    ck_assert_ptr_null(sealed.content);
    proto_req_free(&req);
    free(body);
}
END_TEST

START_TEST(test_decode_sha256)
{
    struct proto_req     req;
    struct proto_sealed  sealed;
    char                *body, sha[65];
    size_t               i;

    /* One digit off: a well-formed digest of something else. */
    snprintf(sha, sizeof(sha), "%s", vec_str(0, "SHA256"));
    sha[10] = sha[10] == '0' ? '1' : '0';
    body = envelope_body(vec_str(0, "content"), vec_str(0, "aes_key"), sha);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(proto_decode(&req, &sealed), DS_SHA256_MISMATCH);
    ck_assert_ptr_null(sealed.content);
    proto_req_free(&req);
    free(body);

    /* Upper case is the same digest. */
    snprintf(sha, sizeof(sha), "%s", vec_str(0, "SHA256"));
    for (i = 0; i < 64; i++) {
        sha[i] = (char) (sha[i] >= 'a' ? sha[i] - 'a' + 'A' : sha[i]);
    }
    body = envelope_body(vec_str(0, "content"), vec_str(0, "aes_key"), sha);
    decode_ok(body, &req, &sealed);
    proto_sealed_free(&sealed);
    proto_req_free(&req);
    free(body);

    /* Not a digest at all. */
    body = envelope_body(vec_str(0, "content"), vec_str(0, "aes_key"),
                         SHA_NOHEX);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(proto_decode(&req, &sealed),
                     DS_SHA256_VERIFICATION_FAILED);
    proto_req_free(&req);
    free(body);
}
END_TEST

/* Fields that are not base64 fail as the step that would use them. */
START_TEST(test_decode_bad_base64)
{
    struct proto_req     req;
    struct proto_sealed  sealed;
    char                *body, sha[65];
    static const char   *bad = "not*base64";

    body = envelope_body(vec_str(0, "content"), bad, vec_str(0, "SHA256"));
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(proto_decode(&req, &sealed), DS_RSA_DECRYPTION_FAILED);
    ck_assert_ptr_null(sealed.wrapped);
    proto_req_free(&req);
    free(body);

    ck_assert_int_eq(crypto_sha256_hex(bad, strlen(bad), sha), RC_OK);
    body = envelope_body(bad, vec_str(0, "aes_key"), sha);
    ck_assert_int_eq(process(body, &req), DS_OK);
    ck_assert_int_eq(proto_decode(&req, &sealed), DS_AES_DECRYPTION_FAILED);
    ck_assert_ptr_null(sealed.wrapped);
    ck_assert_ptr_null(sealed.content);
    proto_req_free(&req);
    free(body);
}
END_TEST

/* Open the first vector with its sealed form damaged by damage(). */
static enum ds_err
open_damaged(void (*damage)(struct proto_sealed *))
{
    struct proto_req     req;
    struct proto_sealed  sealed;
    struct proto_secret  secret;
    json_object         *inner;
    char                *body;
    enum ds_err          e;

    body = envelope_body(vec_str(0, "content"), vec_str(0, "aes_key"),
                         vec_str(0, "SHA256"));
    decode_ok(body, &req, &sealed);
    damage(&sealed);
    inner = (json_object *) 1;
    e = proto_open(test_key, &sealed, &secret, &inner);
    ck_assert(e == DS_OK || inner == NULL);
    json_object_put(inner);
    proto_sealed_free(&sealed);
    proto_req_free(&req);
    free(body);
    return e;
}

static void
flip_wrapped(struct proto_sealed *s)
{
    s->wrapped[s->wrapped_len / 2] ^= 0x01;
}

static void
cut_wrapped(struct proto_sealed *s)
{
    s->wrapped_len--;
}

static void
cut_content_byte(struct proto_sealed *s)
{
    s->content_len--;
}

static void
cut_content_block(struct proto_sealed *s)
{
    s->content_len -= 16;
}

static void
cut_content_to_iv(struct proto_sealed *s)
{
    s->content_len = CRYPTO_IV_LEN;
}

static void
flip_last_block(struct proto_sealed *s)
{
    s->content[s->content_len - 1] ^= 0xff;
}

static void
no_damage(struct proto_sealed *s)
{
    (void) s;
}

START_TEST(test_open_damaged)
{
    ck_assert_int_eq(open_damaged(no_damage), DS_OK);
    ck_assert_int_eq(open_damaged(flip_wrapped), DS_RSA_DECRYPTION_FAILED);
    ck_assert_int_eq(open_damaged(cut_wrapped), DS_RSA_DECRYPTION_FAILED);
    ck_assert_int_eq(open_damaged(cut_content_byte),
                     DS_AES_DECRYPTION_FAILED);
    ck_assert_int_eq(open_damaged(cut_content_to_iv),
                     DS_AES_DECRYPTION_FAILED);
    ck_assert_int_eq(open_damaged(flip_last_block),
                     DS_AES_DECRYPTION_FAILED);
}
END_TEST

/* A whole block off the end: the padding check is all that can tell. */
START_TEST(test_open_cut_block)
{
    enum ds_err  e;

    e = open_damaged(cut_content_block);
    ck_assert(e == DS_AES_DECRYPTION_FAILED || e == DS_INVALID_JSON);
}
END_TEST

START_TEST(test_open_not_json)
{
    static const char *const bad[] = {
        "not json", "[1,2]", "\"s\"", "{\"to_process\":", "{} {}",
    };
    json_object  *inner;
    char         *deep;
    size_t        i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        inner = NULL;
        ck_assert_msg(seal_and_open(bad[i], strlen(bad[i]), &inner)
                      == DS_INVALID_JSON, "plaintext %s", bad[i]);
        ck_assert_ptr_null(inner);
    }
    /* Well formed, but nested past PROTO_MAX_DEPTH. */
    deep = malloc(2 * PROTO_MAX_DEPTH + 8);
    ck_assert_ptr_nonnull(deep);
    memcpy(deep, "{\"a\":", 5);
    memset(deep + 5, '[', PROTO_MAX_DEPTH);
    memset(deep + 5 + PROTO_MAX_DEPTH, ']', PROTO_MAX_DEPTH);
    memcpy(deep + 5 + 2 * PROTO_MAX_DEPTH, "}", 2);
    ck_assert_int_eq(seal_and_open(deep, strlen(deep), &inner),
                     DS_INVALID_JSON);
    free(deep);

    ck_assert_int_eq(seal_and_open("{\"to_process\":{}}", 17, &inner),
                     DS_OK);
    json_object_put(inner);
}
END_TEST

/* --- the inner payload ------------------------------------------------- */

/* A w x h grey image with noise (so PNG does not shrink it to nothing),
 * encoded as format; *len gets the size. Free with free(). */
static unsigned char *
make_image(int format, int w, int h, size_t *len)
{
    PIX      *pix;
    l_uint8  *data = NULL;
    size_t    size = 0;
    int       x, y;

    pix = pixCreate(w, h, 8);
    ck_assert_ptr_nonnull(pix);
    srand(7);
    for (y = 0; y < h; y++) {
        for (x = 0; x < w; x++) {
            ck_assert_int_eq(pixSetPixel(pix, x, y,
                                         (l_uint32) (rand() & 0xff)), 0);
        }
    }
    ck_assert_int_eq(pixWriteMem(&data, &size, pix, format), 0);
    pixDestroy(&pix);
    ck_assert(data != NULL && size > 0);
    *len = size;
    return data;
}

static char *
b64(const unsigned char *p, size_t len)
{
    char  *s;

    ck_assert_int_eq(crypto_b64_encode(p, len, &s), RC_OK);
    return s;
}

/* b64 of p broken into lines of 76 with CR LF, as Android may send. */
static char *
b64_wrapped(const unsigned char *p, size_t len)
{
    char    *flat, *out;
    size_t   n, i, o;

    flat = b64(p, len);
    n = strlen(flat);
    out = malloc(n + 2 * (n / 76 + 1) + 1);
    ck_assert_ptr_nonnull(out);
    for (i = o = 0; i < n; i++) {
        if (i > 0 && i % 76 == 0) {
            out[o++] = '\r';
            out[o++] = '\n';
        }
        out[o++] = flat[i];
    }
    out[o++] = '\r';
    out[o++] = '\n';
    out[o] = '\0';
    free(flat);
    return out;
}

/* {"to_process": [entries...], "file_lib": {}}; entries taken over. */
static json_object *
inner_of(json_object *const *entries, size_t n)
{
    json_object  *o, *arr;
    size_t        i;

    o = json_object_new_object();
    arr = json_object_new_array();
    ck_assert(o != NULL && arr != NULL);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(json_object_array_add(arr, entries[i]), 0);
    }
    json_object_object_add(o, "to_process", arr);
    json_object_object_add(o, "file_lib", json_object_new_object());
    return o;
}

/* The code for n copies of one image (as base64 text). */
static enum ds_err
check_images(const char *b64text, size_t n, enum extract_kind kind,
    const struct proto_limits *lim)
{
    json_object  *entries[8], *inner;
    enum ds_err   e;
    size_t        i;

    ck_assert_uint_le(n, 8);
    for (i = 0; i < n; i++) {
        entries[i] = json_object_new_string(b64text);
    }
    inner = inner_of(entries, n);
    e = proto_check_payload(inner, kind, lim);
    json_object_put(inner);
    return e;
}

/* The code for inner given as JSON text. */
static enum ds_err
check_text(const char *text, enum extract_kind kind,
    const struct proto_limits *lim)
{
    json_object  *inner;
    enum ds_err   e;

    inner = jsonx_parse(text, strlen(text), PROTO_MAX_DEPTH);
    ck_assert_ptr_nonnull(inner);
    e = proto_check_payload(inner, kind, lim);
    json_object_put(inner);
    return e;
}

static const struct proto_limits  lim_default = { 1L << 20, 1000000, 5 };

START_TEST(test_payload_formats)
{
    static const int  formats[] = { IFF_PNG, IFF_JFIF_JPEG, IFF_TIFF_ZIP };
    unsigned char    *img;
    size_t            len;
    char             *s;

    img = make_image(formats[_i], 40, 30, &len);
    s = b64(img, len);
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim_default), DS_OK);
    ck_assert_int_eq(check_images(s, 1, EXTRACT_FORM, &lim_default), DS_OK);
    ck_assert_int_eq(check_images(s, 5, EXTRACT_DOC, &lim_default), DS_OK);
    free(s);
    s = b64_wrapped(img, len);
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim_default), DS_OK);
    free(s);
    free(img);
}
END_TEST

START_TEST(test_payload_shape)
{
    const struct proto_limits  *l = &lim_default;

    ck_assert_int_eq(check_text("{}", EXTRACT_DOC, l), DS_MISSING_CONTENT);
    ck_assert_int_eq(check_text("{\"file_lib\":{}}", EXTRACT_FORM, l),
                     DS_MISSING_CONTENT);
    ck_assert_int_eq(check_text("{\"to_process\":null}", EXTRACT_DOC, l),
                     DS_MISSING_CONTENT);
    ck_assert_int_eq(check_text("{\"to_process\":[]}", EXTRACT_DOC, l),
                     DS_MISSING_CONTENT);
    ck_assert_int_eq(check_text("{\"to_process\":\"iVBO\"}", EXTRACT_DOC, l),
                     DS_INVALID_PAYLOAD);
    ck_assert_int_eq(check_text("{\"to_process\":{}}", EXTRACT_DOC, l),
                     DS_INVALID_PAYLOAD);
    ck_assert_int_eq(check_text("{\"to_process\":[1]}", EXTRACT_DOC, l),
                     DS_INVALID_PAYLOAD);
    ck_assert_int_eq(check_text("{\"to_process\":[[\"iVBO\"]]}",
                                EXTRACT_FORM, l), DS_INVALID_PAYLOAD);
    ck_assert_int_eq(check_text("{\"to_process\":[\"not*base64!\"]}",
                                EXTRACT_DOC, l), DS_INVALID_PAYLOAD);

    /* fill: the form object itself. */
    ck_assert_int_eq(check_text("{\"to_process\":{\"name\":\"\"}}",
                                EXTRACT_FILL, l), DS_OK);
    ck_assert_int_eq(check_text("{\"to_process\":{}}", EXTRACT_FILL, l),
                     DS_OK);
    ck_assert_int_eq(check_text("{\"to_process\":[\"a\"]}", EXTRACT_FILL, l),
                     DS_INVALID_PAYLOAD);
    ck_assert_int_eq(check_text("{\"to_process\":\"x\"}", EXTRACT_FILL, l),
                     DS_INVALID_PAYLOAD);
    ck_assert_int_eq(check_text("{}", EXTRACT_FILL, l), DS_MISSING_CONTENT);
}
END_TEST

START_TEST(test_payload_not_image)
{
    static const char  junk[] = "this is plain text, not any image format";
    unsigned char      *img;
    size_t              len;
    char               *s;

    s = b64((const unsigned char *) junk, sizeof(junk) - 1);
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim_default),
                     DS_UNSUPPORTED_IMAGE);
    free(s);

    /* A PNG cut in half keeps its signature but not its header. */
    img = make_image(IFF_PNG, 40, 30, &len);
    s = b64(img, 20);
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim_default),
                     DS_UNSUPPORTED_IMAGE);
    free(s);
    free(img);

    ck_assert_int_eq(check_text("{\"to_process\":[\"\"]}", EXTRACT_DOC,
                                &lim_default), DS_UNSUPPORTED_IMAGE);
}
END_TEST

START_TEST(test_payload_image_bytes)
{
    struct proto_limits  lim = lim_default;
    unsigned char       *img;
    size_t               len;
    char                *s, *w;

    img = make_image(IFF_PNG, 64, 64, &len);
    ck_assert_uint_gt(len, 2000);
    s = b64(img, len);
    w = b64_wrapped(img, len);

    lim.max_image_bytes = (long) len;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim), DS_OK);
    /* Line breaks do not count as image bytes. */
    ck_assert_int_eq(check_images(w, 1, EXTRACT_DOC, &lim), DS_OK);

    lim.max_image_bytes = (long) len - 1;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim),
                     DS_IMAGE_TOO_LARGE);
    ck_assert_int_eq(check_images(w, 1, EXTRACT_DOC, &lim),
                     DS_IMAGE_TOO_LARGE);
    lim.max_image_bytes = (long) len / 2;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim),
                     DS_IMAGE_TOO_LARGE);
    free(w);
    free(s);
    free(img);
}
END_TEST

START_TEST(test_payload_pixels)
{
    struct proto_limits  lim = lim_default;
    unsigned char       *img;
    size_t               len;
    char                *s;

    img = make_image(_i == 0 ? IFF_PNG : IFF_JFIF_JPEG, 100, 50, &len);
    s = b64(img, len);
    lim.max_pixels = 5000;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim), DS_OK);
    lim.max_pixels = 4999;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim),
                     DS_IMAGE_TOO_LARGE);
    free(s);
    free(img);
}
END_TEST

START_TEST(test_payload_pages)
{
    struct proto_limits  lim = lim_default;
    unsigned char       *img;
    size_t               len;
    char                *s;

    img = make_image(IFF_PNG, 20, 20, &len);
    s = b64(img, len);
    lim.max_pages = 2;
    ck_assert_int_eq(check_images(s, 2, EXTRACT_DOC, &lim), DS_OK);
    ck_assert_int_eq(check_images(s, 3, EXTRACT_DOC, &lim),
                     DS_TOO_MANY_PAGES);
    ck_assert_int_eq(check_images(s, 3, EXTRACT_FORM, &lim),
                     DS_TOO_MANY_PAGES);
    free(s);
    free(img);
}
END_TEST

/* A multi-page TIFF counts each page. */
START_TEST(test_payload_tiff_pages)
{
    struct proto_limits  lim = lim_default;
    PIXA                *pixa;
    PIX                 *pix;
    l_uint8             *data = NULL;
    size_t               len = 0;
    char                *s;
    int                  i;

    pixa = pixaCreate(3);
    ck_assert_ptr_nonnull(pixa);
    for (i = 0; i < 3; i++) {
        pix = pixCreate(30, 20, 1);
        ck_assert_ptr_nonnull(pix);
        ck_assert_int_eq(pixaAddPix(pixa, pix, L_INSERT), 0);
    }
    ck_assert_int_eq(pixaWriteMemMultipageTiff(&data, &len, pixa), 0);
    pixaDestroy(&pixa);
    s = b64(data, len);
    lim.max_pages = 3;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim), DS_OK);
    lim.max_pages = 2;
    ck_assert_int_eq(check_images(s, 1, EXTRACT_DOC, &lim),
                     DS_TOO_MANY_PAGES);
    free(s);
    free(data);
}
END_TEST

START_TEST(test_images_in_order)
{
    unsigned char     *img[3];
    size_t             len[3], i, n;
    json_object       *entries[3], *inner;
    struct ocr_image  *out;
    char              *s;

    img[0] = make_image(IFF_PNG, 10, 10, &len[0]);
    img[1] = make_image(IFF_JFIF_JPEG, 12, 8, &len[1]);
    img[2] = make_image(IFF_TIFF_ZIP, 9, 9, &len[2]);
    for (i = 0; i < 3; i++) {
        s = i == 1 ? b64_wrapped(img[i], len[i]) : b64(img[i], len[i]);
        entries[i] = json_object_new_string(s);
        free(s);
    }
    inner = inner_of(entries, 3);
    ck_assert_int_eq(proto_images(inner, &out, &n), DS_OK);
    ck_assert_uint_eq(n, 3);
    for (i = 0; i < 3; i++) {
        ck_assert_uint_eq(out[i].len, len[i]);
        ck_assert(memcmp(out[i].data, img[i], len[i]) == 0);
    }
    proto_images_free(out, n);

    /* The copies outlive the payload. */
    ck_assert_int_eq(proto_images(inner, &out, &n), DS_OK);
    json_object_put(inner);
    ck_assert(memcmp(out[2].data, img[2], len[2]) == 0);
    proto_images_free(out, n);
    for (i = 0; i < 3; i++) {
        free(img[i]);
    }
}
END_TEST

START_TEST(test_images_bad)
{
    static const char *const bad[] = {
        "{}", "{\"to_process\":{}}", "{\"to_process\":[\"QUJD\",1]}",
        "{\"to_process\":[\"QUJD\",\"*\"]}",
    };
    json_object       *inner;
    struct ocr_image  *out;
    size_t             i, n;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        inner = jsonx_parse(bad[i], strlen(bad[i]), 8);
        ck_assert_ptr_nonnull(inner);
        ck_assert_int_eq(proto_images(inner, &out, &n), DS_INVALID_PAYLOAD);
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(n, 0);
        json_object_put(inner);
    }
    proto_images_free(NULL, 0);
}
END_TEST

/* --- the result -------------------------------------------------------- */

START_TEST(test_seal_result)
{
    static const size_t   keylens[] = { 16, 24, 32 };
    static const char    *json = "{\"title\":\"T\",\"tags\":[\"a\"]}";
    struct proto_secret   secret;
    unsigned char        *ct, *plain;
    size_t                ctlen, plainlen;
    char                 *out, *out2;

    secret.keylen = keylens[_i];
    ck_assert_int_eq(crypto_random(secret.key, secret.keylen), RC_OK);
    ck_assert_int_eq(proto_seal_result(&secret, json, strlen(json), &out),
                     RC_OK);
    ck_assert_ptr_null(strchr(out, '\n'));
    ck_assert_int_eq(crypto_b64_decode(out, strlen(out), &ct, &ctlen),
                     RC_OK);
    ck_assert_int_eq(crypto_aes_decrypt(secret.key, secret.keylen, ct, ctlen,
                                        &plain, &plainlen), RC_OK);
    ck_assert_uint_eq(plainlen, strlen(json));
    ck_assert(memcmp(plain, json, plainlen) == 0);

    /* A fresh IV each time. */
    ck_assert_int_eq(proto_seal_result(&secret, json, strlen(json), &out2),
                     RC_OK);
    ck_assert_str_ne(out, out2);
    free(out2);
    free(plain);
    free(ct);
    free(out);

    secret.keylen = 20;
    ck_assert_int_ne(proto_seal_result(&secret, json, strlen(json), &out),
                     RC_OK);
    ck_assert_ptr_null(out);
}
END_TEST

/* The whole round: a client seals, the server opens and answers, the
 * client reads the answer with its own key. */
START_TEST(test_seal_result_client)
{
    struct envelope       env;
    struct proto_req      req;
    struct proto_sealed   sealed;
    struct proto_secret   secret;
    json_object          *inner;
    char                 *body, *out, *json;
    size_t                len;

    ck_assert_int_eq(envelope_seal(test_pub, "{\"to_process\":[]}", 17,
                                   NULL, &env), RC_OK);
    body = envelope_body(env.content_b64, env.aes_key_b64, env.sha256);
    decode_ok(body, &req, &sealed);
    ck_assert_int_eq(proto_open(test_key, &sealed, &secret, &inner), DS_OK);
    ck_assert_int_eq(proto_seal_result(&secret, "{\"ok\":1}", 8, &out),
                     RC_OK);
    ck_assert_int_eq(envelope_open_result(&env, out, &json, &len), RC_OK);
    ck_assert_str_eq(json, "{\"ok\":1}");
    free(json);
    free(out);
    json_object_put(inner);
    proto_sealed_free(&sealed);
    proto_req_free(&req);
    free(body);
    envelope_free(&env);
}
END_TEST

/* --- runner ------------------------------------------------------------ */

static TCase *
tcase(Suite *s, const char *name, int timeout)
{
    TCase  *tc;

    tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, timeout);
    suite_add_tcase(s, tc);
    return tc;
}

static Suite *
proto_suite(int ncases)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("proto");
    tc = tcase(s, "process", 10);
    tcase_add_test(tc, test_process_good);
    tcase_add_test(tc, test_process_invalid_json);
    tcase_add_test(tc, test_process_missing_field);
    tcase_add_test(tc, test_process_invalid_field);
    tcase_add_test(tc, test_process_invalid_type);
    tcase_add_test(tc, test_process_order);
    tcase_add_test(tc, test_process_content);
    tcase_add_test(tc, test_process_sha256);
    tcase_add_test(tc, test_clear);

    tc = tcase(s, "open", 20);
    tcase_add_loop_test(tc, test_vec_open, 0, ncases);
    tcase_add_test(tc, test_decode_sha256);
    tcase_add_test(tc, test_decode_bad_base64);
    tcase_add_test(tc, test_open_damaged);
    tcase_add_test(tc, test_open_cut_block);
    tcase_add_test(tc, test_open_not_json);

    tc = tcase(s, "payload", 20);
    tcase_add_loop_test(tc, test_payload_formats, 0, 3);
    tcase_add_test(tc, test_payload_shape);
    tcase_add_test(tc, test_payload_not_image);
    tcase_add_test(tc, test_payload_image_bytes);
    tcase_add_loop_test(tc, test_payload_pixels, 0, 2);
    tcase_add_test(tc, test_payload_pages);
    tcase_add_test(tc, test_payload_tiff_pages);
    tcase_add_test(tc, test_images_in_order);
    tcase_add_test(tc, test_images_bad);

    tc = tcase(s, "result", 10);
    tcase_add_loop_test(tc, test_seal_result, 0, 3);
    tcase_add_test(tc, test_seal_result_client);
    return s;
}

/* The vectors are read once, before the runner forks for each test. */
static int
load_vectors(void)
{
    char            path[1024];
    unsigned char  *text;
    size_t          len;

    snprintf(path, sizeof(path), "%s/tests/fixtures/protocol_vectors.json",
             test_srcdir());
    text = test_read_file(path, &len);
    if (text == NULL) {
        fprintf(stderr, "test_proto: cannot read %s (set DS_SRCDIR)\n",
                path);
        return -1;
    }
    vec_root = jsonx_parse((char *) text, len, 16);
    free(text);
    if (vec_root == NULL
        || jsonx_array(vec_root, "cases", &vec_cases) != JSONX_OK
        || json_object_array_length(vec_cases) < 1)
    {
        fprintf(stderr, "test_proto: %s: no \"cases\" array\n", path);
        return -1;
    }
    return (int) json_object_array_length(vec_cases);
}

int
main(void)
{
    SRunner  *sr;
    int       ncases, failed;

    ncases = load_vectors();
    if (ncases < 0) {
        return EXIT_FAILURE;
    }
    setMsgSeverity(L_SEVERITY_NONE);
    log_set_level(LOG_ERR);
    sr = srunner_create(proto_suite(ncases));
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    json_object_put(vec_root);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
