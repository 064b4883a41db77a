/*
 * cfg.h - the server's settings, read once from one INI file.
 *
 * cfg_load() fills a struct cfg from defaults, then the file, then the
 * environment (secrets only). The result is read-only afterwards and
 * may be shared by every thread.
 */
#ifndef DS_CFG_H
#define DS_CFG_H

#include <stddef.h>

#include "rc.h"

#define CFG_STR 512

struct cfg {
    /* [server] */
    char    prefix[CFG_STR];            /* API path prefix, e.g. /api/v1 */
    int     request_threads;            /* FCGX_Accept_r threads */
    int     job_threads;                /* job runner threads */

    /* [paths] */
    char    state_dir[CFG_STR];
    char    database[CFG_STR];
    char    private_key[CFG_STR];
    char    public_key[CFG_STR];
    char    sql_dir[CFG_STR];
    char    prompts_dir[CFG_STR];

    /* [limits] */
    long    max_body_bytes;
    long    max_image_bytes;
    long    max_pixels;
    int     max_pages;
    int     max_file_lib_entries;
    int     submissions_per_minute;     /* per client_id; 0 = no limit */

    /* [jobs] */
    int     lease_seconds;
    int     max_attempts;
    int     processing_timeout;         /* seconds */
    int     expiry_seconds;
    int     touch_interval;             /* seconds between access updates */
    int     sweep_interval_ms;          /* idle wake-up for other's jobs */
    int     busy_timeout_ms;

    /* [ocr] */
    char    languages[CFG_STR];         /* tesseract, e.g. "eng+chi_sim" */
    char    tessdata_dir[CFG_STR];      /* "" = library default */
    int     ocr_slots;                  /* 0 = number of cores */
    int     min_text_height;            /* upscale target, pixels */
    int     osd;                        /* 1: fix orientation when able */
    int     deskew;

    /* [extractor] */
    char    extractor[64];              /* builtin | openai | zhipu */
    char    llm_base_url[CFG_STR];
    char    llm_model[128];
    char    llm_api_key[CFG_STR];
    char    llm_api_key_env[128];
    int     llm_timeout_ms;
    int     llm_retries;
    int     llm_backoff_ms;

    /* [log] */
    char    log_file[CFG_STR];
    char    log_level[16];
};

/* Fill c with the built-in defaults. */
void cfg_defaults(struct cfg *c);

/*
 * Load path (NULL: defaults only) over the defaults, then apply the
 * environment. On error returns RC_BADINPUT with "file:line: reason"
 * in err.
 */
rc_t cfg_load(const char *path, struct cfg *c, char *err, size_t errlen);

/* Set one key (e.g. "jobs", "lease_seconds") from text, as the file does. */
rc_t cfg_set(struct cfg *c, const char *section, const char *key,
    const char *value, char *err, size_t errlen);

#endif
