/*
 * errcode.c - wire names and HTTP statuses of the API error codes.
 */
#include "config.h"

#include <string.h>

#include "errcode.h"

static const struct {
    const char *name;
    int         status;
} ds_err_table[DS_ERR_COUNT] = {
    [DS_OK]                             = { "OK", 200 },
    [DS_MISSING_REQUIRED_FIELD]         = { "MISSING_REQUIRED_FIELD", 400 },
    [DS_INVALID_TYPE]                   = { "INVALID_TYPE", 400 },
    [DS_MISSING_CONTENT]                = { "MISSING_CONTENT", 400 },
    [DS_TASK_NOT_FOUND]                 = { "TASK_NOT_FOUND", 400 },
    [DS_SHA256_MISMATCH]                = { "SHA256_MISMATCH", 400 },
    [DS_SHA256_VERIFICATION_FAILED]     = { "SHA256_VERIFICATION_FAILED",
                                            400 },
    [DS_RSA_DECRYPTION_FAILED]          = { "RSA_DECRYPTION_FAILED", 400 },
    [DS_AES_DECRYPTION_FAILED]          = { "AES_DECRYPTION_FAILED", 400 },
    [DS_INVALID_JSON]                   = { "INVALID_JSON", 400 },
    [DS_DATABASE_ERROR]                 = { "DATABASE_ERROR", 503 },
    [DS_OCR_FAILURE]                    = { "OCR_FAILURE", 400 },
    [DS_LLM_FAILURE]                    = { "LLM_FAILURE", 400 },
    [DS_PROCESSING_ERROR]               = { "PROCESSING_ERROR", 400 },
    [DS_PROCESSING_TIMEOUT]             = { "PROCESSING_TIMEOUT", 400 },
    [DS_DOC_PROMPT_CONSTRUCTION_FAILED] = {
        "DOC_PROMPT_CONSTRUCTION_FAILED", 400 },
    [DS_FORM_PROMPT_CONSTRUCTION_FAILED] = {
        "FORM_PROMPT_CONSTRUCTION_FAILED", 400 },
    [DS_FILL_PROMPT_CONSTRUCTION_FAILED] = {
        "FILL_PROMPT_CONSTRUCTION_FAILED", 400 },
    [DS_INVALID_FIELD]                  = { "INVALID_FIELD", 400 },
    [DS_INVALID_PAYLOAD]                = { "INVALID_PAYLOAD", 400 },
    [DS_REQUEST_TOO_LARGE]              = { "REQUEST_TOO_LARGE", 413 },
    [DS_IMAGE_TOO_LARGE]                = { "IMAGE_TOO_LARGE", 413 },
    [DS_TOO_MANY_PAGES]                 = { "TOO_MANY_PAGES", 413 },
    [DS_UNSUPPORTED_IMAGE]              = { "UNSUPPORTED_IMAGE", 415 },
    [DS_UNSUPPORTED_MEDIA_TYPE]         = { "UNSUPPORTED_MEDIA_TYPE", 415 },
    [DS_METHOD_NOT_ALLOWED]             = { "METHOD_NOT_ALLOWED", 405 },
    [DS_NOT_FOUND]                      = { "NOT_FOUND", 404 },
    [DS_RATE_LIMITED]                   = { "RATE_LIMITED", 429 },
    [DS_SERVICE_UNAVAILABLE]            = { "SERVICE_UNAVAILABLE", 503 },
    [DS_INTERNAL_ERROR]                 = { "INTERNAL_ERROR", 500 },
};

const char *
ds_err_name(enum ds_err e)
{
    if ((int) e < 0 || e >= DS_ERR_COUNT) {
        return "INTERNAL_ERROR";
    }
    return ds_err_table[e].name;
}

int
ds_err_http_status(enum ds_err e)
{
    if ((int) e < 0 || e >= DS_ERR_COUNT) {
        return 500;
    }
    return ds_err_table[e].status;
}

enum ds_err
ds_err_from_name(const char *name)
{
    int  i;

    if (name == NULL) {
        return DS_PROCESSING_ERROR;
    }
    for (i = 0; i < DS_ERR_COUNT; i++) {
        if (strcmp(ds_err_table[i].name, name) == 0) {
            return (enum ds_err) i;
        }
    }
    return DS_PROCESSING_ERROR;
}
