/*
 * rc.h - the one return code that travels up through the core library.
 *
 * Functions return RC_OK or one of these; the caller that knows the
 * request maps an rc to the wire error code (errcode.h).
 */
#ifndef DS_RC_H
#define DS_RC_H

typedef enum {
    RC_OK = 0,
    RC_BADINPUT,        /* input is malformed or out of bounds */
    RC_CRYPTO,          /* a key, wrap or cipher operation failed */
    RC_OCR,             /* image decode or recognition failed */
    RC_LLM,             /* the extractor's model call failed */
    RC_STORE,           /* the job store failed */
    RC_NOMEM,           /* allocation failed or a buffer cap was hit */
    RC_TIMEOUT,         /* a deadline passed */
    RC_NOTFOUND,        /* lookup found nothing (not an error by itself) */
    RC_BUSY,            /* resource busy: retry later */
    RC_EXISTS,          /* insert met an existing row */
    RC_INTERNAL         /* a bug or an impossible state */
} rc_t;

const char *rc_str(rc_t rc);

#endif
