/*
 * resp.c: the one place a handler's result becomes a response, and the
 * writing of it to the FastCGI connection. A response's body is built
 * completely in memory before its head is written, so its status can change
 * until the last moment.
 */
#include <errno.h>
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

#include "hash.h"
#include "log.h"
#include "metrics.h"
#include "rc.h"
#include "record.h"
#include "render_json.h"
#include "req.h"
#include "view.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define HTML_TYPE "text/html; charset=utf-8"

static int resp_api_json_etag(struct req *r, const char *etag);
static int resp_html_etag(struct req *r, const char *etag);

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
    case 410:
        return "Gone";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Client Error" : "Internal Server Error";
    }
}

static int
resp_send(struct req *r, int status, const char *content_type)
{
    FCGX_Request *fr = r->out;
    struct iovec parts[4];
    char head[256];
    int n, np = 0;

    if (r->body.err || r->headers.err) {
        status = 500;
        content_type = "application/json";
        buf_reset(&r->body);
        buf_reset(&r->headers);
        buf_append_str(&r->body, "{\"detail\": \"Response too large.\"}");
    }
    r->status = status;
    /* the head, then the body from where it was rendered, framed as
     * records around those bytes and written at once (record.c) */
    n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
                 status, reason(status), content_type, r->body.len);
    if (n < 0 || (size_t)n >= sizeof(head)) { /* our content types never come near it */
        n = snprintf(head, sizeof(head), "Status: 500 Internal Server Error\r\n");
    }
    parts[np++] = (struct iovec){head, (size_t)n};
    parts[np++] = (struct iovec){r->headers.data, r->headers.len};
    parts[np++] = (struct iovec){"\r\n", 2};
    if (!r->head && status != 304 && r->body.len > 0) {
        parts[np++] = (struct iovec){r->body.data, r->body.len};
    }
    if (fr->out->wasFCloseCalled) { /* a second answer to one request: a bug */
        log_error("http", "event=response_twice path=\"%s\" status=%d", r->path ? r->path : "",
                  status);
        return -1;
    }
    if (record_respond(fr->ipcFd, fr->requestId, parts, np) != 0) {
        /* nginx went away mid-answer: the connection is closed after it */
        fr->out->FCGI_errno = errno;
    }
    /* the stream's records are written: FCGX_Finish_r must add none */
    fr->out->wasFCloseCalled = 1;
    fr->out->isClosed = 1;
    return 0;
}

static int
resp_error(struct req *r, int status, const char *detail)
{
    buf_reset(&r->body);
    buf_append_str(&r->body, "{\"detail\": \"");
    buf_append_json_str(&r->body, detail, strlen(detail));
    buf_append_str(&r->body, "\"}");
    return resp_send(r, status, JSON_TYPE);
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

static int
resp_param_errors(struct req *r)
{
    buf_reset(&r->body);
    render_json_errors(&r->body, "Invalid query parameters.", r->errors.n, r->errors.name,
                       (const char(*)[160])r->errors.msg);
    return resp_send(r, 400, JSON_TYPE);
}

/* The hash of the body (hash.h): a strong validator, cheap to compute. */
static void
body_etag(const buf_t *b, char etag[24])
{
    snprintf(etag, 24, "\"%016llx\"", (unsigned long long)hash_bytes(b->data, b->len));
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

static int
resp_api_json(struct req *r)
{
    char etag[24];

    body_etag(&r->body, etag);
    return resp_api_json_etag(r, etag);
}

static int
resp_api_json_etag(struct req *r, const char *etag)
{
    buf_append_str(&r->headers,
                   "Cache-Control: public, max-age=5\r\nAccess-Control-Allow-Origin: *\r\n");
    return send_validated(r, etag, JSON_TYPE);
}

/* Styles only from our own origin, forms only to us; scripts only on the pages
 * that include static/live.js (r->scripted). */
static void
page_headers(struct req *r)
{
    buf_append_str(&r->headers, "Content-Security-Policy: default-src 'none'; style-src 'self'; "
                                "img-src 'self'; form-action 'self'; base-uri 'none'; "
                                "frame-ancestors 'none'");
    if (r->scripted) {
        /* static/live.js and its EventSource and feed requests, nothing else */
        buf_append_str(&r->headers, "; script-src 'self'; connect-src 'self'");
    }
    buf_append_str(&r->headers, "\r\n"
                                "X-Content-Type-Options: nosniff\r\n"
                                "Referrer-Policy: same-origin\r\n"
                                "X-Frame-Options: DENY\r\n");
}

static int
resp_html(struct req *r, int status)
{
    page_headers(r);
    buf_append_str(&r->headers, "Cache-Control: no-store\r\n");
    return resp_send(r, status, HTML_TYPE);
}

static int
resp_html_validated(struct req *r)
{
    char etag[24];

    body_etag(&r->body, etag);
    return resp_html_etag(r, etag);
}

static int
resp_html_etag(struct req *r, const char *etag)
{
    page_headers(r);
    buf_append_str(&r->headers, "Cache-Control: no-cache\r\n");
    return send_validated(r, etag, HTML_TYPE);
}

/* What a failure says when the handler gave no words of its own. */
static const char *
default_detail(enum answer answer, int status)
{
    if (answer == ANSWER_PAGE) {
        switch (status) {
        case 400:
            return "This address asks for something the site cannot show.";
        case 404:
            return "There is no such page.";
        case 503:
            return "The database is unavailable. Please try again shortly.";
        default:
            return "Something went wrong on our side. It has been logged.";
        }
    }
    switch (status) {
    case 400:
        return "Invalid query parameters.";
    case 404:
        return "Not found.";
    case 503:
        return "The database is unavailable, try again shortly.";
    default:
        return "Internal error.";
    }
}

void
resp_fail(struct req *r, enum answer answer, int status, const char *detail)
{
    if (status == 503) {
        buf_append_str(&r->headers, "Retry-After: 5\r\n");
    }
    if (answer == ANSWER_PAGE) {
        buf_reset(&r->body);
        if (view_error(r, status, detail) == RC_OK) {
            resp_html(r, status);
            return;
        }
    }
    resp_error(r, status, detail);
}

void
resp_result(struct req *r, enum answer answer, int rc)
{
    int status = http_status_for(rc);

    if (rc == RC_OK) {
        switch (answer) {
        case ANSWER_API:
            if (r->status == 0 || r->status == 200) {
                resp_api_json(r);
            } else {
                /* a success that is not 200 (410 of the change feed): never kept */
                buf_append_str(&r->headers,
                               "Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n");
                resp_send(r, r->status, JSON_TYPE);
            }
            break;
        case ANSWER_PAGE:
            if (r->status == 0 || r->status == 200) {
                resp_html_validated(r);
            } else {
                resp_html(r, r->status);
            }
            break;
        case ANSWER_HEALTH:
            buf_append_str(&r->headers, "Cache-Control: no-store\r\n");
            resp_send(r, r->status ? r->status : 200, JSON_TYPE);
            break;
        case ANSWER_METRICS:
            buf_append_str(&r->headers, "Cache-Control: no-store\r\n");
            resp_send(r, 200, "text/plain; version=0.0.4; charset=utf-8");
            break;
        }
        return;
    }
    if ((rc == RC_UNAVAIL || status == 500) && !r->not_db) {
        metrics_db_error(r->w->metrics);
    }
    buf_reset(&r->body);
    if (rc == RC_INVALID && answer != ANSWER_PAGE && r->errors.n > 0) {
        resp_param_errors(r);
        return;
    }
    resp_fail(r, answer, status, r->detail ? r->detail : default_detail(answer, status));
}

void
resp_cached(struct req *r, enum answer answer, const char *etag)
{
    if (answer == ANSWER_PAGE) {
        resp_html_etag(r, etag);
    } else {
        resp_api_json_etag(r, etag);
    }
}

int
resp_page_start(struct req *r, int64_t page, int64_t page_size, uint64_t count, size_t n)
{
    const char *next = NULL, *prev = NULL;

    if (n == 0 && page > 1) {
        r->detail = "Invalid page.";
        return RC_NOTFOUND;
    }
    if (page_size > 0) {
        next = (uint64_t)(page * page_size) < count ? req_page_url(r, page + 1) : NULL;
        prev = page > 1 ? req_page_url(r, page - 1) : NULL;
    }
    render_json_page_start(&r->body, count, next, prev);
    return RC_OK;
}
