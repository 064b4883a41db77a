/*
 * log.h - leveled log lines to stderr or a file.
 *
 * A line: time, level, pid, the thread's context id (request or job),
 * module, message. Callers log sizes, ids and timings; never document
 * bytes, OCR text, field values or keys. Thread-safe: each line is one
 * write(2).
 *
 * A .c file defines LOG_MODULE before including this header to name
 * itself in its lines.
 */
#ifndef DS_LOG_H
#define DS_LOG_H

#include "rc.h"

enum log_level {
    LOG_ERR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG
};

/* Open path for appending, or use stderr when path is NULL or "". */
rc_t log_open(const char *path, enum log_level level);
/* Reopen the same file (after rotation). */
rc_t log_reopen(void);
void log_close(void);
void log_set_level(enum log_level level);
int  log_level_parse(const char *s, enum log_level *out);

/* The context id of the calling thread ("-" when none); copied. */
void log_set_ctx(const char *id);

void log_write(enum log_level level, const char *module, int with_errno,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Drain and log the calling thread's OpenSSL error queue. */
void log_openssl_errors(const char *module);

#ifndef LOG_MODULE
#define LOG_MODULE "docusnap"
#endif

#define log_err(...)   log_write(LOG_ERR, LOG_MODULE, 0, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, LOG_MODULE, 0, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, LOG_MODULE, 0, __VA_ARGS__)
#define log_debug(...) log_write(LOG_DEBUG, LOG_MODULE, 0, __VA_ARGS__)
#define log_err_errno(...)  log_write(LOG_ERR, LOG_MODULE, 1, __VA_ARGS__)
#define log_warn_errno(...) log_write(LOG_WARN, LOG_MODULE, 1, __VA_ARGS__)

#endif
