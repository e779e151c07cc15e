/*
 * req.c: what a request says beyond its path and query: its FastCGI
 * parameters, the origin the client asked for, and links to other pages of
 * the same list.
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

#include "req.h"

const char *
req_param(const struct req *r, const char *name)
{
    return FCGX_GetParam(name, r->envp);
}

/* Appends the parameters of q as they came, but page (and empty ones when
 * skip_empty), each after '?' or '&'; *first tells which. */
static void
append_query_but_page(buf_t *u, const char *q, int skip_empty, int *first)
{
    while (*q != '\0') {
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;

        if (len > 0 && !(klen == 4 && strncmp(q, "page", 4) == 0) &&
            !(skip_empty && (eq == NULL || eq + 1 == q + len))) {
            buf_append_char(u, *first ? '?' : '&');
            buf_append(u, q, len);
            *first = 0;
        }
        q += len;
        if (*q == '&') {
            q++;
        }
    }
}

const char *
req_link(struct arena *a, const char *prefix, const char *query, int skip_empty, int keep_mark,
         int64_t page)
{
    buf_t u;
    int first = 1;
    char *out;

    buf_init(&u, 0);
    buf_append_str(&u, prefix);
    append_query_but_page(&u, query, skip_empty, &first);
    if (page > 1) {
        buf_appendf(&u, "%cpage=%lld", first ? '?' : '&', (long long)page);
    } else if (first && keep_mark) {
        buf_append_char(&u, '?'); /* "" would be no link at all */
    }
    out = arena_strndup(a, u.data ? u.data : "", u.len);
    buf_cleanup(&u);
    return out;
}

const char *
req_origin(struct req *r)
{
    const char *proto = req_param(r, "HTTP_X_FORWARDED_PROTO");
    const char *host = req_param(r, "HTTP_X_FORWARDED_HOST");
    size_t n;
    char *out;

    if (proto == NULL || (strcmp(proto, "http") != 0 && strcmp(proto, "https") != 0)) {
        proto = "http";
    }
    if (host == NULL || host[0] == '\0') {
        host = req_param(r, "HTTP_HOST");
    }
    if (host == NULL || host[0] == '\0') {
        host = "localhost";
    }
    n = strlen(proto) + strlen(host) + 4;
    out = arena_alloc(&r->arena, n);
    snprintf(out, n, "%s://%s", proto, host);
    return out;
}

const char *
req_page_url(struct req *r, int64_t page)
{
    const char *origin = req_origin(r);
    size_t n = strlen(origin) + strlen(r->path) + 1;
    char *prefix = arena_alloc(&r->arena, n);

    snprintf(prefix, n, "%s%s", origin, r->path);
    return req_link(&r->arena, prefix, r->query, 0, 0, page);
}

const char *
req_page_query(struct req *r, int64_t page)
{
    return req_link(&r->arena, "", r->query, 1, 1, page);
}
