/* buf.c: growable byte buffers with a sticky error; see buf.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"

void
buf_init(buf_t *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->err = 0;
}

void
buf_cleanup(buf_t *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    buf_init(b, b->max);
}

void
buf_reset(buf_t *b)
{
    b->len = 0;
    b->err = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

/* Makes room for n more bytes plus the NUL; returns 0, or -1 and sets err. */
static int
buf_grow(buf_t *b, size_t n)
{
    size_t need, cap;

    if (b->err) {
        return -1;
    }
    if (n > (size_t)-1 / 2 - b->len || (b->max != 0 && b->len + n > b->max)) {
        b->err = 1;
        return -1;
    }
    need = b->len + n + 1;
    if (need <= b->cap) {
        return 0;
    }
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

void
buf_append(buf_t *b, const void *p, size_t n)
{
    if (buf_grow(b, n) != 0) {
        return;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
}

void
buf_append_str(buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void
buf_append_char(buf_t *b, char c)
{
    buf_append(b, &c, 1);
}

void
buf_append_u64(buf_t *b, uint64_t v)
{
    char d[20], *p = d + sizeof(d);

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    buf_append(b, p, (size_t)(d + sizeof(d) - p));
}

void
buf_append_i64(buf_t *b, int64_t v)
{
    if (v < 0) {
        buf_append_char(b, '-');
        /* -(v + 1) + 1: INT64_MIN too, without overflow */
        buf_append_u64(b, (uint64_t)(-(v + 1)) + 1);
    } else {
        buf_append_u64(b, (uint64_t)v);
    }
}

void
buf_vappendf(buf_t *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    if (buf_grow(b, 0) != 0) {
        return;
    }
    va_copy(cp, ap);
    n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
    va_end(cp);
    if (n < 0) {
        b->err = 1;
        return;
    }
    if (b->max != 0 && b->len + (size_t)n > b->max) {
        b->err = 1;
        b->data[b->len] = '\0';
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (buf_grow(b, (size_t)n) != 0) {
            b->data[b->len] = '\0';
            return;
        }
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    }
    b->len += (size_t)n;
}

void
buf_appendf(buf_t *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    buf_vappendf(b, fmt, ap);
    va_end(ap);
}

void
buf_append_json_str(buf_t *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        buf_append(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"':
            buf_append(b, "\\\"", 2);
            break;
        case '\\':
            buf_append(b, "\\\\", 2);
            break;
        case '\n':
            buf_append(b, "\\n", 2);
            break;
        case '\r':
            buf_append(b, "\\r", 2);
            break;
        case '\t':
            buf_append(b, "\\t", 2);
            break;
        default:
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            buf_append(b, esc, 6);
            break;
        }
    }
    buf_append(b, s + run, n - run);
}

char *
buf_release(buf_t *b)
{
    char *s = b->data;

    if (s == NULL) {
        s = xstrdup("");
    }
    buf_init(b, b->max);
    return s;
}
