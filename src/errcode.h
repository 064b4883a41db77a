/*
 * errcode.h - the error codes of the HTTP API, as the DocuSnap clients
 * read them from "error_detail", and the HTTP status each one goes with.
 */
#ifndef DS_ERRCODE_H
#define DS_ERRCODE_H

enum ds_err {
    DS_OK = 0,
    DS_MISSING_REQUIRED_FIELD,
    DS_INVALID_TYPE,
    DS_MISSING_CONTENT,
    DS_TASK_NOT_FOUND,
    DS_SHA256_MISMATCH,
    DS_SHA256_VERIFICATION_FAILED,
    DS_RSA_DECRYPTION_FAILED,
    DS_AES_DECRYPTION_FAILED,
    DS_INVALID_JSON,
    DS_DATABASE_ERROR,
    DS_OCR_FAILURE,
    DS_LLM_FAILURE,
    DS_PROCESSING_ERROR,
    DS_PROCESSING_TIMEOUT,
    DS_DOC_PROMPT_CONSTRUCTION_FAILED,
    DS_FORM_PROMPT_CONSTRUCTION_FAILED,
    DS_FILL_PROMPT_CONSTRUCTION_FAILED,
    /* codes this implementation adds */
    DS_INVALID_FIELD,           /* a field of the wrong type or too long */
    DS_INVALID_PAYLOAD,         /* to_process or file_lib of the wrong shape */
    DS_REQUEST_TOO_LARGE,       /* body over limits.max_body_bytes */
    DS_IMAGE_TOO_LARGE,         /* bytes or pixels of one image over limits */
    DS_TOO_MANY_PAGES,          /* more pages than limits.max_pages */
    DS_UNSUPPORTED_IMAGE,       /* not an image format we decode */
    DS_UNSUPPORTED_MEDIA_TYPE,  /* request Content-Type is not JSON */
    DS_METHOD_NOT_ALLOWED,
    DS_NOT_FOUND,               /* unknown path */
    DS_RATE_LIMITED,
    DS_SERVICE_UNAVAILABLE,
    DS_INTERNAL_ERROR,
    DS_ERR_COUNT
};

/* The wire name, e.g. "SHA256_MISMATCH". Never NULL. */
const char *ds_err_name(enum ds_err e);

/* The HTTP status a reply carrying this code gets. */
int ds_err_http_status(enum ds_err e);

/* Parse a wire name back; DS_PROCESSING_ERROR when unknown. */
enum ds_err ds_err_from_name(const char *name);

#endif
