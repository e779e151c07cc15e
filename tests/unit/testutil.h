/* testutil.h: helpers shared by the unit tests (cmocka). */
#ifndef ESPORTS_TESTUTIL_H
#define ESPORTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem.h"

/* The folder of the shared sample messages. */
static inline const char *
fixtures_dir(void)
{
    const char *d = getenv("ESPORTS_FIXTURES");

    return d ? d : "fixtures/challenge-messages";
}

/* Reads a whole file (fatal to the test when missing); free() the result. */
static inline char *
slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#endif
