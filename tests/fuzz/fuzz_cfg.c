/*
 * fuzz_cfg.c - the INI file: each input is written to one temporary
 * file and read with cfg_load. An accepted file gives settings within
 * the table's bounds; a refused one says why. api_key_env may name
 * any variable of the fuzzer's environment.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "fuzz.h"

static char  fuzz_path[] = "/tmp/ds-fuzz-cfg-XXXXXX";
static int   fuzz_fd = -1;

static void
fuzz_cleanup(void)
{
    unlink(fuzz_path);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzz_quiet();
    /* the key would come from the environment instead of the file */
    unsetenv("DOCUSNAP_LLM_API_KEY");
    fuzz_fd = mkstemp(fuzz_path);
    if (fuzz_fd < 0 || atexit(fuzz_cleanup) != 0) {
        abort();
    }
    return 0;
}

/* A sample of the bounds in cfg.c's table. */
static void
fuzz_check_cfg(const struct cfg *c)
{
    fuzz_check(memchr(c->prefix, '\0', sizeof(c->prefix)) != NULL);
    fuzz_check(memchr(c->llm_api_key, '\0', sizeof(c->llm_api_key))
               != NULL);
    fuzz_check(memchr(c->log_level, '\0', sizeof(c->log_level)) != NULL);
    fuzz_check(c->request_threads >= 1 && c->request_threads <= 256);
    fuzz_check(c->max_body_bytes >= 1024);
    fuzz_check(c->max_pixels >= 1);
    fuzz_check(c->max_pages >= 1 && c->max_pages <= 1000);
    fuzz_check(c->expiry_seconds >= 60);
    fuzz_check(c->osd == 0 || c->osd == 1);
    fuzz_check(c->llm_retries >= 0 && c->llm_retries <= 10);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cfg  c;
    char        err[512];

    if (ftruncate(fuzz_fd, 0) != 0
        || pwrite(fuzz_fd, data, size, 0) != (ssize_t) size)
    {
        abort();
    }
    err[0] = '\0';
    if (cfg_load(fuzz_path, &c, err, sizeof(err)) == RC_OK) {
        fuzz_check_cfg(&c);
    } else {
        /* file:line: reason, or a key taken from the environment */
        fuzz_check(err[0] != '\0');
    }
    return 0;
}
