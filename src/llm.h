/*
 * llm.h - chat-completions clients for the LLM extractors.
 *
 * A provider is a table of ops; "openai" speaks any OpenAI-compatible
 * /chat/completions endpoint and "zhipu" is that with Zhipu's base URL
 * and model as defaults. Thread-safe: each call uses its own curl handle.
 */
#ifndef DS_LLM_H
#define DS_LLM_H

#include <stddef.h>

#include "rc.h"

struct buf;
struct cfg;
struct llm;

/*
 * A client for the provider cfg->extractor names ("openai", "zhipu"),
 * with that provider's base URL and model unless the config sets them.
 * The API key is the environment variable cfg->llm_api_key_env names
 * (DOCUSNAP_LLM_API_KEY when empty) if set, else cfg->llm_api_key.
 * *out is freed with llm_free, which wipes the key. RC_BADINPUT with a
 * reason in err for a bad setting. Reads the environment: call before
 * threads start.
 */
rc_t llm_new(const struct cfg *cfg, struct llm **out, char *err,
    size_t errlen);
void llm_free(struct llm *llm);

/*
 * One chat call asking for a JSON object; appends the assistant message
 * content to reply (the caller's buffer). Retries 429, 5xx, transport
 * errors and timeouts with exponential backoff (or the server's
 * Retry-After) up to the configured count, all within twice the
 * configured timeout. RC_TIMEOUT or RC_LLM on failure, RC_NOMEM when
 * reply's cap is hit. Thread-safe: llm is read-only here.
 */
rc_t llm_chat(struct llm *llm, const char *system, const char *user,
    struct buf *reply);

#endif
