/*
 * llm.c - chat-completions clients for the LLM extractors.
 *
 * A provider is a row of ops: its default base URL and model, how to
 * build a request body and how to read the assistant's text out of a
 * reply. "openai" and "zhipu" speak the same wire format and differ only
 * in their defaults. The retry policy lives here, once for all of them.
 *
 * Prompts and replies carry document text: they are never logged. We log
 * statuses, sizes, attempt counts and milliseconds.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "cfg.h"
#include "clock.h"
#include "http.h"
#include "jsonx.h"
#include "llm.h"

#define LOG_MODULE "llm"
#include "log.h"

#define LLM_REPLY_MAX           (4u * 1024 * 1024)
#define LLM_REPLY_DEPTH         32
#define LLM_TIMEOUT_DEFAULT_MS  60000L
#define LLM_RETRIES_MAX         10
#define LLM_BACKOFF_MAX_MS      10000L
#define LLM_RETRY_AFTER_MAX_MS  30000L
#define LLM_KEY_ENV_DEFAULT     "DOCUSNAP_LLM_API_KEY"
#define LLM_PATH                "/chat/completions"

struct llm_provider {
    const char  *name;
    const char  *base_url;
    const char  *model;
    /* A request body asking for one JSON object; *out is malloc'd. */
    rc_t       (*body)(const struct llm *llm, const char *system,
                       const char *user, char **out);
    /* Append the assistant's text of a 2xx reply to out. */
    rc_t       (*content)(const char *reply, size_t len, struct buf *out);
};

struct llm {
    const struct llm_provider  *prov;
    char                        url[CFG_STR + sizeof(LLM_PATH)];
    char                        model[128];
    char                        auth[CFG_STR + 32];   /* "" when no key */
    long                        timeout_ms;
    long                        backoff_ms;
    int                         retries;
};

static rc_t llm_openai_body(const struct llm *llm, const char *system,
    const char *user, char **out);
static rc_t llm_openai_content(const char *reply, size_t len,
    struct buf *out);

static const struct llm_provider  llm_providers[] = {
    { "openai", "https://api.openai.com/v1", "gpt-4o-mini",
      llm_openai_body, llm_openai_content },
    { "zhipu", "https://open.bigmodel.cn/api/paas/v4", "glm-4-plus",
      llm_openai_body, llm_openai_content },
};

/* --- the openai wire format ---------------------------------------------- */

/* Add val to obj under key; val is consumed either way. */
static rc_t
llm_json_add(json_object *obj, const char *key, json_object *val)
{
    if (val == NULL) {
        return RC_NOMEM;
    }
    if (json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return RC_NOMEM;
    }
    return RC_OK;
}

/* {"role": role, "content": content} appended to msgs. */
static rc_t
llm_json_message(json_object *msgs, const char *role, const char *content)
{
    json_object  *msg;
    rc_t          rc;

    msg = json_object_new_object();
    if (msg == NULL) {
        return RC_NOMEM;
    }

    rc = llm_json_add(msg, "role", json_object_new_string(role));
    if (rc != RC_OK) {
        goto out;
    }
    rc = llm_json_add(msg, "content", json_object_new_string(content));
    if (rc != RC_OK) {
        goto out;
    }

    if (json_object_array_add(msgs, msg) != 0) {
        rc = RC_NOMEM;
        goto out;
    }
    return RC_OK;

out:
    json_object_put(msg);
    return rc;
}

/* {"model", "messages": [system, user], "temperature": 0, json_object} */
static rc_t
llm_openai_body(const struct llm *llm, const char *system, const char *user,
    char **out)
{
    json_object  *root, *msgs, *fmt;
    rc_t          rc;

    *out = NULL;
    msgs = json_object_new_array();
    fmt = json_object_new_object();
    root = json_object_new_object();
    if (msgs == NULL || fmt == NULL || root == NULL) {
        rc = RC_NOMEM;
        goto out;
    }

    rc = llm_json_message(msgs, "system", system);
    if (rc != RC_OK) {
        goto out;
    }
    rc = llm_json_message(msgs, "user", user);
    if (rc != RC_OK) {
        goto out;
    }
    rc = llm_json_add(fmt, "type", json_object_new_string("json_object"));
    if (rc != RC_OK) {
        goto out;
    }

    rc = llm_json_add(root, "model", json_object_new_string(llm->model));
    if (rc != RC_OK) {
        goto out;
    }
    rc = llm_json_add(root, "messages", msgs);
    msgs = NULL;
    if (rc != RC_OK) {
        goto out;
    }
    rc = llm_json_add(root, "temperature", json_object_new_int(0));
    if (rc != RC_OK) {
        goto out;
    }
    rc = llm_json_add(root, "response_format", fmt);
    fmt = NULL;
    if (rc != RC_OK) {
        goto out;
    }

    *out = jsonx_dump(root);
    rc = *out != NULL ? RC_OK : RC_NOMEM;

out:
    json_object_put(root);
    json_object_put(fmt);
    json_object_put(msgs);
    return rc;
}

/* choices[0].message.content of a chat.completion object. */
static rc_t
llm_openai_content(const char *reply, size_t len, struct buf *out)
{
    json_object  *root, *choices, *msg;
    const char   *content, *finish;
    rc_t          rc;

    rc = RC_LLM;
    root = jsonx_parse(reply, len, LLM_REPLY_DEPTH);
    if (root == NULL) {
        log_warn("reply of %zu bytes is not JSON", len);
        return RC_LLM;
    }

    if (jsonx_array(root, "choices", &choices) != JSONX_OK
        || json_object_array_length(choices) == 0
        || jsonx_object(json_object_array_get_idx(choices, 0), "message",
                        &msg) != JSONX_OK
        || jsonx_string(msg, "content", &content) != JSONX_OK)
    {
        log_warn("reply of %zu bytes has no choices[0].message.content",
                 len);
        goto out;
    }

    if (jsonx_string(json_object_array_get_idx(choices, 0), "finish_reason",
                     &finish) == JSONX_OK
        && strcmp(finish, "length") == 0)
    {
        log_warn("reply cut at the model's length limit");
    }
    rc = buf_append_str(out, content);

out:
    json_object_put(root);
    return rc;
}

/* --- setup --------------------------------------------------------------- */

static const struct llm_provider *
llm_provider_find(const char *name)
{
    size_t  i;

    for (i = 0; i < sizeof(llm_providers) / sizeof(llm_providers[0]); i++) {
        if (strcmp(llm_providers[i].name, name) == 0) {
            return &llm_providers[i];
        }
    }
    return NULL;
}

/* {base}/chat/completions, base without its trailing slashes. */
static rc_t
llm_set_url(struct llm *llm, const char *base, char *err, size_t errlen)
{
    size_t  n;
    int     w;

    if (strncasecmp(base, "http://", 7) != 0
        && strncasecmp(base, "https://", 8) != 0)
    {
        snprintf(err, errlen, "llm_base_url must start with http:// or "
                 "https://");
        return RC_BADINPUT;
    }

    n = strlen(base);
    while (n > 0 && base[n - 1] == '/') {
        n--;
    }
    w = snprintf(llm->url, sizeof(llm->url), "%.*s%s", (int) n, base,
                 LLM_PATH);
    if (w < 0 || (size_t) w >= sizeof(llm->url)) {
        snprintf(err, errlen, "llm_base_url is too long");
        return RC_BADINPUT;
    }
    return RC_OK;
}

/* The key from the environment variable if set, else from the config. */
static rc_t
llm_set_key(struct llm *llm, const struct cfg *cfg, char *err,
    size_t errlen)
{
    const char  *env, *key;
    int          w;

    env = cfg->llm_api_key_env[0] != '\0' ? cfg->llm_api_key_env
                                          : LLM_KEY_ENV_DEFAULT;
    key = getenv(env);
    if (key == NULL || key[0] == '\0') {
        key = cfg->llm_api_key;
    }
    if (key[0] == '\0') {
        llm->auth[0] = '\0';
        return RC_OK;
    }

    if (strpbrk(key, "\r\n") != NULL) {
        snprintf(err, errlen, "the LLM API key contains a line break");
        return RC_BADINPUT;
    }
    w = snprintf(llm->auth, sizeof(llm->auth), "Authorization: Bearer %s",
                 key);
    if (w < 0 || (size_t) w >= sizeof(llm->auth)) {
        OPENSSL_cleanse(llm->auth, sizeof(llm->auth));
        snprintf(err, errlen, "the LLM API key is too long");
        return RC_BADINPUT;
    }
    return RC_OK;
}

/* Timeout, retries and backoff; the config loader checked the ranges. */
static void
llm_set_limits(struct llm *llm, const struct cfg *cfg)
{
    llm->timeout_ms = cfg->llm_timeout_ms > 0 ? cfg->llm_timeout_ms
                                              : LLM_TIMEOUT_DEFAULT_MS;
    llm->retries = cfg->llm_retries < 0 ? 0 : cfg->llm_retries;
    llm->retries = llm->retries > LLM_RETRIES_MAX ? LLM_RETRIES_MAX
                                                  : llm->retries;
    llm->backoff_ms = cfg->llm_backoff_ms < 0 ? 0 : cfg->llm_backoff_ms;
}

rc_t
llm_new(const struct cfg *cfg, struct llm **out, char *err, size_t errlen)
{
    const struct llm_provider  *prov;
    struct llm                 *llm;
    const char                 *model;
    rc_t                        rc;

    *out = NULL;
    prov = llm_provider_find(cfg->extractor);
    if (prov == NULL) {
        snprintf(err, errlen, "extractor \"%s\" is not an LLM provider",
                 cfg->extractor);
        return RC_BADINPUT;
    }
    llm = calloc(1, sizeof(*llm));
    if (llm == NULL) {
        return RC_NOMEM;
    }
    llm->prov = prov;

    rc = llm_set_url(llm, cfg->llm_base_url[0] != '\0' ? cfg->llm_base_url
                                                       : prov->base_url,
                     err, errlen);
    if (rc != RC_OK) {
        goto out;
    }
    model = cfg->llm_model[0] != '\0' ? cfg->llm_model : prov->model;
    if (strlen(model) >= sizeof(llm->model)) {
        snprintf(err, errlen, "llm_model is too long");
        rc = RC_BADINPUT;
        goto out;
    }
    memcpy(llm->model, model, strlen(model) + 1);
    rc = llm_set_key(llm, cfg, err, errlen);
    if (rc != RC_OK) {
        goto out;
    }
    llm_set_limits(llm, cfg);

    log_info("provider \"%s\", model \"%s\", timeout %ld ms, retries %d, "
             "api key %s", prov->name, llm->model, llm->timeout_ms,
             llm->retries, llm->auth[0] != '\0' ? "set" : "none");

    *out = llm;
    llm = NULL;

out:
    llm_free(llm);
    return rc;
}

void
llm_free(struct llm *llm)
{
    if (llm == NULL) {
        return;
    }
    OPENSSL_cleanse(llm->auth, sizeof(llm->auth));
    free(llm);
}

/* --- one call with retries ----------------------------------------------- */

/*
 * The whole call, retries included, ends within twice the per-attempt
 * timeout: an attempt that timed out can be repeated once, quick failures
 * (429, 5xx, refused connections) as often as llm_retries allows.
 */
static int64_t
llm_budget_ms(const struct llm *llm)
{
    return (int64_t) llm->timeout_ms * 2;
}

/* Wait before retry number attempt (1, 2, ...); -1 when out of time. */
static long
llm_delay_ms(const struct llm *llm, int attempt, long retry_after,
    int64_t deadline)
{
    long     delay;
    int      i;
    int64_t  left;

    delay = llm->backoff_ms;
    for (i = 1; i < attempt && delay < LLM_BACKOFF_MAX_MS; i++) {
        delay *= 2;
    }
    delay = delay < LLM_BACKOFF_MAX_MS ? delay : LLM_BACKOFF_MAX_MS;
    if (retry_after >= 0) {
        delay = retry_after < LLM_RETRY_AFTER_MAX_MS / 1000
                ? retry_after * 1000 : LLM_RETRY_AFTER_MAX_MS;
    }

    /* An attempt squeezed into less than a quarter timeout is wasted. */
    left = deadline - clock_mono_ms() - delay;
    if (left < llm->timeout_ms / 4) {
        return -1;
    }
    return delay;
}

static void
llm_sleep_ms(long ms)
{
    struct timespec  ts, rem;

    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR) {
        ts = rem;
    }
}

/* One POST; RC_OK only for a 2xx reply, which lands in raw. */
static rc_t
llm_attempt(const struct llm *llm, const char *body, int64_t deadline,
    struct buf *raw, long *status, long *retry_after)
{
    const char       *headers[4];
    struct http_req   req;
    int64_t           left;

    *status = 0;
    *retry_after = -1;
    left = deadline - clock_mono_ms();
    if (left <= 0) {
        return RC_TIMEOUT;
    }
    headers[0] = "Content-Type: application/json";
    headers[1] = "Accept: application/json";
    headers[2] = llm->auth[0] != '\0' ? llm->auth : NULL;
    headers[3] = NULL;

    memset(&req, 0, sizeof(req));
    req.url = llm->url;
    req.body = body;
    req.body_len = strlen(body);
    req.headers = headers;
    req.timeout_ms = left < llm->timeout_ms ? (long) left : llm->timeout_ms;
    req.retry_after = retry_after;

    buf_reset(raw);
    return http_post(&req, status, raw);
}

static int
llm_retryable(rc_t rc, long status)
{
    if (rc == RC_TIMEOUT) {
        return 1;
    }
    if (rc != RC_OK) {
        return rc == RC_LLM;            /* transport: refused, reset, ... */
    }
    return status == 429 || status >= 500;
}

/* Post body until a 2xx reply, a final error or the end of the budget. */
static rc_t
llm_post(const struct llm *llm, const char *body, struct buf *raw,
    int *attempts)
{
    int64_t  start;
    long     status, retry_after, delay;
    int      attempt;
    rc_t     rc;

    start = clock_mono_ms();
    for (attempt = 1; ; attempt++) {
        *attempts = attempt;
        rc = llm_attempt(llm, body, start + llm_budget_ms(llm), raw,
                         &status, &retry_after);
        if (rc == RC_OK && status >= 200 && status < 300) {
            return RC_OK;
        }
        log_warn("attempt %d: status %ld, %s, reply %zu bytes, %lld ms",
                 attempt, status, rc_str(rc), raw->len,
                 (long long) (clock_mono_ms() - start));
        if (!llm_retryable(rc, status) || attempt > llm->retries) {
            break;
        }
        delay = llm_delay_ms(llm, attempt, retry_after,
                             start + llm_budget_ms(llm));
        if (delay < 0) {
            log_warn("no time left for another attempt");
            break;
        }
        llm_sleep_ms(delay);
    }
    return rc == RC_TIMEOUT ? RC_TIMEOUT : RC_LLM;
}

rc_t
llm_chat(struct llm *llm, const char *system, const char *user,
    struct buf *reply)
{
    char        *body;
    struct buf   raw;
    int64_t      start;
    int          attempts;
    rc_t         rc;

    body = NULL;
    attempts = 0;
    start = clock_mono_ms();
    buf_init(&raw, LLM_REPLY_MAX);

    rc = llm->prov->body(llm, system, user, &body);
    if (rc != RC_OK) {
        goto out;
    }

    rc = llm_post(llm, body, &raw, &attempts);
    if (rc == RC_OK) {
        rc = llm->prov->content(buf_cstr(&raw), raw.len, reply);
        rc = rc == RC_OK || rc == RC_NOMEM ? rc : RC_LLM;
    }
    log_info("chat %s after %d attempt(s): request %zu bytes, reply %zu "
             "bytes, content %zu bytes, %lld ms", rc_str(rc), attempts,
             strlen(body), raw.len, reply->len,
             (long long) (clock_mono_ms() - start));

out:
    buf_free(&raw);
    free(body);
    return rc;
}
