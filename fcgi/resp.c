/*
 * resp.c: writing responses to the FastCGI stream. A response is built
 * completely in memory and written with one FCGX_PutStr, so its status can
 * change until the last moment.
 */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

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
    unsigned long long h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < b->len; i++) {
        h ^= (unsigned char)b->data[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int
resp_api_json(struct req *r)
{
    char etag[24];

    snprintf(etag, sizeof(etag), "\"%016llx\"", body_hash(&r->body));
    return resp_api_json_etag(r, etag);
}

int
resp_api_json_etag(struct req *r, const char *etag)
{
    const char *inm = req_param(r, "HTTP_IF_NONE_MATCH");

    snprintf(r->etag, sizeof(r->etag), "%s", etag);
    buf_appendf(&r->headers,
                "ETag: %s\r\nCache-Control: public, max-age=5\r\n"
                "Access-Control-Allow-Origin: *\r\nVary: Accept-Encoding\r\n",
                etag);
    if (inm != NULL && (strstr(inm, etag) != NULL || strcmp(inm, "*") == 0)) {
        return resp_send(r, 304, "application/json; charset=utf-8");
    }
    return resp_send(r, 200, "application/json; charset=utf-8");
}

const char *
req_page_url(struct req *r, int64_t page)
{
    const char *proto = req_param(r, "HTTP_X_FORWARDED_PROTO");
    const char *host = req_param(r, "HTTP_X_FORWARDED_HOST");
    const char *q = r->query;
    buf_t u;
    char *out;
    int first = 1;

    if (proto == NULL || (strcmp(proto, "http") != 0 && strcmp(proto, "https") != 0)) {
        proto = "http";
    }
    if (host == NULL || host[0] == '\0') {
        host = req_param(r, "HTTP_HOST");
    }
    buf_init(&u, 0);
    buf_appendf(&u, "%s://%s%s", proto, host ? host : "localhost", r->path);
    while (*q != '\0') {
        size_t len = strcspn(q, "&");

        /* every parameter as it came, except page */
        if (len > 0 && !(len >= 4 && strncmp(q, "page", 4) == 0 && (len == 4 || q[4] == '='))) {
            buf_append_char(&u, first ? '?' : '&');
            buf_append(&u, q, len);
            first = 0;
        }
        q += len;
        if (*q == '&') {
            q++;
        }
    }
    if (page > 1) {
        buf_appendf(&u, "%cpage=%lld", first ? '?' : '&', (long long)page);
    }
    out = arena_strndup(&r->arena, u.data ? u.data : "", u.len);
    buf_cleanup(&u);
    return out;
}
