/*
 * fuzz.h - what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Each fuzz_<target>.c is one program built by tests/fuzz/run with
 * clang -fsanitize=fuzzer,address,undefined against the project's
 * sources. A harness feeds its input to the code under test and checks
 * the documented post-conditions; a broken one calls fuzz_fail, which
 * aborts so that libFuzzer saves the input as a crash.
 */
#ifndef DS_FUZZ_H
#define DS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A post-condition failed: say which, and crash for libFuzzer. */
#define fuzz_check(cond)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                     \
            abort();                                                      \
        }                                                                 \
    } while (0)

/*
 * Errors only, and to /dev/null: every input would log a line, and
 * nothing the harnesses check is in the log.
 */
static inline void
fuzz_quiet(void)
{
    if (log_open("/dev/null", LOG_ERR) != RC_OK) {
        abort();
    }
}

/* The source tree: DS_SRCDIR, else the one tests/fuzz/run built from. */
static inline const char *
fuzz_srcdir(void)
{
    const char  *d = getenv("DS_SRCDIR");

    return d != NULL && d[0] != '\0' ? d : FUZZ_SRCDIR;
}

/* A NUL-terminated copy of data (inputs are not); the caller frees. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
    char  *s;

    s = malloc(size + 1);
    if (s == NULL) {
        abort();
    }
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

#endif
