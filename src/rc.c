/*
 * rc.c - names of the library return codes, for logs.
 */
#include "config.h"

#include "rc.h"

const char *
rc_str(rc_t rc)
{
    switch (rc) {
    case RC_OK:         return "ok";
    case RC_BADINPUT:   return "bad input";
    case RC_CRYPTO:     return "crypto failure";
    case RC_OCR:        return "ocr failure";
    case RC_LLM:        return "llm failure";
    case RC_STORE:      return "store failure";
    case RC_NOMEM:      return "out of memory";
    case RC_TIMEOUT:    return "timeout";
    case RC_NOTFOUND:   return "not found";
    case RC_BUSY:       return "busy";
    case RC_EXISTS:     return "exists";
    case RC_INTERNAL:   return "internal error";
    }
    return "unknown";
}
