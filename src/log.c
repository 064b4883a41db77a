/*
 * log.c - leveled log lines to stderr or a file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

#include "log.h"

static int               log_fd = 2;
static char              log_path[1024];
static enum log_level    log_min = LOG_INFO;
static pthread_mutex_t   log_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread char     log_ctx[64] = "-";

static const char *const log_names[] = { "error", "warn", "info", "debug" };

rc_t
log_open(const char *path, enum log_level level)
{
    int  fd;

    log_min = level;
    if (path == NULL || path[0] == '\0') {
        log_path[0] = '\0';
        return RC_OK;
    }
    if (strlen(path) >= sizeof(log_path)) {
        return RC_BADINPUT;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        return RC_BADINPUT;
    }
    pthread_mutex_lock(&log_lock);
    if (log_fd > 2) {
        close(log_fd);
    }
    log_fd = fd;
    memcpy(log_path, path, strlen(path) + 1);
    pthread_mutex_unlock(&log_lock);
    return RC_OK;
}

rc_t
log_reopen(void)
{
    char  path[sizeof(log_path)];

    if (log_path[0] == '\0') {
        return RC_OK;
    }
    memcpy(path, log_path, sizeof(path));
    return log_open(path, log_min);
}

void
log_close(void)
{
    pthread_mutex_lock(&log_lock);
    if (log_fd > 2) {
        close(log_fd);
    }
    log_fd = 2;
    pthread_mutex_unlock(&log_lock);
}

void
log_set_level(enum log_level level)
{
    log_min = level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
    size_t  i;

    for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
        if (strcasecmp(s, log_names[i]) == 0) {
            *out = (enum log_level) i;
            return 0;
        }
    }
    return -1;
}

void
log_set_ctx(const char *id)
{
    if (id == NULL || id[0] == '\0') {
        id = "-";
    }
    snprintf(log_ctx, sizeof(log_ctx), "%s", id);
}

void
log_write(enum log_level level, const char *module, int with_errno,
    const char *fmt, ...)
{
    char             line[2048];
    struct timespec  ts;
    struct tm        tm;
    va_list          ap;
    size_t           n;
    int              saved = errno, w;

    if (level > log_min) {
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    w = snprintf(line + n, sizeof(line) - n, ".%06ldZ [%s] %d %s %s: ",
                 ts.tv_nsec / 1000, log_names[level], (int) getpid(),
                 log_ctx, module);
    if (w > 0) {
        n += (size_t) w < sizeof(line) - n ? (size_t) w : sizeof(line) - n - 1;
    }

    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (w > 0) {
        n += (size_t) w < sizeof(line) - n ? (size_t) w : sizeof(line) - n - 1;
    }
    if (with_errno && n < sizeof(line) - 1) {
        w = snprintf(line + n, sizeof(line) - n, ": %s", strerror(saved));
        if (w > 0) {
            n += (size_t) w < sizeof(line) - n ? (size_t) w
                                                : sizeof(line) - n - 1;
        }
    }
    if (n >= sizeof(line) - 1) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';

    pthread_mutex_lock(&log_lock);
    if (write(log_fd, line, n) < 0) {
        /* nowhere left to report it */
    }
    pthread_mutex_unlock(&log_lock);
    errno = saved;
}

void
log_openssl_errors(const char *module)
{
    unsigned long  e;
    char           text[256];

    while ((e = ERR_get_error()) != 0) {
        ERR_error_string_n(e, text, sizeof(text));
        log_write(LOG_DEBUG, module, 0, "openssl: %s", text);
    }
}
