/*
 * req.h: one HTTP request as the handlers see it, and the response being
 * built. Strings taken from the FastCGI parameters are borrowed: they die when
 * the request is finished, so nothing may keep them past the handler.
 */
#ifndef ESPORTS_FCGI_REQ_H
#define ESPORTS_FCGI_REQ_H

#include "buf.h"
#include "config.h"
#include "db.h"
#include "mem.h"
#include "param.h"

struct req {
    const struct config *cfg;
    struct db *db;
    char **envp;           /* FastCGI parameters, NAME=value */
    void *out;             /* the FastCGI output stream */
    const char *method;    /* "GET", "HEAD", ... */
    const char *path;      /* decoded path, from DOCUMENT_URI */
    const char *query;     /* raw query string, "" when none */
    const char *route;     /* the matched route's pattern, for metrics and logs */
    int route_index;       /* its index in the route table (-1: none) */
    const char *route_arg; /* the {id} of the path, when the route has one */
    struct arena arena;    /* everything of this request; reset after it */
    struct query q;        /* the parsed query string */
    struct param_errors errors;
    char etag[24];         /* of the body sent by resp_api_json, "" when none */
    int head;              /* HEAD: the body is computed but not sent */
    int uncached;          /* the handler used data the cache cannot track (search) */
    uint64_t data_version; /* the data_version run_cached saw; 0 = unknown */
    int status;
    buf_t headers; /* extra header lines, each ending in \r\n */
    buf_t body;
};

/* A request parameter (e.g. "HTTP_IF_NONE_MATCH"), or NULL. Borrowed. */
const char *req_param(const struct req *r, const char *name);

/* Sends status, Content-Type, the extra headers and the body as one write.
 * Returns 0; a failed write only means the client went away. */
int resp_send(struct req *r, int status, const char *content_type);

/* Sends {"detail": detail} with status (a JSON error body). */
int resp_error(struct req *r, int status, const char *detail);

/* 400 with {"detail": ..., "errors": {param: message}} from r->errors. */
int resp_param_errors(struct req *r);

/* Sends r->body as a JSON 200 for the API: an ETag (a 304 when the
 * client's If-None-Match has it), a short Cache-Control and CORS for GET. */
int resp_api_json(struct req *r);
/* The same with the body's ETag already known (a cached response). */
int resp_api_json_etag(struct req *r, const char *etag);

/* Sends r->body as an HTML page with status and the page security headers
 * (Content-Security-Policy without inline script, nosniff, Referrer-Policy,
 * X-Frame-Options). */
int resp_html(struct req *r, int status);
/* The same for a 200 with an ETag (304 when If-None-Match has it). */
int resp_html_validated(struct req *r);
int resp_html_etag(struct req *r, const char *etag);

/* "?<this request's parameters but page and empty ones>&page=N" (no page
 * parameter for page 1), for links within a page. From the request arena. */
const char *req_page_query(struct req *r, int64_t page);

/* "proto://host" as the client asked for it (X-Forwarded-Proto/Host, else
 * Host). From the request arena. */
const char *req_origin(struct req *r);

/* The absolute URL of this request's path with its query, page set to
 * page (page 1: no page parameter), honouring X-Forwarded-Proto/Host.
 * Allocated from the request arena. */
const char *req_page_url(struct req *r, int64_t page);

/* The HTTP status for an rc: RC_INVALID 400, RC_NOTFOUND 404, RC_UNAVAIL 503,
 * anything else 500. */
int http_status_for(int rc);

#endif
