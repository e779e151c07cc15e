/*
 * req.h: one HTTP request as the handlers see it, and the response being
 * built. Strings taken from the FastCGI parameters are borrowed: they die when
 * the request is finished, so nothing may keep them past the handler.
 *
 * A handler answers with a result, not a response: RC_OK with r->body
 * rendered (JSON for the API, HTML for a page, r->status when not 200), or
 * the rc of what failed (RC_INVALID with r->errors, RC_NOTFOUND,
 * RC_UNAVAIL, RC_ERR) with r->detail saying it to the client when the
 * default words do not. The dispatcher turns that result into the response,
 * once for every route (resp_result).
 */
#ifndef ESPORTS_FCGI_REQ_H
#define ESPORTS_FCGI_REQ_H

#include "buf.h"
#include "mem.h"
#include "param.h"
#include "worker.h"

struct req {
    struct worker *w;      /* the thread serving it */
    char **envp;           /* FastCGI parameters, NAME=value */
    void *out;             /* the FastCGI request (FCGX_Request) it answers */
    const char *method;    /* "GET", "HEAD", ... */
    const char *path;      /* decoded path, from DOCUMENT_URI */
    const char *query;     /* raw query string, "" when none */
    const char *route;     /* the matched route's pattern, for metrics and logs */
    int route_index;       /* its index in the route table (-1: none) */
    const char *route_arg; /* the {id} of the path, when the route has one */
    struct arena arena;    /* everything of this request; reset after it */
    struct query q;        /* the parsed query string */
    struct param_errors errors;
    const char *detail;    /* a failed result in the client's words, NULL: the default */
    int not_db;            /* the failure was not the database's (the search engine, a template) */
    char etag[24];         /* of the body sent with a validator, "" when none */
    int head;              /* HEAD: the body is computed but not sent */
    int uncached;          /* the handler used data the cache cannot track (search) */
    int scripted;          /* a page that includes static/live.js (route.c): its CSP allows it */
    uint64_t data_version; /* the data_version the cache saw; 0 = unknown */
    int status;            /* set by a handler for a non-200 success; then the one sent */
    buf_t headers;         /* extra header lines, each ending in \r\n */
    buf_t body;
};

/* How a route answers (route.c's table; resp_result). */
enum answer {
    ANSWER_API,     /* JSON, with an ETag and CORS */
    ANSWER_PAGE,    /* HTML pages of the site, errors as pages */
    ANSWER_HEALTH,  /* JSON never stored, its status the handler's */
    ANSWER_METRICS, /* Prometheus text, never stored */
};

/* req.c: what the request says. */

/* A request parameter (e.g. "HTTP_IF_NONE_MATCH"), or NULL. Borrowed. */
const char *req_param(const struct req *r, const char *name);

/* "proto://host" as the client asked for it (X-Forwarded-Proto/Host, else
 * Host). From the request arena. */
const char *req_origin(struct req *r);

/* "?<this request's parameters but page and empty ones>&page=N" (no page
 * parameter for page 1), for links within a page. From the request arena. */
const char *req_page_query(struct req *r, int64_t page);

/* The absolute URL of this request's path with its query, page set to
 * page (page 1: no page parameter), honouring X-Forwarded-Proto/Host.
 * Allocated from the request arena. */
const char *req_page_url(struct req *r, int64_t page);

/* The page-link builder under both: prefix, then the parameters of query
 * but page (and those given empty when skip_empty) and page=N for page > 1;
 * "?" alone when that leaves nothing and keep_mark. From a. */
const char *req_link(struct arena *a, const char *prefix, const char *query, int skip_empty,
                     int keep_mark, int64_t page);

/* resp.c: writing the response. */

/* Turns the handler's result into the response of a route answering as
 * answer: the one mapping of an rc to a status, and to JSON or a page. */
void resp_result(struct req *r, enum answer answer, int rc);

/* Sends a cached body of a route answering as answer, with its ETag. */
void resp_cached(struct req *r, enum answer answer, const char *etag);

/* A failure answered before any handler ran (no route, wrong method):
 * {"detail": ...} for JSON, the site's error page otherwise. */
void resp_fail(struct req *r, enum answer answer, int status, const char *detail);

/* Opens the list envelope of page (of page_size items; 0: one page of
 * all) of count items, n of them on this page, with the next/previous
 * links: RC_OK, or RC_NOTFOUND ("Invalid page.") for a page past the end.
 * The caller renders the items and closes it. */
int resp_page_start(struct req *r, int64_t page, int64_t page_size, uint64_t count, size_t n);

/* The HTTP status for an rc: RC_OK 200, RC_INVALID 400, RC_NOTFOUND 404,
 * RC_UNAVAIL 503, anything else 500. */
int http_status_for(int rc);

#endif
