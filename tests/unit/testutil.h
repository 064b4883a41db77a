/*
 * testutil.h - small helpers shared by the unit tests (Check).
 */
#ifndef DS_TESTUTIL_H
#define DS_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The source tree (DS_SRCDIR, set by make check) or ".". */
static inline const char *
test_srcdir(void)
{
    const char  *d = getenv("DS_SRCDIR");

    return d != NULL && d[0] != '\0' ? d : ".";
}

/* The shared corpus (DS_CORPUS) or ../shared/corpus from the source. */
static inline const char *
test_corpus(void)
{
    static char  path[1024];
    const char  *d = getenv("DS_CORPUS");

    if (d != NULL && d[0] != '\0') {
        return d;
    }
    snprintf(path, sizeof(path), "%s/../shared/corpus", test_srcdir());
    return path;
}

/* Read a whole file; NULL on error. *len gets its size. NUL-terminated. */
static inline unsigned char *
test_read_file(const char *path, size_t *len)
{
    FILE           *f;
    long            n;
    unsigned char  *p;

    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        fclose(f);
        return NULL;
    }
    p = malloc((size_t) n + 1);
    if (p != NULL && fread(p, 1, (size_t) n, f) != (size_t) n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p != NULL) {
        p[n] = '\0';
        *len = (size_t) n;
    }
    return p;
}

#endif
