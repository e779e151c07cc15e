/*
 * route.c: the static route table and the dispatcher. A pattern may hold one
 * {id} segment, which matches digits only; the router checks the method
 * (GET and HEAD), parses the query string once, then runs the handler.
 */
#include <string.h>
#include <time.h>

#include "cache.h"
#include "clock.h"
#include "commitclock.h"
#include "db_status.h"
#include "handlers.h"
#include "metrics.h"
#include "rc.h"
#include "text.h"
#include "route.h"
#include "route_match.h"

/* How a route's responses are kept (cache.h). */
enum {
    NOT_CACHED,
    PER_VERSION, /* until the consumer's next commit (data_version) */
    PER_SECOND,  /* for the rest of the second: search, whose engine lags anyway */
};

struct route {
    const char *pattern;
    int (*handler)(struct req *r);
    int cached; /* NOT_CACHED, PER_VERSION or PER_SECOND */
    int html;   /* a page: errors are pages too, query errors go to the handler */
};

static const struct route routes[] = {
    {"/healthz", h_healthz, NOT_CACHED, 0},
    {"/metrics", h_metrics, NOT_CACHED, 0},
    {"/api/matches/", h_api_matches, PER_VERSION, 0},
    {"/api/matches/{id}/", h_api_match, PER_VERSION, 0},
    {"/api/matches/{id}/messages/", h_api_match_messages, PER_VERSION, 0},
    {"/api/titles/", h_api_titles, PER_VERSION, 0},
    {"/api/tournaments/", h_api_tournaments, PER_VERSION, 0},
    {"/api/teams/", h_api_teams, PER_VERSION, 0},
    {"/api/search/", h_api_search, PER_SECOND, 0},
    {"/", h_page_list, PER_VERSION, 1},
    {"/matches/{id}/", h_page_match, PER_VERSION, 1},
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

const char *const route_names[] = {
    "/healthz",
    "/metrics",
    "/api/matches/",
    "/api/matches/{id}/",
    "/api/matches/{id}/messages/",
    "/api/titles/",
    "/api/tournaments/",
    "/api/teams/",
    "/api/search/",
    "/",
    "/matches/{id}/",
    "unmatched",
};
const size_t route_count = NROUTES + 1;

static struct commitclock *commits;

void
route_init(const struct config *cfg)
{
    if (cfg->commit_clock_file[0] != '\0') {
        commits = commitclock_open(cfg->commit_clock_file);
    }
}

void
route_cleanup(void)
{
    commitclock_close(commits);
    commits = NULL;
}

/* The data version a cached response is kept under: the commit clock when
 * the consumer shares one and no commit is under way, else data_version
 * from the database. */
static int
data_version(struct req *r, uint64_t *version)
{
    uint64_t v;

    if (commits != NULL && (v = commitclock_read(commits)) != 0) {
        /* the two counters count differently: a cache entry kept under one
         * must never match a version of the other */
        *version = v | (1ULL << 63);
        return RC_OK;
    }
    return db_status_version(r->db, version);
}

/* Whether an unknown path answers in JSON (the API's and the operators'
 * paths) rather than with the site's 404 page. */
static int
is_api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 ||
           strncmp(path, "/healthz", 8) == 0 || strncmp(path, "/metrics", 8) == 0;
}

/* Serves r from the cache when the data has not moved since the response
 * was rendered; otherwise renders it and keeps it. */
static void
run_cached(struct req *r, const struct route *rt)
{
    uint64_t version;
    char *key, etag[24];
    const char *origin;
    size_t plen = strlen(r->path), qlen = strlen(r->query), olen;

    if (rt->cached == PER_SECOND) {
        version = (uint64_t)time(NULL);
    } else if (data_version(r, &version) != RC_OK) {
        rt->handler(r); /* it meets the same database and answers for it */
        return;
    } else {
        r->data_version = version;
    }
    /* the origin too: list responses carry absolute next/previous links;
     * and a page shows the stalled banner or not */
    origin = req_origin(r);
    olen = strlen(origin);
    key = arena_alloc(&r->arena, olen + plen + qlen + 3);
    memcpy(key, origin, olen);
    memcpy(key + olen, r->path, plen);
    key[olen + plen] = '?';
    memcpy(key + olen + plen + 1, r->query, qlen + 1);
    if (rt->html && pages_ingest_stalled(r)) {
        memcpy(key + olen + plen + 1 + qlen, "\x01", 2); /* no byte of a request line */
    }
    if (cache_get(key, version, &r->body, etag) == RC_OK) {
        if (rt->html) {
            resp_html_etag(r, etag);
        } else {
            resp_api_json_etag(r, etag);
        }
        return;
    }
    r->etag[0] = '\0';
    rt->handler(r);
    if ((r->status == 200 || r->status == 304) && !r->body.err && r->etag[0] != '\0' &&
        !r->uncached) {
        cache_put(key, version, r->body.data ? r->body.data : "", r->body.len, r->etag);
    }
}

void
route_dispatch(struct req *r)
{
    double t0 = dt_mono();
    size_t i;

    r->route_index = (int)NROUTES;
    r->route = "unmatched";
    for (i = 0; i < NROUTES; i++) {
        if (route_match(routes[i].pattern, r->path, &r->arena, &r->route_arg)) {
            break;
        }
    }
    if (i == NROUTES) {
        if (is_api_path(r->path)) {
            resp_error(r, 404, "Not found.");
        } else {
            page_error(r, 404, "There is no page at this address.");
        }
    } else {
        r->route_index = (int)i;
        r->route = routes[i].pattern;
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
            buf_append_str(&r->headers, "Allow: GET, HEAD\r\n");
            if (routes[i].html) {
                page_error(r, 405, "This page can only be read (GET or HEAD).");
            } else {
                resp_error(r, 405, "Method not allowed.");
            }
        } else {
            r->head = strcmp(r->method, "HEAD") == 0;
            /* a page shows query errors in its form; the API answers 400 */
            int bad = query_parse(r->query, &r->arena, &r->q, &r->errors) != RC_OK;

            if (bad && !routes[i].html) {
                resp_param_errors(r);
            } else if (routes[i].cached && !bad) {
                run_cached(r, &routes[i]);
            } else {
                routes[i].handler(r);
            }
        }
    }
    metrics_observe(r->route_index, r->status, dt_mono() - t0);
}
