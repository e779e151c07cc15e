/*
 * mustache.h: mustache templates (spec 1.x plus the inheritance module),
 * parsed once into a tree and rendered many times from json-c values.
 *
 * A set owns named, parsed templates; partials ({{> name}}) and parents
 * ({{< name}}) resolve by name within the set when templates are added, so
 * rendering does no parsing, no name lookups beyond the context stack, and no
 * allocation except what the output buffer needs. Lambdas and dynamic names
 * are not supported.
 */
#ifndef ESPORTS_MUSTACHE_H
#define ESPORTS_MUSTACHE_H

#include <stddef.h>

#include "buf.h"

struct json_object;
struct mustache_set;

/* Nesting of partials, parents and blocks at render time. A render that
 * reaches it (a partial that includes itself forever) stops there. */
#define MUSTACHE_MAX_INCLUDE 64
/* Nesting of sections, partials, parents and blocks at render time. */
#define MUSTACHE_MAX_NEST 256
/* The work of one render: nodes visited plus section items iterated. A render
 * past it stops as a whole, like one past a nesting limit: 40 sections nested
 * over a list of two would take 2^40 steps without writing a byte. The list
 * page at its biggest (500 rows, three selects of 1,000 options) takes about
 * 55,000; a match page reaches the 32 MiB response cap of the workers at
 * about 400,000. A step costs some 40 ns. */
#define MUSTACHE_MAX_VISITS 2000000ul
/* Sections, parents and blocks open at once in one template (parse error). */
#define MUSTACHE_MAX_PARSE_NEST 64
/* Largest template file mustache_set_load_dir reads. */
#define MUSTACHE_MAX_FILE (4u << 20)

/* A new, empty set; never NULL. Free it with mustache_set_free(). */
struct mustache_set *mustache_set_new(void);
/* Frees the set and every template in it. Accepts NULL. */
void mustache_set_free(struct mustache_set *s);

/*
 * Parses src[0..len) as the template `name` (copied; src may be freed after
 * the call) and adds it to s, replacing a template of the same name. References
 * to `name` from templates already in the set, and this template's references
 * to templates already there, are linked now.
 * Returns RC_OK, or RC_INVALID on a syntax error (unclosed tag, unclosed or
 * mismatched section, bad delimiters, empty or malformed name, a NUL byte in
 * a tag, nesting deeper than MUSTACHE_MAX_PARSE_NEST) with "name:line:
 * message" written to err[0..errlen) (err may be NULL); the set is then
 * unchanged.
 */
int mustache_set_add(struct mustache_set *s, const char *name, const char *src, size_t len,
                     char *err, size_t errlen);

/*
 * Adds every regular file dir/NAME.mustache as template NAME, in name order
 * (not recursive; files starting with '.' are skipped). Stops at the first
 * failure: RC_INVALID on a syntax error or a file over MUSTACHE_MAX_FILE
 * ("dir/NAME.mustache:line: message" in err), RC_NOTFOUND when dir cannot be
 * opened, RC_ERR when a file cannot be read. Templates added before the
 * failure stay in the set.
 */
int mustache_set_load_dir(struct mustache_set *s, const char *dir, char *err, size_t errlen);

/*
 * RC_OK when every partial and parent referenced by a template of the set
 * exists in the set; otherwise RC_NOTFOUND with "template:line: no template
 * named 'x'" in err (the first one found). Meant for startup, so that a
 * missing template is a startup error rather than an empty spot on a page.
 */
int mustache_set_check(const struct mustache_set *s, char *err, size_t errlen);

/* 1 when the set holds a template called name, else 0. */
int mustache_set_has(const struct mustache_set *s, const char *name);

/*
 * Renders template `name` with ctx as the root of the context stack (any
 * json-c value; NULL renders like an empty context), appending to out.
 * Values: strings as they are, integers in decimal, doubles in the shortest
 * form that reads back the same (1.21), booleans as true/false, null and
 * missing names as nothing, objects and arrays as nothing. {{x}} escapes
 * & < > " ' as &amp; &lt; &gt; &quot; &#39;. Falsy for sections: missing,
 * null, false and the empty array. Missing partials and parents render as
 * nothing (spec); use mustache_set_check() at startup to rule them out.
 * Returns RC_OK; RC_NOTFOUND when there is no template `name` (out
 * untouched); RC_ERR when out->err is set, a nesting limit was hit or the
 * render took more than MUSTACHE_MAX_VISITS steps (rendering stops there, so
 * the output is incomplete). s and ctx are only read, so threads may render
 * from one set at the same time.
 */
int mustache_render(const struct mustache_set *s, const char *name, struct json_object *ctx,
                    buf_t *out);

#endif
