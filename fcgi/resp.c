/*
 * resp.c: writing responses to the FastCGI stream. A response is built
 * completely in memory and written with one FCGX_PutStr, so its status can
 * change until the last moment.
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "rc.h"
#include "render_json.h"
#include "req.h"

const char *
req_param(const struct req *r, const char *name)
{
    return FCGX_GetParam(name, r->envp);
}

static const char *
reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 304:
        return "Not Modified";
    case 502:
        return "Bad Gateway";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Client Error" : "Internal Server Error";
    }
}

int
resp_send(struct req *r, int status, const char *content_type)
{
    buf_t out;

    if (r->body.err || r->headers.err) {
        status = 500;
        content_type = "application/json";
        buf_reset(&r->body);
        buf_reset(&r->headers);
        buf_append_str(&r->body, "{\"detail\": \"Response too large.\"}");
    }
    r->status = status;
    buf_init(&out, 0);
    buf_appendf(&out, "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n", status,
                reason(status), content_type, r->body.len);
    buf_append(&out, r->headers.data ? r->headers.data : "", r->headers.len);
    buf_append(&out, "\r\n", 2);
    if (!r->head && status != 304) {
        buf_append(&out, r->body.data ? r->body.data : "", r->body.len);
    }
    FCGX_PutStr(out.data, (int)out.len, (FCGX_Stream *)r->out);
    buf_cleanup(&out);
    return 0;
}

int
resp_error(struct req *r, int status, const char *detail)
{
    buf_reset(&r->body);
    buf_append_str(&r->body, "{\"detail\": \"");
    buf_append_json_str(&r->body, detail, strlen(detail));
    buf_append_str(&r->body, "\"}");
    return resp_send(r, status, "application/json; charset=utf-8");
}

int
http_status_for(int rc)
{
    switch (rc) {
    case RC_OK:
        return 200;
    case RC_INVALID:
        return 400;
    case RC_NOTFOUND:
        return 404;
    case RC_UNAVAIL:
        return 503;
    default:
        return 500;
    }
}

int
resp_param_errors(struct req *r)
{
    buf_reset(&r->body);
    render_json_errors(&r->body, "Invalid query parameters.", r->errors.n, r->errors.name,
                       (const char(*)[160])r->errors.msg);
    return resp_send(r, 400, "application/json; charset=utf-8");
}

/* FNV-1a 64 of the body: a strong validator, cheap to compute. */
static unsigned long long
body_hash(const buf_t *b)
{
    return hash_bytes(b->data, b->len);
}

static void
body_etag(const buf_t *b, char etag[24])
{
    snprintf(etag, 24, "\"%016llx\"", body_hash(b));
}

/* A 200 with its validator, or 304 when the client holds the same body. */
static int
send_validated(struct req *r, const char *etag, const char *content_type)
{
    const char *inm = req_param(r, "HTTP_IF_NONE_MATCH");

    snprintf(r->etag, sizeof(r->etag), "%s", etag);
    buf_appendf(&r->headers, "ETag: %s\r\nVary: Accept-Encoding\r\n", etag);
    if (inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0)) {
        return resp_send(r, 304, content_type);
    }
    return resp_send(r, 200, content_type);
}

int
resp_api_json(struct req *r)
{
    char etag[24];

    body_etag(&r->body, etag);
    return resp_api_json_etag(r, etag);
}

int
resp_api_json_etag(struct req *r, const char *etag)
{
    buf_append_str(&r->headers,
                   "Cache-Control: public, max-age=5\r\nAccess-Control-Allow-Origin: *\r\n");
    return send_validated(r, etag, "application/json; charset=utf-8");
}

#define HTML_TYPE "text/html; charset=utf-8"

/* No script at all, styles only from our own origin, forms only to us. */
static void
page_headers(struct req *r)
{
    buf_append_str(&r->headers, "Content-Security-Policy: default-src 'none'; style-src 'self'; "
                                "img-src 'self'; form-action 'self'; base-uri 'none'; "
                                "frame-ancestors 'none'\r\n"
                                "X-Content-Type-Options: nosniff\r\n"
                                "Referrer-Policy: same-origin\r\n"
                                "X-Frame-Options: DENY\r\n");
}

int
resp_html(struct req *r, int status)
{
    page_headers(r);
    buf_append_str(&r->headers, "Cache-Control: no-store\r\n");
    return resp_send(r, status, HTML_TYPE);
}

int
resp_html_validated(struct req *r)
{
    char etag[24];

    body_etag(&r->body, etag);
    return resp_html_etag(r, etag);
}

int
resp_html_etag(struct req *r, const char *etag)
{
    page_headers(r);
    buf_append_str(&r->headers, "Cache-Control: no-cache\r\n");
    return send_validated(r, etag, HTML_TYPE);
}

/* Appends this request's parameters as they came, but page (and empty ones
 * when skip_empty), each after '?' or '&'; *first tells which. */
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

static const char *
finish_page_link(struct req *r, buf_t *u, int64_t page, int first)
{
    char *out;

    if (page > 1) {
        buf_appendf(u, "%cpage=%lld", first ? '?' : '&', (long long)page);
    }
    out = arena_strndup(&r->arena, u->data ? u->data : "", u->len);
    buf_cleanup(u);
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
    buf_t u;
    int first = 1;

    buf_init(&u, 0);
    buf_appendf(&u, "%s%s", req_origin(r), r->path);
    append_query_but_page(&u, r->query, 0, &first);
    return finish_page_link(r, &u, page, first);
}

const char *
req_page_query(struct req *r, int64_t page)
{
    buf_t u;
    int first = 1;

    buf_init(&u, 0);
    append_query_but_page(&u, r->query, 1, &first);
    if (first && page <= 1) {
        buf_append_str(&u, "?"); /* "" would be no link at all */
    }
    return finish_page_link(r, &u, page, first);
}
