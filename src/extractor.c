/*
 * extractor.c - the extractor the config names, behind one interface.
 *
 * A table of ops maps a name to its open, run and close: "builtin" is the
 * offline extractor in extract_builtin.c, "openai" and "zhipu" are the
 * LLM extractor (extract_llm.c), which picks its provider from the same
 * name. An extractor is read-only once made, so runs may overlap.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cfg.h"
#include "extract.h"
#include "extract_llm.h"

#define LOG_MODULE "extractor"
#include "log.h"

struct extractor_ops {
    const char  *name;
    rc_t       (*open)(const struct cfg *cfg, void **state, char *err,
                       size_t errlen);
    void       (*close)(void *state);
    rc_t       (*run)(void *state, const struct extract_input *in,
                      json_object **out, enum ds_err *code);
};

struct extractor {
    const struct extractor_ops  *ops;
    void                        *state;
};

/* --- builtin ------------------------------------------------------------- */

static rc_t
extractor_builtin_open(const struct cfg *cfg, void **state, char *err,
    size_t errlen)
{
    (void) cfg;
    (void) err;
    (void) errlen;
    *state = NULL;
    return RC_OK;
}

static void
extractor_builtin_close(void *state)
{
    (void) state;
}

/* Only a fill can fail on its input: the form it was given. */
static rc_t
extractor_builtin_run(void *state, const struct extract_input *in,
    json_object **out, enum ds_err *code)
{
    rc_t  rc;

    (void) state;
    rc = extract_builtin(in, out);
    if (rc == RC_OK) {
        *code = DS_OK;
    } else if (rc == RC_BADINPUT && in->kind == EXTRACT_FILL) {
        *code = DS_FILL_PROMPT_CONSTRUCTION_FAILED;
    } else {
        *code = DS_PROCESSING_ERROR;
    }
    return rc;
}

/* --- llm ----------------------------------------------------------------- */

static rc_t
extractor_llm_open(const struct cfg *cfg, void **state, char *err,
    size_t errlen)
{
    struct extract_llm  *x;
    rc_t                 rc;

    rc = extract_llm_new(cfg, &x, err, errlen);
    *state = rc == RC_OK ? x : NULL;
    return rc;
}

static void
extractor_llm_close(void *state)
{
    extract_llm_free(state);
}

static rc_t
extractor_llm_run(void *state, const struct extract_input *in,
    json_object **out, enum ds_err *code)
{
    return extract_llm_run(state, in, out, code);
}

static const struct extractor_ops  extractor_table[] = {
    { "builtin", extractor_builtin_open, extractor_builtin_close,
      extractor_builtin_run },
    { "openai", extractor_llm_open, extractor_llm_close,
      extractor_llm_run },
    { "zhipu", extractor_llm_open, extractor_llm_close,
      extractor_llm_run },
};

/* --- the interface ------------------------------------------------------- */

rc_t
extractor_new(const struct cfg *cfg, struct extractor **out, char *err,
    size_t errlen)
{
    const struct extractor_ops  *ops;
    struct extractor            *ex;
    size_t                       i;
    rc_t                         rc;

    *out = NULL;
    ops = NULL;
    for (i = 0; i < sizeof(extractor_table) / sizeof(extractor_table[0]);
         i++)
    {
        if (strcmp(extractor_table[i].name, cfg->extractor) == 0) {
            ops = &extractor_table[i];
        }
    }
    if (ops == NULL) {
        snprintf(err, errlen, "unknown extractor \"%s\" (builtin, openai "
                 "or zhipu)", cfg->extractor);
        return RC_BADINPUT;
    }

    ex = calloc(1, sizeof(*ex));
    if (ex == NULL) {
        return RC_NOMEM;
    }
    ex->ops = ops;
    rc = ops->open(cfg, &ex->state, err, errlen);
    if (rc != RC_OK) {
        free(ex);
        return rc;
    }

    log_info("extractor \"%s\" ready", ops->name);
    *out = ex;
    return RC_OK;
}

void
extractor_free(struct extractor *ex)
{
    if (ex == NULL) {
        return;
    }
    ex->ops->close(ex->state);
    free(ex);
}

const char *
extractor_name(const struct extractor *ex)
{
    return ex->ops->name;
}

rc_t
extractor_run(struct extractor *ex, const struct extract_input *in,
    json_object **out, enum ds_err *code)
{
    rc_t  rc;

    *out = NULL;
    *code = DS_OK;
    rc = ex->ops->run(ex->state, in, out, code);
    if (rc != RC_OK) {
        json_object_put(*out);
        *out = NULL;
        if (*code == DS_OK) {
            *code = DS_PROCESSING_ERROR;
        }
    }
    return rc;
}
