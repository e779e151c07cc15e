/*
 * buf.h: buf_t, an owned, growable, always NUL-terminated byte buffer with a
 * sticky error (like sqlite3_str), and str_t, a borrowed view.
 *
 * Appends return void. When an append would grow the buffer past `max`
 * (0 = unlimited), `err` is set and every later append does nothing, so the
 * caller checks `b->err` once, before using the result.
 */
#ifndef ESPORTS_BUF_H
#define ESPORTS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *p;
    size_t len;
} str_t;

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
    int err;
} buf_t;

#define STR(lit) ((str_t){(lit), sizeof(lit) - 1})

/* Initialises an embedded buffer; `max` caps its length (0 = no cap). */
void buf_init(buf_t *b, size_t max);
/* Frees the storage; the buffer may be initialised again. Accepts NULL. */
void buf_cleanup(buf_t *b);
/* Empties the buffer and clears the error, keeping the storage. */
void buf_reset(buf_t *b);

void buf_append(buf_t *b, const void *p, size_t n);
void buf_append_str(buf_t *b, const char *s);
void buf_append_char(buf_t *b, char c);
void buf_appendf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vappendf(buf_t *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* v in decimal, as printf's %llu and %lld write it (without a format to
 * parse: the JSON of a page writes a few hundred numbers). */
void buf_append_u64(buf_t *b, uint64_t v);
void buf_append_i64(buf_t *b, int64_t v);

/* Appends s as the body of a JSON string (quotes not included), escaping
 * quotes, backslashes and control characters. */
void buf_append_json_str(buf_t *b, const char *s, size_t n);

/* Hands the caller the malloc'd string (free() it) and resets b to empty. */
char *buf_release(buf_t *b);

#endif
