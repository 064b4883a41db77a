/*
 * buf.h - a growable byte buffer with a hard cap.
 *
 * The bytes are always followed by a NUL that len does not count, so a
 * buffer of text can be passed as a C string. Not thread-safe; a buffer
 * belongs to one caller at a time.
 */
#ifndef DS_BUF_H
#define DS_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "rc.h"

struct buf {
    char    *data;      /* NULL until the first append */
    size_t   len;
    size_t   cap;
    size_t   max;       /* appends that would pass this fail: RC_NOMEM */
};

#define BUF_UNLIMITED ((size_t) -1)

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);

rc_t buf_append(struct buf *b, const void *p, size_t n);
rc_t buf_append_str(struct buf *b, const char *s);
rc_t buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
rc_t buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The contents as a C string ("" for an empty buffer); owned by b. */
const char *buf_cstr(const struct buf *b);

/* Hand the bytes to the caller, who frees them; b is left empty. */
char *buf_steal(struct buf *b, size_t *len);

#endif
