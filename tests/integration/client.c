/*
 * client.c - HTTP and envelope helpers for the integration tests.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <zlib.h>

#include "buf.h"
#include "client.h"
#include "crypto.h"
#include "jsonx.h"

static int
itc_env(const char *prefix, const char *name, char *out, size_t outlen)
{
    char         key[128];
    const char  *v;

    snprintf(key, sizeof(key), "%s_%s", prefix, name);
    v = getenv(key);
    if (v == NULL || v[0] == '\0' || strlen(v) >= outlen) {
        return -1;
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int
itc_open(struct itc *c, const char *prefix)
{
    char  pubkey[512];

    memset(c, 0, sizeof(*c));
    if (itc_env(prefix, "URL", c->url, sizeof(c->url)) != 0
        || itc_env(prefix, "CACERT", c->cacert, sizeof(c->cacert)) != 0
        || itc_env(prefix, "DIR", c->dir, sizeof(c->dir)) != 0
        || itc_env(prefix, "PUBKEY", pubkey, sizeof(pubkey)) != 0)
    {
        return -1;
    }
    return crypto_pubkey_load(pubkey, &c->pub) == RC_OK ? 0 : -1;
}

void
itc_close(struct itc *c)
{
    crypto_pubkey_free(c->pub);
    c->pub = NULL;
}

static size_t
itc_write(char *p, size_t size, size_t n, void *user)
{
    struct buf  *b = user;

    return buf_append(b, p, size * n) == RC_OK ? size * n : 0;
}

int
itc_request(struct itc *c, const char *method, const char *path,
    const char *ctype, const char *body, size_t len, struct itc_reply *r)
{
    CURL               *h;
    struct curl_slist  *hdrs = NULL;
    struct buf          b, hb;
    char                url[1024], ct[256];
    CURLcode            cc;

    memset(r, 0, sizeof(*r));
    h = curl_easy_init();
    if (h == NULL) {
        return -1;
    }
    buf_init(&b, 256L * 1024 * 1024);
    buf_init(&hb, 1024L * 1024);
    snprintf(url, sizeof(url), "%s%s", c->url, path);
    snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "");
    hdrs = curl_slist_append(hdrs, ct);     /* "Content-Type:" removes it */
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, itc_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, itc_write);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (cc != CURLE_OK) {
        buf_free(&b);
        buf_free(&hb);
        return -1;
    }
    r->head = buf_steal(&hb, NULL);
    r->body = buf_steal(&b, &r->len);
    r->json = r->body ? jsonx_parse(r->body, r->len, 32) : NULL;
    return 0;
}

void
itc_reply_free(struct itc_reply *r)
{
    free(r->body);
    free(r->head);
    json_object_put(r->json);
    memset(r, 0, sizeof(*r));
}

const char *
itc_header(const struct itc_reply *r, const char *name, char *out,
    size_t outlen)
{
    const char  *p, *v;
    size_t       n = strlen(name), k;

    for (p = r->head; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
        p += *p == '\n';
        if (strncasecmp(p, name, n) != 0 || p[n] != ':') {
            continue;
        }
        v = p + n + 1;
        v += strspn(v, " \t");
        k = strcspn(v, "\r\n");
        if (k >= outlen) {
            k = outlen - 1;
        }
        memcpy(out, v, k);
        out[k] = '\0';
        return out;
    }
    return NULL;
}

const char *
itc_detail(const struct itc_reply *r)
{
    const char  *s = NULL;

    if (jsonx_string(r->json, "error_detail", &s) == JSONX_OK) {
        return s;
    }
    if (jsonx_string(r->json, "status", &s) == JSONX_OK) {
        return s;
    }
    return "";
}

char *
itc_body(const char *client_id, const char *type,
    const struct envelope *env, int has_content)
{
    json_object  *o = json_object_new_object();
    char         *s;

    json_object_object_add(o, "client_id", json_object_new_string(client_id));
    json_object_object_add(o, "type", json_object_new_string(type));
    json_object_object_add(o, "SHA256", json_object_new_string(env->sha256));
    json_object_object_add(o, "has_content",
                           json_object_new_boolean(has_content));
    if (has_content) {
        json_object_object_add(o, "content",
                               json_object_new_string(env->content_b64));
        json_object_object_add(o, "aes_key",
                               json_object_new_string(env->aes_key_b64));
    }
    s = jsonx_dump(o);
    json_object_put(o);
    return s;
}

int
itc_submit(struct itc *c, const char *client_id, const char *type,
    const char *inner, const struct envelope_opts *opts,
    struct envelope *env, struct itc_reply *r)
{
    char  *body;
    int    rc;

    memset(r, 0, sizeof(*r));
    if (envelope_seal(c->pub, inner, strlen(inner), opts, env) != RC_OK) {
        return -1;
    }
    body = itc_body(client_id, type, env, 1);
    if (body == NULL) {
        return -1;
    }
    rc = itc_request(c, "POST", "/process", "application/json", body,
                     strlen(body), r);
    free(body);
    return rc;
}

int
itc_wait(struct itc *c, const char *client_id, const char *type,
    const struct envelope *env, int timeout_s, struct itc_reply *last,
    json_object **result)
{
    const char  *res = NULL;
    char        *body, *plain = NULL;
    size_t       plen;
    time_t       end = time(NULL) + timeout_s;
    useconds_t   pause = 20000;

    *result = NULL;
    body = itc_body(client_id, type, env, 0);
    for ( ;; ) {
        /* 502-504: a request in flight on a killed process; poll on */
        if (itc_request(c, "POST", "/process", "application/json", body,
                        strlen(body), last) == 0 && last->status != 202
            && (last->status < 502 || last->status > 504))
        {
            break;
        }
        if (time(NULL) >= end) {
            free(body);
            return -1;
        }
        itc_reply_free(last);
        usleep(pause);
        pause = pause < 500000 ? pause * 2 : pause;
    }
    free(body);
    if (last->status != 200
        || jsonx_string(last->json, "result", &res) != JSONX_OK
        || envelope_open_result(env, res, &plain, &plen) != RC_OK)
    {
        return last->status == 200 ? -1 : 0;
    }
    *result = jsonx_parse(plain, plen, 64);
    free(plain);
    return *result != NULL ? 0 : -1;
}

static char *
itc_inner(json_object *arr, const char *file_lib)
{
    json_object  *o = json_object_new_object(), *lib;
    char         *s;

    json_object_object_add(o, "to_process", arr);
    lib = file_lib ? json_tokener_parse(file_lib) : NULL;
    if (file_lib != NULL && lib == NULL) {
        lib = json_object_new_string(file_lib);     /* deliberately bad */
    }
    json_object_object_add(o, "file_lib",
                           lib ? lib : json_object_new_object());
    s = jsonx_dump(o);
    json_object_put(o);
    return s;
}

static json_object *
itc_b64_item(const unsigned char *data, size_t len)
{
    char         *b64 = NULL;
    json_object  *s;

    if (crypto_b64_encode(data, len, &b64) != RC_OK) {
        return NULL;
    }
    s = json_object_new_string(b64);
    free(b64);
    return s;
}

char *
itc_inner_bytes(const unsigned char *data, size_t len, const char *file_lib)
{
    json_object  *arr = json_object_new_array();

    json_object_array_add(arr, itc_b64_item(data, len));
    return itc_inner(arr, file_lib);
}

char *
itc_inner_files(const char *const *paths, size_t n, const char *file_lib)
{
    json_object    *arr = json_object_new_array();
    unsigned char  *data;
    FILE           *f;
    long            len;
    size_t          i;

    for (i = 0; i < n; i++) {
        f = fopen(paths[i], "rb");
        if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0
            || fseek(f, 0, SEEK_SET) != 0)
        {
            if (f != NULL) {
                fclose(f);
            }
            json_object_put(arr);
            return NULL;
        }
        data = malloc((size_t) len + 1);
        if (data == NULL || fread(data, 1, (size_t) len, f) != (size_t) len) {
            free(data);
            fclose(f);
            json_object_put(arr);
            return NULL;
        }
        fclose(f);
        json_object_array_add(arr, itc_b64_item(data, (size_t) len));
        free(data);
    }
    return itc_inner(arr, file_lib);
}

void
itc_put_be32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char) (v >> 24);
    p[1] = (unsigned char) (v >> 16);
    p[2] = (unsigned char) (v >> 8);
    p[3] = (unsigned char) v;
}

unsigned long
itc_crc32(const unsigned char *p, size_t n)
{
    return crc32(crc32(0L, Z_NULL, 0), p, (uInt) n);
}

int
itc_sh(const char *fmt, ...)
{
    char     cmd[2048];
    va_list  ap;
    int      st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
