/* text.c: UTF-8 checks and name normalization; see text.h. */
#include <stdio.h>
#include <string.h>

#include "rc.h"
#include "text.h"

int
utf8_check(const char *s, size_t n, size_t *bad)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned c = p[i];
        size_t len, k;
        unsigned cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            goto fail;
        }
        if (i + len > n) {
            goto fail;
        }
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) {
                goto fail;
            }
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
            goto fail;
        }
        i += len;
    }
    return RC_OK;
fail:
    if (bad != NULL) {
        *bad = i;
    }
    return RC_INVALID;
}

size_t
utf8_len(const char *s, size_t n)
{
    size_t i, count = 0;

    for (i = 0; i < n; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            count++;
        }
    }
    return count;
}

void
text_cut_utf8(char *s)
{
    size_t n = strlen(s), lead = n;

    while (lead > 0 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80) {
        lead--;
    }
    if (lead > 0 && (unsigned char)s[lead - 1] >= 0xC0) {
        unsigned char c = (unsigned char)s[lead - 1];
        size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;

        if (lead - 1 + len > n) {
            s[lead - 1] = '\0';
        }
    }
}

/* Length of the white space at s (0 when none): ASCII or U+00A0 (C2 A0). */
static size_t
space_at(const char *s, size_t left)
{
    unsigned char c = (unsigned char)s[0];

    if (c == ' ' || (c >= '\t' && c <= '\r')) {
        return 1;
    }
    if (c == 0xC2 && left >= 2 && (unsigned char)s[1] == 0xA0) {
        return 2;
    }
    return 0;
}

enum { KEEP_CASE = 0, LOWER = 1, DROP_SPACE = 2 };

static char *
normalize(struct arena *a, const char *s, size_t n, int mode)
{
    char *d = arena_alloc(a, n + 1);
    size_t i = 0, j = 0;
    int pending_space = 0;

    while (i < n) {
        size_t sp = space_at(s + i, n - i);

        if (sp > 0) {
            pending_space = j > 0; /* leading space is dropped */
            i += sp;
            continue;
        }
        if (pending_space && !(mode & DROP_SPACE)) {
            d[j++] = ' ';
        }
        pending_space = 0;
        d[j++] = (mode & LOWER) && s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        i++;
    }
    d[j] = '\0';
    return d;
}

char *
text_clean(struct arena *a, const char *s, size_t n)
{
    return normalize(a, s, n, KEEP_CASE);
}

char *
text_key(struct arena *a, const char *s, size_t n)
{
    return normalize(a, s, n, LOWER);
}

char *
text_title_key(struct arena *a, const char *s, size_t n)
{
    return normalize(a, s, n, LOWER | DROP_SPACE);
}
