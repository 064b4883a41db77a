/*
 * buf.c - growable byte buffer with a hard cap.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void
buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

/* Make room for n more bytes and the trailing NUL. */
static rc_t
buf_reserve(struct buf *b, size_t n)
{
    size_t  need, cap;
    char   *p;

    if (n > b->max || b->len > b->max - n) {
        return RC_NOMEM;
    }
    need = b->len + n + 1;
    if (need <= b->cap) {
        return RC_OK;
    }
    cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > ((size_t) -1) / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (p == NULL) {
        return RC_NOMEM;
    }
    b->data = p;
    b->cap = cap;
    return RC_OK;
}

rc_t
buf_append(struct buf *b, const void *p, size_t n)
{
    rc_t  rc;

    rc = buf_reserve(b, n);
    if (rc != RC_OK) {
        return rc;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return RC_OK;
}

rc_t
buf_append_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

rc_t
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list  cp;
    int      n;
    rc_t     rc;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        return RC_INTERNAL;
    }
    rc = buf_reserve(b, (size_t) n);
    if (rc != RC_OK) {
        return rc;
    }
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    b->len += (size_t) n;
    return RC_OK;
}

rc_t
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list  ap;
    rc_t     rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *
buf_cstr(const struct buf *b)
{
    return b->data != NULL ? b->data : "";
}

char *
buf_steal(struct buf *b, size_t *len)
{
    char  *p;

    if (b->data == NULL) {
        if (buf_reserve(b, 0) != RC_OK) {
            return NULL;
        }
        b->data[0] = '\0';
    }
    p = b->data;
    if (len != NULL) {
        *len = b->len;
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
