/*
 * extract_llm.h - the LLM extractor: prompts from templates, one chat
 * call, the reply cleaned and validated. Private to extractor.c.
 */
#ifndef DS_EXTRACT_LLM_H
#define DS_EXTRACT_LLM_H

#include <stddef.h>

#include <json-c/json.h>

#include "errcode.h"
#include "extract.h"
#include "rc.h"

struct cfg;
struct extract_llm;

/*
 * Load the prompt templates from cfg->prompts_dir (system.txt, doc.txt,
 * form.txt, fill.txt) and make the provider's client. *out is freed with
 * extract_llm_free. RC_BADINPUT with a reason in err when a template is
 * missing or malformed or a setting is bad.
 */
rc_t extract_llm_new(const struct cfg *cfg, struct extract_llm **out,
    char *err, size_t errlen);
void extract_llm_free(struct extract_llm *x);

/*
 * Extract one result. *out is a new reference the caller puts. On
 * failure *code is the kind's *_PROMPT_CONSTRUCTION_FAILED (the input
 * could not be put into a prompt) or LLM_FAILURE (the call failed or no
 * valid reply came). Thread-safe: x is read-only after creation.
 */
rc_t extract_llm_run(struct extract_llm *x, const struct extract_input *in,
    json_object **out, enum ds_err *code);

#endif
