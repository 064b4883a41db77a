/*
 * llm.h - chat-completions clients for the LLM extractors.
 *
 * A provider is a table of ops; "openai" speaks any OpenAI-compatible
 * /chat/completions endpoint and "zhipu" is that with Zhipu's base URL
 * and model as defaults. Thread-safe: each call uses its own curl handle.
 */
#ifndef DS_LLM_H
#define DS_LLM_H

#include "rc.h"

struct buf;
struct cfg;
struct llm;

rc_t llm_new(const struct cfg *cfg, struct llm **out, char *err,
    size_t errlen);
void llm_free(struct llm *llm);

/*
 * One chat call asking for a JSON object; appends the assistant message
 * content to reply. Retries 429 and 5xx with backoff up to the configured
 * count. RC_TIMEOUT or RC_LLM on failure.
 */
rc_t llm_chat(struct llm *llm, const char *system, const char *user,
    struct buf *reply);

#endif
