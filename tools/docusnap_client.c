/*
 * docusnap-client - send documents to a DocuSnap server the way the app
 * does, wait for the result and print it.
 *
 *   docusnap-client [-u BASE_URL] [-k PUBKEY.pem] [--cacert FILE |
 *       --insecure] [-c CLIENT_ID] [-t doc|form|fill] [--lib FILE.json]
 *       [--timeout SEC] FILE...
 *   docusnap-client [-u BASE_URL] -c CLIENT_ID --clear
 *
 * Exit status: 0 result printed, 1 local or transport failure or
 * timeout, 2 the server answered with an error, 64 usage.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "clock.h"
#include "crypto.h"
#include "envelope.h"
#include "http.h"
#include "jsonx.h"

#define EXIT_REMOTE         2
#define EXIT_USAGE          64

#define DEFAULT_URL         "https://127.0.0.1/api/v1"
#define DEFAULT_TIMEOUT_S   120
#define MAX_TIMEOUT_S       86400
#define MAX_FILE            (64L * 1024 * 1024)
#define MAX_REPLY           (64L * 1024 * 1024)
#define MAX_DEPTH           64
#define POLL_FIRST_MS       100
#define POLL_MAX_MS         2000

enum client_state {
    CLIENT_PROCESSING,
    CLIENT_COMPLETED,
    CLIENT_FAILED
};

struct client {
    const char            *base_url;
    const char            *pubkey_path;
    const char            *ca_file;
    int                    insecure;
    const char            *client_id;
    char                   id_buf[40];      /* a generated client id */
    const char            *type;
    const char            *lib_path;
    long                   timeout_s;
    int                    clear;
    char                 **files;
    int                    nfiles;
    int64_t                deadline;        /* clock_mono_ms */
    struct crypto_pubkey  *pub;
    struct envelope        env;
};

static void
client_usage(FILE *f)
{
    fprintf(f,
        "usage: docusnap-client [-u BASE_URL] [-k PUBKEY.pem]\n"
        "           [--cacert FILE | --insecure] [-c CLIENT_ID]\n"
        "           [-t doc|form|fill] [--lib FILE.json] [--timeout SEC]"
        " FILE...\n"
        "       docusnap-client [-u BASE_URL] -c CLIENT_ID --clear\n"
        "  doc, form: FILEs are images; fill: one FILE, a JSON form\n"
        "  default URL " DEFAULT_URL ", the key from BASE_URL/public_key\n"
        "exit: 0 result printed on stdout, 1 local failure or timeout,\n"
        "      2 the server reported an error, 64 usage\n");
}

static void
client_warn(const char *what, const char *detail)
{
    fprintf(stderr, "docusnap-client: %s%s%s\n", what,
            detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* --- arguments --------------------------------------------------------- */

static int
client_parse_long(const char *s, long min, long max, long *out)
{
    char  *end;
    long   n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || n < min || n > max) {
        return -1;
    }
    *out = n;
    return 0;
}

/* One option; -1 for a bad one. */
static int
client_option(struct client *c, int opt)
{
    switch (opt) {
    case 'u': c->base_url = optarg; return 0;
    case 'k': c->pubkey_path = optarg; return 0;
    case 'c': c->client_id = optarg; return 0;
    case 't': c->type = optarg; return 0;
    case 'C': c->ca_file = optarg; return 0;
    case 'I': c->insecure = 1; return 0;
    case 'L': c->lib_path = optarg; return 0;
    case 'X': c->clear = 1; return 0;
    case 'T':
        return client_parse_long(optarg, 1, MAX_TIMEOUT_S, &c->timeout_s);
    default:
        return -1;
    }
}

/* The options together: what each mode needs and what conflicts. */
static const char *
client_check_args(const struct client *c)
{
    if (c->ca_file != NULL && c->insecure) {
        return "--cacert and --insecure exclude each other";
    }
    if (c->clear) {
        return c->client_id == NULL ? "--clear needs -c CLIENT_ID"
               : c->nfiles > 0 ? "--clear takes no FILE" : NULL;
    }
    if (strcmp(c->type, "doc") != 0 && strcmp(c->type, "form") != 0
        && strcmp(c->type, "fill") != 0)
    {
        return "-t must be doc, form or fill";
    }
    if (c->nfiles == 0) {
        return "no FILE given";
    }
    if (strcmp(c->type, "fill") == 0 && c->nfiles != 1) {
        return "-t fill takes exactly one FILE, a JSON form";
    }
    return NULL;
}

/* -1 to go on, else the exit status. */
static int
client_parse_args(struct client *c, int argc, char **argv)
{
    static const struct option  longopts[] = {
        { "url", required_argument, NULL, 'u' },
        { "key", required_argument, NULL, 'k' },
        { "client-id", required_argument, NULL, 'c' },
        { "type", required_argument, NULL, 't' },
        { "cacert", required_argument, NULL, 'C' },
        { "insecure", no_argument, NULL, 'I' },
        { "lib", required_argument, NULL, 'L' },
        { "timeout", required_argument, NULL, 'T' },
        { "clear", no_argument, NULL, 'X' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char                 *bad;
    int                         opt;

    for (;;) {
        opt = getopt_long(argc, argv, "u:k:c:t:h", longopts, NULL);
        if (opt == -1) {
            break;
        }
        if (opt == 'h') {
            client_usage(stdout);
            return EXIT_SUCCESS;
        }
        if (client_option(c, opt) != 0) {
            if (opt == 'T') {
                client_warn("--timeout wants 1..86400 seconds", optarg);
            }
            client_usage(stderr);
            return EXIT_USAGE;
        }
    }
    c->files = argv + optind;
    c->nfiles = argc - optind;

    bad = client_check_args(c);
    if (bad != NULL) {
        client_warn(bad, NULL);
        client_usage(stderr);
        return EXIT_USAGE;
    }
    return -1;
}

/* Without -c, a random id, so each run is a submission of its own. */
static int
client_make_id(struct client *c)
{
    unsigned char  r[8];
    char           hex[65];

    if (c->client_id != NULL) {
        return 0;
    }
    /* Hex by way of the digest: crypto.h exports no hex encoder. */
    if (crypto_random(r, sizeof(r)) != RC_OK
        || crypto_sha256_hex(r, sizeof(r), hex) != RC_OK)
    {
        client_warn("cannot make a client id", NULL);
        return -1;
    }
    snprintf(c->id_buf, sizeof(c->id_buf), "cli-%.16s", hex);
    c->client_id = c->id_buf;
    fprintf(stderr, "docusnap-client: client id %s\n", c->client_id);
    return 0;
}

/* --- HTTP --------------------------------------------------------------- */

static long
client_remaining_ms(const struct client *c)
{
    int64_t  left;

    left = c->deadline - clock_mono_ms();
    return left > 0 ? (long) left : 0;
}

/* POST body (or GET when body is NULL) to BASE_URL path. */
static rc_t
client_request(const struct client *c, const char *path, const char *body,
    long *status, struct buf *reply)
{
    static const char *const  json_headers[] = {
        "Content-Type: application/json", "Accept: application/json", NULL
    };
    struct http_req           req;
    struct buf                url;
    size_t                    n;
    rc_t                      rc;

    buf_init(&url, 8192);
    n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/') {
        n--;
    }
    rc = buf_printf(&url, "%.*s%s", (int) n, c->base_url, path);
    if (rc != RC_OK) {
        goto out;
    }

    memset(&req, 0, sizeof(req));
    req.url = buf_cstr(&url);
    req.body = body;
    req.body_len = body != NULL ? strlen(body) : 0;
    req.headers = body != NULL ? json_headers : NULL;
    req.timeout_ms = client_remaining_ms(c);
    req.ca_file = c->ca_file;
    req.insecure = c->insecure;

    buf_reset(reply);
    if (req.timeout_ms == 0) {
        rc = RC_TIMEOUT;
    } else if (body != NULL) {
        rc = http_post(&req, status, reply);
    } else {
        rc = http_get(&req, status, reply);
    }
    if (rc != RC_OK) {
        client_warn(buf_cstr(&url), rc == RC_TIMEOUT ? "timed out"
                                    : rc == RC_NOMEM ? "reply too large"
                                    : "transfer failed");
    }

out:
    buf_free(&url);
    return rc;
}

/* -k FILE, or the server's GET /public_key. */
static int
client_load_pubkey(struct client *c)
{
    struct buf  reply;
    long        status;
    rc_t        rc;

    if (c->pubkey_path != NULL) {
        rc = crypto_pubkey_load(c->pubkey_path, &c->pub);
        if (rc != RC_OK) {
            client_warn("no RSA public key in", c->pubkey_path);
        }
        return rc == RC_OK ? 0 : -1;
    }

    buf_init(&reply, 65536);
    rc = client_request(c, "/public_key", NULL, &status, &reply);
    if (rc == RC_OK && status != 200) {
        fprintf(stderr, "docusnap-client: /public_key: HTTP %ld\n", status);
        rc = RC_BADINPUT;
    } else if (rc == RC_OK) {
        rc = crypto_pubkey_from_pem(buf_cstr(&reply), reply.len, &c->pub);
        if (rc != RC_OK) {
            client_warn("/public_key sent no RSA public key", NULL);
        }
    }
    buf_free(&reply);
    return rc == RC_OK ? 0 : -1;
}

/* --- the request payload --------------------------------------------- */

static rc_t
client_read_file(const char *path, struct buf *out)
{
    FILE    *f;
    char     chunk[65536];
    size_t   n;
    rc_t     rc;

    f = fopen(path, "rb");
    if (f == NULL) {
        client_warn(path, strerror(errno));
        return RC_BADINPUT;
    }
    rc = RC_OK;
    do {
        n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0) {
            rc = buf_append(out, chunk, n);
        }
    } while (rc == RC_OK && n == sizeof(chunk));

    if (rc == RC_OK && ferror(f)) {
        rc = RC_BADINPUT;
    }
    fclose(f);
    if (rc != RC_OK) {
        client_warn(path, rc == RC_NOMEM ? "file too large" : "read error");
    }
    return rc;
}

/* A JSON file, parsed and required to be an object. */
static json_object *
client_read_json(const char *path)
{
    struct buf    text;
    json_object  *obj;

    obj = NULL;
    buf_init(&text, MAX_FILE);
    if (client_read_file(path, &text) == RC_OK) {
        obj = jsonx_parse(buf_cstr(&text), text.len, MAX_DEPTH);
        if (obj == NULL || !json_object_is_type(obj, json_type_object)) {
            client_warn("not a JSON object", path);
            json_object_put(obj);
            obj = NULL;
        }
    }
    buf_free(&text);
    return obj;
}

/* Append the base64 of one image file to arr; data is scratch space. */
static rc_t
client_add_image(json_object *arr, const char *path, struct buf *data)
{
    json_object  *str;
    char         *b64;
    rc_t          rc;

    buf_reset(data);
    rc = client_read_file(path, data);
    if (rc != RC_OK) {
        return rc;
    }
    rc = crypto_b64_encode((const unsigned char *) buf_cstr(data), data->len,
                           &b64);
    if (rc != RC_OK) {
        return rc;
    }
    str = json_object_new_string(b64);
    free(b64);
    if (str == NULL || json_object_array_add(arr, str) != 0) {
        json_object_put(str);
        return RC_NOMEM;
    }
    return RC_OK;
}

/* Each image FILE as a base64 string. */
static json_object *
client_images(const struct client *c)
{
    json_object  *arr;
    struct buf    data;
    int           i;

    arr = json_object_new_array();
    buf_init(&data, MAX_FILE);
    for (i = 0; arr != NULL && i < c->nfiles; i++) {
        if (client_add_image(arr, c->files[i], &data) != RC_OK) {
            json_object_put(arr);
            arr = NULL;
        }
    }
    buf_free(&data);
    return arr;
}

/* --lib FILE, or an empty library. */
static json_object *
client_lib(const struct client *c)
{
    json_object  *lib;

    if (c->lib_path != NULL) {
        return client_read_json(c->lib_path);
    }
    lib = json_object_new_object();
    if (lib == NULL
        || json_object_object_add(lib, "docs", json_object_new_array()) != 0
        || json_object_object_add(lib, "forms", json_object_new_array())
           != 0)
    {
        json_object_put(lib);
        return NULL;
    }
    return lib;
}

/* {"to_process": ..., "file_lib": ...} as text, to be sealed. */
static char *
client_inner(const struct client *c)
{
    json_object  *inner, *todo, *lib;
    char         *text;

    text = NULL;
    inner = json_object_new_object();
    todo = strcmp(c->type, "fill") == 0 ? client_read_json(c->files[0])
                                        : client_images(c);
    lib = client_lib(c);
    if (inner == NULL || todo == NULL || lib == NULL) {
        goto out;
    }
    if (json_object_object_add(inner, "to_process", todo) != 0) {
        goto out;
    }
    todo = NULL;
    if (json_object_object_add(inner, "file_lib", lib) != 0) {
        goto out;
    }
    lib = NULL;
    text = jsonx_dump(inner);

out:
    json_object_put(lib);
    json_object_put(todo);
    json_object_put(inner);
    return text;
}

static int
client_seal(struct client *c)
{
    char  *inner;
    rc_t   rc;

    inner = client_inner(c);
    if (inner == NULL) {
        client_warn("cannot build the request payload", NULL);
        return -1;
    }
    rc = envelope_seal(c->pub, inner, strlen(inner), NULL, &c->env);
    free(inner);
    if (rc != RC_OK) {
        client_warn("cannot seal the request", rc_str(rc));
        return -1;
    }
    return 0;
}

/* --- the exchange ---------------------------------------------------- */

static int
client_add_str(json_object *o, const char *key, const char *val)
{
    json_object  *s;

    s = json_object_new_string(val);
    if (s == NULL || json_object_object_add(o, key, s) != 0) {
        json_object_put(s);
        return -1;
    }
    return 0;
}

/* The POST /process body: the envelope only when has_content. */
static char *
client_body(const struct client *c, int has_content)
{
    json_object  *o;
    char         *text;

    text = NULL;
    o = json_object_new_object();
    if (o == NULL
        || client_add_str(o, "client_id", c->client_id) != 0
        || client_add_str(o, "type", c->type) != 0
        || client_add_str(o, "SHA256", c->env.sha256) != 0
        || json_object_object_add(o, "has_content",
                                  json_object_new_boolean(has_content)) != 0)
    {
        goto out;
    }
    if (has_content
        && (client_add_str(o, "content", c->env.content_b64) != 0
            || client_add_str(o, "aes_key", c->env.aes_key_b64) != 0))
    {
        goto out;
    }
    text = jsonx_dump(o);

out:
    json_object_put(o);
    return text;
}

/*
 * What a /process reply says. An error is reported here; *result_b64
 * points into *obj, which the caller puts.
 */
static void
client_reply_state(long status, const struct buf *reply, json_object **obj,
    const char **result_b64, enum client_state *state)
{
    const char  *s, *detail;

    *obj = jsonx_parse(buf_cstr(reply), reply->len, MAX_DEPTH);
    if (*obj == NULL || jsonx_string(*obj, "status", &s) != JSONX_OK) {
        fprintf(stderr, "docusnap-client: HTTP %ld without a JSON status\n",
                status);
        *state = CLIENT_FAILED;
        return;
    }
    if (strcmp(s, "completed") == 0
        && jsonx_string(*obj, "result", result_b64) == JSONX_OK)
    {
        *state = CLIENT_COMPLETED;
    } else if (strcmp(s, "processing") == 0 && status / 100 == 2) {
        *state = CLIENT_PROCESSING;
    } else {
        if (jsonx_string(*obj, "error_detail", &detail) != JSONX_OK) {
            detail = strcmp(s, "completed") == 0 ? "completed, no result"
                                                 : s;
        }
        fprintf(stderr, "docusnap-client: error: %s (HTTP %ld)\n", detail,
                status);
        *state = CLIENT_FAILED;
    }
}

/* Decrypt the result and pretty-print it on stdout. */
static int
client_print_result(const struct client *c, const char *result_b64)
{
    json_object  *obj;
    char         *json;
    const char   *pretty;
    size_t        len;
    rc_t          rc;
    int           ret;

    rc = envelope_open_result(&c->env, result_b64, &json, &len);
    if (rc != RC_OK) {
        client_warn("cannot decrypt the result", rc_str(rc));
        return -1;
    }
    ret = -1;
    obj = jsonx_parse(json, len, MAX_DEPTH);
    if (obj == NULL) {
        client_warn("the result is not JSON", NULL);
        goto out;
    }
    pretty = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY
                                            | JSON_C_TO_STRING_SPACED
                                            | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (pretty == NULL || printf("%s\n", pretty) < 0 || fflush(stdout) != 0) {
        client_warn("cannot write the result", strerror(errno));
        goto out;
    }
    ret = 0;

out:
    json_object_put(obj);
    free(json);
    return ret;
}

/* One POST /process; the exit status when it settles, -1 to poll. */
static int
client_exchange(const struct client *c, int has_content)
{
    struct buf          reply;
    json_object        *obj;
    const char         *result;
    char               *body;
    enum client_state   state;
    long                status;
    int                 ret;

    obj = NULL;
    ret = EXIT_FAILURE;
    buf_init(&reply, MAX_REPLY);
    body = client_body(c, has_content);
    if (body == NULL) {
        client_warn("cannot build the request", NULL);
        goto out;
    }
    if (client_request(c, "/process", body, &status, &reply) != RC_OK) {
        goto out;
    }

    client_reply_state(status, &reply, &obj, &result, &state);
    if (state == CLIENT_PROCESSING) {
        ret = -1;
    } else if (state == CLIENT_COMPLETED) {
        ret = client_print_result(c, result) == 0 ? EXIT_SUCCESS
                                                  : EXIT_FAILURE;
    } else {
        ret = EXIT_REMOTE;
    }

out:
    json_object_put(obj);
    free(body);
    buf_free(&reply);
    return ret;
}

/* Sleep ms, cut short by the deadline; -1 when it has passed. */
static int
client_pause(const struct client *c, long ms)
{
    struct timespec  ts;
    long             left;

    left = client_remaining_ms(c);
    if (left == 0) {
        return -1;
    }
    ms = ms < left ? ms : left;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        continue;
    }
    return client_remaining_ms(c) > 0 ? 0 : -1;
}

/* Submit, then ask again with backoff until the job settles. */
static int
client_submit_and_wait(struct client *c)
{
    long  wait_ms;
    int   ret;

    ret = client_exchange(c, 1);
    for (wait_ms = POLL_FIRST_MS; ret == -1; wait_ms *= 2) {
        if (wait_ms > POLL_MAX_MS) {
            wait_ms = POLL_MAX_MS;
        }
        if (client_pause(c, wait_ms) != 0) {
            fprintf(stderr, "docusnap-client: no result after %ld s\n",
                    c->timeout_s);
            return EXIT_FAILURE;
        }
        ret = client_exchange(c, 0);
    }
    return ret;
}

static int
client_run(struct client *c)
{
    if (client_make_id(c) != 0 || client_load_pubkey(c) != 0
        || client_seal(c) != 0)
    {
        return EXIT_FAILURE;
    }
    return client_submit_and_wait(c);
}

/* POST /clear: everything the server keeps for the client id. */
static int
client_clear(const struct client *c)
{
    json_object  *o;
    struct buf    reply;
    char         *body;
    long          status;
    int           ret;

    ret = EXIT_FAILURE;
    buf_init(&reply, 65536);
    o = json_object_new_object();
    body = NULL;
    if (o == NULL || client_add_str(o, "client_id", c->client_id) != 0) {
        goto out;
    }
    body = jsonx_dump(o);
    if (body == NULL
        || client_request(c, "/clear", body, &status, &reply) != RC_OK)
    {
        goto out;
    }
    if (status / 100 != 2) {
        fprintf(stderr, "docusnap-client: /clear: HTTP %ld: %s\n", status,
                buf_cstr(&reply));
        ret = EXIT_REMOTE;
        goto out;
    }
    ret = EXIT_SUCCESS;

out:
    free(body);
    json_object_put(o);
    buf_free(&reply);
    return ret;
}

int
main(int argc, char **argv)
{
    struct client  c;
    int            ret;

    memset(&c, 0, sizeof(c));
    c.base_url = DEFAULT_URL;
    c.type = "doc";
    c.timeout_s = DEFAULT_TIMEOUT_S;
    ret = client_parse_args(&c, argc, argv);
    if (ret != -1) {
        return ret;
    }
    if (http_global_init() != RC_OK) {
        client_warn("cannot start libcurl", NULL);
        return EXIT_FAILURE;
    }
    c.deadline = clock_mono_ms() + (int64_t) c.timeout_s * 1000;

    ret = c.clear ? client_clear(&c) : client_run(&c);
    envelope_free(&c.env);
    crypto_pubkey_free(c.pub);
    return ret;
}
