/*
 * fakellm.c - a scripted stand-in for an OpenAI-compatible chat service,
 * for tests only.
 *
 *   fakellm [PORT]     listen on 127.0.0.1:PORT (0 or none: any free port)
 *                      and print "port=N" on stdout once listening.
 *
 * It speaks plain HTTP/1.1, one request per connection (Connection:
 * close), bodies by Content-Length (with "Expect: 100-continue"):
 *
 *   POST .../chat/completions  a chat.completion object; the request must
 *                              be JSON with "model" and "messages"
 *   POST /_script              a JSON array of steps, replacing the queue:
 *                              {"status": 200|429|500|..., "content": str,
 *                               "delay_ms": N, "retry_after": S}; each chat
 *                              request takes the next step
 *   GET  /_stats               {"requests": N, "authorization": str|null,
 *                               "script_left": N, "last_user": str|null}:
 *                              chat requests so far, and the Authorization
 *                              header and user message of the last one
 *
 * With the queue empty, a chat request gets a valid result: a doc, a form
 * when the user message has the line "Task: form", or a fill using the
 * first entry of the framed FILE_LIB when it has "Task: fill" (as the
 * templates in prompts/ start). SIGTERM or SIGINT ends it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "buf.h"
#include "jsonx.h"

#define FAKE_HEAD_MAX       (64 * 1024)
#define FAKE_BODY_MAX       (8 * 1024 * 1024)
#define FAKE_IO_TIMEOUT_S   10
#define FAKE_JSON_DEPTH     64
#define FAKE_DELAY_MAX_MS   60000L

#define FAKE_TITLE          "Fake LLM result"

struct fake_step {
    int      status;
    long     delay_ms;
    long     retry_after;           /* -1: no Retry-After header */
    char    *content;               /* NULL: the default reply */
};

struct fake_req {
    char         method[16];
    char         path[1024];
    char         auth[1024];
    int          has_auth;
    int          expect_continue;
    long         content_length;
    struct buf   body;
};

static pthread_mutex_t         fake_lock = PTHREAD_MUTEX_INITIALIZER;
static json_object            *fake_script;     /* array of steps */
static size_t                  fake_next;
static long                    fake_requests;
static char                    fake_auth[1024];
static int                     fake_has_auth;
static char                   *fake_last_user;  /* the last user message */
static volatile sig_atomic_t   fake_stop;

/* json_object_object_add, val consumed; 0 or -1. */
static int
fake_add(json_object *obj, const char *key, json_object *val)
{
    if (json_object_object_add(obj, key, val) != 0) {
        json_object_put(val);
        return -1;
    }
    return 0;
}

/* --- replies ------------------------------------------------------------- */

static int
fake_send_all(int fd, const char *p, size_t n)
{
    ssize_t  w;

    while (n > 0) {
        w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

static const char *
fake_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default:  return "Status";
    }
}

/* A whole response: status line, headers, the JSON body. */
static void
fake_reply(int fd, int status, long retry_after, const char *body)
{
    struct buf  head;
    rc_t        rc;

    buf_init(&head, 4096);
    rc = buf_printf(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/json"
                    "\r\nContent-Length: %zu\r\nConnection: close\r\n",
                    status, fake_reason(status), strlen(body));
    if (rc == RC_OK && retry_after >= 0) {
        rc = buf_printf(&head, "Retry-After: %ld\r\n", retry_after);
    }
    if (rc == RC_OK) {
        rc = buf_append_str(&head, "\r\n");
    }
    if (rc == RC_OK && fake_send_all(fd, head.data, head.len) == 0) {
        (void) fake_send_all(fd, body, strlen(body));
    }
    buf_free(&head);
}

/* An error in the OpenAI shape: {"error": {"message", "type"}}. */
static void
fake_reply_error(int fd, int status, long retry_after, const char *msg)
{
    json_object  *root, *err;

    root = json_object_new_object();
    err = json_object_new_object();
    if (root == NULL || err == NULL) {
        json_object_put(root);
        json_object_put(err);
        fake_reply(fd, 500, -1, "{}");
        return;
    }
    if (fake_add(err, "message", json_object_new_string(msg)) != 0
        || fake_add(err, "type", json_object_new_string(
               status == 429 ? "rate_limit_error" : "fake_error")) != 0
        || fake_add(root, "error", json_object_get(err)) != 0)
    {
        fake_reply(fd, 500, -1, "{}");
    } else {
        fake_reply(fd, status, retry_after, json_object_to_json_string_ext(
            root, JSON_C_TO_STRING_PLAIN));
    }
    json_object_put(err);
    json_object_put(root);
}

/* --- reading a request --------------------------------------------------- */

/* Copy the value of header line h ("Name: value") when its name is name. */
static int
fake_header(const char *h, size_t n, const char *name, char *out,
    size_t outlen)
{
    size_t  len, i;

    len = strlen(name);
    if (n <= len || strncasecmp(h, name, len) != 0 || h[len] != ':') {
        return 0;
    }
    for (i = len + 1; i < n && (h[i] == ' ' || h[i] == '\t'); i++) {
    }
    while (n > i && (h[n - 1] == ' ' || h[n - 1] == '\t')) {
        n--;
    }
    if (n - i >= outlen) {
        return 0;
    }
    memcpy(out, h + i, n - i);
    out[n - i] = '\0';
    return 1;
}

/* The request line and the headers we care about; -1 when malformed. */
static int
fake_parse_head(const char *head, struct fake_req *req)
{
    const char  *line, *end, *sp1, *sp2;
    char         val[64], *e;

    end = strstr(head, "\r\n");
    sp1 = memchr(head, ' ', (size_t) (end - head));
    sp2 = sp1 != NULL ? memchr(sp1 + 1, ' ', (size_t) (end - sp1 - 1))
                      : NULL;
    if (sp2 == NULL || (size_t) (sp1 - head) >= sizeof(req->method)
        || (size_t) (sp2 - sp1 - 1) >= sizeof(req->path)
        || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
    {
        return -1;
    }
    memcpy(req->method, head, (size_t) (sp1 - head));
    memcpy(req->path, sp1 + 1, (size_t) (sp2 - sp1 - 1));

    for (line = end + 2; *line != '\0' && strncmp(line, "\r\n", 2) != 0;
         line = end + 2)
    {
        end = strstr(line, "\r\n");
        if (end == NULL) {
            return -1;
        }
        if (fake_header(line, (size_t) (end - line), "Content-Length", val,
                        sizeof(val)))
        {
            errno = 0;
            req->content_length = strtol(val, &e, 10);
            if (errno != 0 || e == val || *e != '\0'
                || req->content_length < 0
                || req->content_length > FAKE_BODY_MAX)
            {
                return -1;
            }
        } else if (fake_header(line, (size_t) (end - line), "Expect", val,
                               sizeof(val)))
        {
            req->expect_continue = strcasecmp(val, "100-continue") == 0;
        } else if (fake_header(line, (size_t) (end - line),
                               "Transfer-Encoding", val, sizeof(val)))
        {
            return -1;                  /* chunked bodies: not needed */
        } else if (fake_header(line, (size_t) (end - line), "Authorization",
                               req->auth, sizeof(req->auth)))
        {
            req->has_auth = 1;
        }
    }
    return 0;
}

/* Read the head and the Content-Length body; -1 on a bad request. */
static int
fake_read_request(int fd, struct fake_req *req)
{
    struct buf   in;
    char         chunk[8192], *eoh;
    ssize_t      n;
    size_t       hlen;
    int          ret;

    buf_init(&in, FAKE_HEAD_MAX + FAKE_BODY_MAX);
    ret = -1;
    eoh = NULL;
    while (eoh == NULL) {
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0 || buf_append(&in, chunk, (size_t) n) != RC_OK) {
            goto out;
        }
        eoh = strstr(in.data, "\r\n\r\n");
        if (eoh == NULL && in.len > FAKE_HEAD_MAX) {
            goto out;
        }
    }
    hlen = (size_t) (eoh - in.data) + 4;
    eoh[2] = '\0';
    if (fake_parse_head(in.data, req) != 0) {
        goto out;
    }

    if (req->expect_continue && in.len - hlen < (size_t) req->content_length
        && fake_send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 0)
    {
        goto out;
    }
    while (in.len - hlen < (size_t) req->content_length) {
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0 || buf_append(&in, chunk, (size_t) n) != RC_OK) {
            goto out;
        }
    }
    if (buf_append(&req->body, in.data + hlen, (size_t) req->content_length)
        == RC_OK)
    {
        ret = 0;
    }

out:
    buf_free(&in);
    return ret;
}

/* --- the script ---------------------------------------------------------- */

static void
fake_set_script(int fd, const struct fake_req *req)
{
    json_object  *arr;
    char          msg[64];

    arr = jsonx_parse(buf_cstr(&req->body), req->body.len, FAKE_JSON_DEPTH);
    if (arr == NULL || !json_object_is_type(arr, json_type_array)) {
        json_object_put(arr);
        fake_reply_error(fd, 400, -1, "the script must be a JSON array");
        return;
    }
    pthread_mutex_lock(&fake_lock);
    json_object_put(fake_script);
    fake_script = arr;
    fake_next = 0;
    pthread_mutex_unlock(&fake_lock);

    snprintf(msg, sizeof(msg), "{\"steps\":%zu}",
             json_object_array_length(arr));
    fake_reply(fd, 200, -1, msg);
}

static void
fake_stats(int fd)
{
    json_object  *root;
    size_t        left;
    int           ok;

    root = json_object_new_object();
    if (root == NULL) {
        fake_reply(fd, 500, -1, "{}");
        return;
    }
    pthread_mutex_lock(&fake_lock);
    left = fake_script != NULL ? json_object_array_length(fake_script) : 0;
    left -= left > fake_next ? fake_next : left;
    ok = fake_add(root, "requests", json_object_new_int64(fake_requests)) == 0
         && fake_add(root, "authorization", fake_has_auth
                     ? json_object_new_string(fake_auth) : NULL) == 0
         && fake_add(root, "script_left",
                     json_object_new_int64((int64_t) left)) == 0
         && fake_add(root, "last_user", fake_last_user != NULL
                     ? json_object_new_string(fake_last_user) : NULL) == 0;
    pthread_mutex_unlock(&fake_lock);

    fake_reply(fd, ok ? 200 : 500, -1, ok ? json_object_to_json_string_ext(
        root, JSON_C_TO_STRING_PLAIN) : "{}");
    json_object_put(root);
}

/* Count the chat request and take the next step (defaults when none). */
static void
fake_take_step(const struct fake_req *req, const char *user,
    struct fake_step *step)
{
    json_object  *s, *v;
    const char   *content;
    char         *copy;

    step->status = 200;
    step->delay_ms = 0;
    step->retry_after = -1;
    step->content = NULL;
    copy = strdup(user);

    pthread_mutex_lock(&fake_lock);
    fake_requests++;
    free(fake_last_user);
    fake_last_user = copy;
    fake_has_auth = req->has_auth;
    memcpy(fake_auth, req->auth, sizeof(fake_auth));
    s = NULL;
    if (fake_script != NULL
        && fake_next < json_object_array_length(fake_script))
    {
        s = json_object_array_get_idx(fake_script, fake_next++);
    }
    if (json_object_object_get_ex(s, "status", &v)) {
        step->status = json_object_get_int(v);
    }
    if (json_object_object_get_ex(s, "delay_ms", &v)) {
        step->delay_ms = (long) json_object_get_int64(v);
    }
    if (json_object_object_get_ex(s, "retry_after", &v)) {
        step->retry_after = (long) json_object_get_int64(v);
    }
    if (jsonx_string(s, "content", &content) == JSONX_OK) {
        step->content = strdup(content);
    }
    pthread_mutex_unlock(&fake_lock);

    if (step->status < 100 || step->status > 599) {
        step->status = 500;
    }
}

/* --- default replies ----------------------------------------------------- */

static const char fake_doc[] =
    "{\"title\":\"" FAKE_TITLE "\",\"tags\":[\"fake\",\"test\"],"
    "\"description\":\"A fixed reply from the fake LLM.\","
    "\"kv\":{\"Date\":\"Jan 02, 2024\",\"Total\":\"12.50\"},"
    "\"related\":[]}";

static const char fake_fields[] = "[\"Full name\",\"Date of birth\"]";

/* The first library entry named in the framed FILE_LIB, if any. */
static int
fake_first_entry(const char *user, char *type, char *id, size_t len)
{
    const char   *b, *e, *s;
    json_object  *lib, *first;
    int           found;

    b = strstr(user, "<<<BEGIN FILE_LIB>>>");
    e = b != NULL ? strstr(b, "<<<END FILE_LIB>>>") : NULL;
    if (e == NULL) {
        return 0;
    }
    b += strlen("<<<BEGIN FILE_LIB>>>");
    lib = jsonx_parse(b, (size_t) (e - b), FAKE_JSON_DEPTH);
    found = 0;
    first = json_object_is_type(lib, json_type_array)
            ? json_object_array_get_idx(lib, 0) : NULL;
    if (jsonx_string(first, "type", &s) == JSONX_OK && strlen(s) < len) {
        memcpy(type, s, strlen(s) + 1);
        if (jsonx_string(first, "resource_id", &s) == JSONX_OK
            && strlen(s) < len)
        {
            memcpy(id, s, strlen(s) + 1);
            found = 1;
        }
    }
    json_object_put(lib);
    return found;
}


/* A fill naming the first library entry as the source, or {}. */
static json_object *
fake_fill(const char *user)
{
    json_object  *root, *field, *src;
    char          type[256], id[256];

    root = json_object_new_object();
    if (root == NULL || !fake_first_entry(user, type, id, sizeof(id))) {
        return root;
    }
    src = json_object_new_object();
    field = json_object_new_object();
    if (src == NULL || field == NULL
        || fake_add(src, "type", json_object_new_string(type)) != 0
        || fake_add(src, "resource_id", json_object_new_string(id)) != 0
        || fake_add(field, "value", json_object_new_string("Fake Name")) != 0
        || fake_add(field, "source", json_object_get(src)) != 0
        || fake_add(root, "Full name", json_object_get(field)) != 0)
    {
        json_object_put(root);
        root = NULL;
    }
    json_object_put(src);
    json_object_put(field);
    return root;
}

/* The valid result a real model would give for this user message. */
static char *
fake_default_content(const char *user)
{
    json_object  *root, *fields;
    char         *s;

    if (strstr(user, "Task: fill") != NULL) {
        root = fake_fill(user);
    } else {
        root = jsonx_parse(fake_doc, strlen(fake_doc), FAKE_JSON_DEPTH);
        if (root != NULL && strstr(user, "Task: form") != NULL) {
            fields = jsonx_parse(fake_fields, strlen(fake_fields),
                                 FAKE_JSON_DEPTH);
            if (fake_add(root, "fields", fields) != 0) {
                json_object_put(root);
                root = NULL;
            }
        }
    }
    if (root == NULL) {
        return NULL;
    }
    s = jsonx_dump(root);
    json_object_put(root);
    return s;
}

/* --- the chat endpoint --------------------------------------------------- */

/* The content of the last "user" message; NULL when the shape is wrong. */
static const char *
fake_user_text(json_object *body)
{
    json_object  *msgs, *m;
    const char   *model, *role, *text, *user;
    size_t        i;

    if (jsonx_string(body, "model", &model) != JSONX_OK
        || jsonx_array(body, "messages", &msgs) != JSONX_OK)
    {
        return NULL;
    }
    user = NULL;
    for (i = 0; i < json_object_array_length(msgs); i++) {
        m = json_object_array_get_idx(msgs, i);
        if (jsonx_string(m, "role", &role) != JSONX_OK
            || jsonx_string(m, "content", &text) != JSONX_OK)
        {
            return NULL;
        }
        if (strcmp(role, "user") == 0) {
            user = text;
        }
    }
    return user;
}

/* {"id", "object": "chat.completion", "model", "choices": [...]} */
static char *
fake_completion(json_object *req, long n, const char *content)
{
    json_object  *root, *choices, *choice, *msg, *model;
    char          id[64], *s;

    snprintf(id, sizeof(id), "chatcmpl-fake-%ld", n);
    root = json_object_new_object();
    choices = json_object_new_array();
    choice = json_object_new_object();
    msg = json_object_new_object();
    model = NULL;
    json_object_object_get_ex(req, "model", &model);
    s = NULL;
    if (root != NULL && choices != NULL && choice != NULL && msg != NULL
        && fake_add(msg, "role", json_object_new_string("assistant")) == 0
        && fake_add(msg, "content", json_object_new_string(content)) == 0
        && fake_add(choice, "index", json_object_new_int(0)) == 0
        && fake_add(choice, "message", json_object_get(msg)) == 0
        && fake_add(choice, "finish_reason",
                    json_object_new_string("stop")) == 0
        && json_object_array_add(choices, json_object_get(choice)) == 0
        && fake_add(root, "id", json_object_new_string(id)) == 0
        && fake_add(root, "object",
                    json_object_new_string("chat.completion")) == 0
        && fake_add(root, "created", json_object_new_int64(time(NULL))) == 0
        && fake_add(root, "model", json_object_get(model)) == 0
        && fake_add(root, "choices", json_object_get(choices)) == 0)
    {
        s = jsonx_dump(root);
    }
    json_object_put(msg);
    json_object_put(choice);
    json_object_put(choices);
    json_object_put(root);
    return s;
}

static void
fake_sleep_ms(long ms)
{
    struct timespec  ts, rem;

    ms = ms < FAKE_DELAY_MAX_MS ? ms : FAKE_DELAY_MAX_MS;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR && !fake_stop) {
        ts = rem;
    }
}

static void
fake_chat(int fd, const struct fake_req *req)
{
    json_object       *body;
    const char        *user;
    char              *content, *reply;
    struct fake_step   step;
    long               n;

    content = NULL;
    reply = NULL;
    step.content = NULL;
    body = jsonx_parse(buf_cstr(&req->body), req->body.len, FAKE_JSON_DEPTH);
    user = fake_user_text(body);
    if (user == NULL) {
        fake_reply_error(fd, 400, -1, "want JSON with model and messages");
        goto out;
    }

    fake_take_step(req, user, &step);
    pthread_mutex_lock(&fake_lock);
    n = fake_requests;
    pthread_mutex_unlock(&fake_lock);
    if (step.delay_ms > 0) {
        fake_sleep_ms(step.delay_ms);
    }
    if (step.status != 200) {
        fake_reply_error(fd, step.status, step.retry_after, "scripted");
        goto out;
    }

    content = step.content != NULL ? step.content
                                   : fake_default_content(user);
    step.content = NULL;
    reply = content != NULL ? fake_completion(body, n, content) : NULL;
    if (reply == NULL) {
        fake_reply_error(fd, 500, -1, "out of memory");
        goto out;
    }
    fake_reply(fd, 200, step.retry_after, reply);

out:
    free(step.content);
    free(reply);
    free(content);
    json_object_put(body);
}

/* --- connections --------------------------------------------------------- */

static int
fake_ends_with(const char *s, const char *tail)
{
    size_t  n, t;

    n = strlen(s);
    t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static void
fake_route(int fd, const struct fake_req *req)
{
    int  post, get;

    post = strcmp(req->method, "POST") == 0;
    get = strcmp(req->method, "GET") == 0;
    if (strcmp(req->path, "/_script") == 0) {
        if (post) {
            fake_set_script(fd, req);
        } else {
            fake_reply_error(fd, 405, -1, "POST a JSON array");
        }
    } else if (strcmp(req->path, "/_stats") == 0) {
        if (get) {
            fake_stats(fd);
        } else {
            fake_reply_error(fd, 405, -1, "GET only");
        }
    } else if (fake_ends_with(req->path, "/chat/completions")) {
        if (post) {
            fake_chat(fd, req);
        } else {
            fake_reply_error(fd, 405, -1, "POST only");
        }
    } else {
        fake_reply_error(fd, 404, -1, "no such endpoint");
    }
}

static void *
fake_conn(void *arg)
{
    struct fake_req  req;
    struct timeval   tv;
    int              fd;

    fd = (int) (intptr_t) arg;
    memset(&req, 0, sizeof(req));
    buf_init(&req.body, FAKE_BODY_MAX);
    tv.tv_sec = FAKE_IO_TIMEOUT_S;
    tv.tv_usec = 0;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0
        || setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
    {
        perror("fakellm: setsockopt");
    } else if (fake_read_request(fd, &req) != 0) {
        fake_reply_error(fd, 400, -1, "bad request");
    } else {
        fake_route(fd, &req);
    }

    buf_free(&req.body);
    if (close(fd) != 0) {
        perror("fakellm: close");
    }
    return NULL;
}

/* --- main ---------------------------------------------------------------- */

static void
fake_on_signal(int sig)
{
    (void) sig;
    fake_stop = 1;
}

static int
fake_signals(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0) {
        return -1;
    }
    sa.sa_handler = fake_on_signal;     /* no SA_RESTART: poll returns */
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGTERM, &sa, NULL) != 0
        || sigaction(SIGINT, &sa, NULL) != 0)
    {
        return -1;
    }
    return 0;
}

/* A socket listening on 127.0.0.1:port; *bound gets the real port. */
static int
fake_listen(long port, int *bound)
{
    struct sockaddr_in  sin;
    socklen_t           len;
    int                 fd, one;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    one = 1;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t) port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(sin);
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0
        || listen(fd, 64) != 0
        || getsockname(fd, (struct sockaddr *) &sin, &len) != 0)
    {
        close(fd);
        return -1;
    }
    *bound = ntohs(sin.sin_port);
    return fd;
}

/* One detached thread per connection, so a slow step blocks no other. */
static void
fake_serve(int lfd)
{
    struct pollfd    pfd;
    pthread_attr_t   attr;
    pthread_t        t;
    int              fd;

    if (pthread_attr_init(&attr) != 0
        || pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) != 0)
    {
        perror("fakellm: pthread_attr");
        return;
    }
    pfd.fd = lfd;
    pfd.events = POLLIN;
    while (!fake_stop) {
        if (poll(&pfd, 1, 500) <= 0) {
            continue;
        }
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        if (pthread_create(&t, &attr, fake_conn, (void *) (intptr_t) fd)
            != 0)
        {
            perror("fakellm: pthread_create");
            close(fd);
        }
    }
    pthread_attr_destroy(&attr);
}

int
main(int argc, char **argv)
{
    long   port;
    char  *end;
    int    lfd, bound;

    port = 0;
    if (argc > 1) {
        errno = 0;
        port = strtol(argv[1], &end, 10);
        if (errno != 0 || end == argv[1] || *end != '\0' || port < 0
            || port > 65535)
        {
            fprintf(stderr, "usage: fakellm [PORT]\n");
            return 2;
        }
    }
    if (fake_signals() != 0) {
        perror("fakellm: sigaction");
        return 1;
    }
    lfd = fake_listen(port, &bound);
    if (lfd < 0) {
        perror("fakellm: listen");
        return 1;
    }
    if (printf("port=%d\n", bound) < 0 || fflush(stdout) != 0) {
        close(lfd);
        return 1;
    }

    fake_serve(lfd);

    close(lfd);
    pthread_mutex_lock(&fake_lock);
    json_object_put(fake_script);
    fake_script = NULL;
    free(fake_last_user);
    fake_last_user = NULL;
    pthread_mutex_unlock(&fake_lock);
    return 0;
}
